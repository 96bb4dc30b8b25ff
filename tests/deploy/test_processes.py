"""tests/deploy/processes.stop_group: a process group is stopped when none of it is left, not when its leader
has exited."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from tests.deploy.processes import stop_group


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_what_the_leader_started_and_left_behind_is_stopped_too():
    # the leader exits on SIGTERM at once; what it started ignores SIGTERM (a server still draining, say)
    leader = subprocess.Popen(
        ["sh", "-c", "(trap '' TERM; exec sleep 60) & exec sleep 60"], start_new_session=True
    )
    try:
        time.sleep(0.5)  # the subshell has set its trap
        with pytest.warns(UserWarning, match=r"still up 2 s after SIGTERM, killed:[\s\S]*sleep 60"):
            stop_group(leader, timeout=2)
        deadline = time.monotonic() + 5
        while group_alive(leader.pid) and time.monotonic() < deadline:  # the killed one reaped by init
            time.sleep(0.05)
        assert not group_alive(leader.pid)
    finally:
        if group_alive(leader.pid):
            os.killpg(leader.pid, 9)

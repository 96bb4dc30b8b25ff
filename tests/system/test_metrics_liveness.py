"""A dead process stops counting in /metrics however it died (the fault audit's F1): the Procfile's processes
share PROMETHEUS_MULTIPROC_DIR, a SIGKILL runs no exit hook, and `MaitreNoWorker` / `MaitreNoScheduler` read
`maitre_process_up` and `maitre_scheduler_leader` from the web's sum. The scrape drops a process whose
heartbeat is stale (config/metrics.py); a restarted process counts once."""

from __future__ import annotations

import signal
import time
import urllib.request

import pytest

from tests.system import harness

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

TOKEN = "system-metrics-token"
HEARTBEAT_S = 1.0
DROP_S = 3 * HEARTBEAT_S + 10  # stale after three beats; the rest is slack on a busy 2-core machine
START_S = 60  # a process's start (Django, migrations checked) and the scheduler lock's expiry


def _live(system: harness.System) -> dict[str, float]:
    request = urllib.request.Request(
        system.web_url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
    sums = {"worker": 0.0, "scheduler": 0.0, "web": 0.0, "leader": 0.0}
    for line in text.splitlines():
        name, _, value = line.rpartition(" ")
        if name.startswith("maitre_process_up{"):
            role = name.split('role="')[1].split('"')[0]
            sums[role] = sums.get(role, 0.0) + float(value)
        elif name.startswith("maitre_scheduler_leader"):
            sums["leader"] += float(value)
    return sums


def _until(system: harness.System, expected: dict[str, float], what: str, *, bound: float) -> float:
    """Seconds until /metrics shows `expected`, failing after `bound` seconds with the last scrape and the logs."""
    t0 = time.monotonic()
    last: dict[str, float] = {}

    def shows() -> bool:
        nonlocal last
        last = _live(system)
        return all(last.get(k) == v for k, v in expected.items())

    try:
        harness.wait_for(shows, timeout=bound, interval=0.25, what=what)
    except harness.HarnessError as exc:
        raise AssertionError(f"{exc}: /metrics shows {last}, expected {expected}\n{system.logs()}") from exc
    return time.monotonic() - t0


def test_sigkilled_worker_and_scheduler_stop_counting_and_a_restart_counts_once(tmp_path, make_system):
    (tmp_path / "metrics").mkdir()
    system = make_system(
        formation={"web": 1, "worker": 2, "scheduler": 1},
        env={
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
            "MAITRE_METRICS_TOKEN": TOKEN,
            "MAITRE_METRICS_HEARTBEAT_SECONDS": str(HEARTBEAT_S),
            "MAITRE_SCHEDULER_LOCK_TTL_SECONDS": "4",  # the restarted scheduler takes the dead one's lock sooner
        },
    )
    _until(
        system,
        {"worker": 2, "scheduler": 1, "leader": 1},
        "every process up, the scheduler leading",
        bound=START_S,
    )
    web_before = _live(system)["web"]

    system.supervisor.stop()  # nothing restarts them: as when the supervisor gave up
    system.process("worker", 1).kill(signal.SIGKILL)
    system.process("scheduler", 1).kill(signal.SIGKILL)
    took = _until(
        system,
        {"worker": 1, "scheduler": 0, "leader": 0},
        "the killed processes to stop counting",
        bound=DROP_S,
    )
    print(f"killed worker and scheduler dropped from /metrics after {took:.1f} s")
    assert _live(system)["web"] == web_before  # the web's own workers still count

    # a supervisor's restart: the new processes count once, the dead ones still not at all
    for name in ("worker", "scheduler"):
        process = system.process(name, 1)
        process.popen.wait(timeout=10)
        process.start()
    _until(
        system, {"worker": 2, "scheduler": 1, "leader": 1}, "the restarted processes to count", bound=START_S
    )
    time.sleep(3 * HEARTBEAT_S)  # and they go on counting once, beat after beat
    assert {k: _live(system)[k] for k in ("worker", "scheduler", "leader")} == {
        "worker": 2,
        "scheduler": 1,
        "leader": 1,
    }

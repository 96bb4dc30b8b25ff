"""The scrape's view of the multiprocess directory (config.metrics.LiveProcessCollector): a process's live gauges
count while its heartbeat is fresh, and not once it is stale, whatever killed it; its counters always count."""

from __future__ import annotations

import os
import time

from prometheus_client import CollectorRegistry
from prometheus_client.mmap_dict import MmapedDict, mmap_key

from config.metrics import LiveProcessCollector, heartbeat_path


def _write(path, filename: str, metric: str, value: float, **labels: str) -> None:
    d = MmapedDict(os.path.join(path, filename))
    d.write_value(mmap_key(metric, metric, tuple(labels), tuple(labels.values()), "help"), value, 0.0)
    d.close()


def _process(path, pid: int, role: str, *, beat_age: float | None) -> None:
    _write(path, f"gauge_livesum_{pid}.db", "maitre_process_up", 1, role=role)
    _write(path, f"counter_{pid}.db", "maitre_jobs_total", 5)
    if beat_age is not None:
        beat = heartbeat_path(str(path), pid)
        open(beat, "a").close()
        os.utime(beat, (time.time() - beat_age,) * 2)


def _scrape(path) -> dict[str, float]:
    registry = CollectorRegistry()
    LiveProcessCollector(registry, str(path), heartbeat_seconds=5)
    return {
        f"{s.name}{dict(s.labels).get('role', '')}": s.value
        for m in registry.collect()
        for s in m.samples
        if s.name in ("maitre_process_up", "maitre_jobs_total")
    }


def test_stale_or_missing_heartbeats_leave_the_live_gauges_out_and_keep_the_counters(tmp_path):
    _process(tmp_path, 101, "worker", beat_age=1)  # alive
    _process(
        tmp_path, 102, "worker", beat_age=16
    )  # silent for more than three 5 s beats: SIGKILLed or frozen
    _process(tmp_path, 103, "scheduler", beat_age=None)  # never beat (a one-off command), file just written
    old = os.path.join(tmp_path, "gauge_livesum_103.db")
    os.utime(old, (time.time() - 60,) * 2)

    assert _scrape(tmp_path) == {"maitre_process_upworker": 1, "maitre_jobs_total": 15}
    assert os.path.exists(
        os.path.join(tmp_path, "gauge_livesum_102.db")
    )  # left out, not deleted: it may thaw

    os.utime(heartbeat_path(str(tmp_path), 102))  # it beats again
    assert _scrape(tmp_path)["maitre_process_upworker"] == 2


def test_a_process_silent_for_long_is_forgotten_but_its_counters_stay(tmp_path):
    _process(tmp_path, 201, "worker", beat_age=1)
    _process(tmp_path, 202, "worker", beat_age=5 * 120 + 1)

    assert _scrape(tmp_path) == {"maitre_process_upworker": 1, "maitre_jobs_total": 10}
    assert sorted(os.listdir(tmp_path)) == [
        "counter_201.db",
        "counter_202.db",
        "gauge_livesum_201.db",
        "heartbeat_201",
    ]

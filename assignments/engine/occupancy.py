"""Who holds which table when: per-table sorted intervals, searched with bisect."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable


class Occupancy:
    """Half-open intervals [start, end) per table, each tagged with a ref (a booking id).

    Lookups cost O(log n) per table; nothing here scans all allocations.
    """

    __slots__ = ("_starts", "_entries", "_refs", "_overlapping")

    def __init__(self, floor_or_table_ids: object = ()):
        ids: Iterable[str]
        if hasattr(floor_or_table_ids, "table_ids"):
            ids = floor_or_table_ids.table_ids  # a Floor
        else:
            ids = floor_or_table_ids  # type: ignore[assignment]
        self._starts: dict[str, list[int]] = {}
        self._entries: dict[str, list[tuple[int, int, str]]] = {}
        self._refs: dict[str, list[tuple[str, int, int]]] = {}
        self._overlapping: set[str] = set()  # tables holding overlapping intervals (never from the engine)
        for tid in ids:
            self._starts[tid] = []
            self._entries[tid] = []

    def add(self, table_ids: Iterable[str], start: int, end: int, ref: str) -> None:
        if end <= start:
            raise ValueError(f"empty interval [{start}, {end}) for {ref!r}")
        for tid in table_ids:
            if not self.is_free(tid, start, end):
                self._overlapping.add(tid)
            entries = self._entries.setdefault(tid, [])
            starts = self._starts.setdefault(tid, [])
            item = (start, end, ref)
            i = bisect_left(entries, item)
            entries.insert(i, item)
            starts.insert(i, start)
            self._refs.setdefault(ref, []).append((tid, start, end))

    def remove(self, ref: str) -> None:
        for tid, start, end in self._refs.pop(ref, ()):
            entries = self._entries[tid]
            i = bisect_left(entries, (start, end, ref))
            if i < len(entries) and entries[i] == (start, end, ref):
                del entries[i]
                del self._starts[tid][i]

    def is_free(self, table_id: str, start: int, end: int) -> bool:
        return self.window(table_id, start, end)[0]

    def window(self, table_id: str, start: int, end: int) -> tuple[bool, int | None, int | None]:
        """(free over [start, end), end of the previous interval, start of the next one)."""
        starts = self._starts.get(table_id)
        if not starts:
            return True, None, None
        entries = self._entries[table_id]
        i = bisect_left(starts, end)  # entries [0, i) start before our end
        nxt = starts[i] if i < len(starts) else None
        if i == 0:
            return True, None, nxt
        if table_id in self._overlapping:
            prev_end = max(e for _s, e, _r in entries[:i])
            return prev_end <= start, prev_end, nxt
        prev_end = entries[i - 1][1]  # without overlaps, ends are sorted like starts
        return prev_end <= start, prev_end, nxt

    def refs(self) -> list[str]:
        return sorted(self._refs)

    def tables_of(self, ref: str) -> tuple[str, ...]:
        return tuple(sorted({tid for tid, _s, _e in self._refs.get(ref, ())}))

    def intervals(self, table_id: str) -> list[tuple[int, int, str]]:
        return list(self._entries.get(table_id, ()))

    def copy(self) -> Occupancy:
        other = Occupancy.__new__(Occupancy)
        other._starts = {k: list(v) for k, v in self._starts.items()}
        other._entries = {k: list(v) for k, v in self._entries.items()}
        other._refs = {k: list(v) for k, v in self._refs.items()}
        other._overlapping = set(self._overlapping)
        return other

    def __contains__(self, ref: str) -> bool:
        return ref in self._refs

    def __len__(self) -> int:
        return len(self._refs)

"""Look-ahead rollouts: judge a few candidate plans by simulating the arrivals the demand prior expects.

For one decision, draw `samples` sequences of later requests from the prior (start times by the
hour's intensity, party sizes by the mix, each held for its party's turn) among those that would
overlap the request's window, the only ones its choice of tables can affect. Against each candidate
plan, seat the same sequences greedily (smallest free shape first) and count the covers that still
fit. The plan leaving room for most expected covers is the better one.

Pure and deterministic: the draws are seeded by the request's party and window (never its id, so a
replay and the pipeline draw the same), and read nothing but the prior: no booking still to come.
"""

from __future__ import annotations

import random
import zlib
from bisect import bisect_right
from collections.abc import Callable, Sequence
from itertools import accumulate
from typing import Any

from .demand import DemandProfile
from .floor import Candidate, Floor
from .occupancy import Occupancy
from .types import Request

SLOT = 15  # minutes between the start times a sampled request may take

Arrival = tuple[int, int, int]  # party, start, end


class Rollouts:
    def __init__(self, floor: Floor, demand: DemandProfile, samples: int, arrivals: int):
        self.floor = floor
        self.demand = demand
        self.samples = samples
        self.arrivals = arrivals  # sampled later requests overlapping the window, per sequence
        rank = floor.zone_rank
        self._shapes: dict[int, tuple[Candidate, ...]] = {}
        for p in sorted(set(demand.party_mix) | {p for m in demand.hourly_mix.values() for p in m}):
            shapes = floor.candidates_for(p, False)
            if shapes:
                self._shapes[p] = tuple(
                    sorted(shapes, key=lambda c: (c.max_covers, c.size, rank[c.zone], c.tables))
                )
        self._turn = {p: demand.turn_for(p) for p in self._shapes}
        self._longest = max(self._turn.values(), default=demand.shortest_window)
        self._mixes: dict[int, tuple[list[int], list[float]]] = {}
        self._draws: dict[str, list[list[Arrival]]] = {}  # by key; the draws are a pure function of it

    def _mix(self, minute: int) -> tuple[list[int], list[float]]:
        hour = (minute // 60) % 24
        got = self._mixes.get(hour)
        if got is None:
            mix = self.demand.mix_at(minute)
            sizes = [p for p in sorted(mix) if mix[p] > 0 and p in self._shapes]
            got = (sizes, list(accumulate(mix[p] for p in sizes)))
            self._mixes[hour] = got
        return got

    def draw(self, request: Request) -> list[list[Arrival]]:
        """The sampled sequences of later requests overlapping `request`'s window (same for every plan)."""
        return self.draw_window(
            request.start, request.end, f"{request.party_size}:{request.start}:{request.end}"
        )

    def draw_window(self, start: int, end: int, key: str) -> list[list[Arrival]]:
        """`samples` sequences of `arrivals` requests from the prior, each overlapping [start, end);
        seeded by `key` (any text that identifies the question, never a booking still to come)."""
        got = self._draws.get(key)
        if got is None:
            if len(self._draws) >= 512:
                self._draws.clear()
            got = self._draws[key] = self._draw(start, end, key)
        return got

    def _draw(self, start: int, end: int, key: str) -> list[list[Arrival]]:
        d = self.demand
        first = max(d.opens, start - self._longest + 1)
        first -= (first - d.opens) % SLOT
        slots = [m for m in range(first, min(end, d.closes), SLOT) if d.intensity_at(m) > 0]
        if not slots or not self._shapes:
            return []
        cum = list(accumulate(d.intensity_at(m) for m in slots))
        rng = random.Random(zlib.crc32(key.encode()))
        out = []
        for _ in range(self.samples):
            seq: list[Arrival] = []
            tries = 0
            while len(seq) < self.arrivals and tries < 4 * self.arrivals:
                tries += 1
                begin = slots[bisect_right(cum, rng.random() * cum[-1], hi=len(cum) - 1)]
                sizes, weights = self._mix(begin)
                if not sizes:
                    continue
                party = sizes[bisect_right(weights, rng.random() * weights[-1], hi=len(weights) - 1)]
                finish = begin + self._turn[party]
                if finish > start:
                    seq.append((party, begin, finish))
            out.append(seq)
        return out

    def _seat(
        self,
        party: int,
        start: int,
        end: int,
        extra: dict[str, list[tuple[int, int]]],
        memo: dict[Any, Any],
        base_free: Callable[[str, int, int], bool],
    ) -> Candidate | None:
        """Smallest-fit: the first shape free on the occupancy and in `extra`; taken into `extra`.
        `memo` caches, per (party, start, end), the shapes free on the occupancy itself."""
        key = (party, start, end)
        shapes: list[Candidate] | None = memo.get(key)
        if shapes is None:
            free = memo.get((start, end))
            if free is None:  # table -> free over [start, end) on the occupancy itself, filled as asked
                free = memo[(start, end)] = {}
            shapes = []
            for c in self._shapes[party]:
                for t in c.tables:
                    ok = free.get(t)
                    if ok is None:
                        ok = free[t] = base_free(t, start, end)
                    if not ok:
                        break
                else:
                    shapes.append(c)
            memo[key] = shapes
        for c in shapes:
            if not any(s < end and start < e for t in c.tables for s, e in extra.get(t, ())):
                for t in c.tables:
                    extra.setdefault(t, []).append((start, end))
                return c
        return None

    def covers(
        self,
        occupancy: Occupancy,
        draws: Sequence[Sequence[Arrival]],
        taken: Sequence[tuple[Sequence[str], int, int]] = (),
        memo: dict[Any, Any] | None = None,
    ) -> int:
        """Covers the drawn sequences seat, smallest free shape first, on `occupancy` plus the
        `taken` (tables, start, end) intervals. Nothing is written to `occupancy`; `memo` may be
        shared between calls on the same occupancy (it caches its free/busy answers)."""
        memo = {} if memo is None else memo
        base_free = occupancy.is_free
        total = 0
        for seq in draws:
            extra: dict[str, list[tuple[int, int]]] = {}
            for tables, start, end in taken:
                for t in tables:
                    extra.setdefault(t, []).append((start, end))
            for party, start, end in seq:
                if self._seat(party, start, end, extra, memo, base_free) is not None:
                    total += party
        return total

    def lost(
        self,
        occupancy: Occupancy,
        draws: Sequence[Sequence[Arrival]],
        tables: Sequence[str],
        start: int,
        end: int,
    ) -> int:
        """Covers the draws seat without (`tables`, [start, end)) taken minus those they seat with it:
        `covers(occ, draws) - covers(occ, draws, [(tables, start, end)])`, computed once up to the
        first request whose smallest-fit shape the plan takes (until then both seat the same)."""
        memo: dict[Any, Any] = {}
        base_free = occupancy.is_free
        plan = set(tables)
        total = 0
        for seq in draws:
            extra: dict[str, list[tuple[int, int]]] = {}
            chosen = [self._seat(p, s, e, extra, memo, base_free) for p, s, e in seq]
            split = next(
                (
                    i
                    for i, ((_p, s, e), c) in enumerate(zip(seq, chosen))
                    if c is not None and s < end and start < e and plan.intersection(c.tables)
                ),
                None,
            )
            if split is None:
                continue
            extra = {t: [(start, end)] for t in plan}
            for (_p, s, e), c in zip(seq[:split], chosen[:split]):
                if c is not None:
                    for t in c.tables:
                        extra.setdefault(t, []).append((s, e))
            for (p, s, e), c in zip(seq[split:], chosen[split:]):
                total += (p if c is not None else 0) - (
                    p if self._seat(p, s, e, extra, memo, base_free) else 0
                )
        return total

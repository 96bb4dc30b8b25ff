"""The floor as the engine sees it: tables, adjacency, zone priorities, and every plan shape.

Candidate enumeration (single tables and connected same-zone combinations) depends only on the
floor, so it runs once per Floor and is cached on the instance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

UNRANKED_ZONE = 1_000_000


@dataclass(frozen=True, slots=True)
class TableSpec:
    id: str
    zone: str
    min_covers: int
    max_covers: int
    combinable: bool
    accessible: bool


@dataclass(frozen=True, slots=True)
class Candidate:
    """One plan shape: a single table or a connected combination, independent of time."""

    tables: tuple[str, ...]  # sorted table ids
    zone: str
    min_covers: int  # a single table's min_covers; 1 for combinations (the rules set no minimum)
    max_covers: int  # a single table's max_covers; the sum for combinations
    accessible: bool  # every table accessible

    @property
    def size(self) -> int:
        return len(self.tables)

    def fits(self, party_size: int, accessible: bool) -> bool:
        if accessible and not self.accessible:
            return False
        if self.size == 1:
            return self.min_covers <= party_size <= self.max_covers
        return party_size <= self.max_covers


@dataclass(frozen=True)
class Floor:
    tables: tuple[TableSpec, ...]
    adjacency: tuple[tuple[str, str], ...]  # undirected
    zone_priority: Mapping[str, int]  # lower number = more preferred zone
    max_combination_tables: int = 3

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    @cached_property
    def fingerprint(self) -> tuple[object, ...]:
        """A hashable summary of the floor (zone_priority is a mapping, so the dataclass hash cannot be used)."""
        return (
            tuple(sorted(self.tables, key=lambda t: t.id)),
            tuple(sorted(tuple(sorted(e)) for e in self.adjacency)),
            tuple(sorted(self.zone_priority.items())),
            self.max_combination_tables,
        )

    @cached_property
    def table_by_id(self) -> dict[str, TableSpec]:
        return {t.id: t for t in sorted(self.tables, key=lambda t: t.id)}

    @cached_property
    def table_ids(self) -> tuple[str, ...]:
        return tuple(sorted(self.table_by_id))

    @cached_property
    def zone_rank(self) -> dict[str, int]:
        """Zones ranked 0, 1, ... by (priority, id); a zone missing from zone_priority ranks last."""
        zones = sorted(
            {t.zone for t in self.tables}, key=lambda z: (self.zone_priority.get(z, UNRANKED_ZONE), z)
        )
        return {z: i for i, z in enumerate(zones)}

    @cached_property
    def neighbours(self) -> dict[str, frozenset[str]]:
        """Adjacency restricted to what may be joined: both combinable, same zone."""
        by_id = self.table_by_id
        out: dict[str, set[str]] = {tid: set() for tid in by_id}
        for a, b in self.adjacency:
            ta, tb = by_id.get(a), by_id.get(b)
            if ta is None or tb is None or a == b:
                continue
            if ta.combinable and tb.combinable and ta.zone == tb.zone:
                out[a].add(b)
                out[b].add(a)
        return {k: frozenset(v) for k, v in out.items()}

    @cached_property
    def candidates(self) -> tuple[Candidate, ...]:
        """Every plan shape on this floor, in a canonical order (size, then table ids)."""
        by_id = self.table_by_id
        out = [Candidate((t.id,), t.zone, t.min_covers, t.max_covers, t.accessible) for t in by_id.values()]
        level = {frozenset((tid,)) for tid, t in by_id.items() if t.combinable}
        for _size in range(2, self.max_combination_tables + 1):
            grown: set[frozenset[str]] = set()
            for group in level:
                for member in group:
                    for other in self.neighbours[member]:
                        if other not in group:
                            grown.add(group | {other})
            level = grown
            for group in sorted(level, key=lambda g: tuple(sorted(g))):
                ids = tuple(sorted(group))
                specs = [by_id[i] for i in ids]
                out.append(
                    Candidate(
                        ids,
                        specs[0].zone,
                        1,
                        sum(s.max_covers for s in specs),
                        all(s.accessible for s in specs),
                    )
                )
        out.sort(key=lambda c: (c.size, c.tables))
        return tuple(out)

    @cached_property
    def _fit_cache(self) -> dict[tuple[int, bool], tuple[Candidate, ...]]:
        return {}

    def candidates_for(self, party_size: int, accessible: bool = False) -> tuple[Candidate, ...]:
        """Valid shapes for a party, without dominated combinations.

        A combination is dropped when one of its proper subsets is itself a valid shape for the
        party: whenever the larger one is free the smaller one is too, and it seats the party with
        fewer tables and fewer empty seats, so no scoring we use would ever prefer the larger one.
        """
        key = (party_size, accessible)
        cached = self._fit_cache.get(key)
        if cached is not None:
            return cached
        valid = [c for c in self.candidates if c.fits(party_size, accessible)]
        valid_sets = {frozenset(c.tables) for c in valid}
        kept = []
        for c in valid:
            if c.size > 1:
                group = frozenset(c.tables)
                if any(s < group for s in valid_sets if len(s) < len(group)):
                    continue
            kept.append(c)
        result = tuple(kept)
        self._fit_cache[key] = result
        return result

    @cached_property
    def largest_party(self) -> int:
        return max((c.max_covers for c in self.candidates), default=0)

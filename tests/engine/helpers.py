"""Floors and checks for engine tests, written independently of the engine's own enumeration."""

from __future__ import annotations

from assignments.engine import Floor, Plan, Request, TableSpec


def table(tid, zone="main", lo=1, hi=2, combinable=False, accessible=False) -> TableSpec:
    return TableSpec(tid, zone, lo, hi, combinable, accessible)


def floor(*tables: TableSpec, edges=(), zones=None, max_join=3) -> Floor:
    zones = zones or {z: i for i, z in enumerate(sorted({t.zone for t in tables}))}
    return Floor(
        tables=tuple(tables), adjacency=tuple(edges), zone_priority=zones, max_combination_tables=max_join
    )


def plan_problems(f: Floor, r: Request, tables: tuple[str, ...]) -> list[str]:
    by_id = {t.id: t for t in f.tables}
    specs = [by_id[t] for t in tables]
    out = []
    if list(tables) != sorted(set(tables)):
        out.append("tables not sorted/distinct")
    if len(specs) == 1:
        if not specs[0].min_covers <= r.party_size <= specs[0].max_covers:
            out.append("single table capacity")
    else:
        if len(specs) > f.max_combination_tables:
            out.append("too many tables")
        if not all(s.combinable for s in specs):
            out.append("not combinable")
        if len({s.zone for s in specs}) != 1:
            out.append("zones")
        if sum(s.max_covers for s in specs) < r.party_size:
            out.append("combined capacity")
        edges = {frozenset(e) for e in f.adjacency}
        seen, todo = {tables[0]}, [tables[0]]
        while todo:
            cur = todo.pop()
            for t in tables:
                if t not in seen and frozenset((cur, t)) in edges:
                    seen.add(t)
                    todo.append(t)
        if len(seen) != len(tables):
            out.append("not connected")
    if r.accessible and not all(s.accessible for s in specs):
        out.append("accessibility")
    return out


def plan_ok(f: Floor, r: Request, p: Plan) -> bool:
    return not plan_problems(f, r, p.tables)

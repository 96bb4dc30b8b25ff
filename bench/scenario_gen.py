"""Generate realistic scenario/v1 days, deterministic per seed (pure Python, no Django).

Load is demand over capacity in seat-minutes: sum(party x (turn + buffer)) / (seats x service
length). Starts peak 19:00-20:00, so even load 0.8 overfills the room at the peak.
"""

from __future__ import annotations

import random
from typing import Any

from assignments.scenario import FORMAT_TAG, parse_scenario

ZONE_NAMES = [
    ("main", "Main room"),
    ("window", "Window"),
    ("patio", "Patio"),
    ("bar", "Bar"),
    ("terrace", "Terrace"),
    ("private", "Private room"),
    ("garden", "Garden"),
    ("mezzanine", "Mezzanine"),
]
ZONE_SHARE = [0.38, 0.22, 0.2, 0.12, 0.1, 0.08, 0.08, 0.08]
TURN_MINUTES = {"2": 90, "4": 105, "6": 120, "8": 135, "default": 150}
SERVICE = ("17:00", "23:30")
PARTY_MIX = [
    (1, 4),
    (2, 47),
    (3, 12),
    (4, 18),
    (5, 4),
    (6, 6),
    (7, 2.5),
    (8, 2.5),
    (9, 1),
    (10, 1.5),
    (12, 1),
]
# Relative weight of each 15-minute start from 17:00 to 21:45.
START_WEIGHTS = [2, 2, 3, 4, 5, 6, 8, 9, 11, 12, 12, 11, 10, 9, 7, 6, 4, 3, 2, 1]
EXPLICIT_DURATIONS = [60, 75, 120, 180]
ADJACENCY_KINDS = ("rows", "grid", "pairs")
# (max_covers, min_covers choices, share of the floor)
TABLE_KINDS = [(2, (1, 1, 2), 0.44), (4, (1, 2, 2), 0.34), (6, (3, 4), 0.13), (8, (5, 6), 0.09)]


def _split(total: int, shares: list[float]) -> list[int]:
    raw = [total * s / sum(shares) for s in shares]
    out = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)[: total - sum(out)]:
        out[i] += 1
    return out


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def generate_scenario(
    *,
    tables: int = 60,
    zones: int = 4,
    load: float = 1.0,
    seed: int = 1,
    bookings: int | None = None,
    buffer_minutes: int = 10,
    name: str | None = None,
    adjacency: str = "rows",
    accessible_share: float = 0.03,
    big_party_factor: float = 1.0,
) -> dict[str, Any]:
    """A scenario/v1 document; `bookings` fixes the count instead of deriving it from `load`.

    `adjacency` is how tables touch: "rows" (rows of 3-5, neighbours adjacent), "grid" (rows of 4
    that also touch the row behind) or "pairs" (tables pushed together two by two only).
    `accessible_share` is the share of bookings that need accessible tables; `big_party_factor`
    multiplies how likely parties of 6 or more are. The defaults give the same days as before.
    """
    if adjacency not in ADJACENCY_KINDS:
        raise ValueError(f"adjacency must be one of {', '.join(ADJACENCY_KINDS)}")
    if not 0 <= accessible_share <= 1:
        raise ValueError("accessible_share must be between 0 and 1")
    if big_party_factor <= 0:
        raise ValueError("big_party_factor must be positive")
    if not 1 <= zones <= len(ZONE_NAMES):
        raise ValueError(f"zones must be 1..{len(ZONE_NAMES)}")
    if tables < zones:
        raise ValueError("need at least one table per zone")
    rng = random.Random(seed)
    zone_list = [
        {"id": zid, "name": zname, "priority": i + 1} for i, (zid, zname) in enumerate(ZONE_NAMES[:zones])
    ]
    per_zone = _split(tables, ZONE_SHARE[:zones])
    per_zone = [max(1, n) for n in per_zone]
    while sum(per_zone) > tables:
        per_zone[per_zone.index(max(per_zone))] -= 1

    table_docs: list[dict[str, Any]] = []
    edges: list[list[str]] = []
    for z, count in zip(zone_list, per_zone):
        prefix = z["id"][0].upper() if z["id"] != "mezzanine" else "Z"
        kinds = []
        for (cap, mins, _share), n in zip(TABLE_KINDS, _split(count, [k[2] for k in TABLE_KINDS])):
            kinds += [(cap, mins)] * n
        rng.shuffle(kinds)
        # Small tables first in each row so rows of 2- and 4-tops can be pushed together.
        kinds.sort(key=lambda k: k[0])
        ids = [f"{prefix}{i + 1:02d}" for i in range(count)]
        bar_like = z["id"] == "bar"
        for tid, (cap, mins) in zip(ids, kinds):
            table_docs.append(
                {
                    "id": tid,
                    "zone": z["id"],
                    "min_covers": rng.choice(mins),
                    "max_covers": cap,
                    "combinable": (not bar_like and cap <= 6 and rng.random() < 0.8)
                    or (cap == 8 and rng.random() < 0.3),
                    "accessible": False,
                }
            )
        if adjacency == "rows":  # rows of 3-5 tables; neighbours in a row are adjacent
            i = 0
            while i < count:
                row = ids[i : i + rng.randint(3, 5)]
                for a, b in zip(row, row[1:]):
                    if not bar_like or rng.random() < 0.3:
                        edges.append([a, b])
                i += len(row)
        elif adjacency == "grid":  # rows of 4, each table also touching the one behind it
            for i, a in enumerate(ids):
                if i % 4 != 3 and i + 1 < count and (not bar_like or rng.random() < 0.3):
                    edges.append([a, ids[i + 1]])
                if i + 4 < count and not bar_like:
                    edges.append([a, ids[i + 4]])
        else:  # pairs: two by two, never more
            for a, b in zip(ids[0::2], ids[1::2]):
                if not bar_like or rng.random() < 0.3:
                    edges.append([a, b])
    # A few accessible tables: about 1 in 8, at least one per zone, favouring 4- and 6-tops.
    by_zone: dict[str, list[dict]] = {}
    for t in table_docs:
        by_zone.setdefault(t["zone"], []).append(t)
    for ztables in by_zone.values():
        picks = max(1, round(len(ztables) / 8))
        ranked = sorted(ztables, key=lambda t: (t["max_covers"] not in (4, 6), rng.random()))
        for t in ranked[:picks]:
            t["accessible"] = True

    seats = sum(t["max_covers"] for t in table_docs)
    service_minutes = 6 * 60 + 30
    start0 = 17 * 60
    sizes = [p for p, _w in PARTY_MIX]
    size_w = [w * (big_party_factor if p >= 6 else 1.0) for p, w in PARTY_MIX]
    max_party = max(t["max_covers"] for t in table_docs) * 2
    zone_ids = [z["id"] for z in zone_list]
    zone_w = ZONE_SHARE[:zones]
    docs: list[dict[str, Any]] = []
    demand = 0.0
    target = load * seats * service_minutes
    while (bookings is None and demand < target) or (bookings is not None and len(docs) < bookings):
        party = min(rng.choices(sizes, size_w)[0], max_party)
        slot = rng.choices(range(len(START_WEIGHTS)), START_WEIGHTS)[0]
        duration = rng.choice(EXPLICIT_DURATIONS) if rng.random() < 0.05 else None
        turn = duration or next(
            (
                TURN_MINUTES[k]
                for k in sorted((k for k in TURN_MINUTES if k != "default"), key=int)
                if int(k) >= party
            ),
            TURN_MINUTES["default"],
        )
        demand += party * (turn + buffer_minutes)
        docs.append(
            {
                "id": "",
                "party_size": party,
                "start": _hhmm(start0 + 15 * slot),
                "duration_minutes": duration,
                "preferred_zone": rng.choices(zone_ids, zone_w)[0] if rng.random() < 0.18 else None,
                "accessible": rng.random() < accessible_share,
                "arrival": 0,
            }
        )
    docs.sort(key=lambda b: (b["start"], b["party_size"]))
    arrivals = list(range(len(docs)))
    rng.shuffle(arrivals)
    for i, (b, a) in enumerate(zip(docs, arrivals)):
        b["id"] = f"B{i + 1:04d}"
        b["arrival"] = a
    if name is None:
        name = (
            f"gen-{tables}t-{zones}z-{len(docs)}b-s{seed}"
            if bookings is not None
            else f"gen-{tables}t-{zones}z-load{load:.1f}-s{seed}"
        )
        if adjacency != "rows":
            name += f"-{adjacency}"
        if accessible_share != 0.03:
            name += f"-acc{accessible_share:g}"
        if big_party_factor != 1.0:
            name += f"-big{big_party_factor:g}"
    doc = {
        "format": FORMAT_TAG,
        "name": name,
        "restaurant": {
            "name": f"Generated {name}",
            "timezone": "Europe/London",
            "date": "2026-10-16",
            "slot_minutes": 15,
            "buffer_minutes": buffer_minutes,
            "max_combination_tables": 3,
            "turn_minutes": dict(TURN_MINUTES),
            "service_periods": [{"name": "dinner", "start": SERVICE[0], "end": SERVICE[1]}],
        },
        "zones": zone_list,
        "tables": table_docs,
        "adjacency": edges,
        "bookings": docs,
    }
    parse_scenario(doc)  # never hand out a document our own parser rejects
    return doc

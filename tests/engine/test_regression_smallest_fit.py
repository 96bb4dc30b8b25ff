"""A crafted evening where the engine alone seated fewer covers than smallest-fit, and why.

Seven tables in one room. At 19:45 the engine puts a couple on the last free 4-top (M05): by its
capacity cost that is a fine plan (two empty seats), but it leaves nothing for the party of three
that asks next for 18:30, whose windows overlap. Smallest-fit had seated the couple elsewhere
(on a 2-top it still had free, having placed an earlier couple differently) and seats the three.
Capacity protection played forward (rollouts from the demand prior) sees that seating a couple on
the last 4-top at the peak costs more expected later covers than it brings, sends it to review
with that reason, and the evening ends level with smallest-fit.
"""

from assignments.engine import DemandProfile, Engine, Occupancy, Request, Weights, smallest_fit

from .helpers import floor, table

TURNS = {1: 100, 2: 100, 3: 115, 4: 115, 5: 130, 6: 130, 7: 145, 8: 145, 12: 160}
PLAYED = Weights(protection_load=0.8, protection_margin=1.0, protection_samples=16, protection_arrivals=0.5)


def hm(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def evening():
    f = floor(
        table("M01", lo=1, hi=2),
        table("M02", lo=1, hi=2, combinable=True),
        table("M03", lo=2, hi=2, combinable=True),
        table("M04", lo=2, hi=4),
        table("M05", lo=2, hi=4, combinable=True),
        table("M06", lo=3, hi=6, combinable=True),
        table("M07", lo=6, hi=8),
        edges=[("M01", "M02"), ("M02", "M03"), ("M04", "M05"), ("M05", "M06"), ("M06", "M07")],
    )
    day = [  # arrival order: (id, party, start, end incl. buffer)
        ("B0011", 2, "19:30", "21:10"),
        ("B0027", 1, "20:45", "22:25"),
        ("B0025", 8, "20:30", "22:55"),
        ("B0008", 5, "18:45", "21:55"),
        ("B0009", 2, "19:00", "20:40"),
        ("B0004", 4, "18:15", "20:10"),
        ("B0018", 2, "19:45", "21:25"),
        ("B0007", 3, "18:30", "20:25"),
        ("B0006", 2, "18:30", "20:10"),
        ("B0001", 2, "17:15", "18:55"),
        ("B0022", 2, "20:15", "21:55"),
        ("B0024", 2, "20:30", "22:10"),
        ("B0012", 2, "19:30", "21:10"),
    ]
    return f, [Request(b, p, hm(s), hm(e)) for b, p, s, e in day]


def covers(f, requests, decide):
    occ = Occupancy(f)
    seated, refusals = 0, {}
    for r in requests:
        plan, refusal = decide(r, occ)
        if refusal:
            refusals[r.booking_id] = refusal
        if plan is not None:
            occ.add(plan.tables, r.start, r.end, r.booking_id)
            seated += r.party_size
    return seated, refusals


def test_the_engine_alone_lost_to_smallest_fit_and_played_protection_does_not():
    f, day = evening()
    demand = DemandProfile(turns=TURNS)
    plain, played = Engine(f, demand=demand), Engine(f, weights=PLAYED, demand=demand)
    by_sf, _ = covers(f, day, lambda r, occ: (smallest_fit(f, r, occ), None))
    alone, none = covers(f, day, lambda r, occ: (plain.decide(r, occ).best, plain.decide(r, occ).refusal))
    guarded, refusals = covers(f, day, lambda r, occ: (lambda d: (d.best, d.refusal))(played.decide(r, occ)))
    assert none == {}
    assert alone < by_sf  # the old behaviour, kept as the engine's default
    assert guarded >= by_sf
    assert list(refusals) == ["B0018"]
    assert refusals["B0018"].startswith(
        "capacity protection: seating 2 on the last free 4-top M05 at 19:45 would cost"
    )

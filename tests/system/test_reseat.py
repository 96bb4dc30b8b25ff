"""Re-seating decided in a real worker process: the Procfile's processes (web, 2 workers, the scheduler) with
MAITRE_RESEAT on (the default), bookings made over the API, the outcome read from the database, the API and a
webhook receiver.

A floor of two tables, a 6-top (T6) and a 2-top (T2). On each of three evenings a couple sits at T6 because
T2 was taken when it came, then T2's couple cancels, and a party that fits only at T6 comes:
- 19:00, a party of six. The last try before review moves the couple to T2 and seats the six at T6: played
  forward over 32 draws of later guests (`played_gain`) that gains +3.4 expected covers (standard error 0.3),
  well clear of the margin (MAITRE_RESEAT_PAYOFF_MARGIN, 1) less 2 standard errors
  (MAITRE_RESEAT_PAYOFF_CONFIDENCE).
- 17:30 the next evening, a party of three: the same move gains +0.5 (standard error 0.4), not even the
  margin on the mean: declined, the three go to review.
- 19:15 the evening after, a party of three: +1.28 (standard error 0.22) clears the margin on the mean but
  not surely (1.28 - 2 x 0.22 = 0.85): declined too, only by the certainty.
The default pay-off settings decide all three: nothing is set in the processes' environment for them (the
figures are the pure rule's on this floor; the draws are seeded by the request, so they are the same in the
worker).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta

import pytest

from tests.system.harness import wait_for
from tests.system.load import pipeline_report
from tests.webhooks.receiver import Receiver

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

SLUG = "reseat-floor"


def _table(label: str, seats: int) -> dict:
    return {
        "id": label,
        "zone": "main",
        "min_covers": 1,
        "max_covers": seats,
        "combinable": False,
        "accessible": False,
    }


FLOOR = {
    "format": "scenario/v1",
    "name": SLUG,
    "restaurant": {
        "name": "Re-seat bistro",
        "timezone": "Europe/London",
        "date": "2026-01-01",  # import_floor moves it to the system's day
        "slot_minutes": 15,
        "buffer_minutes": 10,
        "max_combination_tables": 3,
        "turn_minutes": {"2": 90, "4": 105, "6": 120, "8": 135, "default": 150},
        "service_periods": [{"name": "dinner", "start": "17:00", "end": "23:30"}],
    },
    "zones": [{"id": "main", "name": "Main room", "priority": 1}],
    "tables": [_table("T6", 6), _table("T2", 2)],
    "adjacency": [],
    "bookings": [],
}

# Why each party of three waits for a person (assignments.engine.reasons, as the review queue words it), after
# the restaurant's 5 tries: the same words as with re-seating off.
REVIEW_REASONS = {
    "b": "every 6-top is taken 17:30-19:25 (free: T2 takes 1-2) after 5 attempt(s)",
    "c": "every 6-top is taken 19:15-21:10 (free: T2 takes 1-2) after 5 attempt(s)",
}

# The booking rows the test reads back, by external_ref.
BOOKING_SQL = """
SELECT b.external_ref, b.id, b.state, b.version,
       coalesce(array_agg(t.label ORDER BY t.label) FILTER (WHERE t.label IS NOT NULL), '{}')
FROM assignments_booking b
JOIN assignments_restaurant r ON r.id = b.restaurant_id
LEFT JOIN assignments_tableallocation a ON a.booking_id = b.id
LEFT JOIN assignments_table t ON t.id = a.table_id
WHERE r.slug = %s GROUP BY b.id
"""
EVENTS_SQL = "SELECT event_type, payload FROM assignments_outboxevent WHERE aggregate_id = %s ORDER BY id"
HISTORY_SQL = (
    "SELECT transition, from_state, to_state, version, metadata FROM booking_state_history "
    "WHERE booking_id = %s ORDER BY version"
)
ATTEMPTS_SQL = (
    "SELECT attempt_no, strategy, result, reason, metadata FROM booking_assignment_attempts "
    "WHERE booking_id = %s ORDER BY id"
)


class Api:
    """The booking platform's side: JSON over HTTP with the system's token."""

    def __init__(self, system):
        self.base, self.token = system.web_url, system.token

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.base + path,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def book(self, ref: str, party_size: int, start_at: str) -> int:
        status, body = self.call(
            "POST",
            "/api/bookings",
            {"restaurant": SLUG, "party_size": party_size, "start_at": start_at, "external_ref": ref},
        )
        assert status == 201, (ref, status, body)
        return body["id"]

    def booking(self, pk: int) -> dict:
        status, body = self.call("GET", f"/api/bookings/{pk}")
        assert status == 200, (pk, status, body)
        return body

    def settled(self, pk: int, timeout: float = 45) -> dict:
        """The booking once it is confirmed or in review."""
        return wait_for(
            lambda: (b := self.booking(pk))["state"] in ("confirmed", "manual_review") and b,
            timeout=timeout,
            interval=0.2,
            what=f"booking {pk} confirmed or in review",
        )


def test_a_reseat_that_surely_pays_off_moves_a_couple_and_the_others_go_to_review(make_system, tmp_path):
    # The processes' own settings: re-seating and its pay-off rule at their defaults. Webhooks may go to this
    # machine (the receiver below), which production refuses to a client.
    system = make_system(
        formation={"web": 1, "worker": 2, "scheduler": 1},
        env={"MAITRE_WEBHOOK_ALLOW_PRIVATE_HOSTS": "1"},
    )
    path = tmp_path / "floor.json"
    path.write_text(json.dumps(FLOOR), encoding="utf-8")
    system.import_floor(path, slug=SLUG)
    api = Api(system)
    evenings = {  # external_ref suffix -> the start of its couples and of its party
        "a": f"{system.day.isoformat()}T19:00",
        "b": f"{(system.day + timedelta(days=1)).isoformat()}T17:30",
        "c": f"{(system.day + timedelta(days=2)).isoformat()}T19:15",
    }

    with Receiver() as receiver:
        status, sub = api.call(
            "POST",
            "/api/webhooks/subscriptions",
            {
                "url": receiver.url,
                "restaurant": SLUG,
                "event_types": ["booking.confirmed", "booking.tables_changed", "booking.manual_review"],
            },
        )
        assert status == 201, sub
        receiver.secret = sub["secret"]

        # The evenings at once: a couple at T2, a couple at T6 (T2 taken), T2's couple cancels.
        first = {day: api.book(f"first-{day}", 2, start) for day, start in evenings.items()}
        for pk in first.values():
            assert api.settled(pk)["tables"] == ["T2"]
        couple = {day: api.book(f"couple-{day}", 2, start) for day, start in evenings.items()}
        for pk in couple.values():
            assert api.settled(pk)["tables"] == ["T6"]
        for pk in first.values():
            status, body = api.call("POST", f"/api/bookings/{pk}/cancel", {})
            assert status == 200 and body["state"] == "cancelled", body

        # Each is decided after the restaurant's 5 tries (backoff 0.5 + 1 + 2 + 4 s) and one re-seat solve.
        six = api.book("six", 6, evenings["a"])
        three = api.book("three", 3, evenings["b"])
        unsure = api.book("three-unsure", 3, evenings["c"])
        seated, reviewed, reviewed_unsure = api.settled(six), api.settled(three), api.settled(unsure)

        # -- the whole floor: no table shared in time, tables only for confirmed bookings, every history chain
        # intact (version = its rows, one after the other, the last in the booking's state), every booking final
        report = pipeline_report(system, [SLUG])
        assert report["overlaps"] == 0, report
        assert report["misallocated"] == [] and report["broken_history"] == [], report
        assert report["by_state"] == {"confirmed": 4, "manual_review": 2, "cancelled": 3}, report

        # -- the party of six: seated at T6 by the re-seat, the couple moved to T2 --------------------------
        assert seated["state"] == "confirmed" and seated["tables"] == ["T6"], seated
        assert seated["assignment_strategy"] == "reseat", seated
        assert seated["assignment_attempts"] == 5  # the restaurant's maximum, then the re-seat
        moved = api.booking(couple["a"])
        assert moved["state"] == "confirmed" and moved["tables"] == ["T2"], moved
        rows = {
            ref: (state, version, tables)
            for ref, _pk, state, version, tables in system.sql(BOOKING_SQL, [SLUG])
        }
        assert rows["six"] == ("confirmed", 3, ["T6"]), rows
        assert rows["couple-a"] == ("confirmed", 3, ["T2"]), rows  # version 3: a move is no transition

        # The move is on the couple's record: an attempt row of the re-seat, naming both tables; its state and
        # version stay (a move is no transition), its history chain intact.
        move_rows = [r for r in system.sql(ATTEMPTS_SQL, [couple["a"]]) if r[1] == "reseat"]
        assert len(move_rows) == 1, move_rows
        _, _, result, reason, meta = move_rows[0]
        assert result == "success", move_rows
        assert reason == f"moved from T6 to T2 by the reseat, to make room for #{six} (party of 6)", move_rows
        assert meta == {"from_tables": ["T6"], "tables": ["T2"], "move": True, "room_for": six}, meta
        assert [a["reason"] for a in moved["attempts"] if a["strategy"] == "reseat"] == [reason]
        history = system.sql(HISTORY_SQL, [couple["a"]])
        assert [h[2] for h in history] == ["pending", "assignment_pending", "confirmed"], history
        six_history = system.sql(HISTORY_SQL, [six])
        assert six_history[-1][:3] == ("confirm", "assignment_pending", "confirmed"), six_history
        assert six_history[-1][4]["tables"] == ["T6"] and six_history[-1][4]["strategy"] == "reseat"
        six_attempts = system.sql(ATTEMPTS_SQL, [six])
        assert (5, "reseat", "success", "re-seated 1 other booking(s)") in [r[:4] for r in six_attempts]

        # The outbox: the couple's tables changed (T6 -> T2, by the re-seat), the six confirmed at T6.
        couple_events = system.sql(EVENTS_SQL, [str(couple["a"])])
        assert [e[0] for e in couple_events] == [
            "booking.created",
            "booking.assignment_requested",
            "booking.confirmed",
            "booking.tables_changed",
        ], couple_events
        change = couple_events[-1][1]
        assert change["from_tables"] == ["T6"] and change["tables"] == ["T2"], change
        assert change["strategy"] == "reseat" and change["room_for"] == six, change
        assert change["to_state"] == "confirmed" and change["version"] == 3, change
        six_events = system.sql(EVENTS_SQL, [str(six)])
        assert [e[0] for e in six_events][-1] == "booking.confirmed", six_events
        assert six_events[-1][1]["tables"] == ["T6"] and six_events[-1][1]["strategy"] == "reseat"

        # -- the parties of three: the same move declined by the pay-off rule, to review with the reason -------
        for day, pk, answer in (("b", three, reviewed), ("c", unsure, reviewed_unsure)):
            assert answer["state"] == "manual_review" and answer["tables"] == [], answer
            assert answer["status"] == "pending" and answer["assignment_attempts"] == 5, answer
            kept = api.booking(couple[day])
            assert kept["state"] == "confirmed" and kept["tables"] == ["T6"], kept
            assert [e[0] for e in system.sql(EVENTS_SQL, [str(couple[day])])][-1] == "booking.confirmed"
            attempts = system.sql(ATTEMPTS_SQL, [pk])
            declines = [r for r in attempts if r[1] == "reseat"]
            assert [(r[0], r[2]) for r in declines] == [(5, "no_plan")], attempts
            assert "surely brings more covers than it costs later" in declines[0][3]
            review = system.sql(HISTORY_SQL, [pk])[-1]
            assert review[:3] == ("send_to_review", "assignment_pending", "manual_review"), review
            assert review[4]["reason"] == REVIEW_REASONS[day], review
            events = system.sql(EVENTS_SQL, [str(pk)])
            assert events[-1][0] == "booking.manual_review", events
            assert events[-1][1]["reason"] == REVIEW_REASONS[day], events

        # -- the booking platform heard of it: signed webhooks with the couple's new table -------------------
        def delivered() -> dict[str, dict] | None:
            bodies = receiver.received()
            wanted = {
                "moved": [b for b in bodies if b["type"] == "booking.tables_changed"],
                "six": [
                    b for b in bodies if b["type"] == "booking.confirmed" and b["data"]["booking_id"] == six
                ],
                "three": [
                    b
                    for b in bodies
                    if b["type"] == "booking.manual_review" and b["data"]["booking_id"] == three
                ],
            }
            return {k: v[0] for k, v in wanted.items()} if all(wanted.values()) else None

        hooks = wait_for(delivered, timeout=30, interval=0.2, what="the webhooks")
        assert receiver.bad_signatures == 0
        assert hooks["moved"]["data"]["booking_id"] == couple["a"]
        assert (hooks["moved"]["data"]["from_tables"], hooks["moved"]["data"]["tables"]) == (["T6"], ["T2"])
        assert hooks["moved"]["data"]["room_for"] == six
        assert hooks["six"]["data"]["tables"] == ["T6"]
        assert hooks["three"]["data"]["booking_id"] == three
        assert hooks["three"]["data"]["reason"] == REVIEW_REASONS["b"]
        moves_heard = [b for b in receiver.received() if b["type"] == "booking.tables_changed"]
        assert len(moves_heard) == 1, moves_heard  # the other evenings' couples stayed at T6

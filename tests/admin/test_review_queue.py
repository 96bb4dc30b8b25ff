"""The review queue: what it lists, in which order, with which columns; and who may act on it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assignments import lifecycle
from assignments.models import Booking, BookingState, BookingStateHistory, TableAllocation
from tests.admin.conftest import confirmed_at, in_review
from tests.factories import DAY_SHORT, make_booking

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:assignments_reviewbooking_changelist")


def assign_url(booking):
    return reverse("admin:assignments_reviewbooking_assign", args=[booking.pk])


def test_lists_review_and_stuck_pending_bookings_soonest_first(restaurant, viewer_client, settings):
    late = in_review(restaurant, start="21:00", reason="no table after 5 attempts")
    early = in_review(restaurant, start="18:00", reason="party too large for the floor")
    stuck = make_booking(restaurant, start="19:30")
    lifecycle.booking_request_assignment(booking=stuck)
    BookingStateHistory.objects.filter(booking=stuck, version=stuck.version).update(
        created_at=timezone.now() - timedelta(seconds=settings.MAITRE["STUCK_PENDING_SECONDS"] + 60)
    )
    fresh_pending = make_booking(restaurant, start="19:45")
    lifecycle.booking_request_assignment(booking=fresh_pending)
    confirmed = confirmed_at(restaurant, ["M1"], start="18:15")
    untouched = make_booking(restaurant, start="18:45")

    response = viewer_client.get(QUEUE)

    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert [b.pk for b in rows] == [early.pk, stuck.pk, late.pk]
    assert not {fresh_pending.pk, confirmed.pk, untouched.pk} & {b.pk for b in rows}
    html = response.content.decode()
    # the live reason, computed from the floor now (an empty floor: a plan is free), and the stuck one
    assert (
        "a plan is free now: M2 seats 4 over 18:00-19:40" in html and "stuck waiting for the assigner" in html
    )
    assert html.count('class="maitre-group"') == 1 and f"{DAY_SHORT} · dinner" in html
    assert f"{DAY_SHORT} · dinner: <b>3</b> waiting" in html


def test_the_queue_defaults_to_the_coming_services_and_filters_offer_only_real_values(
    restaurant, viewer_client
):
    from tests.factories import at

    tonight = in_review(restaurant, start="19:00")
    next_week = in_review(restaurant, start="19:00")
    Booking.objects.filter(pk=next_week.pk).update(
        start_at=at("19:00") + timedelta(days=8), end_at=at("20:30") + timedelta(days=8)
    )
    last_january = in_review(restaurant, start="19:00")
    Booking.objects.filter(pk=last_january.pk).update(
        start_at=at("19:00") - timedelta(days=320), end_at=at("20:30") - timedelta(days=320)
    )

    response = viewer_client.get(QUEUE)
    assert [b.pk for b in response.context["cl"].result_list] == [tonight.pk]
    past = viewer_client.get(QUEUE + "?when=past")
    assert [b.pk for b in past.context["cl"].result_list] == [last_january.pk]
    html = response.content.decode()
    assert "Sent to review (3)" in html and "Stuck waiting" not in html and "Confirmed" not in html
    assert ">Tonight<" in html and "Any day" in html


def test_the_queue_shows_only_the_restaurants_the_user_may_see(restaurant, viewer, viewer_client):
    from tests.factories import FloorFactory, grant

    other = FloorFactory.small()
    mine = in_review(restaurant, start="19:00")
    theirs = in_review(other, start="19:00")
    html = viewer_client.get(QUEUE)
    assert [b.pk for b in html.context["cl"].result_list] == [mine.pk]  # a member of one restaurant only
    assert "sortable column-restaurant" not in html.content.decode()  # one restaurant: no restaurant column
    assert viewer_client.get(reverse("admin:assignments_booking_change", args=[theirs.pk])).status_code == 302
    assert viewer_client.get(
        reverse("admin:assignments_reviewbooking_assign", args=[theirs.pk])
    ).status_code in (403, 404)
    timeline = reverse("admin:assignments_restaurant_timeline", args=[other.pk])
    assert viewer_client.get(timeline).status_code == 404

    grant(viewer, other)
    both = viewer_client.get(QUEUE)
    assert {b.pk for b in both.context["cl"].result_list} == {mine.pk, theirs.pk}
    assert "sortable column-restaurant" in both.content.decode()


def test_queue_shows_preferences_and_the_last_attempt(restaurant, viewer_client):
    from assignments.models import BookingAssignmentAttempt

    zone = restaurant.zones.get(key="terrace")
    booking = in_review(restaurant, preferred_zone=zone, needs_accessible=True)
    BookingAssignmentAttempt.objects.create(
        booking=booking,
        attempt_no=5,
        strategy="best_fit",
        result="no_plan",
        reason="no free table or combination fits the party",
    )

    html = viewer_client.get(QUEUE).content.decode()

    assert "♿ Terrace" in html
    assert "needs step-free access: the largest accessible table or combination seats 8 (M2+M3)" not in html
    assert "a plan is free now: M3 seats 4" in html


def test_the_same_badge_on_booking_list_and_detail_pages(restaurant, viewer_client):
    booking = in_review(restaurant)
    badge = 'class="maitre-badge maitre-state-manual_review"'
    for url in (
        reverse("admin:assignments_booking_changelist"),
        reverse("admin:assignments_booking_change", args=[booking.pk]),
        reverse("admin:assignments_reviewbooking_change", args=[booking.pk]),
    ):
        assert badge in viewer_client.get(url).content.decode(), url


# -- permissions -----------------------------------------------------------------------------------------
def test_a_viewer_can_look_but_not_open_the_assign_form_or_act(restaurant, viewer_client):
    booking = in_review(restaurant)
    before = Booking.objects.get(pk=booking.pk).version

    assert viewer_client.get(QUEUE).status_code == 200
    page = viewer_client.get(reverse("admin:assignments_booking_change", args=[booking.pk]))
    assert page.status_code == 200 and "Assign manually" not in page.content.decode()
    assert viewer_client.get(assign_url(booking)).status_code == 403
    assert viewer_client.post(assign_url(booking), {"plan": "M1", "version": before}).status_code == 403
    assert (
        viewer_client.post(
            reverse("admin:assignments_reviewbooking_retry", args=[booking.pk]), {"version": before}
        ).status_code
        == 403
    )
    assert (
        viewer_client.post(
            reverse("admin:assignments_reviewbooking_cancel", args=[booking.pk]), {"version": before}
        ).status_code
        == 403
    )
    for action in ("retry_selected", "cancel_selected"):
        response = viewer_client.post(
            QUEUE, {"action": action, "_selected_action": [booking.pk], "confirm": "yes"}
        )
        assert response.status_code in (200, 302)
    assert "retry_selected" not in viewer_client.get(QUEUE).content.decode()

    fresh = Booking.objects.get(pk=booking.pk)
    assert (fresh.state, fresh.version) == (BookingState.MANUAL_REVIEW, before)
    assert not TableAllocation.objects.exists()


def test_an_assigner_sees_the_form_with_the_engines_ranked_plans(restaurant, assigner_client):
    from assignments.context import assignment_context, engine_for

    booking = in_review(restaurant, party_size=2)
    confirmed_at(restaurant, ["M1"], start="19:30")  # the best table is taken: the form must not offer it
    ctx = assignment_context(booking_id=booking.pk)
    expected = engine_for(restaurant=ctx.restaurant, floor=ctx.floor).decide(ctx.request, ctx.occupancy).plans

    response = assigner_client.get(assign_url(booking))

    assert response.status_code == 200
    plans = [p["plan"] for p in response.context["plans"]]
    assert [p.tables for p in plans] == [p.tables for p in expected] and plans
    assert ("M1",) not in [p.tables for p in plans]
    html = response.content.decode()
    best = plans[0]
    assert f'name="plan" value="{",".join(best.tables)}"' in html
    assert f"{best.score:.2f}" in html
    term, value = next((k, v) for k, v in best.breakdown.items() if v)
    assert f"{term} {value:.2f}" in html
    for label in ("M1", "M2", "M3", "T1"):  # the free choice lists every table, M1 marked taken
        assert f'name="tables" value="{label}"' in html
    other = Booking.objects.exclude(pk=booking.pk).get()
    assert (
        f'taken by <a href="/admin/assignments/booking/{other.pk}/change/">#{other.pk} (2p 19:30-21:00)</a>'
        in html
    )


def test_an_assigner_assigns_through_the_form_and_history_carries_the_user(
    restaurant, assigner, assigner_client
):
    booking = in_review(restaurant, party_size=2)

    response = assigner_client.post(
        assign_url(booking), {"plan": "M1", "version": booking.version}, follow=True
    )

    assert response.status_code == 200
    assert "confirmed at M1" in response.content.decode()
    fresh = Booking.objects.get(pk=booking.pk)
    assert fresh.state == BookingState.CONFIRMED
    last = BookingStateHistory.objects.filter(booking=booking).latest("version")
    assert last.actor == assigner and last.actor_label == "staff:assigner"


def test_free_choice_of_tables_through_the_form(restaurant, assigner_client):
    booking = in_review(restaurant, party_size=7)

    assigner_client.post(assign_url(booking), {"tables": ["M2", "M3"], "version": booking.version})

    assert sorted(TableAllocation.objects.filter(booking=booking).values_list("table__label", flat=True)) == [
        "M2",
        "M3",
    ]


def test_a_conflicting_choice_in_the_form_shows_the_conflict_and_writes_nothing(restaurant, assigner_client):
    other = confirmed_at(restaurant, ["T1"], party_size=4, start="18:45")
    booking = in_review(restaurant, party_size=4)
    allocations, history = TableAllocation.objects.count(), BookingStateHistory.objects.count()

    response = assigner_client.post(assign_url(booking), {"tables": ["T1"], "version": booking.version})

    assert response.status_code == 200
    html = response.content.decode()
    assert (
        f'Not seated: T1 is taken by <a href="/admin/assignments/booking/{other.pk}/change/">#{other.pk} (4p 18:45-'
        in html
    )
    assert (TableAllocation.objects.count(), BookingStateHistory.objects.count()) == (allocations, history)
    assert Booking.objects.get(pk=booking.pk).state == BookingState.MANUAL_REVIEW


def test_a_rule_violation_in_the_form_is_refused_with_its_reason(restaurant, assigner_client):
    booking = in_review(restaurant, party_size=5)

    response = assigner_client.post(assign_url(booking), {"tables": ["M1", "M2"], "version": booking.version})

    assert "M1 cannot be combined with other tables" in response.content.decode()
    assert Booking.objects.get(pk=booking.pk).state == BookingState.MANUAL_REVIEW
    assert not TableAllocation.objects.exists()


def test_a_stale_form_is_refused(restaurant, assigner_client):
    booking = in_review(restaurant)
    stale_version = booking.version
    # Meanwhile someone retried it and it came back to review: same state, newer version.
    lifecycle.booking_request_assignment(booking=booking, trigger="retry")
    lifecycle.booking_send_to_review(booking=booking, reason="still no table")

    response = assigner_client.post(assign_url(booking), {"plan": "M1", "version": stale_version})

    assert "changed while you were looking" in response.content.decode()
    fresh = Booking.objects.get(pk=booking.pk)
    assert fresh.state == BookingState.MANUAL_REVIEW and not TableAllocation.objects.exists()
    assert (
        response.context["form"].initial["version"] == fresh.version
    )  # the reloaded form carries the new one


def test_the_assign_form_of_a_confirmed_booking_redirects_without_writing(restaurant, assigner_client):
    booking = confirmed_at(restaurant, ["M1"])
    version = booking.version

    response = assigner_client.post(assign_url(booking), {"plan": "M2", "version": version}, follow=True)

    assert "nothing to assign" in response.content.decode()
    assert Booking.objects.get(pk=booking.pk).version == version
    assert list(TableAllocation.objects.values_list("table__label", flat=True)) == ["M1"]


def test_cancel_from_the_queue_goes_through_the_lifecycle_as_the_staff_user(
    restaurant, assigner, assigner_client
):
    booking = in_review(restaurant)
    url = reverse("admin:assignments_reviewbooking_cancel", args=[booking.pk])
    assert "Yes, cancel" in assigner_client.get(url).content.decode()

    assigner_client.post(url, {"version": booking.version, "reason": "guest called"})

    fresh = Booking.objects.get(pk=booking.pk)
    assert fresh.state == BookingState.CANCELLED
    last = BookingStateHistory.objects.filter(booking=booking).latest("version")
    assert last.actor == assigner and last.metadata["reason"] == "guest called"


def test_bulk_cancel_asks_first_then_cancels(restaurant, assigner_client):
    a, b = in_review(restaurant, start="18:00"), in_review(restaurant, start="20:00")
    data = {"action": "cancel_selected", "_selected_action": [a.pk, b.pk]}

    first = assigner_client.post(QUEUE, data)
    assert "Yes, cancel" in first.content.decode()
    assert Booking.objects.filter(state=BookingState.CANCELLED).count() == 0

    done = assigner_client.post(QUEUE, {**data, "confirm": "yes", "reason": "closed"}, follow=True)
    assert Booking.objects.filter(pk__in=[a.pk, b.pk], state=BookingState.CANCELLED).count() == 2
    html = done.content.decode()
    for booking in (a, b):  # one line per booking
        assert f"{Booking.objects.get(pk=booking.pk)}: cancelled; its tables are free again." in html


def test_a_plan_taken_meanwhile_names_the_booking_that_took_it(restaurant, assigner_client):
    booking = in_review(restaurant, party_size=2, start="19:00")
    page = assigner_client.get(assign_url(booking))
    offered = page.context["plans"][0]["value"]  # what the person saw and picked
    other = confirmed_at(
        restaurant, offered.split(","), party_size=2, start="18:45"
    )  # taken while they looked

    response = assigner_client.post(assign_url(booking), {"plan": offered, "version": booking.version})

    html = response.content.decode()
    assert (
        f'Not seated: {offered.split(",")[0]} is taken by <a href="/admin/assignments/booking/{other.pk}/change/">'
        f"#{other.pk} (2p 18:45-20:15)</a>"
    ) in html
    assert Booking.objects.get(pk=booking.pk).state == BookingState.MANUAL_REVIEW


def test_someone_who_may_only_look_gets_no_assign_button_and_a_plain_refusal_if_they_try(
    restaurant, viewer, assigner
):
    from django.test import Client

    booking = in_review(restaurant)
    viewer_client, assigner_client = Client(), Client()
    viewer_client.force_login(viewer)
    assigner_client.force_login(assigner)

    looker = viewer_client.get(QUEUE).content.decode()
    worker = assigner_client.get(QUEUE).content.decode()
    assert 'class="button maitre-timeline"' in looker and 'class="button maitre-assign"' not in looker
    assert 'class="button maitre-assign"' in worker

    refused = viewer_client.get(assign_url(booking))  # a bookmarked link, say
    html = refused.content.decode()
    assert refused.status_code == 403
    assert "Not allowed" in html and "needs the &#x27;assign bookings&#x27; permission" in html
    assert "Ops console home" in html


def test_the_queue_marks_bookings_whose_time_has_begun(restaurant, viewer_client, monkeypatch):
    from tests.factories import at

    begun = in_review(restaurant, start="18:00")
    coming = in_review(restaurant, start="21:00")

    def rows_at(hhmm: str) -> dict[int, str]:
        monkeypatch.setattr("assignments.admin.common.console_now", lambda: at(hhmm))
        html = viewer_client.get(QUEUE).content.decode()
        rows = html.split("<tr")
        return {
            b.pk: next(r for r in rows if f"/assignments/booking/{b.pk}/change/" in r)
            for b in (begun, coming)
        }

    rows = rows_at("18:40")  # the couple's 18:00-19:30 has begun, 21:00 is to come
    assert "started 40 min ago" in rows[begun.pk] and "maitre-started" not in rows[coming.pk]
    rows = rows_at("22:05")
    assert 'class="maitre-started">over<' in rows[begun.pk] and "started 1 h 05 ago" in rows[coming.pk]


def test_the_assign_page_lists_free_tables_first_and_taken_ones_cannot_be_ticked(restaurant, assigner):
    from django.test import Client

    confirmed_at(restaurant, ["M1"], start="19:00")
    confirmed_at(restaurant, ["M2"], party_size=4, start="19:00")
    booking = in_review(restaurant, start="19:15")
    client = Client()
    client.force_login(assigner)

    html = client.get(assign_url(booking)).content.decode()

    boxes = re.findall(r'<input type="checkbox" name="tables" value="(\w+)"[^>]*>', html)
    assert boxes == ["M3", "T1", "M1", "M2"]  # free (M3, T1), then taken, each in floor order
    for label, taken in (("M1", True), ("M2", True), ("M3", False), ("T1", False)):
        box = re.search(rf'<input type="checkbox" name="tables" value="{label}"[^>]*>', html)[0]
        assert ("disabled" in box) is taken, box
    assert "The 2 free tables over its window come first" in html


def test_the_console_home_leads_with_today_per_restaurant(restaurant, viewer, monkeypatch):
    from django.test import Client

    from tests.factories import at

    in_review(restaurant, start="19:00")
    in_review(restaurant, start="20:00")
    confirmed_at(restaurant, ["M1"], start="19:00")
    monkeypatch.setattr("assignments.admin.common.console_now", lambda: at("17:30"))
    client = Client()
    client.force_login(viewer)

    html = client.get(reverse("admin:index")).content.decode()

    today = html[html.index('id="maitre-tonight"') :]
    assert restaurant.name in today and "2 waiting for a table" in today and "1 confirmed" in today
    timeline = reverse("admin:assignments_restaurant_timeline", args=[restaurant.pk])
    assert f'href="{timeline}?date=' in today and QUEUE in today
    assert html.index('id="maitre-tonight"') < html.index("app-assignments")  # before the list of models


def test_the_today_panel_reads_many_restaurants_in_a_fixed_number_of_queries(
    restaurant, django_assert_num_queries
):
    """Twelve restaurants, a late one among them (its service day depends on its hours), on a cold cache: the
    restaurants, their weekly hours and exceptions, and the two counts: 5 queries, not 2 more per restaurant."""
    from assignments.caches import maitre_caches_reset
    from assignments.models import Restaurant
    from assignments.selectors.review import tonight_overview
    from tests.factories import RestaurantFactory, at

    for _ in range(11):
        RestaurantFactory(service_periods=[{"name": "late", "start": "22:00", "end": "03:00"}])
    in_review(restaurant, start="19:00")
    maitre_caches_reset()
    with django_assert_num_queries(5):
        lines = tonight_overview(restaurants=Restaurant.objects.all(), now=at("17:30"))
    assert len(lines) == 12
    assert {(line.waiting, line.confirmed) for line in lines if line.restaurant_id == restaurant.pk} == {
        (1, 0)
    }

"""The admin's own views fed what a tired host, a manager or a curious user might send (ids that are not
numbers, versions like "²", dates at the ends of the calendar, times in the DST gap, NUL bytes): never a 500,
a clear message or a 404, and a refused action leaves the booking and its history as they were."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from assignments.models import (
    Booking,
    BookingStateHistory,
    Restaurant,
    Table,
    TableAdjacency,
    TableAllocation,
    TableBlock,
    Zone,
)
from assignments.services.booking_requests import booking_check_start
from tests.admin.conftest import confirmed_at, in_review
from tests.factories import DAY, DAY_ISO, FloorFactory, at, grant
from webhooks.models import WebhookSubscription

NOT_IDS = ["abc", "1.5", "²"]  # "²".isdigit() is True, int("²") raises ValueError


@pytest.fixture
def superuser_client(client, db):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def _snapshot(booking: Booking):
    b = Booking.objects.get(pk=booking.pk)
    return b.state, b.version, b.start_at, BookingStateHistory.objects.filter(booking=b).count()


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# -- ids and versions that are not numbers ------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("object_id", NOT_IDS)
@pytest.mark.parametrize(
    "url",
    [
        "/admin/assignments/booking/{}/assign/",
        "/admin/assignments/booking/{}/retry/",
        "/admin/assignments/booking/{}/cancel/",
        "/admin/assignments/booking/{}/seat/",
        "/admin/assignments/booking/{}/change/",
        "/admin/assignments/reviewbooking/{}/change/",
        "/admin/assignments/restaurant/{}/timeline/",
        "/admin/assignments/restaurant/{}/timeline/seat/",
        "/admin/assignments/restaurant/{}/timeline/block/",
        "/admin/assignments/restaurant/{}/timeline/walk-in/",
    ],
)
def test_an_id_in_the_url_that_is_no_number_is_not_found(restaurant, superuser_client, url, object_id):
    send = superuser_client.get if url.endswith("/change/") else superuser_client.post
    response = send(url.format(object_id), {"version": "1"})

    assert response.status_code in (302, 404)  # the admin's change page redirects with "does not exist"
    if url.endswith("/change/"):
        assert "doesn’t exist" in " ".join(_messages(response))


@pytest.mark.django_db
@pytest.mark.parametrize("booking_id", NOT_IDS)
def test_the_timeline_seat_with_a_booking_id_that_is_no_number_asks_to_pick_one(
    restaurant, superuser_client, booking_id
):
    url = reverse("admin:assignments_restaurant_timeline_seat", args=[restaurant.pk])

    response = superuser_client.post(url, {"booking": booking_id, "table": "M1", "version": "1"})

    assert response.status_code == 302
    assert _messages(response) == ["Pick a booking, then a table row."]


@pytest.mark.django_db
def test_the_timeline_seat_with_a_version_that_is_no_number_writes_nothing(restaurant, superuser_client):
    booking = in_review(restaurant)
    before = _snapshot(booking)
    url = reverse("admin:assignments_restaurant_timeline_seat", args=[restaurant.pk])

    response = superuser_client.post(url, {"booking": booking.pk, "table": "M1", "version": "²"})

    assert response.status_code == 302
    assert _messages(response) == ["Pick a booking, then a table row."]
    assert _snapshot(booking) == before


@pytest.mark.django_db
@pytest.mark.parametrize("block", NOT_IDS)
def test_unblocking_with_a_block_id_that_is_no_number_says_it_is_gone(restaurant, superuser_client, block):
    url = reverse("admin:assignments_restaurant_timeline_unblock", args=[restaurant.pk])

    response = superuser_client.post(url, {"block": block})

    assert _messages(response) == ["That block is gone already."]


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["seat", "complete", "no-show"])
def test_a_service_action_with_a_version_that_is_no_number_asks_to_reload(
    restaurant, superuser_client, action
):
    booking = confirmed_at(restaurant, ["M1"])
    before = _snapshot(booking)

    response = superuser_client.post(
        reverse(f"admin:assignments_booking_{action}", args=[booking.pk]), {"version": "²"}
    )

    assert response.status_code == 302
    assert _messages(response) == ["Reload the page and try again (its version is missing)."]
    assert _snapshot(booking) == before


@pytest.mark.django_db
def test_a_retry_with_a_version_that_is_no_number_is_a_retry_without_one(restaurant, superuser_client):
    booking = in_review(restaurant)

    response = superuser_client.post(
        reverse("admin:assignments_booking_retry", args=[booking.pk]), {"version": "²"}
    )

    assert response.status_code == 302
    assert "retried" in " ".join(_messages(response)) or "sent to automatic" in " ".join(_messages(response))


@pytest.mark.django_db
@pytest.mark.parametrize("party", ["²", "abc", "2.5", "0", "-1", "1000000000"])
def test_a_walk_in_with_a_party_size_that_is_no_count_asks_how_many(restaurant, superuser_client, party):
    url = reverse("admin:assignments_restaurant_timeline_walk_in", args=[restaurant.pk])

    response = superuser_client.post(url, {"party_size": party, "guest_name": "Zoë 🍝"})

    assert response.status_code == 302
    assert _messages(response) == ["How many are they? Give the party size (1 to 100)."]
    assert not Booking.objects.exists()


# -- the timeline's ?date= and ?booking= ----------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("asked", ["garbage", "2026-02-30", "0001-01-01", "9999-12-31", "1899-12-31"])
def test_the_timeline_shows_today_for_a_date_it_does_not_show(restaurant, superuser_client, asked):
    url = reverse("admin:assignments_restaurant_timeline", args=[restaurant.pk])

    response = superuser_client.get(f"{url}?date={asked}&booking=²")

    assert response.status_code == 200
    assert response.context["day"] == DAY  # the console clock: noon of the test day
    assert _messages(response) == ["Dates look like 2026-12-05, from 1900 to 9998; showing today."]


@pytest.mark.django_db
@pytest.mark.parametrize("asked", ["1900-01-01", "9998-12-31"])
def test_the_timeline_shows_the_first_and_last_days_it_offers(restaurant, superuser_client, asked):
    url = reverse("admin:assignments_restaurant_timeline", args=[restaurant.pk])

    response = superuser_client.get(f"{url}?date={asked}&span=day")

    assert response.status_code == 200
    assert response.context["day"].isoformat() == asked
    assert _messages(response) == []


# -- blocking a table -------------------------------------------------------------------------------------
def _block(client, restaurant, **data):
    url = reverse("admin:assignments_restaurant_timeline_block", args=[restaurant.pk])
    return client.post(
        url, {"date": DAY.isoformat(), "start": "15:00", "end": "16:00", "table": "M1", **data}
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "day,start,end,missing",
    [
        ("2027-03-28", "01:30", "02:30", "01:30 does not exist on 28 March 2027"),
        ("2027-03-28", "00:30", "01:15", "01:15 does not exist on 28 March 2027"),
    ],
)
def test_a_block_in_the_hour_the_clocks_skip_is_refused(
    restaurant, superuser_client, day, start, end, missing
):
    response = _block(superuser_client, restaurant, date=day, start=start, end=end, reason="wiring")

    assert response.status_code == 302
    [text] = _messages(response)
    assert text.startswith(missing) and "the clocks go forward that night" in text
    assert not TableBlock.objects.exists() and not TableAllocation.objects.exists()


@pytest.mark.django_db
def test_a_block_past_the_end_of_the_calendar_is_refused(restaurant, superuser_client):
    response = _block(superuser_client, restaurant, date="9999-12-31", start="23:00", end="18:00", reason="x")

    assert _messages(response) == ["9999-12-31 is too far away to block a table."]
    assert not TableBlock.objects.exists()


@pytest.mark.django_db
def test_a_block_over_the_hour_the_clocks_repeat_is_made(restaurant, superuser_client):
    response = _block(
        superuser_client, restaurant, date="2027-10-31", start="00:30", end="03:00", reason="party"
    )

    assert response.status_code == 302
    block = TableBlock.objects.get()
    assert (block.end_at - block.start_at).total_seconds() == 3.5 * 3600  # the hour 01:00-02:00 twice


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data,refusal",
    [
        (
            {"reason": "nul\x00byte"},
            "The reason holds a NUL character, which cannot be stored; type it again.",
        ),
        ({"reason": "x", "table": ["M1", "M1\x00"]}, "Unknown or inactive table(s): M1\\x00."),
        ({"reason": "Zoë 🍝", "table": ["ZZ"]}, "Unknown or inactive table(s): ZZ."),
        (
            {"reason": "   "},
            "Say why the table is blocked (a private event, a broken chair): the host will read it.",
        ),
        ({"reason": "x", "table": []}, "Choose a table to block."),
    ],
)
def test_a_block_with_a_reason_or_table_that_cannot_be_stored_is_refused(
    restaurant, superuser_client, data, refusal
):
    response = _block(superuser_client, restaurant, **data)

    assert _messages(response) == [refusal]
    assert not TableBlock.objects.exists() and not TableAllocation.objects.exists()


# -- the lists' filters ------------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "start_at__year=9999",
        "start_at__year=9999&start_at__month=12",
        "start_at__year=9999&start_at__month=12&start_at__day=31",
        "start_at__year=2026&start_at__month=2&start_at__day=30",
        "start_at__year=garbage",
    ],
)
def test_the_bookings_date_drill_down_past_the_calendar_is_an_invalid_lookup(
    restaurant, superuser_client, query
):
    response = superuser_client.get(f"/admin/assignments/booking/?{query}")

    assert response.status_code == 302 and response.url.endswith("?e=1")  # the admin's own answer


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ["when=garbage", "state=garbage", "restaurant=²", "restaurant=99999999999999999999", "o=garbage"]
)
def test_the_review_queue_takes_odd_filters(restaurant, superuser_client, query):
    in_review(restaurant)

    response = superuser_client.get(f"/admin/assignments/reviewbooking/?{query}")

    assert response.status_code in (200, 302)


# -- the restaurant page (its fields and the schedule editor) -----------------------------------------------
def _fields(form, data: dict) -> None:
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        if value is True:
            value = "on"
        elif isinstance(value, (dict, list)):
            value = json.dumps(value)
        elif hasattr(value, "pk"):
            value = value.pk
        data[form.add_prefix(name)] = value


def _restaurant_page_post(client, restaurant, **changes):
    """The restaurant's page posted back as shown, with `changes`."""
    url = reverse("admin:assignments_restaurant_change", args=[restaurant.pk])
    page = client.get(url)
    data: dict = {}
    _fields(page.context["adminform"].form, data)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update({f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()})
        for form in formset.initial_forms:
            _fields(form, data)
    return client.post(url, {**data, **changes})


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field,value,error",
    [
        ("service_periods", '[{"start": "25:00"}]', "Each period's 'start' is a time from 00:00 to 23:59"),
        ("service_periods", '[{"start": "18:00"}]', "Each period's 'end' is a time from 00:00 to 23:59"),
        (
            "service_periods",
            '[{"start": "18:00", "end": "18:00"}]',
            "A period cannot end when it starts (18:00).",
        ),
        ("service_periods", "[1]", "Each period is an object with a name, a start and an end"),
        ("service_periods", '{"start": "18:00"}', "A list of service periods"),
        ("turn_minutes", '{"default": -5}', "Minutes must be whole numbers of at least 1 ('default': -5)."),
        ("turn_minutes", '{"default": 90, "two": 60}', "Keys are party sizes or 'default', not 'two'."),
    ],
)
def test_the_restaurant_page_refuses_service_periods_and_turn_times_nothing_could_read(
    restaurant, superuser_client, field, value, error
):
    before = Restaurant.objects.values(field, "schedule_version").get(pk=restaurant.pk)

    response = _restaurant_page_post(superuser_client, restaurant, **{field: value})

    assert response.status_code == 200
    assert error in response.context["adminform"].form.errors[field][0]
    assert Restaurant.objects.values(field, "schedule_version").get(pk=restaurant.pk) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field,value,error",
    [
        ("booking_horizon_days", "99999999", "less than or equal to 3660"),
        ("booking_past_grace_minutes", str(2**31 - 1), "less than or equal to 1440"),
    ],
)
def test_the_restaurant_page_refuses_a_booking_window_past_the_calendar(
    restaurant, superuser_client, field, value, error
):
    """Saved, either one made every API booking of the restaurant a 500: now -/+ it is past year 9999."""
    response = _restaurant_page_post(superuser_client, restaurant, **{field: value})

    assert response.status_code == 200
    assert error in response.context["adminform"].form.errors[field][0]
    assert getattr(Restaurant.objects.get(pk=restaurant.pk), field) is None


@pytest.mark.django_db
def test_the_widest_booking_window_the_page_takes_still_checks_a_start(restaurant, superuser_client):
    response = _restaurant_page_post(
        superuser_client, restaurant, booking_horizon_days="3660", booking_past_grace_minutes="1440"
    )
    assert response.status_code == 302
    saved = Restaurant.objects.get(pk=restaurant.pk)
    with pytest.raises(ValidationError, match="More than 3660 days ahead"):
        booking_check_start(restaurant=saved, start_at=timezone.now() + timedelta(days=3661))


@pytest.mark.django_db
def test_the_restaurant_page_saves_well_formed_service_periods(restaurant, superuser_client):
    periods = [
        {"name": "lunch", "start": "12:00", "end": "15:00"},
        {"name": "late", "start": "22:00", "end": "02:00"},
    ]

    response = _restaurant_page_post(superuser_client, restaurant, service_periods=json.dumps(periods))

    assert response.status_code == 302
    assert Restaurant.objects.get(pk=restaurant.pk).service_periods == periods


# -- the floor's pages --------------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    "missing",
    [("table_a", "table_b"), ("table_a",), ("table_b",), ("restaurant",), ("restaurant", "table_a")],
)
def test_an_adjacency_without_its_tables_asks_for_them(restaurant, superuser_client, missing):
    tables = {t.label: t.pk for t in restaurant.tables.all()}
    data = {"restaurant": restaurant.pk, "table_a": tables["M1"], "table_b": tables["M2"]}
    before = TableAdjacency.objects.count()

    response = superuser_client.post(
        "/admin/assignments/tableadjacency/add/", {k: ("" if k in missing else v) for k, v in data.items()}
    )

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert all(form.errors[field] == ["This field is required."] for field in missing)
    assert TableAdjacency.objects.count() == before


@pytest.mark.django_db
def test_an_adjacency_of_a_table_with_itself_is_refused(restaurant, superuser_client):
    m1 = restaurant.tables.get(label="M1").pk
    before = TableAdjacency.objects.count()

    response = superuser_client.post(
        "/admin/assignments/tableadjacency/add/", {"restaurant": restaurant.pk, "table_a": m1, "table_b": m1}
    )

    assert response.context["adminform"].form.non_field_errors() == ["A table cannot be adjacent to itself."]
    assert TableAdjacency.objects.count() == before


# -- tenancy: a manager of A -------------------------------------------------------------------------------
@pytest.fixture
def manager_client(client, db, restaurant):
    from django.contrib.auth.models import Permission

    user = User.objects.create_user("manager", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="assignments"))
    grant(user, restaurant, role="manager")
    client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/admin/assignments/tableadjacency/add/",
        "/admin/assignments/table/add/",
        "/admin/assignments/table/",
        "/admin/assignments/tableadjacency/",
    ],
)
def test_a_manager_of_a_sees_none_of_bs_zones_and_tables_in_choices_and_filters(
    restaurant, manager_client, url
):
    other = FloorFactory.small()
    for i, table in enumerate(other.tables.all()):
        Table.objects.filter(pk=table.pk).update(label=f"SECRET{i}")
    Zone.objects.filter(restaurant=other).update(name="Hidden room")

    response = manager_client.get(url)

    html = response.content.decode()
    assert "SECRET" not in html and "Hidden room" not in html
    if url.endswith("/add/"):  # A's own are offered
        field, rows = ("table_a", restaurant.tables) if "adjacency" in url else ("zone", restaurant.zones)
        offered = response.context["adminform"].form.fields[field].queryset
        assert set(offered) == set(rows.all())


@pytest.mark.django_db
def test_a_manager_of_a_cannot_link_bs_table(restaurant, manager_client):
    other = FloorFactory.small()
    mine, theirs = restaurant.tables.get(label="M1"), other.tables.get(label="M2")

    response = manager_client.post(
        "/admin/assignments/tableadjacency/add/",
        {"restaurant": restaurant.pk, "table_a": mine.pk, "table_b": theirs.pk},
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.context["adminform"].form.errors["table_b"][0]
    assert not TableAdjacency.objects.filter(table_b=theirs).exists()


# -- the nearest-time fix (assign page, "_time") ---------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    "start,refusal",
    [
        ("0001-01-01T00:00:00+00:00", "cannot move there: more than 365 days from its time. Book it anew."),
        ("9999-12-31T23:59:00+00:00", "cannot move there: more than 365 days from its time. Book it anew."),
        (f"{DAY_ISO}T19:30", "cannot move there: the time has no time zone."),
        ("2026-02-30T19:30:00+00:00", "That time choice was malformed; pick one of the offered times."),
        ("", "That time choice was malformed; pick one of the offered times."),
    ],
)
def test_a_nearest_time_far_away_or_without_a_zone_is_refused(restaurant, superuser_client, start, refusal):
    booking = in_review(restaurant)
    before = _snapshot(booking)

    response = superuser_client.post(
        reverse("admin:assignments_booking_assign", args=[booking.pk]),
        {"_time": "1", "start": start, "tables": "M1", "version": booking.version},
    )

    assert response.status_code == 302
    [text] = _messages(response)
    assert text.endswith(refusal)
    assert _snapshot(booking) == before


# -- webhooks -------------------------------------------------------------------------------------------------
def _subscription_add(client, restaurant, event_types: str):
    return client.post(
        "/admin/webhooks/webhooksubscription/add/",
        {
            "owner": User.objects.get(username="root").pk,
            "url": "https://example.com/hook",
            "event_types": event_types,
            "restaurant": restaurant.pk,
            "is_active": "on",
        },
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "event_types,error",
    [
        ('{"a": 1}', 'A list of event types, e.g. ["booking.confirmed"]; known: booking.created, '),
        ("[1]", 'A list of event types, e.g. ["booking.confirmed"]; known: booking.created, '),
        ('["booking.confirmed", "nope"]', "Unknown event type(s): nope; known: booking.created, "),
    ],
)
def test_a_webhook_subscription_for_events_that_do_not_exist_is_refused(
    restaurant, superuser_client, event_types, error
):
    response = _subscription_add(superuser_client, restaurant, event_types)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["event_types"][0].startswith(error)
    assert not WebhookSubscription.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "event_types,stored", [("", []), ("[]", []), ('["booking.seated"]', ["booking.seated"])]
)
def test_a_webhook_subscription_with_no_event_types_hears_them_all(
    restaurant, superuser_client, event_types, stored
):
    response = _subscription_add(superuser_client, restaurant, event_types)

    assert response.status_code == 302  # where '' was a NOT NULL violation: 500
    assert WebhookSubscription.objects.get().event_types == stored


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name,refusal",
    [
        ("nul\x00byte", "The guest's name: Null characters are not allowed."),
        ("x" * 201, "The guest's name: Ensure this value has at most 200 characters (it has 201)."),
    ],
)
def test_a_walk_in_with_a_name_that_cannot_be_stored_is_refused(restaurant, superuser_client, name, refusal):
    url = reverse("admin:assignments_restaurant_timeline_walk_in", args=[restaurant.pk])

    response = superuser_client.post(url, {"party_size": "2", "guest_name": name})

    assert response.status_code == 302
    assert _messages(response) == [refusal]
    assert not Booking.objects.exists()


# -- cancelling -----------------------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    "reason,refusal",
    [
        ("nul\x00byte", "Nothing cancelled: the reason: Null characters are not allowed."),
        (
            "x" * 201,
            "Nothing cancelled: the reason: Ensure this value has at most 200 characters (it has 201).",
        ),
    ],
)
def test_a_bulk_cancel_with_a_reason_that_cannot_be_stored_cancels_nobody(
    restaurant, superuser_client, reason, refusal
):
    booking = in_review(restaurant)
    before = _snapshot(booking)

    response = superuser_client.post(
        "/admin/assignments/booking/",
        {"action": "cancel_selected", "_selected_action": [booking.pk], "confirm": "yes", "reason": reason},
    )

    assert response.status_code == 302
    assert _messages(response) == [refusal]
    assert _snapshot(booking) == before


@pytest.mark.django_db
def test_a_double_clicked_cancel_cancels_once_and_says_so(restaurant, superuser_client):
    booking = in_review(restaurant)
    url = reverse("admin:assignments_booking_cancel", args=[booking.pk])

    first = superuser_client.post(url, {"version": booking.version, "reason": "guest called"})
    second = superuser_client.post(url, {"version": booking.version, "reason": "guest called"})

    assert _messages(first) == [f"Booking {booking} cancelled; its tables are free again."]
    assert (
        _messages(second)[-1] == f"Not cancelled: Booking {booking.pk} cannot cancel from state 'cancelled'."
    )
    assert BookingStateHistory.objects.filter(booking=booking, to_state="cancelled").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_migration_brings_a_booking_window_saved_past_its_bounds_to_them(restaurant):
    call_command("migrate", "assignments", "0016", verbosity=0)
    try:
        with connection.cursor() as cur:
            cur.execute(
                "UPDATE assignments_restaurant SET booking_horizon_days = %s, booking_past_grace_minutes = %s"
                " WHERE id = %s",
                [99999999, 2**31 - 1, restaurant.pk],
            )
    finally:
        call_command("migrate", "assignments", verbosity=0)
    saved = Restaurant.objects.get(pk=restaurant.pk)
    assert (saved.booking_horizon_days, saved.booking_past_grace_minutes) == (3660, 1440)
    # the bounds are what the check now adds to the clock: no OverflowError (a fixed noon, so that the start is
    # inside dinner whenever this runs; timezone.now() + 25 h was 23:30, past the last seating, at 22:30)
    booking_check_start(restaurant=saved, start_at=at("19:00"), now=at("12:00"))
    with pytest.raises(ValidationError, match="More than 3660 days ahead"):
        booking_check_start(
            restaurant=saved, start_at=at("19:00", DAY + timedelta(days=3661)), now=at("12:00")
        )

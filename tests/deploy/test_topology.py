"""The deployed topology as real processes (the web under gunicorn, a worker, the scheduler, sharing one
metrics folder) on the test database and Redis: bookings created over HTTP reach `confirmed` and
`manual_review`, and then, with nobody
calling anything by hand, the schedule relays every event to the stream, the webhooks reach a verifying
receiver (through failures) exactly once per event, the e-mails go out, expired holds are swept, the
scheduled optimizer runs, and the web's /metrics adds up the worker's samples. The scheduler survives losing its lock."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.authtoken.models import Token

from assignments import flags
from assignments.models import Booking, EmailDelivery, Hold, OutboxEvent
from assignments.services.holds import hold_create
from assignments.services.outbox import stream_name
from optimization.models import OptimizerRun, OptimizerSchedule
from tenancy.services import membership_grant
from tests.deploy.processes import Process, free_port, topology_env, wait_until
from tests.factories import at
from tests.webhooks.receiver import Receiver
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_subscription_create

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

FAST_SCHEDULE = {
    "MAITRE_SCHEDULE_RELAY_SECONDS": "0.5",
    "MAITRE_SCHEDULE_DELIVERIES_SECONDS": "0.5",
    "MAITRE_SCHEDULE_SWEEP_HOLDS_SECONDS": "1",
    "MAITRE_SCHEDULE_OPTIMIZER_SECONDS": "1",
    "MAITRE_DELIVERY_BASE_DELAY_SECONDS": "0.3",
    "MAITRE_SCHEDULER_LOCK_TTL_SECONDS": "2",
    "OPS_NOTIFICATION_EMAILS": "ops@example.com",
}


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def _post(url: str, token: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def total(metrics: dict, name: str, **labels) -> float:
    return sum(
        v for (n, ls), v in metrics.items() if n == name and all((k, v2) in ls for k, v2 in labels.items())
    )


@pytest.fixture
def topology(tmp_path, redis_client):
    env = topology_env(tmp_path, **FAST_SCHEDULE)
    procs = {}

    def start(name, *args):
        procs[name] = Process(name, list(args), env, tmp_path)
        return procs[name]

    yield start, tmp_path
    for p in procs.values():
        p.stop()


def test_bookings_events_webhooks_emails_holds_and_metrics_through_real_processes(topology, restaurant):
    start, tmp = topology
    flags.flags_set(pipeline_v3=True, shadow_mode=False, kill_switch=False)
    platform = User.objects.create_user("platform")
    membership_grant(user=platform, restaurant=restaurant)
    token = Token.objects.create(user=platform).key
    with Receiver(fail_first=1) as receiver:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        sub = webhook_subscription_create(owner=platform, url=receiver.url, event_types=[])
        receiver.secret = sub.secret
        web = start(
            "web",
            "gunicorn",
            "config.asgi:application",
            "-c",
            "python:config.gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
        )
        worker = start("worker", "worker", "--threads", "2")
        scheduler = start("scheduler", "scheduler")
        assert wait_until(lambda: _get(f"{base}/health/")[0] == 200, 60), web.output()[-3000:]

        here = timezone.now().astimezone(restaurant.tzinfo)
        OptimizerSchedule.objects.create(
            restaurant=restaurant, run_at=here.time().replace(second=0, microsecond=0), time_limit_seconds=2
        )
        for size, email in ((2, "ada@example.com"), (20, "")):
            status, body = _post(
                f"{base}/api/bookings",
                token,
                {
                    "restaurant": restaurant.slug,
                    "party_size": size,
                    "start_at": at("19:00").isoformat(),
                    "guest_name": "Ada" if email else "Big party",
                    "guest_email": email,
                },
            )
            assert status == 201, body
        hold = hold_create(restaurant=restaurant, start_at=at("21:00"), table_labels=["M1"], ttl_seconds=60)
        Hold.objects.filter(pk=hold.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

        def states():
            return set(Booking.objects.values_list("state", flat=True))

        assert wait_until(lambda: states() == {"confirmed", "manual_review"}, 60), (
            states(),
            worker.output()[-3000:],
        )

        def all_out():
            events = set(OutboxEvent.objects.values_list("pk", flat=True))
            return (
                not OutboxEvent.objects.filter(published_at__isnull=True).exists()
                and set(receiver.snapshot()["accepted"]) == {f"evt_{pk}" for pk in events}
                and EmailDelivery.objects.filter(status="delivered").count() == 2
                and not Hold.objects.exists()
                and OptimizerRun.objects.filter(finished_at__isnull=False).exists()
            )

        assert wait_until(all_out, 60), (
            receiver.snapshot(),
            scheduler.output()[-3000:],
            worker.output()[-3000:],
        )
        snap = receiver.snapshot()

    events = list(OutboxEvent.objects.order_by("pk"))
    assert {e.event_type for e in events} >= {"booking.created", "booking.confirmed", "booking.manual_review"}
    # the stream: every event once, in order
    from django_redis import get_redis_connection

    entries = get_redis_connection("default").xrange(stream_name(restaurant.pk))
    assert [int(fields[b"id"]) for _, fields in entries] == [e.pk for e in events]
    # webhooks: each event accepted exactly once, after one refused try, all signatures good
    assert set(snap["accepted"].values()) == {1} and set(snap["tries"].values()) == {2} and snap["bad"] == 0
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {("delivered", 2)}
    # e-mails, written by the worker's file backend
    mail = "".join(p.read_text() for p in (tmp / "mail").iterdir())
    assert "To: ada@example.com" in mail and "To: ops@example.com" in mail

    # the web's /metrics, scraped over HTTP from gunicorn, adds up every process's samples (multiprocess mode)
    status, text = _get(f"{base}/metrics")
    assert status == 200
    m = samples(text)
    assert total(m, "maitre_lock_acquired_total") >= 1  # one lock per restaurant day and batch
    assert total(m, "maitre_engine_decision_seconds_count") >= 1
    assert total(m, "maitre_bookings_finished_total", state="confirmed") >= 1
    assert total(m, "maitre_bookings_finished_total", state="manual_review") >= 1
    assert total(m, "maitre_booking_to_confirmed_seconds_count") >= 1
    assert total(m, "maitre_event_deliveries_total", consumer="webhook", result="delivered") == len(events)
    assert total(m, "maitre_event_deliveries_total", consumer="email", result="delivered") == 2
    assert total(m, "maitre_outbox_events_published_total") == len(events)
    assert total(m, "maitre_scheduler_job_runs_total", job="relay_outbox_periodic") >= 1
    assert (
        total(m, "maitre_process_up", role="worker") == 1
        and total(m, "maitre_process_up", role="scheduler") == 1
    )
    assert total(m, "maitre_process_up", role="web") == 2  # both gunicorn workers
    assert total(m, "maitre_scheduler_leader") == 1
    assert total(m, "maitre_optimizer_runs_total") == 1  # the scheduled run, recorded by the worker
    run = OptimizerRun.objects.get()
    assert run.schedule is not None and run.status != "running"
    assert (
        total(m, "maitre_outbox_unpublished_events") == 0 and total(m, "maitre_manual_review_bookings") == 1
    )
    assert total(m, "maitre_event_deliveries_pending", consumer="webhook") == 0


def test_the_scheduler_takes_its_lock_back_after_losing_it_and_a_second_one_stands_by(topology, redis_client):
    start, tmp = topology
    start("worker", "worker", "--threads", "1", "--queues", "events", "maintenance")
    first = start("scheduler-1", "scheduler")
    assert wait_until(lambda: "lock held" in first.output(), 30), first.output()
    second = start("scheduler-2", "scheduler")
    assert wait_until(lambda: "job(s)" in second.output(), 30)
    # someone else holds the lock now (its TTL ran out during a long Redis outage and another took it)
    redis_client.set("maitre:scheduler:lock", b"somebody-else", px=3000)
    assert wait_until(lambda: "lock lost" in first.output(), 10), first.output()
    # the stranger's lock expires: one of the two takes over, nobody was restarted
    assert wait_until(
        lambda: first.output().count("lock held") + second.output().count("lock held") == 2, 15
    ), (first.output(), second.output())
    assert first.alive() and second.alive()
    # while one scheduler runs, the relay works again: a new event is published
    OutboxEvent.objects.create(aggregate_id="x", event_type="test.ping", payload={})
    assert wait_until(lambda: not OutboxEvent.objects.filter(published_at__isnull=True).exists(), 15)
    entries = redis_client.xrange(stream_name(None))
    assert [json.loads(f[b"payload"]) for _, f in entries] == [{}]


def test_a_heal_lost_with_the_freeing_process_is_done_by_the_scheduler_and_the_worker(topology, restaurant):
    """The process that cancels dies right after its commit (its in-process heal never runs): the scheduler's
    relay hands the `tables.freed` event to the worker, which heals the floor; the party waiting in review for
    the freed table is seated, and nobody called anything by hand."""
    from assignments.models import BookingState, DeliveryStatus, FloorHealDelivery
    from assignments.services.heal import on_tables_freed
    from assignments.signals import tables_freed
    from tests.heal.helpers import seated, tables_of, waiting_in_review

    start, _tmp = topology
    flags.flags_set(pipeline_v3=True, shadow_mode=False, kill_switch=False)
    five = seated(restaurant, ["T1"], party_size=5, start="19:00")
    seated(restaurant, ["M2", "M3"], party_size=8, start="19:00")
    six = waiting_in_review(restaurant, party_size=6, start="19:30")
    worker = start("worker", "worker", "--threads", "2")
    scheduler = start("scheduler", "scheduler")

    tables_freed.disconnect(dispatch_uid="floor-heal")  # this process "dies" after its commit
    try:
        from assignments import lifecycle

        lifecycle.booking_cancel(booking=five, reason="guest called")
    finally:
        tables_freed.connect(on_tables_freed, dispatch_uid="floor-heal")
    assert Booking.objects.get(pk=six.pk).state == BookingState.MANUAL_REVIEW

    assert wait_until(lambda: Booking.objects.get(pk=six.pk).state == BookingState.CONFIRMED, 60), (
        scheduler.output()[-3000:],
        worker.output()[-3000:],
    )
    assert tables_of(six) == ["T1"]
    (delivery,) = FloorHealDelivery.objects.all()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.event.event_type == "tables.freed"

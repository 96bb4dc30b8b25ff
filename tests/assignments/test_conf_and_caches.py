"""The settings object read once (and again on a settings change) and the one reset for process-wide caches."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings

from assignments import context, flags, locks, resilience
from assignments.caches import caches_registered, maitre_caches_reset
from assignments.conf import (
    ApiSettings,
    EventsSettings,
    MaitreSettings,
    api_settings,
    events_settings,
    maitre_settings,
)
from assignments.coordinator import backoff_ms
from availability import versions
from config import redis_guard


def test_the_settings_object_answers_with_settings_maitre(settings):
    assert settings.MAITRE["BATCH_SIZE"] == maitre_settings.BATCH_SIZE
    assert (
        maitre_settings.RETRY_BASE_DELAY_MS == settings.MAITRE["RETRY_BASE_DELAY_MS"] == 10
    )  # test settings


def test_a_settings_change_is_read_again_and_undone_after(settings):
    before = maitre_settings.BATCH_SIZE
    with override_settings(MAITRE={**settings.MAITRE, "BATCH_SIZE": before + 7}):
        assert before + 7 == maitre_settings.BATCH_SIZE
    assert before == maitre_settings.BATCH_SIZE


def test_the_settings_fixture_reaches_the_code_that_reads_it(settings):
    settings.MAITRE = {**settings.MAITRE, "RETRY_BASE_DELAY_MS": 1000, "RETRY_MAX_DELAY_MS": 3000}
    assert [backoff_ms(n) for n in (1, 2, 3)] == [1000, 2000, 3000]


def test_a_missing_key_takes_its_default_and_an_unknown_one_is_left_alone():
    with override_settings(MAITRE={"BATCH_SIZE": 3, "SOMETHING_ELSE": 1}):
        assert maitre_settings.BATCH_SIZE == 3
        assert maitre_settings.LOCK_TTL_SECONDS == MaitreSettings().LOCK_TTL_SECONDS
        with pytest.raises(AttributeError):
            maitre_settings.SOMETHING_ELSE  # noqa: B018


def test_base_settings_and_the_object_know_the_same_keys(settings):
    assert set(settings.MAITRE) == {f for f in MaitreSettings.__dataclass_fields__}
    assert set(settings.MAITRE_API) == {f for f in ApiSettings.__dataclass_fields__}
    assert set(settings.MAITRE_EVENTS) == {f for f in EventsSettings.__dataclass_fields__}
    assert set(settings.MAITRE_EVENTS["SCHEDULE_SECONDS"]) == set(EventsSettings().SCHEDULE_SECONDS)


def test_the_api_and_events_objects_answer_with_their_settings_and_follow_changes(settings):
    assert settings.MAITRE_API["BOOKING_HORIZON_DAYS"] == api_settings.BOOKING_HORIZON_DAYS
    assert settings.MAITRE_EVENTS["WEBHOOK_TIMEOUT_SECONDS"] == events_settings.WEBHOOK_TIMEOUT_SECONDS
    settings.MAITRE_API = {**settings.MAITRE_API, "BOOKING_HORIZON_DAYS": 3}
    settings.MAITRE_EVENTS = {**settings.MAITRE_EVENTS, "DELIVERY_GIVE_UP_SECONDS": 60.0}
    assert api_settings.BOOKING_HORIZON_DAYS == 3
    assert events_settings.DELIVERY_GIVE_UP_SECONDS == 60.0
    with override_settings(MAITRE_API={"DOCS_PUBLIC": False}):
        assert api_settings.DOCS_PUBLIC is False
        assert api_settings.HOLDS_MAX_LIVE_PER_CLIENT == ApiSettings().HOLDS_MAX_LIVE_PER_CLIENT
    assert api_settings.BOOKING_HORIZON_DAYS == 3


def test_every_process_cache_is_registered():
    assert {
        "assignments.conf.maitre_settings_reload",
        "assignments.context._FLOORS",
        "assignments.context._ENGINES",
        "availability.versions._TZ_CACHE",
        "assignments.flags.forget_mode",
        "assignments.resilience.reset_resilience",
        "assignments.locks.lock_manager_forget",
        "config.redis_guard.reset",
    } <= set(caches_registered())


@pytest.mark.django_db
def test_one_reset_forgets_every_process_cache(restaurant):
    context.engine_for(restaurant=restaurant, floor=context.floor_state(restaurant=restaurant).floor)
    versions.restaurant_tz(restaurant.pk)
    flags.pipeline_mode()
    manager = locks.lock_manager()
    breaker = resilience.assignment_breaker()
    redis_guard.trip()
    assert (
        context._FLOORS
        and context._ENGINES
        and versions._TZ_CACHE
        and flags._cached is not None
        and redis_guard.redis_away()
    )

    maitre_caches_reset()

    assert not context._FLOORS and not context._ENGINES and not versions._TZ_CACHE and flags._cached is None
    assert not redis_guard.redis_away()
    assert locks.lock_manager() is not manager
    assert resilience.assignment_breaker() is not breaker


def test_product_code_reads_maitre_settings_through_the_object():
    """settings.MAITRE, MAITRE_API and MAITRE_EVENTS are read in assignments.conf only (a merge that brings back
    a deep read fails here)."""
    from django.conf import settings

    pattern = re.compile(r"settings\.MAITRE(_API|_EVENTS)?\b")
    offenders = [
        f"{path.relative_to(settings.BASE_DIR)}:{n}"
        for package in (
            "assignments",
            "availability",
            "optimization",
            "tenancy",
            "webhooks",
            "config",
            "bench",
        )
        for path in (settings.BASE_DIR / package).rglob("*.py")
        if path.name != "conf.py" and "migrations" not in path.parts
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line) and not line.lstrip().startswith(("#", '"""'))
    ]
    assert not offenders, offenders

"""The test settings under pytest-xdist: each worker has a Redis db of its own (config/settings/test.py)."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.settings.test import redis_url_for_worker


def test_each_xdist_worker_moves_redis_url_s_db_up_by_its_number():
    assert redis_url_for_worker("redis://127.0.0.1:6379/12", "gw0") == "redis://127.0.0.1:6379/12"
    assert redis_url_for_worker("redis://127.0.0.1:6379/12", "gw1") == "redis://127.0.0.1:6379/13"
    assert redis_url_for_worker("redis://:pw@cache:6380", "gw2") == "redis://:pw@cache:6380/2"


def test_a_worker_past_redis_s_last_db_is_refused_with_the_fix():
    with pytest.raises(ImproperlyConfigured, match=r"db 16 .*CI: /12 with -n 2"):
        redis_url_for_worker("redis://127.0.0.1:6379/15", "gw1")


@pytest.mark.redis
def test_this_worker_uses_its_own_db_and_its_processes_inherit_it():
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        pytest.skip("not under pytest-xdist (-n)")
    assert os.environ["MAITRE_TEST_REDIS_PER_WORKER"] == worker
    assert os.environ["REDIS_URL"] == settings.REDIS_URL
    from django_redis import get_redis_connection

    db = get_redis_connection("default").connection_pool.connection_kwargs["db"]
    assert settings.REDIS_URL.endswith(f"/{db}")

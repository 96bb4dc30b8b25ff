"""Two holds racing for one table on Postgres: the exclusion constraint lets exactly one win."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from assignments.models import Hold, TableAllocation
from assignments.services.allocations import AllocationConflict
from assignments.services.holds import hold_create
from tests.factories import at, grant

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(n: int, work) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=5)
            results[i] = work(i)
        except Exception as exc:  # the outcome under test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    return results


@pytest.mark.parametrize("start", ["18:00", "19:00", "20:00", "21:00", "22:00"])
def test_two_holds_on_one_table_exactly_one_wins(restaurant, start):
    results = _race(
        2,
        lambda i: hold_create(restaurant=restaurant, start_at=at(start), table_labels=["M1"], ttl_seconds=60),
    )
    winners = [r for r in results if isinstance(r, Hold)]
    losers = [r for r in results if isinstance(r, AllocationConflict)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert list(Hold.objects.values_list("pk", flat=True)) == [winners[0].pk]
    assert TableAllocation.objects.count() == 1


def test_racing_holds_over_the_api_one_201_one_409(restaurant, django_user_model):
    token = Token.objects.create(
        user=grant(django_user_model.objects.create_user(username="racer"), restaurant)
    ).key

    def post(i: int):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        body = {
            "restaurant": restaurant.slug,
            "start_at": at("19:00").isoformat(),
            "tables": ["M2"],
            "ttl_seconds": 60,
        }
        return client.post("/api/holds", body, format="json")

    responses = _race(2, post)
    assert sorted(r.status_code for r in responses) == [201, 409], responses
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json()["error"] == "conflict"
    assert Hold.objects.count() == 1


def test_many_party_holds_racing_never_share_a_table(restaurant):
    results = _race(
        6, lambda i: hold_create(restaurant=restaurant, start_at=at("19:00"), party_size=2, ttl_seconds=60)
    )
    winners = [r for r in results if isinstance(r, Hold)]
    assert all(isinstance(r, Hold | AllocationConflict) for r in results), results
    labels = list(TableAllocation.objects.values_list("table__label", flat=True))
    assert len(labels) == len(set(labels)) and len(winners) == Hold.objects.count() >= 3

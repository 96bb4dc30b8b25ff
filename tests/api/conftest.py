"""Two tenants: platform A is a member of restaurant A (the `restaurant` fixture), platform B of restaurant B; each
has a host too (host_a, host_b; their clients floor_a, floor_b)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import FloorFactory, grant


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def restaurant_b(db):
    return FloorFactory.small()


@pytest.fixture
def platform_a(db, restaurant):
    return grant(get_user_model().objects.create_user("platform_a"), restaurant)


@pytest.fixture
def platform_b(db, restaurant_b):
    return grant(get_user_model().objects.create_user("platform_b"), restaurant_b)


@pytest.fixture
def api_a(platform_a) -> APIClient:
    return token_client(platform_a)


@pytest.fixture
def api_b(platform_b) -> APIClient:
    return token_client(platform_b)


@pytest.fixture
def host_a(db, restaurant):
    """A host at restaurant A: works the floor over the API (walk-ins, seat, complete, no-show)."""
    return grant(get_user_model().objects.create_user("host_a"), restaurant, role="host")


@pytest.fixture
def host_b(db, restaurant_b):
    return grant(get_user_model().objects.create_user("host_b"), restaurant_b, role="host")


@pytest.fixture
def floor_a(host_a) -> APIClient:
    """Restaurant A's host stand as an API client."""
    return token_client(host_a)


@pytest.fixture
def floor_b(host_b) -> APIClient:
    return token_client(host_b)

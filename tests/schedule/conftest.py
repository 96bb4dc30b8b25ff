from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import grant


@pytest.fixture
def api(db, restaurant) -> APIClient:
    """A platform client that is a member of the `restaurant` fixture."""
    user = grant(get_user_model().objects.create_user("platform-schedule"), restaurant)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import grant


@pytest.fixture
def user(db, django_user_model):
    return django_user_model.objects.create_user(username="widget", password="x")


@pytest.fixture
def api(user, restaurant):
    grant(user, restaurant)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def anon():
    return APIClient()

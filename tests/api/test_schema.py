"""The OpenAPI document says what the API answers: every operation's error statuses and the nullable fields."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_every_operation_documents_its_errors(schema):
    for path, item in schema["paths"].items():
        for method, op in item.items():
            codes = set(op["responses"])
            assert {"401", "405", "429", "500"} <= codes, (method, path, codes)
            if method in ("post", "patch"):
                assert {"400", "413", "415"} <= codes, (method, path, codes)
            if "{" in path:
                assert "404" in codes, (method, path, codes)


def test_nullable_fields_are_declared_nullable(schema):
    booking = schema["components"]["schemas"]["BookingOutput"]["properties"]
    for name in ("preferred_zone", "external_ref", "assigned_at"):
        assert booking[name].get("nullable") is True, name
    hold = schema["components"]["schemas"]["HoldOutput"]["properties"]
    assert hold["booking"].get("nullable") is True and hold["party_size"].get("nullable") is True


def test_errors_have_one_documented_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"error", "detail"}

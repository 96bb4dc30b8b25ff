"""Restaurant.clean() refuses scoring weights the engine could not use, naming the key; the admin form too."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from assignments.context import engine_for, floor_state
from assignments.engine import Weights
from assignments.models import Restaurant

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("weights", "named"),
    [
        ({"empty_seats": 0.5}, "'empty_seats'"),  # typo of empty_seat
        ({"lookahead": "2"}, "'lookahead'"),
        ({"lookahead": True}, "'lookahead'"),
        ({"gap_waste": None}, "'gap_waste'"),
        ({"extra_table": -1}, "'extra_table'"),
        ({"protection_peak": 1.5}, "'protection_peak'"),
        ({"demand": {"party_mixx": {"2": 1.0}}}, "'party_mixx'"),
        ({"demand": {"shortest_window": "long"}}, "'demand'"),
        ({"demand": []}, "'demand'"),
        (["lookahead"], "JSON object"),
    ],
)
def test_clean_refuses_weights_the_engine_cannot_use_and_names_the_key(restaurant, weights, named):
    restaurant.scoring_weights = weights
    with pytest.raises(ValidationError) as exc:
        restaurant.full_clean()
    message = " ".join(exc.value.message_dict["scoring_weights"])
    assert named in message


@pytest.mark.parametrize(
    "weights",
    [
        {},
        {"lookahead": 3, "empty_seat": 0.25, "zone_load": -0.5},  # zone_load may be negative (packs zones)
        {"protection_load": 0.1, "protection_margin": 0.1, "protection_peak": 0.5},
        {"demand": {"party_mix": {"2": 0.6, "4": 0.4}, "shortest_window": 90}},
    ],
)
def test_clean_accepts_weights_the_engine_takes(restaurant, weights):
    restaurant.scoring_weights = weights
    restaurant.full_clean()
    restaurant.save()
    engine_for(restaurant=restaurant, floor=floor_state(restaurant=restaurant).floor)  # the engine builds


def test_every_engine_weight_is_accepted(restaurant):
    restaurant.scoring_weights = Weights().as_dict()
    restaurant.full_clean()


def _admin_form(restaurant, weights_json: str):
    model_admin = admin.site._registry[Restaurant]
    request = RequestFactory().get("/")
    form_class = model_admin.get_form(request, restaurant)
    data = {
        field: getattr(restaurant, field)
        for field in form_class.base_fields
        if field not in ("scoring_weights", "turn_minutes", "service_periods")
    }
    data.update(
        {
            "scoring_weights": weights_json,
            "turn_minutes": '{"default": 90}',
            "service_periods": '[{"start": "17:00", "end": "23:00"}]',
        }
    )
    data = {k: ("" if v is None else v) for k, v in data.items()}
    return form_class(data=data, instance=restaurant)


def test_the_admin_form_refuses_a_typo_and_saves_nothing(restaurant):
    form = _admin_form(restaurant, '{"lookahed": 2}')
    assert not form.is_valid()
    assert "'lookahed'" in " ".join(form.errors["scoring_weights"])
    restaurant.refresh_from_db()
    assert restaurant.scoring_weights == {}


def test_the_admin_form_takes_good_weights(restaurant):
    form = _admin_form(restaurant, '{"lookahead": 2.5}')
    assert form.is_valid(), form.errors
    form.save()
    restaurant.refresh_from_db()
    assert restaurant.scoring_weights == {"lookahead": 2.5}

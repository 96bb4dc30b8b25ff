"""A guest's phone: kept as the console searches it, refused with a reason when it cannot be one, found by any
run of its digits (the API's and the console's use: tests/api/test_phone_api.py, tests/admin/test_phone_admin.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assignments.phones import PhoneInvalid, phone_display, phone_normalize, phone_search_digits


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("", ""),
        ("  ", ""),
        ("+44 7700 900123", "+447700900123"),
        ("+44 (0)7700-900.123", "+447700900123"),
        ("+1 212-555-0142", "+12125550142"),
        ("07700 900123", "07700900123"),
        ("(020) 7946 0958", "02079460958"),
    ],
)
def test_a_number_is_kept_as_the_console_searches_it(typed, kept):
    assert phone_normalize(typed) == kept


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("call me", "nothing else"),
        ("+44 7700 9001 23 x12", "nothing else"),
        ("1234", "5 to 15 digits"),
        ("+44 7700 900123 456 789", "5 to 15 digits"),
        ("+999 1234 5678", "known country code"),
        ("+44 12", "5 to 15 digits"),
        ("+1 212 555", "wrong length"),
        ("+1 2125550", "wrong length"),  # a local number without its area code
    ],
)
def test_what_cannot_be_a_number_is_refused_with_why(typed, why):
    with pytest.raises(PhoneInvalid, match=why):
        phone_normalize(typed)


@given(st.text(max_size=30))
def test_normalizing_either_refuses_or_gives_plus_and_digits_and_is_stable(text):
    try:
        kept = phone_normalize(text)
    except PhoneInvalid:
        return
    assert kept == "" or (kept.lstrip("+").isdigit() and len(kept) <= 16)
    assert phone_normalize(kept) == kept
    assert phone_normalize(phone_display(kept)) == kept


def test_search_reads_only_phone_like_terms():
    assert phone_search_digits("7700 900") == "7700900"
    assert phone_search_digits("+44 7700") == "447700"
    assert phone_search_digits("123") is None  # too short: an id or a party size
    assert phone_search_digits("Ada 7700") is None and phone_search_digits("B0021") is None

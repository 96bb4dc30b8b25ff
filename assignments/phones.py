"""A guest's phone number as the console searches it: a leading + and digits only.

A number with its country code (+44 7700 900123) is checked by `phonenumbers` (Google's numbering plan data)
and kept in E.164 (+447700900123); one without (07700 900123) cannot be checked without knowing the country, so
it is kept as its digits (07700900123). Either way the console finds it by any run of its digits.
"""

from __future__ import annotations

import re

import phonenumbers

_ALLOWED = re.compile(r"\+?[0-9 ()./-]+")


class PhoneInvalid(ValueError):
    pass


def phone_normalize(text: str) -> str:
    """'' for a blank; else the number kept for search (see the module), or PhoneInvalid saying what is wrong."""
    raw = (text or "").strip()
    if not raw:
        return ""
    if not _ALLOWED.fullmatch(raw):
        raise PhoneInvalid(
            "a phone number has digits, spaces, dashes, dots, brackets and a leading +, nothing else"
        )
    digits = re.sub(r"\D", "", raw)
    if not 5 <= len(digits) <= 15:
        raise PhoneInvalid("a phone number has 5 to 15 digits")
    if not raw.startswith("+"):
        return digits
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        raise PhoneInvalid("the number after + does not start with a known country code") from None
    if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
        # too short or long for its country code, or a local number only (no area code) that cannot be dialled
        raise PhoneInvalid("the number has the wrong length for its country code")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_display(stored: str) -> str:
    """How a host reads it: +44 7700 900123 for a number with its country code, the digits as kept otherwise."""
    if not stored.startswith("+"):
        return stored
    try:
        number = phonenumbers.parse(stored, None)
    except phonenumbers.NumberParseException:
        return stored
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_search_digits(term: str) -> str | None:
    """The digits to look for when a search term reads as (part of) a phone number: 4 or more digits and nothing
    but phone punctuation; None otherwise (a name, a reference)."""
    t = term.strip()
    if not _ALLOWED.fullmatch(t):
        return None
    digits = re.sub(r"\D", "", t)
    return digits if len(digits) >= 4 else None

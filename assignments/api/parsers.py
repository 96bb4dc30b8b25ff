"""JSON bodies with a nesting limit: a deeply nested document is refused with 400 before json.loads recurses."""

from __future__ import annotations

import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 16


def json_depth(raw: bytes) -> int:
    """The deepest nesting of [ and { outside strings (no parsing, linear time)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        if len(raw) > (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or len(raw)):
            from django.core.exceptions import RequestDataTooBig

            raise RequestDataTooBig("The request body is too large.")
        if json_depth(raw) > MAX_DEPTH:
            raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels.")
        try:
            text = raw.decode((parser_context or {}).get("encoding", settings.DEFAULT_CHARSET))
            return json.loads(text, parse_constant=_no_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON parse error: {exc}") from exc


def _no_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")

"""The environment as the settings read it: django-environ, except that a value it cannot read stops the process
with one line naming the variable, what it holds and what was expected (ImproperlyConfigured), instead of a
traceback from deep in the parser (`MAITRE_BATCH_SIZE=abc` ended every command, the worker and the web with
"invalid literal for int() with base 10: 'abc'"). `manage.py` prints that line alone; the web servers print it.

Numbers are read strictly: environ's float dropped every character but digits, "," "." and "-", so "500ms"
was read as 500 and "1e-3" failed. Ranges are not checked here: the system check maitre.E001
(assignments/checks.py) checks the pipeline's knobs (MAITRE_*) once they are numbers.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

NOTSET = environ.Env.NOTSET
TRUE_WORDS = frozenset(environ.Env.BOOLEAN_TRUE_STRINGS)
FALSE_WORDS = frozenset({"false", "off", "no", "n", "0", ""})


class Env(environ.Env):
    def int(self, var: str, default: Any = NOTSET) -> Any:
        return self._read(var, default, int, "a whole number")

    def float(self, var: str, default: Any = NOTSET) -> Any:
        return self._read(var, default, _finite_float, "a number")

    def bool(self, var: str, default: Any = NOTSET) -> Any:
        """Strict: environ reads anything it does not know as false, so MAITRE_RESEAT=flase turned
        re-seating off without a word."""
        return self._read(var, default, _switch, "true or false (1/0, true/false, yes/no, on/off)")

    def dict(self, var: str, cast: Any = dict, default: Any = NOTSET) -> Any:
        try:
            return super().dict(var, cast=cast, default=default)
        except ValueError:
            raise ImproperlyConfigured(
                f'{var}="{self.ENVIRON[var]}" is not a list of key=value pairs separated by commas'
            ) from None

    def db_url(self, var: str = "DATABASE_URL", default: Any = NOTSET, engine: Any = None) -> Any:
        try:
            with warnings.catch_warnings():  # environ warns of an unknown scheme; the line below says it
                warnings.simplefilter("ignore")
                config = super().db_url(var, default=default, engine=engine)
        except ValueError:  # a port that is not a number
            config = {}
        if "." not in config.get("ENGINE", ""):  # environ names the engines it knows by their dotted paths
            raise ImproperlyConfigured(
                f'{var}="{masked(self.ENVIRON.get(var, ""))}" is not a database URL '
                "(postgres://user:password@host:port/name, or sqlite:///path)"
            )
        return config

    def redis_url(self, var: str = "REDIS_URL", default: Any = NOTSET) -> str:
        """A Redis URL with a port that is a number, or empty (embedded)."""
        url = self.str(var, default=default)
        if url and not _redis_url_ok(url):
            raise ImproperlyConfigured(
                f'{var}="{masked(url)}" is not a Redis URL (redis://host:port/db, rediss://... or unix://...)'
            )
        return url

    def _read(self, var: str, default: Any, parse: Callable[[str], Any], expected: str) -> Any:
        if var not in self.ENVIRON:
            return self.get_value(var, default=default)  # the default, or environ's "Set the ... variable"
        raw = self.str(var)
        try:
            return parse(raw)
        except ValueError:
            raise ImproperlyConfigured(f'{var}="{raw}" is not {expected}') from None


def _switch(raw: str) -> bool:
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(raw)


def _finite_float(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError(raw)
    return value


def _redis_url_ok(url: str) -> bool:
    try:
        urlsplit(url).port  # noqa: B018 (raises for a port that is not a number)
    except ValueError:
        return False
    return url.startswith(("redis://", "rediss://", "unix://"))


def masked(url: str) -> str:
    """The URL with whatever stands between the user name and the host as "***" (the line goes to logs). Read
    by hand, not by urlsplit: a password with an unencoded "/", "#" or "?" is exactly what makes a URL
    unreadable, and it must not be printed whole then."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    userinfo, _, host = rest.rpartition("@")
    user, colon, _password = userinfo.partition(":")
    return f"{scheme}://{user}:***@{host}" if colon else url

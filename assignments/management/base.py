"""What every Maitre management command shares: help that shows each option's default, and clear errors
for the files and numbers a user types."""

from __future__ import annotations

import argparse
import json
from datetime import date, datetime, tzinfo
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, DjangoHelpFormatter

from assignments.scenario import FIRST_DATE, LAST_DATE, Scenario, ScenarioError, load_scenario


class HelpWithDefaultsFormatter(DjangoHelpFormatter):
    """Django's help layout, plus "(default: X)" after every option whose default means something."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        if (
            "default" in text.lower()
            or default in (None, False, argparse.SUPPRESS)
            or isinstance(action, argparse._HelpAction | argparse._VersionAction)
            or not (action.option_strings or action.nargs in (argparse.OPTIONAL, argparse.ZERO_OR_MORE))
        ):
            return text
        shown = " ".join(map(str, default)) if isinstance(default, list | tuple) else _plain(default)
        return f"{text} (default: {shown})".strip()


def _plain(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


class MaitreCommand(BaseCommand):
    def create_parser(self, prog_name, subcommand, **kwargs):
        kwargs.setdefault("formatter_class", HelpWithDefaultsFormatter)
        return super().create_parser(prog_name, subcommand, **kwargs)


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    return _number(text, int, minimum=1)


BATCH_SIZE_MAX = 100_000  # a SQL LIMIT beyond a bigint was a DataError traceback on PostgreSQL


def batch_size(text: str) -> int:
    """argparse type: rows per batch, 1 to BATCH_SIZE_MAX."""
    return _number(text, int, minimum=1, maximum=BATCH_SIZE_MAX)


def non_negative_int(text: str) -> int:
    return _number(text, int, minimum=0)


def positive_float(text: str) -> float:
    """argparse type: a number > 0."""
    value = _number(text, float)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def interval_seconds(text: str) -> float:
    """argparse type: seconds to sleep between polls, more than 0 and at most a day (time.sleep overflows on
    1e308)."""
    value = positive_float(text)
    if value > 86400:
        raise argparse.ArgumentTypeError(f"must be at most 86400 (a day), got {text}")
    return value


def non_negative_float(text: str) -> float:
    return _number(text, float, minimum=0)


def _number(text: str, kind, minimum=None, maximum=None):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not {'an integer' if kind is int else 'a number'}: {text!r}"
        ) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    if minimum is not None and value < minimum:
        raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {text}")
    if maximum is not None and value > maximum:
        raise argparse.ArgumentTypeError(f"must be at most {maximum}, got {text}")
    return value


def day_from_option(text: str, option: str) -> date:
    """A service day typed as YYYY-MM-DD, within the days a datetime can carry with the day's service on either
    side (the scenario format's range); else a CommandError naming the option."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option}: not a date YYYY-MM-DD: {text!r}") from None
    if not FIRST_DATE <= day <= LAST_DATE:
        raise CommandError(f"{option}: must be between {FIRST_DATE} and {LAST_DATE}, got {text}")
    return day


def moment_from_option(text: str, option: str, tz: tzinfo) -> datetime:
    """A moment typed in ISO 8601 (naive: in `tz`), within the same range as day_from_option."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"{option}: {exc}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    if not FIRST_DATE <= moment.date() <= LAST_DATE:
        raise CommandError(f"{option}: must be between {FIRST_DATE} and {LAST_DATE}, got {text}")
    return moment


def readable_file(path: str | Path) -> Path:
    """The path when it names a readable file; else a CommandError that says what is wrong with it."""
    p = Path(path)
    if not p.exists():
        hint = ""
        if not p.is_absolute() and p.parent.exists():
            near = sorted(x.name for x in p.parent.glob("*.json"))[:6]
            hint = f" (in {p.parent or '.'}: {', '.join(near)})" if near else ""
        raise CommandError(f"{path}: no such file{hint}")
    if p.is_dir():
        raise CommandError(f"{path}: is a directory, not a file")
    try:
        with p.open("rb"):
            pass
    except PermissionError:
        raise CommandError(f"{path}: cannot be read (permission denied)") from None
    except OSError as exc:
        raise CommandError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return p


def scenario_from_file(path: str | Path) -> Scenario:
    """Read a scenario/v1 file for a command: every problem becomes one CommandError naming the file."""
    p = readable_file(path)
    try:
        return load_scenario(p)
    except ScenarioError as exc:
        raise CommandError(f"{path}: {exc.field}: {exc.reason}") from exc
    except UnicodeDecodeError as exc:
        raise CommandError(f"{path}: not a UTF-8 text file ({exc.reason} at byte {exc.start})") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise CommandError(f"{path}: cannot be read ({exc})") from exc


def restaurant_from_ref(ref: str):
    """A restaurant by slug (or id); else a CommandError that lists the restaurants there are."""
    from assignments.models import Restaurant

    restaurant = Restaurant.objects.filter(slug=ref).first()
    if restaurant is None and ref.isascii() and ref.isdigit():
        restaurant = Restaurant.objects.filter(pk=int(ref)).first()
    if restaurant is None:
        slugs = list(Restaurant.objects.order_by("slug").values_list("slug", flat=True)[:10])
        known = (
            f"restaurants here: {', '.join(slugs)}"
            if slugs
            else "there is no restaurant yet (run `make demo`)"
        )
        raise CommandError(f"no restaurant {ref!r}; {known}")
    return restaurant


def writable_path(path: str | Path) -> Path:
    """A file path whose folder exists (created if needed) and is not a directory itself."""
    p = Path(path)
    if p.is_dir():
        raise CommandError(f"{path}: is a directory; give a file name")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"{path}: cannot create its folder ({exc.strerror or exc})") from exc
    return p

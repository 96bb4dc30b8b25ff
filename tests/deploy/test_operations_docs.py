"""The operations docs' commands do what they say: every `manage.py` command they name exists, and every
environment variable they set in front of one is read by the settings (or by libpq itself where the settings
leave it alone). `PGOPTIONS='-c lock_timeout=5s' python manage.py migrate` did nothing: the settings pass
`options` with their own lock_timeout (DB_LOCK_TIMEOUT), which libpq prefers to PGOPTIONS."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.management import get_commands

ROOT = settings.BASE_DIR
DOCS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    *sorted((ROOT / "docs" / "operations").glob("*.md")),
]
COMMAND = re.compile(r"`([^`]*\bmanage\.py [^`]*)`")
ENV_PREFIX = re.compile(
    r"^((?:[A-Z][A-Z0-9_]*=(?:'[^']*'|\"[^\"]*\"|\S+)\s+)+)(?:\S*python\S*\s+)?(?:\S*/)?manage\.py"
)
SETTINGS_SOURCE = "\n".join(p.read_text() for p in (ROOT / "config").rglob("*.py"))


def _commands_in_docs():
    for doc in DOCS:
        for match in COMMAND.finditer(doc.read_text()):
            yield doc.relative_to(ROOT), " ".join(match.group(1).split())


def test_every_manage_py_command_in_the_docs_exists():
    known = set(get_commands())
    missing = set()
    found = list(_commands_in_docs())
    assert len(found) > 20 and any("DB_LOCK_TIMEOUT=" in text for _, text in found)
    for doc, text in found:
        name = text.split("manage.py", 1)[1].split()[0]
        if name.isidentifier() and name not in known:
            missing.add(f"{doc}: {name}")
    assert not missing


def test_every_variable_set_in_front_of_a_command_is_read_by_the_settings():
    unread = set()
    for doc, text in _commands_in_docs():
        prefix = ENV_PREFIX.match(text)
        for name in re.findall(r"([A-Z][A-Z0-9_]*)=", prefix.group(1) if prefix else ""):
            if f'"{name}"' not in SETTINGS_SOURCE:
                unread.add(f"{doc}: {name}")
    assert not unread, "set in the docs but never read by config/: " + ", ".join(sorted(unread))

"""The test suite: the same backends as the environment says (Postgres + Redis in CI), fast hashing.

Under pytest-xdist (`-n 2`), worker gwN takes Redis db (REDIS_URL's db + N), set in the environment here so
that the processes a test starts use it too: a test that empties its db (or a worker process that drains its
queues) never touches another worker's.
Each worker's test database is pytest-django's (test_<name>_gwN; SQLite: one file per process, below).
"""

import os
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

REDIS_DATABASES = 16  # redis-server's default `databases`


def redis_url_for_worker(url: str, worker: str) -> str:
    """REDIS_URL's db moved up by the xdist worker's number (gw0 keeps it)."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    db = base + int(worker.removeprefix("gw"))
    if db >= REDIS_DATABASES:
        raise ImproperlyConfigured(
            f"xdist worker {worker} would use Redis db {db} (REDIS_URL's db {base} + {worker}): Redis has "
            f"{REDIS_DATABASES}; give REDIS_URL a db low enough for every worker (CI: /12 with -n 2)"
        )
    return urlunsplit(parts._replace(path=f"/{db}"))


# Only in the xdist worker itself: a process it starts inherits the moved REDIS_URL and the mark, and keeps the
# REDIS_URL it is given.
if (
    os.environ.get("PYTEST_XDIST_WORKER")
    and os.environ.get("REDIS_URL")
    and not os.environ.get("MAITRE_TEST_REDIS_PER_WORKER")
):
    os.environ["REDIS_URL"] = redis_url_for_worker(os.environ["REDIS_URL"], os.environ["PYTEST_XDIST_WORKER"])
    os.environ["MAITRE_TEST_REDIS_PER_WORKER"] = os.environ["PYTEST_XDIST_WORKER"]

from .base import *  # noqa: E402, F403
from .base import INSTALLED_APPS, MAITRE, SECRET_KEY  # noqa: E402

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # the benchmark commands are tested too

SECRET_KEY = SECRET_KEY or "test-insecure-key-not-for-production-use-0123456789abcdef"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# SCHEDULE_LOOK_AHEAD_DAYS: the suite's day (tests.factories.DAY) is the first Saturday a week or more ahead in a
# winter fortnight, up to 251 days ahead in spring and summer; the default 60 would not reach it.
MAITRE = {**MAITRE, "RETRY_BASE_DELAY_MS": 10, "RETRY_MAX_DELAY_MS": 50, "SCHEDULE_LOOK_AHEAD_DAYS": 300}
MAITRE_ROLLOUT_INITIAL_MODE = "engine"  # tests run the engine unless they set the switches

if not IS_POSTGRES:  # noqa: F405
    # A file (not shared-cache memory) so that worker threads in tests get real SQLite locking.
    # One file per test process, so that parallel runs on one machine never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}  # noqa: F405

# django-axes: off in tests (Client.login() authenticates without a request, which axes refuses); the lock-out
# test turns it on.
AXES_ENABLED = False

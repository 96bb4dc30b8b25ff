"""The test suite: the same backends as the environment says (Postgres + Redis in CI), fast hashing."""

import os

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, MAITRE, SECRET_KEY

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # the benchmark commands are tested too

SECRET_KEY = SECRET_KEY or "test-insecure-key-not-for-production-use-0123456789abcdef"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MAITRE = {**MAITRE, "RETRY_BASE_DELAY_MS": 10, "RETRY_MAX_DELAY_MS": 50}
MAITRE_ROLLOUT_INITIAL_MODE = "engine"  # tests run the engine unless they set the switches

if not IS_POSTGRES:  # noqa: F405
    # A file (not shared-cache memory) so that worker threads in tests get real SQLite locking.
    # One file per test process, so that parallel runs on one machine never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}  # noqa: F405

# django-axes: off in tests (Client.login() authenticates without a request, which axes refuses); the lock-out
# test turns it on.
AXES_ENABLED = False

"""The test suite: the same backends as the environment says (Postgres + Redis in CI), fast hashing."""

from .base import *  # noqa: F403
from .base import MAITRE, SECRET_KEY

SECRET_KEY = SECRET_KEY or "test-insecure-key-not-for-production-use-0123456789abcdef"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MAITRE = {**MAITRE, "RETRY_BASE_DELAY_MS": 10, "RETRY_MAX_DELAY_MS": 50}

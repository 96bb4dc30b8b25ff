"""Production: refuses to start without a real secret key; HTTPS and cookie hardening on."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import SECRET_KEY, STORAGES, env


def secret_key_problem(key: str) -> str | None:
    """What is wrong with the production key, without repeating it (the line goes to logs), or None."""
    if not key:
        return "SECRET_KEY is not set"
    for prefix in ("dev-", "test-", "django-insecure"):
        if key.startswith(prefix):
            return f'SECRET_KEY starts with "{prefix}" (a development key)'
    if len(key) < 50:
        return f"SECRET_KEY holds {len(key)} characters"
    return None


if (problem := secret_key_problem(SECRET_KEY)) is not None:
    raise ImproperlyConfigured(f"{problem}; production needs a random value of at least 50 characters")

DEBUG = False
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# ---- API hardening (issue 10): nothing internal is public unless asked for --------------------------------
MAITRE_API = {
    **MAITRE_API,  # noqa: F405
    "METRICS_PUBLIC": env.bool("MAITRE_METRICS_PUBLIC", default=False),
    "DOCS_PUBLIC": env.bool("MAITRE_DOCS_PUBLIC", default=False),
}
# Static files: WhiteNoise serves what `manage.py collectstatic` wrote, compressed and with hashed names
# (cached for a year by browsers). collectstatic is part of every deploy.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}

"""Local development and the embedded demo: debug on, an insecure key is acceptable here."""

from .base import *  # noqa: F403
from .base import SECRET_KEY, env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = SECRET_KEY or "dev-insecure-key-not-for-production-use-0123456789abcdef"
WHITENOISE_USE_FINDERS = True  # dev and the demo serve static files without collectstatic, also with DEBUG=0

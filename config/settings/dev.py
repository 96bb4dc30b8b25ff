"""Local development and the embedded demo: debug on, an insecure key is acceptable here."""

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, MAITRE_EVENTS, SECRET_KEY, env

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # benchmarks, load tests, generators: development only

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = SECRET_KEY or "dev-insecure-key-not-for-production-use-0123456789abcdef"
MAITRE_ROLLOUT_INITIAL_MODE = env.str(
    "MAITRE_ROLLOUT_INITIAL_MODE", default="engine"
)  # the demo and development run the engine
MAITRE_EVENTS = {  # local receivers (127.0.0.1) are fine while developing
    **MAITRE_EVENTS,
    "WEBHOOK_ALLOW_PRIVATE_HOSTS": env.bool("MAITRE_WEBHOOK_ALLOW_PRIVATE_HOSTS", default=True),
}
WHITENOISE_USE_FINDERS = True  # dev and the demo serve static files without collectstatic, also with DEBUG=0

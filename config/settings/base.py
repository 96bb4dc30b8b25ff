"""Settings shared by every environment. The environment is read here and nowhere else.

With no DATABASE_URL / REDIS_URL the app runs embedded: a SQLite file, a local-memory cache, an
in-process lock and Dramatiq's stub broker. Postgres + Redis is the production and CI path.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
VAR_DIR = Path(env.str("MAITRE_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = env.str("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])

DATABASE_URL = env.str("DATABASE_URL", default="")
REDIS_URL = env.str("REDIS_URL", default="")
EMBEDDED = not REDIS_URL

INSTALLED_APPS = [
    "django_prometheus",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_fsm",
    "waffle",
    "django_dramatiq",
    "dramatiq_crontab",
    "assignments",
    "availability",
    "optimization",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "waffle.middleware.WaffleMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

if DATABASE_URL:
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "django_prometheus.db.backends.postgresql"
        DATABASES["default"].setdefault("OPTIONS", {})
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("SQLITE_PATH", default=str(VAR_DIR / "maitre.sqlite3")),
            # IMMEDIATE: a writing transaction takes the write lock at BEGIN, so the allocation
            # service's check-then-insert cannot interleave with another writer.
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
IS_POSTGRES = "postgresql" in DATABASES["default"]["ENGINE"]

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
            "KEY_PREFIX": "maitre",
        }
    }
    # Redis is for speed: while it is away the cache answers "miss" (and logs) instead of failing requests.
    DJANGO_REDIS_IGNORE_EXCEPTIONS = True
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "maitre"}}

DRAMATIQ_BROKER = {
    "BROKER": "dramatiq.brokers.redis.RedisBroker" if REDIS_URL else "dramatiq.brokers.stub.StubBroker",
    # Timeouts: a wake-up that cannot be sent must fail fast (the booking is due in Postgres anyway).
    "OPTIONS": {"url": REDIS_URL, "socket_timeout": 2, "socket_connect_timeout": 1} if REDIS_URL else {},
    "MIDDLEWARE": [
        "dramatiq.middleware.AgeLimit",
        "dramatiq.middleware.TimeLimit",
        "dramatiq.middleware.Callbacks",
        "dramatiq.middleware.Retries",
        "dramatiq.middleware.CurrentMessage",
        "django_dramatiq.middleware.DbConnectionsMiddleware",
    ],
}
DRAMATIQ_AUTODISCOVER_MODULES = ["tasks"]
# One scheduler (`manage.py crontab`) at a time, under a Redis lock.
DRAMATIQ_CRONTAB = {"REDIS_URL": REDIS_URL or None}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "assignments.api.errors.json_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Maitre API",
    "DESCRIPTION": "Seats restaurant bookings: bookings, assignment processing, holds and availability.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend" if EMBEDDED else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="maitre@localhost")
OPS_NOTIFICATION_EMAILS = env.list("OPS_NOTIFICATION_EMAILS", default=[])

WAFFLE_CREATE_MISSING_FLAGS = False
WAFFLE_FLAG_DEFAULT = False
WAFFLE_SWITCH_DEFAULT = False

# Maitre's own knobs.
MAITRE = {
    "LOCK_TTL_SECONDS": env.float("MAITRE_LOCK_TTL_SECONDS", default=10.0),
    "LOCK_ACQUIRE_TIMEOUT_SECONDS": env.float("MAITRE_LOCK_ACQUIRE_TIMEOUT_SECONDS", default=0.05),
    "RATE_LIMIT_PER_RESTAURANT": env.int("MAITRE_RATE_LIMIT_PER_RESTAURANT", default=2000),
    "RATE_LIMIT_WINDOW_MS": env.int("MAITRE_RATE_LIMIT_WINDOW_MS", default=1000),
    "BREAKER_FAIL_MAX": env.int("MAITRE_BREAKER_FAIL_MAX", default=5),
    "BREAKER_RESET_SECONDS": env.float("MAITRE_BREAKER_RESET_SECONDS", default=30.0),
    "RETRY_BASE_DELAY_MS": env.int("MAITRE_RETRY_BASE_DELAY_MS", default=500),
    "RETRY_MAX_DELAY_MS": env.int("MAITRE_RETRY_MAX_DELAY_MS", default=60_000),
    "STUCK_PENDING_SECONDS": env.int("MAITRE_STUCK_PENDING_SECONDS", default=300),
    "AVAILABILITY_MAX_AGE_SECONDS": env.float("MAITRE_AVAILABILITY_MAX_AGE_SECONDS", default=1.0),
    "OPTIMIZATION_FREEZE_MINUTES": env.int("MAITRE_OPTIMIZATION_FREEZE_MINUTES", default=60),
    "OPTIMIZATION_MIN_IMPROVEMENT": env.float("MAITRE_OPTIMIZATION_MIN_IMPROVEMENT", default=0.10),
    # Before sending a booking to review, try once to make room by moving later bookings (fewest moves).
    "RESEAT": env.bool("MAITRE_RESEAT", default=True),
    "RESEAT_TIME_LIMIT_SECONDS": env.float("MAITRE_RESEAT_TIME_LIMIT_SECONDS", default=0.5),
    # The pipeline's queue of record: due bookings claimed per restaurant day, this many per transaction;
    # every worker sweeps Postgres for due work this often, so a lost wake-up costs at most that much.
    "BATCH_SIZE": env.int("MAITRE_BATCH_SIZE", default=50),
    "SWEEP_INTERVAL_SECONDS": env.float("MAITRE_SWEEP_INTERVAL_SECONDS", default=1.0),
    # After a Redis failure a process leaves Redis alone (locks, rate limits, breaker state) for this long.
    "REDIS_BACKOFF_SECONDS": env.float("MAITRE_REDIS_BACKOFF_SECONDS", default=3.0),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"correlation": {"()": "assignments.log_context.CorrelationIdFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["correlation"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
    "loggers": {"maitre": {"level": env.str("MAITRE_LOG_LEVEL", default="WARNING"), "propagate": True}},
}

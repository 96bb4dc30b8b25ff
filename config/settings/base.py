"""Settings shared by every environment. The environment is read here and nowhere else.

With no DATABASE_URL / REDIS_URL the app runs embedded: a SQLite file, a local-memory cache, an
in-process lock and Dramatiq's stub broker. Postgres + Redis is the production and CI path.
"""

from pathlib import Path

from redis import ConnectionPool
from redis.backoff import NoBackoff
from redis.retry import Retry

from config.env import Env
from config.redis_guard import GuardedConnection

# Redis is for speed: one try per command, so that a Redis that is away costs one short timeout, not several.
NO_RETRY = Retry(NoBackoff(), 0)

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = Env()  # a value it cannot read stops the process with one line naming it (config/env.py)
VAR_DIR = Path(env.str("MAITRE_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = env.str("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])

DATABASE_URL = env.str("DATABASE_URL", default="")
REDIS_URL = env.redis_url("REDIS_URL", default="")
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
    "drf_spectacular_sidecar",  # Swagger UI served from our own static files, not a CDN (issue 16)
    "django_fsm",
    "waffle",
    "django_dramatiq",
    "dramatiq_crontab",
    "assignments",
    "availability",
    "optimization",
    "webhooks",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
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
        # A bounded psycopg pool per process. Under ASGI every request runs its sync code on a thread of its
        # own, and persistent per-thread connections (CONN_MAX_AGE) piled up to 25-37 per web worker; with the
        # pool a request takes a connection and gives it back at its end, and a process never holds more than
        # DB_POOL_MAX_SIZE. A request that finds them all busy waits up to DB_POOL_TIMEOUT seconds (then a 500).
        # DB_POOL_MAX_SIZE=0 turns the pool off (then DB_CONN_MAX_AGE applies, as before).
        DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=8)
        if DB_POOL_MAX_SIZE > 0:
            DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django's pool requires it
            DATABASES["default"]["OPTIONS"]["pool"] = {
                "min_size": min(env.int("DB_POOL_MIN_SIZE", default=1), DB_POOL_MAX_SIZE),
                "max_size": DB_POOL_MAX_SIZE,
                "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
                "max_idle": env.float("DB_POOL_MAX_IDLE", default=300.0),  # idle beyond min_size: closed
                "name": "maitre",
            }
        else:
            DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # with the pool: checked when taken from it
        # Bounds on what a stalled process can hold (the fault audit froze a worker mid-batch: its day's bookings,
        # new ones included, waited 64 s and a cancel through the API hung as long). The server ends a session
        # idle inside a transaction after DB_IDLE_IN_TRANSACTION_TIMEOUT (its transaction rolls back: nothing
        # half-written, its locks and claimed rows free), and notices a peer that vanished from the network
        # within about a minute (TCP keepalives, both ways); a statement waiting on a lock gives up after
        # DB_LOCK_TIMEOUT (the API answers 503 with Retry-After, a worker's batch is due again next sweep).
        DATABASES["default"]["OPTIONS"].update(
            {
                "options": " ".join(
                    f"-c {name}={value}"
                    for name, value in (
                        (
                            "idle_in_transaction_session_timeout",
                            env.str("DB_IDLE_IN_TRANSACTION_TIMEOUT", default="30s"),
                        ),
                        ("lock_timeout", env.str("DB_LOCK_TIMEOUT", default="10s")),
                        ("tcp_keepalives_idle", 30),
                        ("tcp_keepalives_interval", 10),
                        ("tcp_keepalives_count", 3),
                    )
                ),
                "keepalives": 1,
                "keepalives_idle": 30,
                "keepalives_interval": 10,
                "keepalives_count": 3,
            }
        )
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
                "CONNECTION_POOL_KWARGS": {"retry": NO_RETRY, "connection_class": GuardedConnection},
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
    # No client-side retries either: redis-py's default would multiply the timeout.
    # (dramatiq builds its pool from a bare URL, so the pool is given whole.)
    "OPTIONS": {
        "connection_pool": ConnectionPool.from_url(
            REDIS_URL,
            socket_timeout=0.5,
            socket_connect_timeout=0.5,
            retry=NO_RETRY,
            connection_class=GuardedConnection,
        )
    }
    if REDIS_URL
    else {},
    "MIDDLEWARE": [
        "dramatiq.middleware.AgeLimit",
        "dramatiq.middleware.TimeLimit",
        "dramatiq.middleware.Callbacks",
        "dramatiq.middleware.Retries",
        "dramatiq.middleware.CurrentMessage",
        "django_dramatiq.middleware.DbConnectionsMiddleware",
        "config.metrics.ProcessMetricsMiddleware",
    ],
}
DRAMATIQ_AUTODISCOVER_MODULES = ["tasks", "jobs"]
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

# -- static files (issue 16) ---------------------------------------------------------------------------
# The app serves its own static files with WhiteNoise (middleware above), also with DEBUG off: deploy
# steps run `manage.py collectstatic` into STATIC_ROOT. Production uses the compressed, hashed storage
# (config/settings/prod.py); here the plain storage, so a missing collectstatic never breaks dev or tests.
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "assignments.api.permissions.HasRoleForAction",  # a view's `required_roles` (README, "API": roles)
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "assignments.api.errors.json_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Maitre API",
    "DESCRIPTION": "Seats restaurant bookings: bookings, assignment processing, holds and availability.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)  # seconds per SMTP socket operation; a delivery retries
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if EMBEDDED
    else "django.core.mail.backends.smtp.EmailBackend",
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
    # Pipeline transactions (batches of up to BATCH_SIZE bookings) per restaurant per second.
    "RATE_LIMIT_PER_RESTAURANT": env.int("MAITRE_RATE_LIMIT_PER_RESTAURANT", default=200),
    "RATE_LIMIT_WINDOW_MS": env.int("MAITRE_RATE_LIMIT_WINDOW_MS", default=1000),
    "BREAKER_FAIL_MAX": env.int("MAITRE_BREAKER_FAIL_MAX", default=5),
    "BREAKER_RESET_SECONDS": env.float("MAITRE_BREAKER_RESET_SECONDS", default=10.0),
    "RETRY_BASE_DELAY_MS": env.int("MAITRE_RETRY_BASE_DELAY_MS", default=500),
    "RETRY_MAX_DELAY_MS": env.int("MAITRE_RETRY_MAX_DELAY_MS", default=60_000),
    "STUCK_PENDING_SECONDS": env.int("MAITRE_STUCK_PENDING_SECONDS", default=300),
    "AVAILABILITY_MAX_AGE_SECONDS": env.float("MAITRE_AVAILABILITY_MAX_AGE_SECONDS", default=1.0),
    "OPTIMIZATION_FREEZE_MINUTES": env.int("MAITRE_OPTIMIZATION_FREEZE_MINUTES", default=60),
    "OPTIMIZATION_MIN_IMPROVEMENT": env.float("MAITRE_OPTIMIZATION_MIN_IMPROVEMENT", default=0.10),
    # How many days ahead a change of hours or a closed day lists (and re-checks) the confirmed bookings it
    # leaves outside service, and the review queue shows them.
    "SCHEDULE_LOOK_AHEAD_DAYS": env.int("MAITRE_SCHEDULE_LOOK_AHEAD_DAYS", default=60),
    # Before sending a booking to review, try once to make room by moving later bookings (fewest moves).
    "RESEAT": env.bool("MAITRE_RESEAT", default=True),
    # Each of a re-seat's two CP-SAT solves (one worker) stops after this much of the solver's deterministic
    # time, so the same day gets the same answer however busy the machine is (the benchmark's replay uses the
    # same budget; optimization.solver.reseat.DETERMINISTIC_LIMIT) ...
    "RESEAT_DETERMINISTIC_TIME": env.float("MAITRE_RESEAT_DETERMINISTIC_TIME", default=2.0),
    # ... or after this many wall-clock seconds, a safety net that a solve on a quiet worker does not reach.
    "RESEAT_TIME_LIMIT_SECONDS": env.float("MAITRE_RESEAT_TIME_LIMIT_SECONDS", default=5.0),
    # A re-seat is applied only when it adds more than this many expected covers to the day: the party, less
    # the later covers the moves and its tables take, played forward from the demand prior with as many later
    # requests as the day's pressure says (optimization.solver.reseat).
    "RESEAT_PAYOFF_MARGIN": env.float("MAITRE_RESEAT_PAYOFF_MARGIN", default=1.0),
    # ... and only when it does so surely: the played gain's mean less this many standard errors (over its draws
    # of later guests) must clear the margin; 0 trusts the mean alone (docs/benchmarks/engine.md, fifth pass).
    "RESEAT_PAYOFF_CONFIDENCE": env.float("MAITRE_RESEAT_PAYOFF_CONFIDENCE", default=2.0),
    # The pipeline's queue of record: due bookings claimed per restaurant day, this many per transaction;
    # every worker sweeps Postgres for due work this often, so a lost wake-up costs at most that much.
    "BATCH_SIZE": env.int("MAITRE_BATCH_SIZE", default=50),
    "SWEEP_INTERVAL_SECONDS": env.float("MAITRE_SWEEP_INTERVAL_SECONDS", default=1.0),
    # After a Redis failure a process leaves Redis alone (locks, rate limits, breaker state) for this long.
    "REDIS_BACKOFF_SECONDS": env.float("MAITRE_REDIS_BACKOFF_SECONDS", default=3.0),
    # The floor heals itself: when tables free up, the day's bookings in review that start later than now + the
    # margin get one more automatic try, due after the debounce (a burst of freed tables makes one pass).
    "FLOOR_HEAL": env.bool("MAITRE_FLOOR_HEAL", default=True),
    "FLOOR_HEAL_MARGIN_MINUTES": env.int("MAITRE_FLOOR_HEAL_MARGIN_MINUTES", default=15),
    "FLOOR_HEAL_DEBOUNCE_MS": env.int("MAITRE_FLOOR_HEAL_DEBOUNCE_MS", default=1000),
    # A worker running a heal holds it this long, renewing it between offers: longer than any one offer takes;
    # a heal whose worker died is run again by another once it lapses.
    "FLOOR_HEAL_LEASE_SECONDS": env.float("MAITRE_FLOOR_HEAL_LEASE_SECONDS", default=60.0),
    # Every process reads due times, hold expiries and no-show deadlines against its own clock: one running
    # ahead of the database's by more than this is reported (maitre_clock_skew_seconds, the MaitreClockSkew
    # alert) and in the web's /health/ (reported, not failed). Keep the hosts on NTP.
    "MAX_CLOCK_SKEW_SECONDS": env.float("MAITRE_MAX_CLOCK_SKEW_SECONDS", default=2.0),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"correlation": {"()": "assignments.log_context.CorrelationIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["correlation"]}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
    "loggers": {"maitre": {"level": env.str("MAITRE_LOG_LEVEL", default="WARNING"), "propagate": True}},
}

# ---- API hardening (issue 10): tenancy, limits, body size, throttles, admin lock-out, docs offline --------
INSTALLED_APPS += ["tenancy", "axes"]
# JSON errors and the 413 for every /api/ response, before anything reads the body.
MIDDLEWARE.insert(1, "assignments.api.middleware.ApiErrorMiddleware")
# django-axes last: it locks out an admin login after AXES_FAILURE_LIMIT wrong passwords.
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = (
    "axes.handlers.cache.AxesCacheHandler" if REDIS_URL else "axes.handlers.database.AxesDatabaseHandler"
)
AXES_ENABLE_ACCESS_FAILURE_LOG = False

# A request body larger than this is answered 413 (the API takes small JSON documents).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("MAITRE_MAX_BODY_BYTES", default=64 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = ["assignments.api.parsers.LimitedJSONParser"]
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "assignments.api.throttling.ClientBurstThrottle",
    "assignments.api.throttling.ClientSustainedThrottle",
]
# Per client (user) and per scope (a view's throttle_scope); "api.*" is the fallback for views without one.
# MAITRE_THROTTLE_RATES="bookings.burst=5/s,holds.sustained=100/min" overrides single rates.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "api.burst": "20/s",
    "api.sustained": "1200/min",
    "bookings.burst": "10/s",
    "bookings.sustained": "300/min",
    "holds.burst": "10/s",
    "holds.sustained": "300/min",
    "availability.burst": "30/s",
    "availability.sustained": "1800/min",
    "stream.burst": "2/s",
    "stream.sustained": "60/min",
    **env.dict("MAITRE_THROTTLE_RATES", default={}),
}
REST_FRAMEWORK["NUM_PROXIES"] = env.int("NUM_PROXIES", default=0)
# ?format=... is not part of the API: an unknown one would answer an undocumented 404.
REST_FRAMEWORK["URL_FORMAT_OVERRIDE"] = None

SPECTACULAR_SETTINGS.update(
    {
        "SWAGGER_UI_DIST": "SIDECAR",
        "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
        "REDOC_DIST": "SIDECAR",
        "COMPONENT_SPLIT_REQUEST": True,
        "ENUM_NAME_OVERRIDES": {"LegacyStatusEnum": "assignments.models.bookings.LEGACY_STATUSES"},
    }
)

MAITRE_API = {
    # Bookings: how far back (a platform's clock may lag) and ahead a start time may be. Per-restaurant
    # values on the Restaurant (booking_past_grace_minutes, booking_horizon_days) win when set.
    "BOOKING_PAST_GRACE_MINUTES": env.int("MAITRE_BOOKING_PAST_GRACE_MINUTES", default=15),
    "BOOKING_HORIZON_DAYS": env.int("MAITRE_BOOKING_HORIZON_DAYS", default=365),
    # Holds: live holds one client may have at once (all restaurants).
    "HOLDS_MAX_LIVE_PER_CLIENT": env.int("MAITRE_HOLDS_MAX_LIVE_PER_CLIENT", default=10),
    # Server-Sent Events: open streams per client, and the longest one may last.
    "STREAMS_MAX_PER_CLIENT": env.int("MAITRE_STREAMS_MAX_PER_CLIENT", default=3),
    "STREAM_MAX_SECONDS": env.float("MAITRE_STREAM_MAX_SECONDS", default=300.0),
    # /metrics and /api/schema/ + /api/docs/: open (dev), or only with this bearer token / from these IPs.
    "METRICS_PUBLIC": env.bool("MAITRE_METRICS_PUBLIC", default=True),
    "METRICS_TOKEN": env.str("MAITRE_METRICS_TOKEN", default=""),
    "METRICS_ALLOWED_IPS": env.list("MAITRE_METRICS_ALLOWED_IPS", default=[]),
    "DOCS_PUBLIC": env.bool("MAITRE_DOCS_PUBLIC", default=True),
}

# --- Running it as deployed (issue 12): events out, the scheduler, metrics from every process. -----------
MAITRE_EVENTS = {
    # Where the relay hands each event besides the Redis streams and e-mail (each makes delivery rows).
    "CONSUMERS": ["webhooks.services.webhook_deliveries_create"],
    # Failed deliveries: due again after base * 2^(tries-1) s (capped, with jitter); given up (and shown in
    # the admin, where staff can redeliver) once the event is older than GIVE_UP.
    "DELIVERY_BASE_DELAY_SECONDS": env.float("MAITRE_DELIVERY_BASE_DELAY_SECONDS", default=5.0),
    "DELIVERY_MAX_DELAY_SECONDS": env.float("MAITRE_DELIVERY_MAX_DELAY_SECONDS", default=3600.0),
    "DELIVERY_GIVE_UP_SECONDS": env.float("MAITRE_DELIVERY_GIVE_UP_SECONDS", default=3 * 24 * 3600.0),
    "WEBHOOK_TIMEOUT_SECONDS": env.float("MAITRE_WEBHOOK_TIMEOUT_SECONDS", default=5.0),
    # Webhooks go only to public addresses, checked at delivery (and when an API client subscribes); on lifts
    # that check for local receivers (the dev settings, `make demo`). Never on in production.
    "WEBHOOK_ALLOW_PRIVATE_HOSTS": env.bool("MAITRE_WEBHOOK_ALLOW_PRIVATE_HOSTS", default=False),
    # How often `manage.py scheduler` sends each periodic job (seconds).
    "SCHEDULE_SECONDS": {
        "relay_outbox": env.float("MAITRE_SCHEDULE_RELAY_SECONDS", default=2.0),
        "deliveries": env.float("MAITRE_SCHEDULE_DELIVERIES_SECONDS", default=5.0),
        "sweep_holds": env.float("MAITRE_SCHEDULE_SWEEP_HOLDS_SECONDS", default=30.0),
        "optimizer": env.float(
            "MAITRE_SCHEDULE_OPTIMIZER_SECONDS", default=60.0
        ),  # checks which slots are due
        "no_shows": env.float("MAITRE_SCHEDULE_NO_SHOWS_SECONDS", default=60.0),  # the no-show sweep
    },
    # The scheduler's Redis lock: one scheduler runs the jobs; another takes over within LOCK_TTL.
    "SCHEDULER_LOCK_TTL_SECONDS": env.float("MAITRE_SCHEDULER_LOCK_TTL_SECONDS", default=10.0),
}
# The rollout state a fresh install starts in (assignments migration 0003; docs/operations/rollout.md):
# shadow (legacy confirms, the engine is recorded beside it), engine, or legacy. dev/test settings: engine.
MAITRE_ROLLOUT_INITIAL_MODE = env.str("MAITRE_ROLLOUT_INITIAL_MODE", default="shadow")
# EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend writes each message under this folder.
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
# prometheus_client multiprocess mode: every process (gunicorn workers, dramatiq workers, the scheduler)
# writes its samples under this directory and the web's /metrics adds them up. Empty: one process only.
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")
# Each process there touches a heartbeat file this often; /metrics drops the live gauges (process_up, the
# scheduler's lead, breaker states) of a process silent for 3 beats, however it died (config/metrics.py).
MAITRE_METRICS_HEARTBEAT_SECONDS = env.float("MAITRE_METRICS_HEARTBEAT_SECONDS", default=5.0)

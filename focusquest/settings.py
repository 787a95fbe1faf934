"""FocusQuest settings, read from the environment (see README, "Configuration").

DEBUG is off unless DJANGO_DEBUG turns it on (`make run` / `make test` do); with it off, a
missing DJANGO_SECRET_KEY stops the process instead of running with a known key, and the
HTTPS settings default to what `manage.py check --deploy` asks for.
"""

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from redis.connection import parse_url as parse_redis_url

from focusquest.env import (
    celery_broker_from_redis_url,
    database_from_url,
    email_from_url,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# Off unless asked for: a forgotten variable must not serve DEBUG pages (which print the
# settings) with the public development key. `make run` and `make test` turn it on.
DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "focusquest-local-development-only-not-a-secret"
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])

HOST = env_str("HOST", "127.0.0.1")
PORT = env_int("PORT", 8000)
WS_PORT = env_int("WS_PORT", PORT + 1)
# Where pages open the websocket; behind a proxy that serves both on one origin, set it to "".
WS_PUBLIC_URL = env_str("WS_PUBLIC_URL", f"ws://{HOST}:{WS_PORT}")

INSTALLED_APPS = [
    "moderation.admin_config.ModerationAdminConfig",  # django.contrib.admin, our site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "accounts",
    "habits",
    "vacations",
    "sessions_app",
    "leaderboard",
    "gameplay",
    # Above the domain apps: the flush and the operator work that spans them all, then
    # what players and moderators see of it.
    "pipeline",
    # A player's data out and in (export, import): it flushes their shard through the
    # pipeline first.
    "accountdata",
    "dashboard",
    "moderation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Early, so it sees what every later middleware and view raises.
    "focusquest.unavailable.UnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "focusquest.urls"
WSGI_APPLICATION = "focusquest.wsgi.application"
ASGI_APPLICATION = "focusquest.asgi.application"

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
                "focusquest.context_processors.site",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", "")
if not DATABASE_URL:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. `make run` / `make test` start an embedded PostgreSQL and "
        "set it for you; to run a piece by hand, see README (Running the pieces separately)."
    )
DATABASES = {"default": database_from_url(DATABASE_URL)}
# Connections are kept between requests: a gunicorn worker serves many requests.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "")
if not REDIS_URL:
    raise ImproperlyConfigured(
        "REDIS_URL is not set. `make run` / `make test` start an embedded redis-server and "
        "set it for you; to run a piece by hand, see README (Running the pieces separately)."
    )
# Two roles, one Redis unless told otherwise. The live store (live values, the event
# stream, de-duplication state: what players earned until the flush) is LIVE_REDIS_URL and
# must keep everything (AOF, noeviction). REDIS_URL holds what may be lost or evicted under
# its own memory budget: the cache, throttles, the Celery broker and the channel layer.
# gameplay.store.client() is the live store's one client (the "live" cache alias, or a
# cluster client with LIVE_REDIS_CLUSTER).
LIVE_REDIS_URL = env_str("LIVE_REDIS_URL", "") or REDIS_URL
REDIS_SOCKET_TIMEOUT = env_float("REDIS_SOCKET_TIMEOUT", 2.0)
# true: LIVE_REDIS_URL names seed nodes of a Redis Cluster (one URL, or several separated
# by commas: a process then starts from whichever answers), and gameplay.store holds one
# cluster client per process (django-redis, Celery and channels_redis take no cluster:
# what lives on REDIS_URL stays on a plain Redis).
LIVE_REDIS_CLUSTER = env_bool("LIVE_REDIS_CLUSTER", False)
LIVE_REDIS_SEED = LIVE_REDIS_URL.split(",", 1)[0].strip()
if "," in LIVE_REDIS_URL and not LIVE_REDIS_CLUSTER:
    raise ImproperlyConfigured(
        "LIVE_REDIS_URL names several servers, which only a cluster's seeds may "
        "(LIVE_REDIS_CLUSTER=true)"
    )
# In a cluster with replicas an action is answered once a replica has it too (WAIT 1):
# none within this many milliseconds answers 503 (gameplay.store.run_acknowledged).
LIVE_WAIT_TIMEOUT_MS = env_int("LIVE_WAIT_TIMEOUT_MS", 100)
# The serving processes refuse a live-store Redis without AOF or with an eviction policy
# (gameplay.safety.store_safety_problem); true only for throwaway test servers.
LIVE_STORE_ALLOW_UNSAFE = env_bool("LIVE_STORE_ALLOW_UNSAFE", False)
# Virtual shards of the live store (gameplay/keys.py): a player's keys, their shard's stream,
# boards and counters share one slot. Fixed for a deployment's life (a change needs
# rebuild_redis); at least one.
LIVE_SHARDS = env_int("LIVE_SHARDS", 256)
if LIVE_SHARDS < 1:
    raise ImproperlyConfigured(f"LIVE_SHARDS must be at least 1, got {LIVE_SHARDS}")

# Django's shape for it: typed from the literal alone, a cache's OPTIONS would read as
# Collection[str] (its values mix strings and dicts) and could not be indexed.
CACHES: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "fq:cache",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            # JSON, not pickle: a value read back from Redis is data, never code.
            "SERIALIZER": "django_redis.serializers.json.JSONSerializer",
            "SOCKET_CONNECT_TIMEOUT": REDIS_SOCKET_TIMEOUT,
            "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
            "CONNECTION_POOL_KWARGS": {"max_connections": 50, "health_check_interval": 30},
        },
    },
}
CACHES["live"] = {**CACHES["default"], "LOCATION": LIVE_REDIS_SEED, "KEY_PREFIX": "fq:live"}
# redis-py's asyncio pool refuses a command outright once 100 connections are busy (its
# default); a burst of sockets connecting at once (a launch spike opened 1,000 in seconds)
# each add themselves to a group at the same moment, and were closed with "Too many
# connections". The pool keeps the connections it opened, so the cap is only a ceiling.
# Pub/sub channel names are server-wide, not per database: everything published carries the
# database number, so deployments (or test runs) sharing one Redis server never cross-talk.
REDIS_DB = int(parse_redis_url(REDIS_URL).get("db", 0))
LIVE_REDIS_DB = int(parse_redis_url(LIVE_REDIS_SEED).get("db", 0))
CHANNEL_LAYER_MAX_CONNECTIONS = env_int("CHANNEL_LAYER_MAX_CONNECTIONS", 2000)
CHANNEL_LAYERS = {
    "default": {
        # The pub/sub layer: a group message is one publish that each websocket process
        # receives once and hands to its own sockets in memory, where the list-based layer
        # costs Redis a copy per socket (docs/benchmarks.md tells how that was found).
        # Pushes are fire-and-forget either way: the next snapshot supersedes a lost one.
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            "hosts": [{"address": REDIS_URL, "max_connections": CHANNEL_LAYER_MAX_CONNECTIONS}],
            "prefix": f"fq:channels:{REDIS_DB}",
        },
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "landing"
# Django's database sessions, each labelled with its player (accounts/browser_sessions.py):
# a new password ends the player's other sessions.
SESSION_ENGINE = "accounts.browser_sessions"
# A reset link (Django's token generator) works once, for an hour.
PASSWORD_RESET_TIMEOUT = 3600

# Mail (password resets), sent by the Celery worker: EMAIL_URL, or printed on the console.
_EMAIL = email_from_url(env_str("EMAIL_URL", ""))
EMAIL_BACKEND = _EMAIL.backend
EMAIL_HOST = _EMAIL.host
EMAIL_PORT = _EMAIL.port
EMAIL_HOST_USER = _EMAIL.user
EMAIL_HOST_PASSWORD = _EMAIL.password
EMAIL_USE_TLS = _EMAIL.use_tls
# A server that stops answering must not hold the worker (the task retries).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("EMAIL_FROM", "FocusQuest <focusquest@localhost>")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Served by WhiteNoise from the app folders too, so a fresh checkout needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# How many proxies of ours stand in front of gunicorn (behind the documented nginx: 1).
# 0: X-Forwarded-For is ignored, since any client can write it, and the client is
# REMOTE_ADDR. N: each proxy appends the address it saw to X-Forwarded-For, so the client
# is the Nth entry from the end; what came before it is the client's own writing. Every
# throttle reads it (DRF's and the log-in forms', accounts/throttles.py).
NUM_PROXIES = env_int("NUM_PROXIES", 0)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes a missing credential a 401.
        "accounts.authentication.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON objects only (focusquest/parsers.py): the browser's scripts send JSON, and a form,
    # a deep array or a NUL character is a 400 before any view reads it.
    "DEFAULT_PARSER_CLASSES": ["focusquest.parsers.JSONObjectParser"],
    "DEFAULT_PAGINATION_CLASS": "focusquest.pagination.PageNumbers",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "focusquest.api.FocusQuestSchema",
    # Throttles cost Redis round trips, so they sit where abuse costs us: sign-up and
    # token issue (guessing passwords), anonymous reads, and changes of vacations (which
    # no rule bounds: adding and removing one in a loop would fill the ledger). Gamified
    # actions are bounded by the rules themselves (one running session, one check-in per
    # habit and day).
    "DEFAULT_THROTTLE_CLASSES": [],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("THROTTLE_ANON", "600/min"),
        "user": env_str("THROTTLE_USER", "1200/min"),
        "auth": env_str("THROTTLE_AUTH", "30/min"),
        "vacations": env_str("THROTTLE_VACATIONS", "30/hour"),
        # A player's export and import (accountdata/throttles.py): each flushes their shard
        # and reads or writes their whole history.
        "account_data": env_str("THROTTLE_ACCOUNT_DATA", "30/hour"),
    },
    "NUM_PROXIES": NUM_PROXIES,
    "EXCEPTION_HANDLER": "focusquest.api.exception_handler",
    # The test client speaks the API's one format.
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# How long a token's user and a habit stay in the cache (Redis) without a change; any
# change drops them at once (accounts/authentication.py, habits/selectors.py).
AUTH_CACHE_SECONDS = env_int("AUTH_CACHE_SECONDS", 300)
HABIT_CACHE_SECONDS = env_int("HABIT_CACHE_SECONDS", 300)
SPECTACULAR_SETTINGS = {
    "TITLE": "FocusQuest API",
    "DESCRIPTION": "Focus sessions and daily habits as a game: points, levels, streaks, "
    "badges and a live leaderboard.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # /api/docs/ serves Swagger UI's files from the app (drf-spectacular-sidecar), no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "focusquest.api.schema_additions",
    ],
}

# Uploads. A request body's fields besides files are read into memory up to
# DATA_UPLOAD_MAX_MEMORY_SIZE (beyond: 400); an uploaded file is kept in memory up to
# FILE_UPLOAD_MAX_MEMORY_SIZE and spooled to a temporary file beyond (Django's defaults,
# written out). The one upload, `POST /api/me/import`, is refused with 413 past
# IMPORT_MAX_UPLOAD_BYTES from its Content-Length, before a byte of it is read, and while
# it is read (accountdata/uploads.py); the archive may unpack to IMPORT_MAX_UNPACKED_BYTES
# and hold IMPORT_MAX_CHECK_INS check-ins (400 beyond).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
IMPORT_MAX_UPLOAD_BYTES = env_int("IMPORT_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
IMPORT_MAX_UNPACKED_BYTES = env_int("IMPORT_MAX_UNPACKED_BYTES", 100 * 1024 * 1024)
IMPORT_MAX_CHECK_INS = env_int("IMPORT_MAX_CHECK_INS", 200_000)

# The write path (see docs/architecture.md).
WRITE_MODE = env_str("WRITE_MODE", "buffered")
if WRITE_MODE not in {"buffered", "direct"}:
    raise ImproperlyConfigured(f"WRITE_MODE must be 'buffered' or 'direct', got {WRITE_MODE!r}")
# WRITE_MODE=direct: what the live store calls to write each event in its request.
LIVE_DIRECT_WRITER = "pipeline.flush.apply_in_request"
# Each app's part of the flush, called in this order inside the batch's one transaction,
# each writing the batch into its own tables (like MIDDLEWARE, an ordered list of paths).
FLUSH_PROJECTIONS = [
    "accounts.projections.apply_batch",
    "sessions_app.projections.apply_batch",
    "habits.projections.apply_batch",
    "vacations.projections.apply_batch",
    "gameplay.projections.apply_batch",
    "leaderboard.projections.apply_batch",
]
FLUSH_INTERVAL_SECONDS = env_float("FLUSH_INTERVAL_SECONDS", 5.0)
FLUSH_BATCH_SIZE = env_int("FLUSH_BATCH_SIZE", 10_000)
# A flusher that died leaves its batch pending; another reclaims it after this idle time,
# which must exceed the longest flush (the flush lock's expiry is the same figure).
FLUSH_RECLAIM_IDLE_SECONDS = env_float("FLUSH_RECLAIM_IDLE_SECONDS", 60.0)
# Tests set this to kill the flushing process at a named step (see pipeline/flush.py).
FLUSH_FAILPOINT = env_str("FLUSH_FAILPOINT", "")
REDIS_RETRY_AFTER_SECONDS = 5
# /healthz answers 503 once the oldest unflushed event is older than this (the flush is
# down or cannot keep up).
# ... and once the live store uses more than this share of its maxmemory (at 100% it
# refuses every action).
HEALTH_MAX_MEMORY_SHARE = env_float("HEALTH_MAX_MEMORY_SHARE", 0.8)
HEALTH_MAX_BACKLOG_AGE_SECONDS = env_float(
    "HEALTH_MAX_BACKLOG_AGE_SECONDS", 10 * FLUSH_INTERVAL_SECONDS
)

# The fair-play queue (moderation/fairplay.py): what recent flushed activity looks
# implausible. A player is flagged past a maximum (strictly more than it).
FAIRPLAY_WINDOW_DAYS = env_int("FAIRPLAY_WINDOW_DAYS", 7)
FAIRPLAY_MAX_FOCUS_MINUTES_PER_DAY = env_int("FAIRPLAY_MAX_FOCUS_MINUTES_PER_DAY", 720)
# Completed full-length sessions of the longest plannable length, each started within the
# gap after the previous one ended.
FAIRPLAY_MAX_LENGTH_STREAK = env_int("FAIRPLAY_MAX_LENGTH_STREAK", 2)
FAIRPLAY_BACK_TO_BACK_GAP_MINUTES = env_int("FAIRPLAY_BACK_TO_BACK_GAP_MINUTES", 10)
# Points earned per active hour (an hour with any award) above FACTOR x the median of
# everyone active in the window, and above FLOOR: a full 3-hour session alone awards 190
# points in one hour, and a quiet week's median is small.
FAIRPLAY_POINTS_PER_HOUR_FACTOR = env_float("FAIRPLAY_POINTS_PER_HOUR_FACTOR", 5.0)
FAIRPLAY_POINTS_PER_HOUR_FLOOR = env_int("FAIRPLAY_POINTS_PER_HOUR_FLOOR", 400)
# Habits deleted in the window: creating, checking in and deleting habits in a loop earns
# up to 20 x 22 points a day within the creation limit.
FAIRPLAY_MAX_HABITS_DELETED = env_int("FAIRPLAY_MAX_HABITS_DELETED", 5)

CELERY_BROKER_URL = celery_broker_from_redis_url(REDIS_URL)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = False
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BEAT_SCHEDULE = {
    "flush-events": {
        # pipeline/tasks.py; the name is older than the module, and queued tasks carry it.
        "task": "gameplay.tasks.flush_events",
        "schedule": FLUSH_INTERVAL_SECONDS,
        # A flush that could not run by the next tick is superseded by that tick.
        "options": {"expires": max(FLUSH_INTERVAL_SECONDS, 1.0)},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "filters": {"routine_flush": {"()": "focusquest.logfilters.RoutineFlushTaskLines"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # The periodic flush's task lines are DEBUG: an idle flush logs nothing at INFO.
        **{
            name: {"filters": ["routine_flush"]}
            for name in ("celery.beat", "celery.worker.strategy", "celery.app.trace")
        },
    },
}

# Production behind the documented proxy (docs/architecture.md): HTTPS only. The proxy
# terminates TLS and says so in X-Forwarded-Proto, which only it may set.
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # /healthz is probed over plain HTTP from inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

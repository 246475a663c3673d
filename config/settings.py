"""kenshin settings: one module, driven by the environment.

With nothing set, the site runs on SQLite for a local try-out. Every value that
production needs is read from the environment (django-environ); a malformed value
stops start-up with a message that names the variable.
"""

import ipaddress
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from ops.logformat import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
_MISSING = object()


def _read(name: str, cast: Callable[..., Any], default: Any = _MISSING) -> Any:
    """Read one variable; on a malformed value, fail naming the variable.

    django-environ's own errors ("invalid literal for int()") do not say which
    variable was wrong, which is what an operator at 3 a.m. needs to know.
    """
    try:
        if default is _MISSING:
            return cast(name)
        return cast(name, default=default)
    except ImproperlyConfigured:
        raise
    except Exception as exc:
        raise ImproperlyConfigured(f"Environment variable {name} is malformed: {exc}") from exc


def _positive(name: str, default: int) -> int:
    """An integer count or duration that must be at least 1.

    0 or a negative number is never meant: a retention of -90 days would purge every
    booking at once, an idle timeout of 0 would end every staff session on its next request.
    """
    value = _read(name, env.int, default)
    if value < 1:
        raise ImproperlyConfigured(f"Environment variable {name} must be at least 1, got {value}.")
    return value


DJANGO_ENV = _read("DJANGO_ENV", env.str, "development")
if DJANGO_ENV not in ("development", "production"):
    raise ImproperlyConfigured(
        f"Environment variable DJANGO_ENV must be 'development' or 'production', got {DJANGO_ENV!r}"
    )
PRODUCTION = DJANGO_ENV == "production"

_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789"
SECRET_KEY = _read("SECRET_KEY", env.str, "" if PRODUCTION else _DEV_SECRET_KEY)
DEBUG = _read("DEBUG", env.bool, not PRODUCTION)
ALLOWED_HOSTS = _read(
    "ALLOWED_HOSTS", env.list, [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)

if PRODUCTION:
    if (
        len(SECRET_KEY) < 50
        or SECRET_KEY == _DEV_SECRET_KEY
        or SECRET_KEY.startswith("django-insecure")
    ):
        raise ImproperlyConfigured(
            "Environment variable SECRET_KEY must be set to a random value of at least 50 characters "
            "in production."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("Environment variable ALLOWED_HOSTS must be set in production.")
    if DEBUG:
        raise ImproperlyConfigured("Environment variable DEBUG must not be true in production.")

INSTALLED_APPS = [
    # django.contrib.admin, with a default admin site that demands the second factor.
    "staff.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "audit",
    "citizens",
    "reservations",
    "exports",
    "staff",
    "ops",
    "waitingroom",
    "vouchers",
    "waitlist",
    "lottery",
    "reception",
]

MIDDLEWARE = [
    # Request counts and latencies per view for /metrics (django-prometheus; ops.metrics).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Outermost: one log line per request (id, path without query, status, duration).
    "ops.requestlog.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # gzip for the public pages only, never a page with a CSRF token (BREACH): see the module.
    "reservations.compression.PublicPageGZipMiddleware",
    # The top and availability pages from the shared cache, before everything they do not
    # need (reservations.page_cache); then the waiting room in front of the booking pages.
    "reservations.page_cache.PublicPageCacheMiddleware",
    "waitingroom.middleware.WaitingRoomMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "staff.middleware.StaffAccessMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # AxesMiddleware must be last: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                # Lazy: the session is only read if a template touches {{ user }}. Public
                # templates must not, or the response gets "Vary: Cookie" and the CDN
                # can no longer cache it.
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.site",
            ],
        },
    },
]

# Widgets drawn in Python, the same HTML as Django's widget templates (core/form_renderer.py).
FORM_RENDERER = "core.form_renderer.FastWidgetRenderer"

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": _read("DATABASE_URL", env.db_url, f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] not in (
    "django.db.backends.sqlite3",
    "django.db.backends.postgresql",
):
    raise ImproperlyConfigured(
        "Environment variable DATABASE_URL must be sqlite:///path or postgres://user@host/db, "
        f"got the scheme {DATABASES['default']['ENGINE']!r}"
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # BEGIN IMMEDIATE takes SQLite's write lock at the start of each transaction, so two
    # bookings never interleave their read and write; waiters queue for up to 20 s
    # instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", _read("CONN_MAX_AGE", env.int, 60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits and page cache; Redis in production so that every process agrees) ---
# A Redis that is down or black-holed must cost a page a fraction of a second, not a stall:
# the pages render uncached and the look-up refuses (reservations.queries, .ratelimit).
# redis-py would otherwise wait for the kernel (minutes) on a server that never answers.
CACHE_SOCKET_TIMEOUT = 0.25


def cache_config(url: str) -> dict[str, Any]:
    """CACHE_URL as a CACHES entry; a Redis one gets short connect and read timeouts.

    A timeout given in the URL (`?socket_timeout=1`) wins over the default;
    `?key_prefix=kenshin` keeps several sites apart on one Redis.
    """
    config: dict[str, Any] = env.cache_url_config(url)
    # django-environ files `?key_prefix=` under a lower-case key that Django never reads:
    # without this, an operator's prefix would be dropped without a word.
    for name in ("key_prefix", "timeout", "version"):
        if name in config:
            config[name.upper()] = config.pop(name)
    if config["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        # The same backend, reusing its Redis client instead of making one per call.
        config["BACKEND"] = "ops.rediscache.RedisCache"
        options = config.setdefault("OPTIONS", {})
        options.setdefault("socket_connect_timeout", CACHE_SOCKET_TIMEOUT)
        options.setdefault("socket_timeout", CACHE_SOCKET_TIMEOUT)
    return config


def _cache_url(name: str, default: str) -> dict[str, Any]:
    return cache_config(env.str(name, default=default))


CACHES = {"default": _read("CACHE_URL", _cache_url, "locmemcache://kenshin")}

if PRODUCTION:
    # Quiet fallbacks would be wrong in production: SQLite is for trying kenshin out, and
    # a per-process memory cache would count look-up failures per gunicorn worker.
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            "Environment variable DATABASE_URL must point at PostgreSQL in production."
        )
    if CACHES["default"]["BACKEND"].endswith(("LocMemCache", "DummyCache")):
        raise ImproperlyConfigured(
            "Environment variable CACHE_URL must name a shared cache (redis://…) in production."
        )

# --- Auth and passwords ---------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:home"

# --- Staff access (second factor, lockout, network allow-list, session lifetime) ----------


def _networks(value: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    try:
        return [ipaddress.ip_network(item.strip(), strict=False) for item in value if item.strip()]
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"Environment variable STAFF_ALLOWED_NETWORKS is malformed: {exc}"
        ) from exc


STAFF_ALLOWED_NETWORKS = _networks(_read("STAFF_ALLOWED_NETWORKS", env.list, []))
TRUSTED_PROXY_COUNT = _read("TRUSTED_PROXY_COUNT", env.int, 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("Environment variable TRUSTED_PROXY_COUNT must be 0 or more.")
STAFF_IDLE_TIMEOUT = timedelta(minutes=_positive("STAFF_IDLE_TIMEOUT_MINUTES", 15))
STAFF_ABSOLUTE_TIMEOUT = timedelta(hours=_positive("STAFF_ABSOLUTE_TIMEOUT_HOURS", 8))
OTP_TOTP_ISSUER = _read("OTP_TOTP_ISSUER", env.str, "kenshin")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # no TOTP secrets or QR codes in the admin
# Whom staff call when locked out or when a phone is lost (shown on the login and lockout
# pages), e.g. "情報システム課 内線 1234".
STAFF_HELP_CONTACT = _read("STAFF_HELP_CONTACT", env.str, "")

AXES_FAILURE_LIMIT = _positive("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=_positive("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Not on password success: a wrong one-time code counts against the same limit, and a
# correct password must not wipe those failures. staff.views clears them once the second
# factor is verified.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_TEMPLATE = "staff/lockout.html"
# The same client address as the allow-list and the audit trail (TRUSTED_PROXY_COUNT).
AXES_CLIENT_IP_CALLABLE = "core.client.client_ip"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "token"]
AXES_VERBOSE = False  # axes would otherwise log usernames and addresses at INFO

SESSION_COOKIE_AGE = int(STAFF_ABSOLUTE_TIMEOUT.total_seconds())
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "config.views.csrf_failure"

# --- Security headers ------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _read("SECURE_SSL_REDIRECT", env.bool, True)
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # TLS ends at the load balancer; it says so in this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Health checks and the metrics scrape come from inside the deployment, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
CSRF_TRUSTED_ORIGINS = _read("CSRF_TRUSTED_ORIGINS", env.list, [])

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Internationalisation ------------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# English dates read one way everywhere ("Thursday 3 December 2026", "31 March 2027"):
# config/formats/en replaces Django's American "March 31, 2027" wherever a named format
# (DATE_FORMAT …) is used, in the admin too. The residents' pages and mail use
# reservations.display, which picks from the same family.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --- Static and stored files ---------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Export batches are personal data: they live in a private directory that no URL maps to.
# In a multi-machine deployment point EXPORT_STORAGE_DIR at shared storage (or swap the
# "exports" storage for an object store); nothing else in the code assumes a local disk.
EXPORT_STORAGE_DIR = Path(_read("EXPORT_STORAGE_DIR", env.str, str(BASE_DIR / "var" / "exports")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
    "exports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(EXPORT_STORAGE_DIR),
            "base_url": None,
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
}

# --- Mail -------------------------------------------------------------------------------------
_email = _read(
    "EMAIL_URL", env.email_url, "consolemail://" if not PRODUCTION else "smtp://localhost:25"
)
# EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS …
globals().update(_email)
DEFAULT_FROM_EMAIL = _read("DEFAULT_FROM_EMAIL", env.str, "kenshin@localhost")
EMAIL_REPLY_TO = _read("EMAIL_REPLY_TO", env.list, [])
EMAIL_TIMEOUT = _read("EMAIL_TIMEOUT", env.int, 10)
HEALTH_CENTRE_COPY_EMAIL = _read("HEALTH_CENTRE_COPY_EMAIL", env.str, "")
MAIL_MAX_ATTEMPTS = _read("MAIL_MAX_ATTEMPTS", env.int, 8)
REMINDER_DAYS_BEFORE = _read("REMINDER_DAYS_BEFORE", env.int, 3)
# How long a waiting-list offer holds its place (shorter near the booking close; see
# waitlist.services.offer_expiry).
WAITLIST_OFFER_HOURS = _positive("WAITLIST_OFFER_HOURS", 24)
# Booking for the family (reservations.group): how many people one booking may hold.
GROUP_MAX_PEOPLE = _positive("GROUP_MAX_PEOPLE", 4)
# Absolute base used in mails ("look up your booking at …"); requests are not available there.
SITE_URL = _read("SITE_URL", env.str, "http://127.0.0.1:8000").rstrip("/")

# --- The city and its health centre --------------------------------------------------------
CITY_NAME = _read("CITY_NAME", env.str, "新座市")
HEALTH_CENTRE_NAME = _read("HEALTH_CENTRE_NAME", env.str, "新座市保健センター")
# English names for the English pages and mail (e.g. "Niiza City", "Niiza City Health
# Centre"); empty = the Japanese names, marked lang="ja" (reservations.display).
CITY_NAME_EN = _read("CITY_NAME_EN", env.str, "")
HEALTH_CENTRE_NAME_EN = _read("HEALTH_CENTRE_NAME_EN", env.str, "")
HEALTH_CENTRE_PHONE = _read("HEALTH_CENTRE_PHONE", env.str, "048-481-2211")
# Postal codes (7 digits, hyphen optional) that belong to the city; empty = accept any.
CITY_POSTAL_CODES = [
    code.replace("-", "").strip()
    for code in _read(
        "CITY_POSTAL_CODES",
        env.list,
        [
            "3520001",
            "3520002",
            "3520003",
            "3520004",
            "3520005",
            "3520006",
            "3520011",
            "3520012",
            "3520013",
            "3520014",
            "3520015",
            "3520016",
            "3520017",
            "3520021",
            "3520022",
            "3520023",
            "3520024",
            "3520025",
            "3520031",
            "3520032",
            "3520033",
            "3520034",
            "3520035",
        ],
    )
]

# --- Rate limits for the resident's look-up ------------------------------------------------
LOOKUP_MAX_FAILURES_PER_CLIENT = _read("LOOKUP_MAX_FAILURES_PER_CLIENT", env.int, 10)
LOOKUP_MAX_FAILURES_PER_NUMBER = _read("LOOKUP_MAX_FAILURES_PER_NUMBER", env.int, 5)
LOOKUP_FAILURE_WINDOW = timedelta(minutes=_read("LOOKUP_FAILURE_WINDOW_MINUTES", env.int, 30))
PUBLIC_CACHE_SECONDS = _read("PUBLIC_CACHE_SECONDS", env.int, 5)
# gzip the top and availability pages (reservations.compression); false when the proxy does.
COMPRESS_PUBLIC_PAGES = _read("COMPRESS_PUBLIC_PAGES", env.bool, True)

# --- The waiting room in front of the booking form (waitingroom.room) ----------------------
# Residents let in per second, site-wide, while the room is on: about what the site books.
WAITING_ROOM_ADMIT_PER_SECOND = _positive("WAITING_ROOM_ADMIT_PER_SECOND", 20)
# On for every booking (an operator expecting a flood); else by saturation or an opening.
WAITING_ROOM_ALWAYS = _read("WAITING_ROOM_ALWAYS", env.bool, False)
# On everywhere once one process holds more booking requests than this at once (0: never;
# a sync gunicorn worker holds one, so this needs threaded workers).
WAITING_ROOM_MAX_IN_FLIGHT = _read("WAITING_ROOM_MAX_IN_FLIGHT", env.int, 0)
if WAITING_ROOM_MAX_IN_FLIGHT < 0:
    raise ImproperlyConfigured("Environment variable WAITING_ROOM_MAX_IN_FLIGHT must be 0 or more.")
# How long the room stays on after the last saturation.
WAITING_ROOM_HOLD_SECONDS = _positive("WAITING_ROOM_HOLD_SECONDS", 60)

# --- Exports, audit, retention ------------------------------------------------------------
EXPORT_RECIPIENT_CERT = _read("EXPORT_RECIPIENT_CERT", env.str, "")
EXPORT_ENCODING = _read("EXPORT_ENCODING", env.str, "cp932")
if EXPORT_ENCODING not in ("cp932", "utf-8-sig"):
    raise ImproperlyConfigured(
        "Environment variable EXPORT_ENCODING must be 'cp932' or 'utf-8-sig', "
        f"got {EXPORT_ENCODING!r}"
    )
EXPORT_RETENTION_DAYS = _positive("EXPORT_RETENTION_DAYS", 14)
# Reservations (and the personal data in them) are deleted this many days after the
# screening date: long enough for the health centre's import and any query after it.
RESERVATION_RETENTION_DAYS = _positive("RESERVATION_RETENTION_DAYS", 90)
AUDIT_HMAC_KEY = _read(
    "AUDIT_HMAC_KEY", env.str, "" if PRODUCTION else "dev-only-audit-key-not-secret"
)
if PRODUCTION and len(AUDIT_HMAC_KEY) < 32:
    raise ImproperlyConfigured(
        "Environment variable AUDIT_HMAC_KEY must be set to a random value of at least "
        "32 characters in production."
    )

# The key of the hashes that stand for the city's list of screening tickets (受診券番号 +
# 生年月日, vouchers.keys). Changing it makes the current list unusable until it is
# imported again (docs/vouchers.md).
VOUCHER_HMAC_KEY = _read(
    "VOUCHER_HMAC_KEY", env.str, "" if PRODUCTION else "dev-only-voucher-key-not-secret"
)
if PRODUCTION and len(VOUCHER_HMAC_KEY) < 32:
    raise ImproperlyConfigured(
        "Environment variable VOUCHER_HMAC_KEY must be set to a random value of at least "
        "32 characters in production."
    )

# The key that encrypts each lottery round's seed until its draw (lottery.seed): 64 hex
# digits (32 bytes, AES-256-GCM). Losing it makes undrawn rounds undrawable; leaking it
# before a draw lets someone predict the result.
_DEV_LOTTERY_SEED_KEY = "00" * 32
LOTTERY_SEED_KEY = _read("LOTTERY_SEED_KEY", env.str, "" if PRODUCTION else _DEV_LOTTERY_SEED_KEY)
try:
    if len(bytes.fromhex(LOTTERY_SEED_KEY)) != 32:
        raise ValueError
except ValueError:
    raise ImproperlyConfigured(
        "Environment variable LOTTERY_SEED_KEY must be 64 hexadecimal digits (32 bytes)."
    ) from None
if PRODUCTION and LOTTERY_SEED_KEY == _DEV_LOTTERY_SEED_KEY:
    raise ImproperlyConfigured(
        "Environment variable LOTTERY_SEED_KEY must be set to a random value in production."
    )

# --- Logging: no personal data, ever ------------------------------------------------------
# Request logs carry paths and status codes only; our own code logs ids, never names,
# dates of birth, addresses or contact details. LOG_FORMAT=json: one JSON object per line
# (ops.logformat, python-json-logger), with the request id on every record.
LOG_FORMAT = _read("LOG_FORMAT", env.str, "plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(
        f"Environment variable LOG_FORMAT must be 'plain' or 'json', got {LOG_FORMAT!r}"
    )
# /metrics (ops.metrics): readable from STAFF_ALLOWED_NETWORKS, or with this bearer token.
METRICS_TOKEN = _read("METRICS_TOKEN", env.str, "")
if PRODUCTION and METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured(
        "Environment variable METRICS_TOKEN must be at least 32 characters when set."
    )
# How often /metrics re-verifies the whole audit chain (the result is shared via the cache).
AUDIT_METRICS_INTERVAL = _positive("AUDIT_METRICS_INTERVAL", 600)
LOGGING = logging_config(log_format=LOG_FORMAT, level=_read("LOG_LEVEL", env.str, "INFO"))

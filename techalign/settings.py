"""One environment-driven settings module.

Environment:
  DATABASE_URL        sqlite:///path or postgres://user:pass@host:port/name
                      (default: var/techalign.sqlite3)
  SECRET_KEY          required unless DEBUG is on
  DEBUG               "1" for development
  ALLOWED_HOSTS       comma-separated
  TECHALIGN_VAR_DIR   where the default SQLite file and other runtime state live
  TECHALIGN_SQLITE_TIMEOUT  seconds a write waits for SQLite's lock before answering 503
  TECHALIGN_DB_POOL_MIN_SIZE, TECHALIGN_DB_POOL_MAX_SIZE, TECHALIGN_DB_POOL_TIMEOUT
                      PostgreSQL connections each process keeps in its pool (1, 4; max 0
                      turns the pool off) and how long a request waits for one (10 s)
  TECHALIGN_LOGIN_FAILURES  failed logins per username and address before a lockout (5)
  TECHALIGN_LOGIN_LOCKOUT_MINUTES  how long that lockout lasts (15)
  TECHALIGN_OUTBOUND_ALLOWLIST  comma-separated hosts and networks (10.1.0.0/16) inside the
                      local network that calendar feeds, CalDAV and webhooks may reach
  TECHALIGN_TRUSTED_PROXIES, SECRET_KEY_FALLBACKS, TECHALIGN_SEALING_KEY, TECHALIGN_AUDIT_KEY,
  TECHALIGN_AUDIT_ANCHOR_DIR, TECHALIGN_THROTTLE_<RULE>  see the security block below
  TECHALIGN_AUDIT_PARTITIONS  chains the audit log is split into (16), fixed at install
  TECHALIGN_LOCAL_PASSWORDS, TECHALIGN_OIDC_*, TECHALIGN_LDAP_*  company sign-in
                      (docs/deploy.md, section "Sign-in")
  TECHALIGN_ACTION_REMINDER_DAYS  working days before an action item is due that its owner
                      is reminded (1); overdue ones are recalled once a day
  TECHALIGN_NODES, TECHALIGN_METRICS_ALLOW, TECHALIGN_METRICS_TOKEN, TECHALIGN_LOG_FORMAT,
  TECHALIGN_KEPT_ANSWERS_MB, TECHALIGN_NODE_ANSWERS_MB  see the operations block below
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# Django's generic classes subscriptable at run time as the type checker reads them
# (`admin.ModelAdmin[Team]`).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TECHALIGN_VAR_DIR", BASE_DIR / "var"))

DEBUG = os.environ.get("DEBUG", "") in {"1", "true", "yes"}
# Without DEBUG there is no fallback: Django refuses to start with an empty SECRET_KEY.
SECRET_KEY = os.environ.get("SECRET_KEY", "insecure-development-key" if DEBUG else "")
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]


def _env_int(name: str, default: int) -> int:
    """A whole-number setting from the environment; unset or empty means `default`. Anything
    else (a word, a sign, a fraction) stops the start naming the variable, instead of a bare
    ValueError from int()."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit()):
        raise ImproperlyConfigured(f"{name} must be a whole number (0 or more), not {text!r}")
    return int(text)


def postgresql_connections() -> dict:
    """How each process holds its PostgreSQL connections: a psycopg pool by default (opened
    once, lent to each request, checked before it is lent so a restarted server costs no
    errors), or with TECHALIGN_DB_POOL_MAX_SIZE=0 one connection kept for a minute (for a
    pooler such as PgBouncer in front). Django wants CONN_MAX_AGE 0 with a pool."""
    max_size = _env_int("TECHALIGN_DB_POOL_MAX_SIZE", 4)
    if max_size <= 0:
        return {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}
    min_size = min(_env_int("TECHALIGN_DB_POOL_MIN_SIZE", 1), max_size)
    return {
        "CONN_MAX_AGE": 0,
        # With a pool: each connection is checked as it is lent (psycopg's check_connection).
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            "pool": {
                "min_size": min_size,
                "max_size": max_size,
                # Seconds a request waits for a free connection before failing (a 503).
                "timeout": float(os.environ.get("TECHALIGN_DB_POOL_TIMEOUT", "10")),
            }
        },
    }


def database_from_url(url: str) -> dict:
    """Translate DATABASE_URL into Django's DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        name = unquote(parts.path[1:] if parts.path.startswith("//") else parts.path)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name or str(VAR_DIR / "techalign.sqlite3"),
            # IMMEDIATE takes the write lock at BEGIN, so a read-then-write transaction waits for
            # the lock instead of failing with "database is locked" half-way.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": float(os.environ.get("TECHALIGN_SQLITE_TIMEOUT", "20")),
                "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON",
            },
            "TEST": {"NAME": os.environ.get("TECHALIGN_TEST_SQLITE_NAME") or None},
            # Each worker keeps its connection between requests: opening one costs the pragmas,
            # the schema's parse and a cold page cache on every request (a quarter of a small
            # API read). WAL tells a kept connection when another process wrote.
            "CONN_MAX_AGE": 600,
        }
    if parts.scheme in {"postgres", "postgresql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            **postgresql_connections(),
        }
    raise ValueError(f"DATABASE_URL scheme {parts.scheme!r} is not supported")


DATABASES = {
    "default": database_from_url(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'techalign.sqlite3'}"
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Login rate limiting: failed attempts per username and address, then a lockout.
    "axes",
    # Serves the API docs page from its own static files instead of a CDN.
    "ninja",
    "techalign.core",
    "techalign.audit",
    "techalign.org",
    "techalign.requirements",
    "techalign.plans",
    "techalign.comments",
    "techalign.meetings",
    "techalign.health",
    "techalign.web",
    "django_tasks",
    "django_tasks_db",
    "techalign.calendars",
    "techalign.notify",
    # Company sign-in: OpenID Connect, LDAP, and the checks of their settings.
    "techalign.sso",
]

# Background work (notifications, calendar fetches) runs from the database queue;
# `techalign worker` processes it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Outgoing mail: invitations and notifications. Without EMAIL_HOST, each message is written
# as a file under var/mail/ instead of sent, so a local run keeps them without a mail server.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_PORT = _env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "") == "1"
EMAIL_USE_SSL = os.environ.get("EMAIL_USE_SSL", "") == "1"
EMAIL_TIMEOUT = _env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "techalign <techalign@localhost>")
# Absolute links in emails, chat messages and calendar invitations.
TECHALIGN_BASE_URL = os.environ.get("TECHALIGN_BASE_URL", "http://127.0.0.1:8000")
# Calendar feeds, CalDAV servers and webhooks are addresses users type: none may lead into the
# server's own network (loopback, private, link-local, ...) unless listed here.
TECHALIGN_OUTBOUND_ALLOWLIST = [
    entry.strip()
    for entry in os.environ.get("TECHALIGN_OUTBOUND_ALLOWLIST", "").split(",")
    if entry.strip()
]


# --- Security: client address, keys, audit anchors, throttling -------------------------------
def _env_list(name: str) -> list[str]:
    return [entry.strip() for entry in os.environ.get(name, "").split(",") if entry.strip()]


# Addresses and networks of the reverse proxies in front of the site (127.0.0.1, 10.0.0.0/8).
# Only when the direct peer is one of them is the client address read from X-Forwarded-For
# (its rightmost address that is not a trusted proxy). Used by the sign-in lockout and the
# throttles. Empty: the peer address is the client's.
TECHALIGN_TRUSTED_PROXIES = _env_list("TECHALIGN_TRUSTED_PROXIES")
# Earlier SECRET_KEYs still accepted for sessions and signed values while they expire.
SECRET_KEY_FALLBACKS = _env_list("SECRET_KEY_FALLBACKS")
# Fernet keys for credentials at rest (calendar passwords, feed URLs, webhook secrets): the first
# seals, all unseal; `techalign rekey` re-seals everything with the first. Unset: one key derived
# from SECRET_KEY (and one from each of SECRET_KEY_FALLBACKS, to unseal only).
TECHALIGN_SEALING_KEY = _env_list("TECHALIGN_SEALING_KEY")
# Keys of the audit chain's HMAC, kept outside the database: the first signs new events, all
# verify. Unset: derived from SECRET_KEY (and SECRET_KEY_FALLBACKS, to verify only).
TECHALIGN_AUDIT_KEY = _env_list("TECHALIGN_AUDIT_KEY")
# Where `techalign audit anchor` appends the chain's head, outside the database.
TECHALIGN_AUDIT_ANCHOR_DIR = Path(
    os.environ.get("TECHALIGN_AUDIT_ANCHOR_DIR", VAR_DIR / "audit-anchors")
)
# Chains the audit log is split into so writes on different requirements do not wait for each
# other; read once, when the log gets its layout (install or upgrade), then kept in the database.
TECHALIGN_AUDIT_PARTITIONS = _env_int("TECHALIGN_AUDIT_PARTITIONS", 16)


def _throttle(name: str, default: str) -> tuple[int, int]:
    """`TECHALIGN_THROTTLE_<NAME>=count/seconds`: requests per user and, apart, per address."""
    count, seconds = os.environ.get(f"TECHALIGN_THROTTLE_{name}", default).split("/")
    return int(count), int(seconds)


# Expensive endpoints, each counted per signed-in user and per client address in the database
# (shared by every gunicorn worker); past the count, 429 with Retry-After until the window ends.
TECHALIGN_THROTTLES = {
    "signin": _throttle("SIGNIN", "30/300"),
    "calendar_upload": _throttle("CALENDAR_UPLOAD", "30/3600"),
    "import": _throttle("IMPORT", "20/3600"),
    "slot_search": _throttle("SLOT_SEARCH", "120/600"),
    "token": _throttle("TOKEN", "20/3600"),
}
# ---------------------------------------------------------------------------------------------

# --- Operations: several nodes, metrics, logs ------------------------------------------------
# How many machines run `techalign serve` against this database (a SQLite file allows one).
TECHALIGN_NODES = _env_int("TECHALIGN_NODES", 1)
# /metrics answers addresses and networks listed here, or a request with
# `Authorization: Bearer $TECHALIGN_METRICS_TOKEN`; nobody else.
TECHALIGN_METRICS_ALLOW = _env_list("TECHALIGN_METRICS_ALLOW")
TECHALIGN_METRICS_TOKEN = os.environ.get("TECHALIGN_METRICS_TOKEN", "")
# "json": one JSON object per log line, each with the request id; "text" (default): plain lines.
TECHALIGN_LOG_FORMAT = os.environ.get("TECHALIGN_LOG_FORMAT", "text")
# Bytes of API answers each worker keeps for the next reader of the same version
# (techalign/core/answers.py); 0 keeps none, in the worker or the node.
TECHALIGN_KEPT_ANSWERS_MB = _env_int("TECHALIGN_KEPT_ANSWERS_MB", 32)
# Bytes of them that the workers of one `techalign serve` share, in a file of that server's.
TECHALIGN_NODE_ANSWERS_MB = _env_int("TECHALIGN_NODE_ANSWERS_MB", 256)
# ---------------------------------------------------------------------------------------------

MIDDLEWARE = [
    # Operations, first so they see every answer: the request id (X-Request-ID, on every log
    # line) and the latency histograms of /metrics.
    "techalign.core.logging.RequestIdMiddleware",
    "techalign.core.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "techalign.core.middleware.ContentSecurityPolicyMiddleware",
    # Serves STATIC_ROOT under gunicorn, where Django itself serves no static files.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "techalign.core.middleware.UserLanguageMiddleware",
    # Refuses an oversized body (413, docs/limits.md) before anything reads it.
    "techalign.core.body_limit.RequestBodyLimitMiddleware",
    # Every error under /api/ in the {code, message, details} envelope, in the request's language.
    "techalign.api.common.ApiErrorMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "techalign.core.middleware.UserPreferenceLanguageMiddleware",
    # 429 past TECHALIGN_THROTTLES; `Cache-Control: private` on signed-in pages and the API.
    "techalign.core.middleware.ThrottleMiddleware",
    "techalign.core.middleware.PrivateCacheMiddleware",
    "techalign.web.middleware.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as axes requires: turns a locked-out login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "techalign.urls"
WSGI_APPLICATION = "techalign.wsgi.application"
AUTH_USER_MODEL = "org.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
            ]
        },
    }
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = os.environ.get("TECHALIGN_LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "techalign" / "locale"]
TIME_ZONE = os.environ.get("TECHALIGN_TIME_ZONE", "Asia/Shanghai")
# The lunch break of everyone whose working hours name no break: no meeting is offered in it.
TECHALIGN_LUNCH_BREAK = os.environ.get("TECHALIGN_LUNCH_BREAK", "12:00-13:30")
# Working days before an action item's due date on which its owner is reminded.
TECHALIGN_ACTION_REMINDER_DAYS = _env_int("TECHALIGN_ACTION_REMINDER_DAYS", 1)
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

# axes checks every authenticate() call that comes with a request first; authenticate()
# without one (the test client's login(), scripts) raises, so tests use force_login.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "techalign.sso.backends.LocalPasswordBackend",
]
AXES_FAILURE_LIMIT = _env_int("TECHALIGN_LOGIN_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=_env_int("TECHALIGN_LOGIN_LOCKOUT_MINUTES", 15))
# Per username and address together: one attacker cannot lock a user out from everywhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "techalign.web.views.signin.locked_out"
# The client behind TECHALIGN_TRUSTED_PROXIES, not the proxy every client shares.
AXES_CLIENT_IP_CALLABLE = "techalign.core.middleware.client_address"

# --- Sign-in: the company's OpenID provider and directory (docs/deploy.md, "Sign-in") -------
# Each is off unless configured. TECHALIGN_LOCAL_PASSWORDS=0 turns passwords kept in techalign
# off for everyone but superusers (directory passwords keep working).
TECHALIGN_LOCAL_PASSWORDS = os.environ.get("TECHALIGN_LOCAL_PASSWORDS", "1") != "0"
# OpenID Connect (mozilla-django-oidc): the issuer (endpoints found by discovery) or each
# endpoint, the client, the scopes, and which claims give the person's fields.
TECHALIGN_OIDC_ISSUER = os.environ.get("TECHALIGN_OIDC_ISSUER", "")
OIDC_RP_CLIENT_ID = os.environ.get("TECHALIGN_OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("TECHALIGN_OIDC_CLIENT_SECRET", "")
for _setting, _variable in [
    ("OIDC_OP_AUTHORIZATION_ENDPOINT", "TECHALIGN_OIDC_AUTHORIZATION_ENDPOINT"),
    ("OIDC_OP_TOKEN_ENDPOINT", "TECHALIGN_OIDC_TOKEN_ENDPOINT"),
    ("OIDC_OP_USER_ENDPOINT", "TECHALIGN_OIDC_USERINFO_ENDPOINT"),
    ("OIDC_OP_JWKS_ENDPOINT", "TECHALIGN_OIDC_JWKS_ENDPOINT"),
]:
    if os.environ.get(_variable):
        globals()[_setting] = os.environ[_variable]
OIDC_RP_SCOPES = os.environ.get("TECHALIGN_OIDC_SCOPES", "openid email profile")
OIDC_RP_SIGN_ALGO = os.environ.get("TECHALIGN_OIDC_SIGN_ALGO", "RS256")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATE_CLASS = "techalign.sso.views.CompanySignInStart"
OIDC_CALLBACK_CLASS = "techalign.sso.views.CompanySignInCallback"
TECHALIGN_OIDC_CLAIMS = {
    "username": os.environ.get("TECHALIGN_OIDC_USERNAME_CLAIM", "preferred_username"),
    "email": os.environ.get("TECHALIGN_OIDC_EMAIL_CLAIM", "email"),
    "display_name": os.environ.get("TECHALIGN_OIDC_NAME_CLAIM", "name"),
    "groups": os.environ.get("TECHALIGN_OIDC_GROUPS_CLAIM", ""),
}
# group=team:ROLE,group=team:ROLE — the roles these groups give are granted and taken at sign-in.
TECHALIGN_OIDC_GROUP_ROLES = os.environ.get("TECHALIGN_OIDC_GROUP_ROLES", "")
if OIDC_RP_CLIENT_ID:
    AUTHENTICATION_BACKENDS.append("techalign.sso.backends.CompanyAccountBackend")
# LDAP / Active Directory (django-auth-ldap): the directory checks the password typed on the
# sign-in form; people are found by a search, their groups by another.
AUTH_LDAP_SERVER_URI = os.environ.get("TECHALIGN_LDAP_SERVER_URI", "")
TECHALIGN_LDAP_GROUP_ROLES = os.environ.get("TECHALIGN_LDAP_GROUP_ROLES", "")
if AUTH_LDAP_SERVER_URI:
    from techalign.sso.directory import directory_settings

    globals().update(directory_settings(os.environ))
    AUTHENTICATION_BACKENDS.insert(1, "techalign.sso.backends.DirectoryBackend")

# Request bodies beyond this are refused before they reach a view.
# Django's own cap, behind RequestBodyLimitMiddleware's REQUEST_BODY_BYTES (the same size).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

NINJA_PAGINATION_CLASS = "techalign.api.common.Pages"
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 200

if not DEBUG:
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Behind an https proxy in production: redirect plain http, send HSTS, trust the proxy's scheme
# header. Off by default, so `make run` keeps working over plain http on 127.0.0.1.
SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "") == "1"
SECURE_HSTS_SECONDS = _env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("SECURE_HSTS_INCLUDE_SUBDOMAINS", "") == "1"
SECURE_HSTS_PRELOAD = os.environ.get("SECURE_HSTS_PRELOAD", "") == "1"
if os.environ.get("SECURE_PROXY_SSL_HEADER", "") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "techalign.core.logging.RequestIdFilter"}},
    "formatters": {"json": {"()": "techalign.core.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            **({"formatter": "json"} if TECHALIGN_LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # In JSON, one line per request (method, route, status, duration, request id) replaces
    # gunicorn's access log.
    "loggers": {
        "techalign.request": {"level": "INFO" if TECHALIGN_LOG_FORMAT == "json" else "WARNING"}
    },
}

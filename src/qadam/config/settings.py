"""Qadam settings: one file, driven by the environment.

Every value that changes between machines comes from an environment variable; a bad value stops
start-up with a message that names the variable and what it expects.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent  # src/qadam
PROJECT_DIR = BASE_DIR.parent.parent  # checkout root
VAR_DIR = Path(os.environ.get("QADAM_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (1/0, yes/no), not {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def _secret_key() -> str:
    """The secret from the environment, or a development secret generated once under var/."""
    key = os.environ.get("QADAM_SECRET_KEY")
    if key:
        if len(key) < 32:
            raise ImproperlyConfigured("QADAM_SECRET_KEY must be at least 32 characters long")
        return key
    if not DEBUG:
        raise ImproperlyConfigured("QADAM_SECRET_KEY must be set when QADAM_DEBUG is off")
    path = VAR_DIR / "dev-secret-key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env_bool("QADAM_DEBUG", True)
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("QADAM_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("QADAM_CSRF_TRUSTED_ORIGINS", [])

# Real public data for tests and benchmarks; it is never committed into the project.
SHARED_DATA_DIR = Path(os.environ.get("QADAM_SHARED_DATA", PROJECT_DIR.parent / "shared" / "data"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",  # serves the API docs (Swagger UI) from local static files, not a CDN
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks_db",
    "qadam.core",
    "qadam.people",
    "qadam.custody",
    "qadam.assessment",
    "qadam.demo",
    "qadam.plans",
    "qadam.probation",
    "qadam.sentences",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "qadam.core.middleware.RequestIdMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "qadam.core.otp.SecondFactorMiddleware",
    "qadam.core.middleware.UserLanguageMiddleware",
    "qadam.core.middleware.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "qadam.config.urls"
WSGI_APPLICATION = "qadam.config.wsgi.application"
ASGI_APPLICATION = "qadam.config.asgi.application"

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
                "django.template.context_processors.i18n",
                "qadam.core.context_processors.shell",
            ],
        },
    }
]

# Database: DATABASE_URL, or an SQLite file under var/ (WAL) for the embedded default.
_database_url = os.environ.get("DATABASE_URL", "").strip()
if _database_url:
    try:
        _db = dj_database_url.parse(
            _database_url,
            conn_max_age=env_int("QADAM_DB_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
    if _db["ENGINE"] not in {
        "django.db.backends.postgresql",
        "django.db.backends.sqlite3",
    }:
        raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL or SQLite")
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(VAR_DIR / "qadam.sqlite3"),
    }
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA cache_size=-64000; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=268435456;"
        ),
    }
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if env_bool("QADAM_FAST_PASSWORD_HASHING", False):  # test suites and demo seeding only
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:login"

# Lockout after repeated failures (django-axes).
AXES_FAILURE_LIMIT = env_int("QADAM_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("QADAM_LOGIN_COOLOFF_MINUTES", 30, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("QADAM_AXES_ENABLED", True)

# Session: idle timeout, cookies for https in production.
SESSION_IDLE_TIMEOUT_SECONDS = env_int("QADAM_SESSION_IDLE_MINUTES", 30, minimum=1) * 60
SESSION_COOKIE_AGE = 12 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Roles whose users must use a TOTP second factor when QADAM_REQUIRE_2FA is on.
REQUIRE_SECOND_FACTOR = env_bool("QADAM_REQUIRE_2FA", False)
OTP_TOTP_ISSUER = "Qadam"

LANGUAGE_CODE = "kk"
LANGUAGES = [("kk", _("Kazakh")), ("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Django has no Kazakh date and number formats: ours are in config/formats/kk.
FORMAT_MODULE_PATH = ["qadam.config.formats"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("QADAM_TIME_ZONE", "Asia/Almaty")

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"

TASKS = {
    "default": {
        "BACKEND": os.environ.get("QADAM_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Occupancy norm: living space per person in m² (configurable, PEC norm by default).
LIVING_SPACE_NORM_M2 = float(os.environ.get("QADAM_LIVING_SPACE_NORM_M2", "2.5"))
# Lawful detention: warn this many days before an order expires.
DETENTION_EXPIRY_WARNING_DAYS = env_int("QADAM_DETENTION_WARNING_DAYS", 7, minimum=1)
# API writes: an Idempotency-Key matches its request for this many hours (core.idempotency).
API_IDEMPOTENCY_HOURS = env_int("QADAM_API_IDEMPOTENCY_HOURS", 24, minimum=1)
# Assessment: a sentenced person in custody not yet assessed is due this many days after being
# held under the sentence (admission, or the verdict taking effect) (assessment.services).
FIRST_ASSESSMENT_DUE_DAYS = env_int("QADAM_FIRST_ASSESSMENT_DAYS", 30, minimum=1)

PAGE_SIZE = 50

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("QADAM_LOG_LEVEL", "WARNING")},
}
CSRF_FAILURE_VIEW = "qadam.core.views.csrf_failure"

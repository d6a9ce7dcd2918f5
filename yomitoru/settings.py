"""yomitoru settings, read from the environment (see README "Configuration").

With no environment at all this is the embedded default: SQLite in WAL mode, the django-q2
database broker and media in DATA_DIR. DATABASE_URL switches to PostgreSQL, REDIS_URL switches
the task broker and the cache to Redis.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from yomitoru.env import (
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_path,
    env_str,
)
from yomitoru.keys import load_keys

BASE_DIR = Path(__file__).resolve().parent.parent

# Everything the instance writes lives below DATA_DIR: one folder to back up or wipe.
DATA_DIR = env_path("DATA_DIR", BASE_DIR / "var")
MEDIA_ROOT = DATA_DIR / "media"
LOG_DIR = DATA_DIR / "logs"
STATIC_ROOT = DATA_DIR / "static"
# Everything the instance writes is its own: the database (sessions, TOTP keys), its WAL files,
# scans, logs. Files this process creates are private (mode 600, folders 700), and the data
# folder is made private even if an older installation left it open.
os.umask(0o077)
for _folder in (DATA_DIR, MEDIA_ROOT, LOG_DIR, STATIC_ROOT):
    _folder.mkdir(parents=True, exist_ok=True)
DATA_DIR.chmod(0o700)

DEBUG = env_bool("DEBUG", False)
# Secure cookies and HSTS need TLS in front of the app; the embedded instance on 127.0.0.1
# runs plain HTTP, a production deployment sets HTTPS=1.
HTTPS = env_bool("HTTPS", False)

_KEYS = load_keys(DATA_DIR, debug=DEBUG)
SECRET_KEY: str = _KEYS["SECRET_KEY"]
FIELD_ENCRYPTION_KEY: list[str] = _KEYS["FIELD_ENCRYPTION_KEYS"]
INDEX_HMAC_KEY: str = _KEYS["INDEX_HMAC_KEY"]
FILE_ENCRYPTION_KEYS: list[str] = _KEYS["FILE_ENCRYPTION_KEYS"]
AUDIT_SEAL_KEY: str = _KEYS["AUDIT_SEAL_KEY"]

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "yomitoru.apps.YomitoruAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guardian",
    "auditlog",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_q",
    "yomitoru",
    "forms_catalog",
    "ocr",
    "audit",
    # Generating, training and evaluating (evaluate, generate_samples, seed_demo): above the
    # apps, never imported by them.
    "lab",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # GET, HEAD and POST only, no NUL in path or query: refused before any view can run.
    "yomitoru.security.methods.RequestGateMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # CSP and no-store for signed-in users (needs request.user; sees the 2FA redirects too).
    "yomitoru.security.SecurityHeadersMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Absolute session limit, then the TOTP gate for those who may see My Numbers.
    "yomitoru.security.sessions.AbsoluteSessionTimeoutMiddleware",
    "yomitoru.security.twofactor.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # Last, as django-axes asks: it turns a lockout raised by the backend into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "yomitoru.urls"
WSGI_APPLICATION = "yomitoru.wsgi.application"

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
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "db.sqlite3",
            "OPTIONS": {
                # WAL lets the web server read while a worker writes; IMMEDIATE takes the write
                # lock at BEGIN so two writers queue instead of failing mid-transaction.
                "init_command": "PRAGMA journal_mode=wal; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # A file, not Django's in-memory default: a live server test then gives each
            # request thread its own connection, as in production, instead of one shared
            # connection that the browser's parallel image requests would trip over.
            "TEST": {"NAME": str(DATA_DIR / "test-db.sqlite3")},
        }
    }
    # An installation from before the umask above left its database readable: close it now.
    for _suffix in ("", "-wal", "-shm"):
        _file = DATA_DIR / f"db.sqlite3{_suffix}"
        if _file.exists() and _file.stat().st_mode & 0o077:
            _file.chmod(0o600)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "yomitoru",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# django-q2. A task is given `timeout` seconds, re-queued after `retry` seconds if no worker
# acknowledged it (retry must exceed timeout, or a slow task runs twice at once), and tried at
# most `max_attempts` times. Failed tasks are acknowledged so a poisoned task cannot loop;
# its failure stays visible in the admin and on our own OcrRun record.
TASK_TIMEOUT = env_int("TASK_TIMEOUT", 300, minimum=10)
Q_CLUSTER: dict[str, object] = {
    # Instances sharing one Redis keep their queues apart by name.
    "name": env_str("TASK_QUEUE_NAME", "yomitoru"),
    "workers": env_int("TASK_WORKERS", 2, minimum=1),
    "timeout": TASK_TIMEOUT,
    "retry": TASK_TIMEOUT + 60,
    "max_attempts": env_int("TASK_MAX_ATTEMPTS", 3, minimum=1),
    "ack_failures": True,
    "save_limit": 1000,
    "catch_up": False,
    "label": "タスク",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 1

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
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

# django-axes: lock out by username + IP together. A town hall sits behind one address, so
# locking by IP alone would lock out every clerk when one mistypes.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# No number typed into the login form (or sent with it) is kept: yomitoru/security/lockout.py.
AXES_USERNAME_CALLABLE = "yomitoru.security.lockout.stored_username"
AXES_HANDLER = "yomitoru.security.lockout.NumberFreeDatabaseHandler"

# Idle timeout: the session expires SESSION_IDLE_MINUTES after the last request.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30, minimum=1) * 60
SESSION_SAVE_EVERY_REQUEST = True
# Absolute timeout: a session ends SESSION_ABSOLUTE_HOURS after sign-in, however busy.
SESSION_ABSOLUTE_HOURS = env_int("SESSION_ABSOLUTE_HOURS", 10, minimum=1)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# The preload directive only states consent; nothing is submitted to browser vendors unless
# the domain's owner does so at hstspreload.org. Required for a clean `check --deploy`.
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# TOTP two-factor (yomitoru/security/twofactor.py): the name shown in authenticator apps.
OTP_TOTP_ISSUER = "yomitoru"
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Served from the app's own files: whitenoise finds them without collectstatic in development.
WHITENOISE_USE_FINDERS = DEBUG
# Uploaded scans are never served from a public URL: MEDIA_URL is deliberately not routed.
MEDIA_URL = "/media-not-served/"
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# Guardian's anonymous user is not needed: every user of this system is authenticated.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = True

AUDITLOG_INCLUDE_ALL_MODELS = False
# Our own entry model: auditlog's entry plus the hash-chain seal (audit/models.py).
AUDITLOG_LOGENTRY_MODEL = "audit.AuditEntry"
# auditlog's own migrations create its default entry table even when the model is swapped;
# that unused table would only hold a foreign key that blocks flushing content types.
MIGRATION_MODULES = {"auditlog": None}
# Whatever is masked is replaced by a constant: no part of a value ever reaches the log.
AUDITLOG_MASK_CALLABLE = "audit.registry.mask_value"
# Each sealed entry's head (sequence and seal) is appended here once committed: a copy of the
# chain's end that the database cannot rewrite alone (audit/chain.py, verify_audit_chain).
AUDIT_HEAD_LOG = DATA_DIR / "audit" / "chain-head.log"

# The security officer's unusual-access report (audit/reports.py): more than this many reveals
# or exports by one user in one hour is flagged, and so is access outside office hours
# ("HH:MM-HH:MM", Asia/Tokyo, weekdays; weekends are always outside).
AUDIT_REVEALS_PER_HOUR = env_int("AUDIT_REVEALS_PER_HOUR", 10, minimum=1)
AUDIT_EXPORTS_PER_HOUR = env_int("AUDIT_EXPORTS_PER_HOUR", 5, minimum=1)
OFFICE_HOURS = env_str("OFFICE_HOURS", "08:00-19:00")

# How long an explicit reveal shows a document's My Numbers to the person who asked.
REVEAL_MINUTES = env_int("REVEAL_MINUTES", 10, minimum=1)

# The verification queue (ocr/review/). A clerk's claim on a document lapses after this many
# minutes without a save or a sign of life from the review screen; another clerk may then
# take it.
REVIEW_CLAIM_MINUTES = env_int("REVIEW_CLAIM_MINUTES", 15, minimum=1)
# CSV exports (ocr/exports/). An export holding My Numbers waits this long for a second
# person's approval; a built file waits this long for its one download; the download link
# the requester's page shows is good for this many minutes; one export holds at most this
# many documents.
EXPORT_APPROVAL_HOURS = env_int("EXPORT_APPROVAL_HOURS", 24, minimum=1)
EXPORT_DOWNLOAD_HOURS = env_int("EXPORT_DOWNLOAD_HOURS", 24, minimum=1)
EXPORT_LINK_MINUTES = env_int("EXPORT_LINK_MINUTES", 15, minimum=1)
EXPORT_MAX_DOCUMENTS = env_int("EXPORT_MAX_DOCUMENTS", 20000, minimum=1)
# Per mille of auto-accepted fields, per kind, routed to review as a hidden quality sample:
# the measured error rate of what the machine accepts in production (20 = 2 %).
QA_SAMPLE_PER_MILLE = env_int("QA_SAMPLE_PER_MILLE", 20, minimum=0)

# Ingest limits (see ocr/pipeline/ingest.py).
INGEST_MAX_BYTES = env_int("INGEST_MAX_BYTES", 50 * 1024 * 1024, minimum=1024)
INGEST_MAX_PIXELS = env_int("INGEST_MAX_PIXELS", 60_000_000, minimum=1_000_000)
# OpenCV reads this when it is first imported: its own decoders refuse larger images too.
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(INGEST_MAX_PIXELS))
INGEST_MAX_PAGES = env_int("INGEST_MAX_PAGES", 20, minimum=1)
# Work one file and one upload may bring: pixels of all pages together (checked from headers,
# before anything is decoded), and files per upload (per batch of the CLI and the hot folder).
INGEST_MAX_FILE_PIXELS = env_int("INGEST_MAX_FILE_PIXELS", 400_000_000, minimum=INGEST_MAX_PIXELS)
INGEST_MAX_UPLOAD_PIXELS = env_int(
    "INGEST_MAX_UPLOAD_PIXELS", 2_000_000_000, minimum=INGEST_MAX_FILE_PIXELS
)
INGEST_MAX_FILES = env_int("INGEST_MAX_FILES", 50, minimum=1)
TESSERACT_TIMEOUT = env_int("TESSERACT_TIMEOUT", 30, minimum=1)
# OpenCV threads per reading process. Workers are processes, one per core: 1 avoids
# oversubscribing the cores (measured on 2 cores, 2 workers: 0.96 -> 1.12 pages/s).
OCR_OPENCV_THREADS = env_int("OCR_OPENCV_THREADS", 1, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        # Last line of defence: whatever code logs, 12- and 13-digit runs never reach a log.
        "plain": {
            "()": "yomitoru.logs.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
        },
        "file": {
            "class": "logging.handlers.RotatingFileHandler",
            "filename": str(LOG_DIR / "yomitoru.log"),
            "maxBytes": 10 * 1024 * 1024,
            "backupCount": 10,
            "formatter": "plain",
            "encoding": "utf-8",
        },
    },
    "root": {"handlers": ["console", "file"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django_q": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

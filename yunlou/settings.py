"""Settings come from environment variables; the defaults are for the demo and tests only."""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


DEBUG = env_flag("DJANGO_DEBUG")
DEMO_SECRET_KEY = "demo-only-secret-key-change-me-in-production-0123456789"
DEMO_FIELD_ENCRYPTION_KEY = "demo-only-field-encryption-key"
SECRET_KEY = os.environ.get("SECRET_KEY", DEMO_SECRET_KEY)
# A separate key for phone and ID numbers, so a leaked SECRET_KEY does not reveal them (and back).
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY", DEMO_FIELD_ENCRYPTION_KEY)
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
# The site's public address, for share links and QR codes that buyers open from WeChat (https://…).
# The demo default is the local server; `check --deploy` refuses it for a deployment.
DEMO_PUBLIC_BASE_URL = "http://127.0.0.1:8000"
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", DEMO_PUBLIC_BASE_URL)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "csp",
    "ninja",
    "easy_thumbnails",
    "yunlou.core",
    "yunlou.accounts",
    "yunlou.catalogue",
    "yunlou.crm",
    "yunlou.showroom",
    "yunlou.launch",
    "yunlou.brokers",
    "yunlou.payments",
    "yunlou.live",
    "yunlou.demo",
]

MIDDLEWARE = [
    "yunlou.core.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "yunlou.core.text.ControlCharacterMiddleware",  # before anything reads a parameter
    "yunlou.accounts.buyers.BearerSessionMiddleware",  # Django's, plus a mini program's bearer token
    "yunlou.core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "yunlou.accounts.buyers.SingleSessionMiddleware",
    "yunlou.core.middleware.PrivateNoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "csp.middleware.CSPMiddleware",
    "yunlou.showroom.middleware.VisitorMiddleware",
    "yunlou.core.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "yunlou.urls"
WSGI_APPLICATION = "yunlou.wsgi.application"
ASGI_APPLICATION = "yunlou.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "yunlou" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "yunlou.accounts.context_processors.staff",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        # Persistent connections: sync workers reuse one connection instead of reconnecting per request.
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "yunlou.accounts.backends.UsernameOrPhoneBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
# The login page sends each role to its own work (yunlou.accounts.landing); this is the generic fallback.
LOGIN_REDIRECT_URL = "accounts:landing"
LOGOUT_REDIRECT_URL = "accounts:login"

# Staff lockout after repeated password failures (django-axes).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "yunlou.accounts.backends.login_identity"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "yunlou" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "yunlou" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
SERVE_MEDIA = env_flag("SERVE_MEDIA", default=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Responsive renditions of uploaded photos (yunlou.core.images): under media/renditions/, with their sizes
# recorded so that pages write srcset without opening a file.
THUMBNAIL_BASEDIR = "renditions"
THUMBNAIL_CACHE_DIMENSIONS = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "bindings-expire": {"task": "crm.bindings_expire", "schedule": 3600.0},
    "holds-expire": {"task": "launch.order_holds_expire", "schedule": 15.0},  # reads expire lazily too
    "payments-reconcile": {"task": "payments.reconcile", "schedule": 300.0},  # lost notifications, stuck refunds
    "referrals-expire": {"task": "brokers.referrals_expire", "schedule": 300.0},  # reads expire lazily too
}
CACHES = {
    "default": {"BACKEND": "yunlou.core.cache.ReusingRedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# A time-stamping authority (RFC 3161 over HTTP) for the contracts' signatures (PAdES B-T). Without one the demo
# stamps with its own TSA certificate (made with the organisation's demo CA).
CONTRACT_TSA_URL = os.environ.get("CONTRACT_TSA_URL", "")

SMS_BACKEND = os.environ.get("SMS_BACKEND", "yunlou.accounts.sms.ConsoleSmsBackend")
# The demo shows the SMS code on the page so that nobody needs a phone; never in production.
SMS_CODE_ON_PAGE = DEBUG and SMS_BACKEND.endswith("ConsoleSmsBackend")

# How many reverse proxies we run in front of the app (each appends to X-Forwarded-For); 0 = none, so the
# header is ignored and REMOTE_ADDR is the client.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# HTTPS, for a deployment behind a TLS-terminating proxy (set these in its environment; the demo runs on http):
#   HTTPS=1                  secure cookies, redirect http to https, HSTS for HSTS_SECONDS (default a year,
#                            with subdomains and preload; HSTS_INCLUDE_SUBDOMAINS=0 / HSTS_PRELOAD=0 to opt out)
#   TRUSTED_PROXY_HTTPS=1    believe the proxy's X-Forwarded-Proto: https (only if the proxy always sets it)
HTTPS = env_flag("HTTPS")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS or env_flag("SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the load balancer's health check speaks plain http
SECURE_HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", "31536000")) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS and env_flag("HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = HTTPS and env_flag("HSTS_PRELOAD", default=True)
if env_flag("TRUSTED_PROXY_HTTPS"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp): scripts only from this site's own files — no inline script anywhere,
# so an injected <script> cannot run. Inline styles stay allowed: htmx adds its indicator style and pages
# place things with style attributes (site plan, bars). MEDIA_ORIGINS adds a storage or CDN origin for media.
from csp.constants import NONE, SELF, UNSAFE_INLINE  # noqa: E402

_MEDIA_ORIGINS = [origin for origin in os.environ.get("MEDIA_ORIGINS", "").split(",") if origin]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:", *_MEDIA_ORIGINS],
        "media-src": [SELF, "blob:", *_MEDIA_ORIGINS],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF, *_MEDIA_ORIGINS],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# A stale form explained in the visitor's language with a way back, not Django's English technical page.
CSRF_FAILURE_VIEW = "yunlou.accounts.views.csrf_failure"

ADMIN_SITE_HEADER = _("Yunlou administration")

# One JSON object per line on stdout, each with the request's id (yunlou/core/observability.py); unhandled
# errors come from django.request with their traceback, whatever DEBUG says.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "yunlou.core.observability.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json",
                             "filters": ["request_id"]}},
    "loggers": {
        "yunlou": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
        "axes": {"handlers": ["console"], "level": "WARNING"},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "celery": {"handlers": ["console"], "level": "WARNING"},
    },
}

# 认筹: what a buyer pays online to pledge (fen); refundable (退筹) until they hold a unit.
PLEDGE_AMOUNT_FEN = int(os.environ.get("PLEDGE_AMOUNT_FEN", "5000000"))

SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from yunlou.core.observability import sentry_init

    sentry_init(SENTRY_DSN, environment=os.environ.get("SENTRY_ENVIRONMENT", "production"))

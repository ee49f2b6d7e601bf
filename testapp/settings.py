"""Settings of the small project used by the tests and the demo.

Environment:
- ``DB=postgres`` runs on PostgreSQL (``PGHOST``/``PGPORT``/``PGUSER``/``PGDATABASE``,
  default 127.0.0.1:5432, user ``postgres``, database ``test``); ``DB=mysql`` on
  MySQL/MariaDB (``MYSQL_*``); SQLite otherwise.
- ``CACHE=redis`` uses Redis at ``REDIS_URL`` (default redis://127.0.0.1:6379/0) as the
  shared cache; a local-memory cache otherwise.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = os.environ.get("SECRET_KEY", "testapp-not-secret")
DEBUG = os.environ.get("DEBUG", "") == "1"
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    # before django.contrib.admin: its admin/login.html adds the OIDC login link
    "mozilla_django_oidc_db",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_jsonform",
    "mozilla_django_oidc",
    "django_setup_configuration",
    "testapp",
]

# `manage.py setup_configuration --yaml-file FILE` (or `oidc_import_config FILE`)
SETUP_CONFIGURATION_STEPS = [
    "mozilla_django_oidc_db.setup_configuration.steps.AdminOIDCConfigurationStep",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "mozilla_django_oidc_db.middleware.SessionRefresh",
]

ROOT_URLCONF = "testapp.urls"

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

if os.environ.get("DB") == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": os.environ.get("PGHOST", "127.0.0.1"),
            "PORT": os.environ.get("PGPORT", "5432"),
            "USER": os.environ.get("PGUSER", "postgres"),
            "PASSWORD": os.environ.get("PGPASSWORD", ""),
            "NAME": os.environ.get("PGDATABASE", "test"),
            "TEST": {"NAME": os.environ.get("PGTESTDATABASE", "test_oidcdb")},
        }
    }
elif os.environ.get("DB") == "mysql":
    # MySQL/MariaDB (needs the mysqlclient package): root without a password on
    # 127.0.0.1:3306 by default, as on this project's machines
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.mysql",
            "HOST": os.environ.get("MYSQL_HOST", "127.0.0.1"),
            "PORT": os.environ.get("MYSQL_PORT", "3306"),
            "USER": os.environ.get("MYSQL_USER", "root"),
            "PASSWORD": os.environ.get("MYSQL_PASSWORD", ""),
            "NAME": os.environ.get("MYSQL_DATABASE", "test"),
            "OPTIONS": {"charset": "utf8mb4"},
            "TEST": {"NAME": "test_oidcdb_mysql", "CHARSET": "utf8mb4"},
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR.parent / "testapp.sqlite3")),
        }
    }

if os.environ.get("CACHE") == "redis":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "oidcdb-testapp"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "mozilla_django_oidc_db.backends.OIDCAuthenticationBackend",
]

OIDC_AUTHENTICATE_CLASS = "mozilla_django_oidc_db.views.OIDCAuthenticationRequestView"
OIDC_CALLBACK_CLASS = "mozilla_django_oidc_db.views.OIDCCallbackView"

LOGIN_REDIRECT_URL = "/admin/"
LOGIN_REDIRECT_URL_FAILURE = "/login-failed/"
LOGOUT_REDIRECT_URL = "/admin/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("nl", "Nederlands")]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "mozilla_django_oidc_db": {
            "handlers": ["console"],
            "level": os.environ.get("OIDCDB_LOG_LEVEL", "WARNING"),
        }
    },
}

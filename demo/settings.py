"""The demo's settings: the test project's (which include the YAML import of
django-setup-configuration), with a database in ``demo-data/`` and the package's log on
the console."""

import copy
import os
from pathlib import Path

from testapp.settings import *  # noqa: F403
from testapp.settings import LOGGING

DATA_DIR = Path(
    os.environ.get("DEMO_DATA_DIR", Path(__file__).resolve().parent.parent / "demo-data")
)

DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# a local demo: the key only signs the demo's own sessions
SECRET_KEY = os.environ.get("SECRET_KEY", "demo-only-not-a-secret")

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DATA_DIR / "demo.sqlite3"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# why a login failed shows up next to the development server's requests
LOGGING = copy.deepcopy(LOGGING)
LOGGING["loggers"]["mozilla_django_oidc_db"]["level"] = "INFO"

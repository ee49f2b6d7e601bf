"""The test project's settings with the downstream stand-in app installed."""

from testapp.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.migration_downstream"]  # noqa: F405

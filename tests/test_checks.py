"""System checks: whole check messages compared, and never a crash."""

import sys
import types

from django.apps import apps
from django.core.checks import Error, Warning, run_checks

import pytest

from mozilla_django_oidc_db.checks import check_authenticate_class, check_callback_class

AUTHENTICATE_HINT = (
    "Use 'mozilla_django_oidc_db.views.OIDCAuthenticationRequestView' or a subclass of "
    "'mozilla_django_oidc_db.views.OIDCAuthenticationRequestInitView'."
)
CALLBACK_HINT = "Use 'mozilla_django_oidc_db.views.OIDCCallbackView' or a subclass of it."

E001 = Error(
    "The setting 'settings.OIDC_AUTHENTICATE_CLASS' must be an importable dotted path "
    "to a view class.",
    hint=AUTHENTICATE_HINT,
    id="mozilla_django_oidc_db.E001",
)
W001 = Warning(
    "The class in 'settings.OIDC_AUTHENTICATE_CLASS' should be a subclass of "
    "'OIDCAuthenticationRequestInitView'.",
    hint=AUTHENTICATE_HINT,
    id="mozilla_django_oidc_db.W001",
)
E002 = Error(
    "The setting 'settings.OIDC_CALLBACK_CLASS' must be an importable dotted path to a view class.",
    hint=CALLBACK_HINT,
    id="mozilla_django_oidc_db.E002",
)
W002 = Warning(
    "The class in 'settings.OIDC_CALLBACK_CLASS' should be a subclass of 'OIDCCallbackView'.",
    hint=CALLBACK_HINT,
    id="mozilla_django_oidc_db.W002",
)

OUR_APP = [apps.get_app_config("mozilla_django_oidc_db")]


@pytest.fixture
def exploding_module():
    """A module that raises something other than ImportError while it is imported."""
    name = "tests._exploding_views"

    class Exploding(types.ModuleType):
        def __getattr__(self, attr):
            raise RuntimeError("boom while importing")

    sys.modules[name] = Exploding(name)
    yield name
    del sys.modules[name]


class TestAuthenticateClass:
    def test_configured_class_passes(self, settings):
        settings.OIDC_AUTHENTICATE_CLASS = (
            "mozilla_django_oidc_db.views.OIDCAuthenticationRequestView"
        )

        assert check_authenticate_class(app_configs=None) == []

    def test_subclass_of_init_view_passes(self, settings):
        settings.OIDC_AUTHENTICATE_CLASS = (
            "mozilla_django_oidc_db.views.OIDCAuthenticationRequestInitView"
        )

        assert check_authenticate_class(app_configs=OUR_APP) == []

    def test_missing_setting_is_e001(self, settings):
        del settings.OIDC_AUTHENTICATE_CLASS

        assert check_authenticate_class(app_configs=None) == [E001]

    def test_not_a_string_is_e001(self, settings):
        settings.OIDC_AUTHENTICATE_CLASS = None

        assert check_authenticate_class(app_configs=None) == [E001]

    @pytest.mark.parametrize(
        "dotted_path",
        [
            "mozilla_django_oidc_db.views.DoesNotExist",
            "no_such_package.views.View",
            "not-a-dotted-path",
        ],
    )
    def test_unimportable_path_is_e001(self, settings, dotted_path):
        settings.OIDC_AUTHENTICATE_CLASS = dotted_path

        assert check_authenticate_class(app_configs=None) == [E001]

    def test_module_raising_on_import_is_e001(self, settings, exploding_module):
        settings.OIDC_AUTHENTICATE_CLASS = f"{exploding_module}.View"

        assert check_authenticate_class(app_configs=None) == [E001]

    def test_upstream_view_is_w001(self, settings):
        settings.OIDC_AUTHENTICATE_CLASS = "mozilla_django_oidc.views.OIDCAuthenticationRequestView"

        assert check_authenticate_class(app_configs=None) == [W001]

    def test_not_a_class_is_w001(self, settings):
        settings.OIDC_AUTHENTICATE_CLASS = "mozilla_django_oidc_db.views.get_exception_message"

        assert check_authenticate_class(app_configs=None) == [W001]

    def test_skipped_for_other_apps(self, settings):
        del settings.OIDC_AUTHENTICATE_CLASS

        assert check_authenticate_class(app_configs=[apps.get_app_config("auth")]) == []


class TestCallbackClass:
    def test_configured_class_passes(self, settings):
        settings.OIDC_CALLBACK_CLASS = "mozilla_django_oidc_db.views.OIDCCallbackView"

        assert check_callback_class(app_configs=OUR_APP) == []

    def test_missing_setting_is_e002(self, settings):
        del settings.OIDC_CALLBACK_CLASS

        assert check_callback_class(app_configs=None) == [E002]

    def test_not_a_string_is_e002(self, settings):
        settings.OIDC_CALLBACK_CLASS = 42

        assert check_callback_class(app_configs=None) == [E002]

    def test_typo_is_e002(self, settings):
        settings.OIDC_CALLBACK_CLASS = "mozilla_django_oidc_db.views.OIDCCallbackVeiw"

        assert check_callback_class(app_configs=None) == [E002]

    def test_other_view_is_w002_naming_the_callback_view(self, settings):
        settings.OIDC_CALLBACK_CLASS = "mozilla_django_oidc.views.OIDCAuthenticationCallbackView"

        assert check_callback_class(app_configs=None) == [W002]
        assert "OIDCCallbackView" in W002.msg

    def test_skipped_for_other_apps(self, settings):
        settings.OIDC_CALLBACK_CLASS = 42

        assert check_callback_class(app_configs=[apps.get_app_config("auth")]) == []


def test_checks_are_registered_and_do_not_crash_without_settings(settings):
    del settings.OIDC_AUTHENTICATE_CLASS
    del settings.OIDC_CALLBACK_CLASS

    # no database: Django >= 6.1 runs the model checks against every database by default
    messages = run_checks(app_configs=OUR_APP, databases=[])

    ids = {message.id for message in messages}
    assert {"mozilla_django_oidc_db.E001", "mozilla_django_oidc_db.E002"} <= ids


def test_w004_when_the_global_pkce_setting_is_still_there(settings):
    from mozilla_django_oidc_db.checks import check_pkce_setting

    assert check_pkce_setting(app_configs=None) == []

    settings.OIDC_USE_PKCE = True

    assert check_pkce_setting(app_configs=None) == [
        Warning(
            "'settings.OIDC_USE_PKCE' is not read: PKCE is switched on or off per OIDC provider.",
            hint=(
                "Remove the setting, and set 'Use PKCE' on each provider (in the admin, or "
                "'oidc_use_pkce' in the setup-configuration file)."
            ),
            id="mozilla_django_oidc_db.W004",
        )
    ]

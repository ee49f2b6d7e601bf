"""System checks. They report problems; they never crash on a missing setting."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.utils.module_loading import import_string

APP_NAME = "mozilla_django_oidc_db"

AUTHENTICATE_HINT = (
    "Use 'mozilla_django_oidc_db.views.OIDCAuthenticationRequestView' or a subclass of "
    "'mozilla_django_oidc_db.views.OIDCAuthenticationRequestInitView'."
)
CALLBACK_HINT = (
    "Use 'mozilla_django_oidc_db.views.OIDCCallbackView' or a subclass of it."
)


def _do_check(
    app_configs,
    setting_name: str,
    type_error: Error,
    subclass_reference: type,
    subclass_warning: Warning,
) -> list[CheckMessage]:
    if app_configs is not None and not any(config.name == APP_NAME for config in app_configs):
        return []
    dotted_path = getattr(settings, setting_name, None)
    if not isinstance(dotted_path, str):
        return [type_error]
    try:
        view_cls = import_string(dotted_path)
    except ImportError:
        return [type_error]
    if not isinstance(view_cls, type) or not issubclass(view_cls, subclass_reference):
        return [subclass_warning]
    return []


def check_authenticate_class(*, app_configs=None, **kwargs) -> list[CheckMessage]:
    from .views import OIDCAuthenticationRequestInitView

    return _do_check(
        app_configs,
        "OIDC_AUTHENTICATE_CLASS",
        Error(
            "'settings.OIDC_AUTHENTICATE_CLASS' must be set to an importable dotted path.",
            hint=AUTHENTICATE_HINT,
            id="mozilla_django_oidc_db.E001",
        ),
        OIDCAuthenticationRequestInitView,
        Warning(
            "'settings.OIDC_AUTHENTICATE_CLASS' should be a subclass of "
            "'OIDCAuthenticationRequestInitView'.",
            hint=AUTHENTICATE_HINT,
            id="mozilla_django_oidc_db.W001",
        ),
    )


def check_callback_class(*, app_configs=None, **kwargs) -> list[CheckMessage]:
    from .views import OIDCCallbackView

    return _do_check(
        app_configs,
        "OIDC_CALLBACK_CLASS",
        Error(
            "'settings.OIDC_CALLBACK_CLASS' must be set to an importable dotted path.",
            hint=CALLBACK_HINT,
            id="mozilla_django_oidc_db.E002",
        ),
        OIDCCallbackView,
        Warning(
            "'settings.OIDC_CALLBACK_CLASS' should be a subclass of 'OIDCCallbackView'.",
            hint=CALLBACK_HINT,
            id="mozilla_django_oidc_db.W002",
        ),
    )


def register_checks() -> None:
    register(check_authenticate_class)
    register(check_callback_class)

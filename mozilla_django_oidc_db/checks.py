"""System checks.

They report problems and never crash: a missing setting, a typo in a dotted path or a
module that fails to import all become a check message, so ``manage.py check`` can say
what is wrong instead of showing a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.utils.module_loading import import_string

APP_NAME = "mozilla_django_oidc_db"

AUTHENTICATE_HINT = (
    "Use 'mozilla_django_oidc_db.views.OIDCAuthenticationRequestView' or a subclass of "
    "'mozilla_django_oidc_db.views.OIDCAuthenticationRequestInitView'."
)
CALLBACK_HINT = "Use 'mozilla_django_oidc_db.views.OIDCCallbackView' or a subclass of it."

# Messages, hints and IDs together, so the docs and the tests can refer to them.
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


def _do_check(
    app_configs: Sequence[AppConfig] | None,
    dotted_path: object,
    type_error: Error,
    subclass_reference: type,
    subclass_warning: Warning,
) -> list[CheckMessage]:
    """Check that ``dotted_path`` names a subclass of ``subclass_reference``."""
    if app_configs is not None and not any(config.name == APP_NAME for config in app_configs):
        return []
    if not isinstance(dotted_path, str):
        return [type_error]
    try:
        view_cls = import_string(dotted_path)
    except Exception:
        # ImportError for a typo, but a module can raise anything while it is imported
        return [type_error]
    if not isinstance(view_cls, type) or not issubclass(view_cls, subclass_reference):
        return [subclass_warning]
    return []


def check_authenticate_class(*, app_configs=None, **kwargs) -> list[CheckMessage]:
    """``OIDC_AUTHENTICATE_CLASS`` must start logins with the client from the database."""
    from .views import OIDCAuthenticationRequestInitView

    return _do_check(
        app_configs,
        getattr(settings, "OIDC_AUTHENTICATE_CLASS", None),
        E001,
        OIDCAuthenticationRequestInitView,
        W001,
    )


def check_callback_class(*, app_configs=None, **kwargs) -> list[CheckMessage]:
    """``OIDC_CALLBACK_CLASS`` must route callbacks to the plugin of the client."""
    from .views import OIDCCallbackView

    return _do_check(
        app_configs,
        getattr(settings, "OIDC_CALLBACK_CLASS", None),
        E002,
        OIDCCallbackView,
        W002,
    )


ISSUER_HINT = (
    "Fill in the provider's issuer, or its discovery endpoint (the issuer is read from "
    "the discovery document)."
)


def W003(client) -> Warning:
    return Warning(
        f"The OIDC client '{client.identifier}' is enabled, but the issuer of its ID "
        "tokens is not checked: its provider has neither an issuer nor a discovery "
        "endpoint.",
        hint=ISSUER_HINT,
        obj=client,
        id="mozilla_django_oidc_db.W003",
    )


def check_issuer_configured(*, app_configs=None, databases=None, **kwargs) -> list[CheckMessage]:
    """Enabled clients must know their provider's issuer (OIDC Core §3.1.3.7 step 2).

    A database check: it runs with ``manage.py check --database default``, before
    ``migrate`` and in Django's test runner. A missing table or an unreachable
    database is no problem to report here.
    """
    if app_configs is not None and not any(config.name == APP_NAME for config in app_configs):
        return []
    from .models import OIDCClient

    messages: list[CheckMessage] = []
    for alias in databases or ():
        try:
            clients = list(
                OIDCClient.objects.using(alias)
                .filter(
                    enabled=True,
                    oidc_provider__oidc_op_issuer="",
                    oidc_provider__oidc_op_discovery_endpoint="",
                )
                .order_by("identifier")
            )
        except Exception:  # no table yet, database down, database access not allowed
            continue
        messages.extend(W003(client) for client in clients)
    return messages


W004 = Warning(
    "'settings.OIDC_USE_PKCE' is not read: PKCE is switched on or off per OIDC provider.",
    hint=(
        "Remove the setting, and set 'Use PKCE' on each provider (in the admin, or "
        "'oidc_use_pkce' in the setup-configuration file)."
    ),
    id="mozilla_django_oidc_db.W004",
)


def check_pkce_setting(*, app_configs=None, **kwargs) -> list[CheckMessage]:
    """The global ``OIDC_USE_PKCE`` of mozilla-django-oidc is shadowed by the provider field."""
    if app_configs is not None and not any(config.name == APP_NAME for config in app_configs):
        return []
    return [W004] if hasattr(settings, "OIDC_USE_PKCE") else []


def register_checks() -> None:
    """Register the checks; called from ``AppConfig.ready()``."""
    register(check_authenticate_class)
    register(check_callback_class)
    register(check_pkce_setting)
    register(check_issuer_configured, Tags.database)

"""Resolving upstream ``OIDC_*`` setting names against a client, once per request.

mozilla-django-oidc reads its configuration through ``get_settings("OIDC_...")``. This
module answers those reads from an :class:`~.models.OIDCClient` (and its provider) with
a single explicit table, :data:`SETTING_SOURCES`, that says where every name comes
from: a provider field, a client field, or a Django setting shared by all clients.

A request resolves its client once: :func:`client_scope` keeps the clients resolved
during the current request (a context variable, so threads and async tasks never see
each other's), and :meth:`BaseOIDCPlugin.get_config` and :func:`lookup_config` read
from it. Nothing is cached between requests, so a change saved in the admin is used by
the next request in every process.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from django.conf import settings
from django.core.exceptions import BadRequest, ImproperlyConfigured
from django.http import HttpRequest

from typing_extensions import TypedDict

from .constants import CONFIG_IDENTIFIER_SESSION_KEY

if TYPE_CHECKING:
    from .models import OIDCClient

__all__ = [
    "BadRequest",
    "SETTING_SOURCES",
    "get_setting_from_config",
    "SettingsHolder",
    "DynamicSettingKwargs",
    "dynamic_setting",
    "store_config",
    "lookup_config",
    "client_scope",
]

T = TypeVar("T")

_NO_DEFAULT = object()


# -- where each setting comes from -----------------------------------------------------


@dataclass(frozen=True)
class ProviderField:
    """The value of a field of the client's :class:`OIDCProvider`."""

    field: str


@dataclass(frozen=True)
class ClientField:
    """The value of a field (or property) of the :class:`OIDCClient`; ``""`` reads as ``None``."""

    field: str


@dataclass(frozen=True)
class DjangoSetting:
    """A Django setting shared by all clients, with the default used when it is unset."""

    default: Any = _NO_DEFAULT


#: Every upstream setting name the package knows, and its source. Names not listed here
#: still resolve: to any attribute of the client with the lower-cased name, else to the
#: Django setting of that name.
SETTING_SOURCES: dict[str, ProviderField | ClientField | DjangoSetting] = {
    # provider endpoints and protocol knobs
    "OIDC_OP_DISCOVERY_ENDPOINT": ProviderField("oidc_op_discovery_endpoint"),
    "OIDC_OP_JWKS_ENDPOINT": ProviderField("oidc_op_jwks_endpoint"),
    "OIDC_OP_AUTHORIZATION_ENDPOINT": ProviderField("oidc_op_authorization_endpoint"),
    "OIDC_OP_AUTH_ENDPOINT": ProviderField("oidc_op_authorization_endpoint"),
    "OIDC_OP_TOKEN_ENDPOINT": ProviderField("oidc_op_token_endpoint"),
    "OIDC_OP_USER_ENDPOINT": ProviderField("oidc_op_user_endpoint"),
    "OIDC_OP_LOGOUT_ENDPOINT": ProviderField("oidc_op_logout_endpoint"),
    "OIDC_TOKEN_USE_BASIC_AUTH": ProviderField("oidc_token_use_basic_auth"),
    "OIDC_USE_NONCE": ProviderField("oidc_use_nonce"),
    "OIDC_NONCE_SIZE": ProviderField("oidc_nonce_size"),
    "OIDC_STATE_SIZE": ProviderField("oidc_state_size"),
    "OIDC_OP_ISSUER": ProviderField("oidc_op_issuer"),
    "OIDC_USE_PKCE": ProviderField("oidc_use_pkce"),
    # client (relying party) settings
    "OIDC_RP_CLIENT_ID": ClientField("oidc_rp_client_id"),
    "OIDC_RP_CLIENT_SECRET": ClientField("oidc_rp_client_secret"),
    "OIDC_RP_SCOPES": ClientField("oidc_rp_scopes"),
    "OIDC_RP_SCOPES_LIST": ClientField("oidc_rp_scopes_list"),
    "OIDC_RP_SIGN_ALGO": ClientField("oidc_rp_sign_algo"),
    "OIDC_RP_IDP_SIGN_KEY": ClientField("oidc_rp_idp_sign_key"),
    "OIDC_KEYCLOAK_IDP_HINT": ClientField("oidc_keycloak_idp_hint"),
    "USERINFO_CLAIMS_SOURCE": ClientField("userinfo_claims_source"),
    "CHECK_OP_AVAILABILITY": ClientField("check_op_availability"),
    "ENABLED": ClientField("enabled"),
    "IDENTIFIER": ClientField("identifier"),
    "OPTIONS": ClientField("options"),
    # Django settings, the same for every client
    "OIDC_AUTHENTICATION_CALLBACK_URL": DjangoSetting("oidc_authentication_callback"),
    "OIDC_REDIRECT_FIELD_NAME": DjangoSetting("next"),
    "OIDC_AUTH_REQUEST_EXTRA_PARAMS": DjangoSetting({}),
    "OIDC_PKCE_CODE_VERIFIER_SIZE": DjangoSetting(64),
    "OIDC_PKCE_CODE_CHALLENGE_METHOD": DjangoSetting("S256"),
    "OIDC_VERIFY_SSL": DjangoSetting(True),
    "OIDC_TIMEOUT": DjangoSetting(None),
    "OIDC_PROXY": DjangoSetting(None),
    "OIDC_ALLOW_UNSECURED_JWT": DjangoSetting(False),
    "OIDC_STORE_ACCESS_TOKEN": DjangoSetting(False),
    "OIDC_STORE_ID_TOKEN": DjangoSetting(False),
    "OIDC_CREATE_USER": DjangoSetting(True),
    "OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS": DjangoSetting(60 * 15),
    "OIDC_EXEMPT_URLS": DjangoSetting([]),
    "OIDC_MAX_STATES": DjangoSetting(50),
    "LOGIN_REDIRECT_URL": DjangoSetting("/"),
    "LOGIN_REDIRECT_URL_FAILURE": DjangoSetting("/"),
    "LOGOUT_REDIRECT_URL": DjangoSetting(None),
}


def _from_django_settings(attr: str, args: tuple, fallback: Any = _NO_DEFAULT) -> Any:
    if args:
        return getattr(settings, attr, args[0])
    if hasattr(settings, attr):
        return getattr(settings, attr)
    if fallback is not _NO_DEFAULT:
        return fallback
    raise ImproperlyConfigured(f"Setting {attr} not found")


def _client_value(config: OIDCClient, field: str) -> Any:
    value = getattr(config, field)
    # upstream only uses e.g. OIDC_RP_IDP_SIGN_KEY when it "is not None"
    return None if value == "" else value


def get_setting_from_config(config: OIDCClient, attr: str, *args) -> Any:
    """Resolve the upstream setting ``attr`` for ``config``.

    ``args`` may hold one default, used for Django settings that are not set.
    """
    source = SETTING_SOURCES.get(attr.upper())
    provider = config.oidc_provider

    if isinstance(source, ProviderField):
        if provider is not None:
            return getattr(provider, source.field)
        if attr.upper() == "OIDC_OP_AUTH_ENDPOINT" or not attr.upper().startswith("OIDC_OP_"):
            raise ImproperlyConfigured(
                f"OIDC client '{config.identifier}' has no provider, so {attr} cannot be resolved."
            )
        # provider-less client: endpoint names fall back to Django settings, as they
        # always did
        return _from_django_settings(attr, args)

    if isinstance(source, ClientField):
        return _client_value(config, source.field)

    if source is None and hasattr(config, attr.lower()):
        # any other attribute of the client (or of a subclass), as before
        return _client_value(config, attr.lower())

    fallback = source.default if isinstance(source, DjangoSetting) else _NO_DEFAULT
    return _from_django_settings(attr, args, fallback)


# -- the clients of the current request ------------------------------------------------

_request_clients: ContextVar[dict[str, OIDCClient] | None] = ContextVar(
    "oidcdb_request_clients", default=None
)


@contextlib.contextmanager
def client_scope() -> Iterator[None]:
    """Remember the clients resolved inside this block (one request), then forget them.

    Nested scopes share the outer one, so a view running under the middleware reuses
    what the middleware resolved.
    """
    if _request_clients.get() is not None:
        yield
        return
    token = _request_clients.set({})
    try:
        yield
    finally:
        _request_clients.reset(token)


def remember_client(client: OIDCClient) -> None:
    clients = _request_clients.get()
    if clients is not None:
        clients[client.identifier] = client


def recall_client(identifier: str) -> OIDCClient | None:
    clients = _request_clients.get()
    return clients.get(identifier) if clients is not None else None


def resolve_client(identifier: str) -> OIDCClient:
    """The client ``identifier`` with its provider: from this request's scope or one query."""
    from .models import OIDCClient

    client = recall_client(identifier)
    if client is None:
        client = OIDCClient.objects.resolve(identifier)
        remember_client(client)
    return client


# -- declared settings -----------------------------------------------------------------


class SettingsHolder(Protocol[T]):
    def get_settings(self, attr: str, *args: T) -> T: ...


class DynamicSettingKwargs(TypedDict, Generic[T], total=False):
    default: T


class dynamic_setting(Generic[T]):  # noqa: N801 - public name from the original API
    """A read-only setting resolved through ``obj.get_settings(NAME)`` on every access."""

    _default_set: bool = False
    default: T

    def __init__(self, **kwargs):
        # ``default=None`` means "no default", as in the original API
        if kwargs.get("default") is not None:
            self.default = kwargs["default"]
            self._default_set = True

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        if self._default_set:
            return f"<dynamic_setting {self.name} (default: {self.default!r})>"
        return f"<dynamic_setting {self.name}>"

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        if self._default_set:
            return obj.get_settings(self.name, self.default)
        return obj.get_settings(self.name)

    def __set__(self, obj, value) -> None:
        raise AttributeError(f"Setting {self.name} is read-only")


# -- the client of a request -----------------------------------------------------------


def store_config(request: HttpRequest) -> None:
    """Find the client of a callback from its ``state`` (or the session) and keep it."""
    config_identifier = ""
    state_key = request.GET.get("state")
    states = request.session.get("oidc_states", {})
    if state_key and isinstance(states, dict) and state_key in states:
        entry = states[state_key]
        if isinstance(entry, dict):
            config_identifier = entry.get("config_identifier", "")
    if not config_identifier:
        config_identifier = request.session.get(CONFIG_IDENTIFIER_SESSION_KEY, "")
    if not config_identifier:
        raise BadRequest("The OIDC configuration for this callback could not be determined.")
    request._oidcdb_config = resolve_client(config_identifier)


def lookup_config(request: HttpRequest) -> OIDCClient:
    """The client of this request: stored by :func:`store_config` or named in the session."""
    config = getattr(request, "_oidcdb_config", None)
    if config:
        return config
    session = getattr(request, "session", None)
    if session is None:
        raise BadRequest("No session on the request.")
    identifier = session.get(CONFIG_IDENTIFIER_SESSION_KEY)
    if identifier is None:
        raise BadRequest("The OIDC configuration is not available on the session.")
    config = resolve_client(identifier)
    request._oidcdb_config = config
    return config

"""Renew the OIDC session of a logged-in user when their ID token is due."""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth import BACKEND_SESSION_KEY
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.urls import reverse
from django.utils.deprecation import MiddlewareMixin
from django.utils.module_loading import import_string

import mozilla_django_oidc.middleware as upstream_middleware
from mozilla_django_oidc.auth import OIDCAuthenticationBackend as UpstreamBackend

from .config import BadRequest, client_scope, dynamic_setting, lookup_config
from .constants import CONFIG_IDENTIFIER_SESSION_KEY
from .models import OIDCClient
from .registry import register as registry

logger = logging.getLogger(__name__)

# The client of the request being processed. A middleware instance serves every
# thread of the process, so per-request state lives here, not on the instance.
_current_config: ContextVar[OIDCClient | None] = ContextVar(
    "oidcdb_middleware_config", default=None
)
_current_request: ContextVar[HttpRequest | None] = ContextVar(
    "oidcdb_middleware_request", default=None
)


class SessionRefresh(upstream_middleware.SessionRefresh):
    """Silently re-authenticate at the client's provider when the ID token is due.

    A request whose token is still fresh costs no query: the cheap checks (method,
    session keys, expiry) come before the client is resolved.
    """

    sync_capable = True
    async_capable = False

    OIDC_EXEMPT_URLS = dynamic_setting[list[str]](default=[])
    OIDC_OP_AUTHORIZATION_ENDPOINT = dynamic_setting[str]()
    OIDC_RP_CLIENT_ID = dynamic_setting[str]()
    OIDC_STATE_SIZE = dynamic_setting[int](default=32)
    OIDC_AUTHENTICATION_CALLBACK_URL = dynamic_setting[str](default="oidc_authentication_callback")
    OIDC_RP_SCOPES = dynamic_setting[str](default="openid email")
    OIDC_USE_NONCE = dynamic_setting[bool](default=True)
    OIDC_NONCE_SIZE = dynamic_setting[int](default=32)

    def __init__(self, get_response):
        MiddlewareMixin.__init__(self, get_response=get_response)

    @property
    def _config(self) -> OIDCClient | None:
        return _current_config.get()

    @_config.setter
    def _config(self, value: OIDCClient | None) -> None:
        _current_config.set(value)

    def __call__(self, request):
        config_token = _current_config.set(None)
        request_token = _current_request.set(request)
        try:
            with client_scope():
                return super().__call__(request)
        finally:
            _current_config.reset(config_token)
            _current_request.reset(request_token)

    def get_settings(self, attr: str, *args) -> Any:
        config = self._config
        if config is None:
            raise BadRequest("No OIDC configuration was set from the request.")
        plugin = registry.get(config.identifier)
        if plugin is None:
            raise BadRequest(f"No plugin is registered for '{config.identifier}'.")
        if attr == "OIDC_AUTH_REQUEST_EXTRA_PARAMS":
            return self._extra_params(plugin, *args)
        return plugin.get_setting(attr, *args)

    def _extra_params(self, plugin, *args) -> dict[str, Any]:
        """The same extra parameters as a login started by the init view.

        The Keycloak hint and the plugin's own parameters apply to the silent
        re-authentication too, so it goes to the same identity provider.
        """
        from .views import PROTECTED_AUTH_PARAMS

        extra = dict(plugin.get_setting("OIDC_AUTH_REQUEST_EXTRA_PARAMS", *args))
        if hint := plugin.get_setting("OIDC_KEYCLOAK_IDP_HINT", ""):
            extra["kc_idp_hint"] = hint
        request = _current_request.get()
        if request is not None:
            extra = dict(plugin.get_extra_params(request, extra))
        return {k: v for k, v in extra.items() if k not in PROTECTED_AUTH_PARAMS}

    def _set_config_from_request(self, request: HttpRequest) -> None:
        self._config = lookup_config(request)

    @property
    def exempt_urls(self) -> set[str]:
        callback = self.OIDC_AUTHENTICATION_CALLBACK_URL
        urls = {callback if callback.startswith("/") else reverse(callback)}
        for url in [
            *[u for u in self.OIDC_EXEMPT_URLS if isinstance(u, str)],
            "oidc_authentication_init",
            "oidc_authentication_callback",
            "oidc_logout",
        ]:
            urls.add(url if url.startswith("/") else reverse(url))
        return urls

    @property
    def exempt_url_patterns(self):
        return {u for u in self.OIDC_EXEMPT_URLS if not isinstance(u, str)}

    def _needs_refresh(self, request: HttpRequest) -> bool:
        """The checks that need no query, in order of cost."""
        if request.method != "GET":
            return False
        session = getattr(request, "session", None)
        if session is None or not session.get(CONFIG_IDENTIFIER_SESSION_KEY):
            return False
        if session.get("oidc_id_token_expiration", 0) > time.time():
            return False
        backend_path = session.get(BACKEND_SESSION_KEY)
        if backend_path:
            try:
                if not issubclass(import_string(backend_path), UpstreamBackend):
                    return False
            except ImportError:
                return False
        return True

    def process_request(self, request: HttpRequest):
        if not self._needs_refresh(request):
            return None
        try:
            self._set_config_from_request(request)
        except BadRequest:
            return None
        if self._config.identifier not in registry:
            return None
        try:
            if not self.get_settings("ENABLED"):
                return None
            response = super().process_request(request)
        except ImproperlyConfigured:
            logger.exception("Cannot renew the OIDC session: the client is misconfigured")
            return None
        if response is not None:
            self._mark_state(request, response)
        return response

    def _mark_state(self, request: HttpRequest, response) -> None:
        """Record the client in the new state entry, as the init view does.

        The callback then finds the client from the state, not from the session key.
        """
        url = response.get("refresh_url") or response.get("Location") or ""
        states = parse_qs(urlsplit(url).query).get("state", [])
        entries = request.session.get("oidc_states", {})
        if len(states) == 1 and states[0] in entries:
            entries[states[0]]["config_identifier"] = self._config.identifier
            request.session.modified = True

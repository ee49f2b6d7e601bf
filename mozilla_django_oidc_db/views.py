"""Views: start a login for one client, route the callback, show failures.

Every failure of a login ends on a page with a readable message (the admin failure
page, or the client's failure URL with a Django message); the log gets the reason.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.contrib import admin, auth, messages
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import (
    BadRequest,
    DisallowedRedirect,
    ImproperlyConfigured,
    PermissionDenied,
)
from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.generic import TemplateView, View

import mozilla_django_oidc.views as upstream_views
import requests

from ._protocol.discovery import DiscoveryError, expected_issuer, get_provider_metadata
from ._protocol.http import provider_session
from ._protocol.state import claim_state
from .app_settings import oidcdb_settings
from .config import (
    client_scope,
    dynamic_setting,
    get_setting_from_config,
    lookup_config,
    store_config,
)
from .constants import OIDC_ADMIN_CONFIG_IDENTIFIER
from .exceptions import OIDCLoginFailed, OIDCProviderOutage
from .failures import (
    HANDLED_CALLBACK_ERRORS,
    describe,
    failure_of,
    get_exception_message,
    note_login_failure,
)
from .registry import register as registry
from .session import ID_TOKEN_SESSION_KEY, apply_session_writes
from .typing import GetParams

logger = logging.getLogger(__name__)

_OIDC_ERROR_SESSION_KEY = "oidc-error"
_RETURN_URL_SESSION_KEY = "oidc-db_redirect_next"

#: Authorization request parameters that protect the flow: extra parameters from
#: settings or plugins may not replace them.
PROTECTED_AUTH_PARAMS = frozenset({"state", "nonce", "code_challenge", "code_challenge_method"})


# -- callback --------------------------------------------------------------------------


def _invalid_callback(request: HttpRequest, reason: str) -> HttpResponseBase:
    logger.warning("OIDC callback refused: %s", reason)
    return render(request, "mozilla_django_oidc_db/callback_invalid.html", status=400)


class OIDCCallbackView(View):
    """The single callback URL: find the client of the flow, let its plugin answer."""

    def dispatch(self, request, *args, **kwargs):
        with client_scope():
            return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        try:
            store_config(request)
        except BadRequest:
            return _invalid_callback(request, "no login in progress matches this state")
        configuration = lookup_config(request)
        plugin = registry.get(configuration.identifier)
        if plugin is None:
            return _invalid_callback(
                request, f"no plugin is registered for client '{configuration.identifier}'"
            )
        return plugin.handle_callback(request)


def _authorization_issuer_problem(request: HttpRequest) -> str | None:
    """RFC 9207 §2.4: the ``iss`` of an authorization response is the provider's issuer.

    A response from another issuer means the browser was sent here by a different
    provider than the one the login started with (mix-up attack). A provider whose
    discovery document says it sends ``iss`` must send it.
    """
    try:
        provider = lookup_config(request).oidc_provider
        if "iss" not in request.GET:
            return _missing_issuer_problem(provider)
        issuer = expected_issuer(provider)
    except BadRequest:
        return None  # no client for this callback: upstream's flow refuses it
    except OIDCLoginFailed as exc:
        return get_exception_message(exc)
    if issuer is None or request.GET["iss"] == issuer:
        return None
    return "the authorization response comes from another issuer (RFC 9207)"


def _missing_issuer_problem(provider) -> str | None:
    if provider is None or not provider.oidc_op_discovery_endpoint:
        return None  # nothing says the provider sends iss
    try:
        metadata = get_provider_metadata(provider)
    except DiscoveryError:
        # the ID token checks need the document too, unless the issuer is configured
        return None
    if metadata.document.get("authorization_response_iss_parameter_supported") is True:
        return (
            "the authorization response has no 'iss', although the provider says it "
            "sends one (RFC 9207)"
        )
    return None


class OIDCAuthenticationCallbackView(upstream_views.OIDCAuthenticationCallbackView):
    """Base for plugin callback views: upstream's flow, settings from the client."""

    def dispatch(self, request, *args, **kwargs):
        with client_scope():
            return super().dispatch(request, *args, **kwargs)

    def get_settings(self, attr: str, *args) -> Any:
        if not hasattr(self, "_config"):
            self._config = lookup_config(self.request)
        plugin = registry.get(self._config.identifier)
        if plugin is None:
            return get_setting_from_config(self._config, attr, *args)
        return plugin.get_setting(attr, *args)

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        error = request.GET.get("error")
        state = request.GET.get("state")
        if error:
            description = request.GET.get("error_description", "")
            logger.info(
                "The identity provider returned error '%s' to the callback: %s",
                error[:100],
                description[:300],
            )
            user_message = _("The login was cancelled or refused at the identity provider.")
            if oidcdb_settings.OIDCDB_SHOW_PROVIDER_ERROR_DESCRIPTION and description:
                user_message = description[:300]
            note_login_failure(request, f"provider returned error '{error[:100]}'", user_message)
        elif state and "code" in request.GET and not claim_state(state):
            note_login_failure(
                request,
                "the state of this callback was used before (replayed callback)",
                _("This login link was already used. Please start the login again."),
            )
            return self.login_failure()
        elif "code" in request.GET and (problem := _authorization_issuer_problem(request)):
            note_login_failure(request, problem)
            return self.login_failure()
        try:
            return super().get(request)
        except HANDLED_CALLBACK_ERRORS as exc:
            reason, user_message = describe(exc)
            logger.warning(
                "OIDC login failed: %s", reason, exc_info=not isinstance(exc, OIDCLoginFailed)
            )
            note_login_failure(request, reason, user_message)
            return self.login_failure()

    def login_success(self):
        response = super().login_success()
        # after auth.login, which may have flushed the session
        apply_session_writes(self.request)
        return response

    def login_failure(self):
        reason, user_message = failure_of(self.request)
        # failures upstream decides on (e.g. an inactive user) were not noted yet: note
        # them, or AdminCallbackView.get drops the message it is about to show
        note_login_failure(self.request, reason, user_message)
        logger.info("OIDC login failed: %s", reason)
        self.show_failure_message(user_message)
        return super().login_failure()

    def show_failure_message(self, user_message) -> None:
        messages.error(self.request, user_message, fail_silently=True)


class AdminCallbackView(OIDCAuthenticationCallbackView):
    @property
    def failure_url(self):
        return reverse("admin-oidc-error")

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        response = super().get(request, *args, **kwargs)
        if not hasattr(request, "_oidcdb_failure"):
            request.session.pop(_OIDC_ERROR_SESSION_KEY, None)
        return response

    def show_failure_message(self, user_message) -> None:
        self.request.session[_OIDC_ERROR_SESSION_KEY] = str(user_message)


class AnonymousUserCallbackView(OIDCAuthenticationCallbackView):
    """Callback view for :class:`~.plugins.AnonymousUserOIDCPlugin` flows.

    Success is the backend returning an ``AnonymousUser``: the person is identified
    (the plugin kept what it needs in the session) but not logged in to Django.
    """

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        self.user = None
        return super().get(request, *args, **kwargs)

    def login_failure(self):
        user = getattr(self, "user", None)
        if isinstance(user, AnonymousUser) and not hasattr(self.request, "_oidcdb_failure"):
            apply_session_writes(self.request)
            return HttpResponseRedirect(self.success_url)
        return super().login_failure()


class AdminLoginFailure(TemplateView):
    template_name = "admin/oidc_failure.html"

    def dispatch(self, request, *args, **kwargs):
        if _OIDC_ERROR_SESSION_KEY not in request.session:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(admin.site.each_context(self.request))
        context["oidc_error"] = self.request.session[_OIDC_ERROR_SESSION_KEY]
        return context


# -- starting a login ------------------------------------------------------------------


class OIDCAuthenticationRequestInitView(upstream_views.OIDCAuthenticationRequestView):
    """Start the authorization-code flow of the client ``identifier``."""

    identifier: str = ""
    allow_next_from_query: bool = True

    # read lazily (upstream reads them in __init__, before the request is known)
    OIDC_OP_AUTH_ENDPOINT = dynamic_setting[str]()
    OIDC_RP_CLIENT_ID = dynamic_setting[str]()

    def __init__(self, *args, **kwargs):
        View.__init__(self, *args, **kwargs)

    @property
    def plugin(self):
        try:
            return registry[self.identifier]
        except KeyError:
            raise ImproperlyConfigured(
                f"No OIDC plugin is registered with the identifier '{self.identifier}'."
            )

    def get_settings(self, attr: str, *args) -> Any:
        plugin = self.plugin
        if not getattr(self, "_settings_validated", False):
            plugin.validate_settings()
            self._settings_validated = True
        return plugin.get_setting(attr, *args)

    def dispatch(self, request, *args, **kwargs):
        with client_scope():
            return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, return_url: str = "", *args, **kwargs):
        if not self.allow_next_from_query:
            self._validate_return_url(request, return_url)

        config = self.plugin.get_config()  # BadRequest (400) if the client row is gone
        if not config.enabled:
            return self.login_failure(
                f"OIDC client '{self.identifier}' is disabled",
                _("Login with this identity provider is currently disabled."),
            )
        try:
            check_availability = self.get_settings("CHECK_OP_AVAILABILITY")
        except ImproperlyConfigured as exc:
            return self.login_failure(
                f"configuration error: {exc}",
                _("Login with this identity provider is not configured correctly."),
            )
        if check_availability:
            try:
                self.check_idp_availability()
            except OIDCProviderOutage as exc:
                # the person learns the provider is down instead of meeting a 500
                return self.login_failure(
                    f"provider outage: {exc}",
                    _("The identity provider appears to be down. Please try again later."),
                )

        response = super().get(request)

        if self.allow_next_from_query:
            return_url = request.session["oidc_login_next"]
        request.session[_RETURN_URL_SESSION_KEY] = return_url
        request.session["oidc_login_next"] = return_url

        state = parse_qs(urlsplit(response.url).query)["state"]
        if len(state) != 1:  # pragma: no cover - extra params cannot set a state
            raise ImproperlyConfigured("The authorization request carries several states.")
        request.session["oidc_states"][state[0]]["config_identifier"] = self.identifier
        request.session.modified = True

        endpoint = self.OIDC_OP_AUTH_ENDPOINT
        if "?" in endpoint:
            # upstream appends "?query"; keep the endpoint's own query string valid
            response["Location"] = response.url.replace(endpoint + "?", endpoint + "&", 1)
        return response

    def login_failure(self, reason: str, user_message) -> HttpResponseBase:
        logger.warning("OIDC login could not start: %s", reason)
        messages.error(self.request, user_message, fail_silently=True)
        return HttpResponseRedirect(resolve_url(self._failure_url()))

    def _failure_url(self) -> str:
        # the client may be what is wrong: then the site-wide failure URL
        try:
            return self.plugin.get_setting("LOGIN_REDIRECT_URL_FAILURE", "/")
        except (ImproperlyConfigured, BadRequest):
            return getattr(settings, "LOGIN_REDIRECT_URL_FAILURE", "/")

    @staticmethod
    def _validate_return_url(request: HttpRequest, return_url: str) -> None:
        if not return_url:
            raise ValueError("You must pass a return URL")
        allowed_hosts = {request.get_host(), *getattr(settings, "OIDC_REDIRECT_ALLOWED_HOSTS", [])}
        if not url_has_allowed_host_and_scheme(
            url=return_url,
            allowed_hosts=allowed_hosts,
            require_https=request.is_secure(),
        ):
            raise DisallowedRedirect

    def check_idp_availability(self) -> None:
        endpoint = self.get_settings("OIDC_OP_AUTH_ENDPOINT")
        try:
            response = provider_session().get(endpoint)
            if response.status_code > 400:
                response.raise_for_status()
        except requests.RequestException as exc:
            logger.info("OIDC provider endpoint %s could not be retrieved", endpoint, exc_info=exc)
            raise OIDCProviderOutage("Identity provider appears to be down") from exc

    def get_extra_params(self, request: HttpRequest) -> GetParams:
        extra = dict(super().get_extra_params(request))
        if hint := self.get_settings("OIDC_KEYCLOAK_IDP_HINT", ""):
            extra["kc_idp_hint"] = hint
        extra = dict(self.plugin.get_extra_params(request, extra))
        for name in PROTECTED_AUTH_PARAMS & extra.keys():
            logger.warning("Extra authorization parameter '%s' ignored: it is protected.", name)
            del extra[name]
        return extra


class OIDCAuthenticationRequestView(OIDCAuthenticationRequestInitView):
    """The admin login: ``OIDC_AUTHENTICATE_CLASS`` for ``/oidc/authenticate/``."""

    identifier = OIDC_ADMIN_CONFIG_IDENTIFIER
    allow_next_from_query = True

    def login_failure(self, reason: str, user_message) -> HttpResponseBase:
        logger.warning("OIDC admin login could not start: %s", reason)
        self.request.session[_OIDC_ERROR_SESSION_KEY] = str(user_message)
        return HttpResponseRedirect(reverse("admin-oidc-error"))


# -- logging out -----------------------------------------------------------------------


def end_session_url(request: HttpRequest, post_logout_redirect_uri: str) -> str | None:
    """Where to send the browser to end the user's session at the provider, or ``None``.

    OpenID Connect RP-Initiated Logout 1.0 §2: the provider's ``end_session_endpoint``
    with ``id_token_hint``, ``client_id``, ``post_logout_redirect_uri`` (which must be
    registered at the provider) and ``state``. ``None`` unless the user logged in with
    an enabled client whose provider has an end-session endpoint, and the session kept
    the ID token (see ``OIDCAuthenticationBackend.store_tokens``).
    """
    id_token = request.session.get(ID_TOKEN_SESSION_KEY)
    if not id_token or not request.user.is_authenticated:
        return None
    try:
        config = lookup_config(request)
    except BadRequest:  # not an OIDC login, or its client is gone
        return None
    provider = config.oidc_provider
    if not config.enabled or provider is None or not provider.oidc_op_logout_endpoint:
        return None
    params = {
        "id_token_hint": id_token,
        "client_id": config.oidc_rp_client_id,
        "post_logout_redirect_uri": post_logout_redirect_uri,
        # nothing waits for it on the way back (the session is gone): it only lets the
        # provider's redirect be told apart from other visits, as the spec suggests
        "state": secrets.token_urlsafe(24),
    }
    endpoint = provider.oidc_op_logout_endpoint
    return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)


def provider_logout_url(request: HttpRequest) -> str:
    """For upstream's ``OIDC_OP_LOGOUT_URL_METHOD``: end the session at the provider too.

    With ``OIDC_OP_LOGOUT_URL_METHOD = "mozilla_django_oidc_db.views.provider_logout_url"``
    mozilla-django-oidc's logout view (``oidc_logout``) sends a user who logged in with
    OIDC to the provider's end-session endpoint, which sends them back to
    ``LOGOUT_REDIRECT_URL``; anyone else goes straight to ``LOGOUT_REDIRECT_URL``.
    """
    after_logout = resolve_url(getattr(settings, "LOGOUT_REDIRECT_URL", None) or "/")
    url = end_session_url(request, request.build_absolute_uri(after_logout))
    return url or after_logout


@method_decorator([csrf_protect, never_cache], name="dispatch")
class AdminLogoutView(View):
    """The admin's "Log out" that also ends the session at the identity provider.

    Route it at the admin's logout URL, before the admin's own URLs::

        path("admin/logout/", AdminLogoutView.as_view()),
        path("admin/", admin.site.urls),

    A user who logged in with OIDC is logged out of Django and sent to the provider's
    end-session endpoint, which sends them back to ``LOGOUT_REDIRECT_URL`` (else the
    admin index) -- register that URL at the provider as a post-logout redirect URI of
    the client. Everyone else gets the admin's own logout.
    """

    admin_site = admin.site

    def get_post_logout_redirect_uri(self) -> str:
        url = getattr(settings, "LOGOUT_REDIRECT_URL", None) or f"{self.admin_site.name}:index"
        return self.request.build_absolute_uri(resolve_url(url))

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        url = end_session_url(request, self.get_post_logout_redirect_uri())
        if url is None:
            return self.admin_site.logout(request)
        auth.logout(request)
        return HttpResponseRedirect(url)

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        # the admin's logout decides: Django 5 refuses GET, 4.2 still logs out locally
        return self.admin_site.logout(request)


default_callback_view = OIDCAuthenticationCallbackView.as_view()
admin_callback_view = AdminCallbackView.as_view()

__all__ = [
    "OIDCCallbackView",
    "OIDCAuthenticationCallbackView",
    "AdminCallbackView",
    "AnonymousUserCallbackView",
    "AdminLoginFailure",
    "AdminLogoutView",
    "end_session_url",
    "provider_logout_url",
    "OIDCAuthenticationRequestInitView",
    "OIDCAuthenticationRequestView",
    "get_exception_message",
]

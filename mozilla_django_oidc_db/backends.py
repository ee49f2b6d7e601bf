"""The authentication backend: completes a login with the settings of its client."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote_plus

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.signed_cookies import SessionStore as CookieStore
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

import mozilla_django_oidc.auth as upstream_auth
import requests
from requests.auth import HTTPBasicAuth

from ._protocol import id_token as id_token_rules
from ._protocol import jwks
from ._protocol.discovery import expected_issuer, get_provider_metadata
from ._protocol.http import provider_session
from .app_settings import oidcdb_settings
from .config import dynamic_setting, lookup_config
from .exceptions import (
    MissingInitialisation,
    OIDCLoginFailed,
    ProviderError,
    TokenValidationError,
)
from .failures import note_login_failure
from .models import UserInformationClaimsSources
from .plugins import AbstractUserOIDCPlugin, AnonymousUserOIDCPlugin, BaseOIDCPlugin
from .registry import register as registry
from .session import (
    ACCESS_TOKEN_SESSION_KEY,
    ID_TOKEN_SESSION_KEY,
    ISSUER_SESSION_KEY,
    PROVIDER_SESSION_ID_SESSION_KEY,
    SUBJECT_SESSION_KEY,
    queue_session_writes,
)
from .typing import JSONObject

logger = logging.getLogger(__name__)

missing = object()


class OIDCAuthenticationBackend(upstream_auth.OIDCAuthenticationBackend):
    request: HttpRequest | None = None
    config = None

    OIDC_OP_TOKEN_ENDPOINT = dynamic_setting[str]()
    OIDC_OP_USER_ENDPOINT = dynamic_setting[str]()
    OIDC_OP_JWKS_ENDPOINT = dynamic_setting[str | None](default=None)
    OIDC_RP_CLIENT_ID = dynamic_setting[str]()
    OIDC_RP_CLIENT_SECRET = dynamic_setting[str]()
    OIDC_RP_SIGN_ALGO = dynamic_setting[str](default="HS256")
    OIDC_RP_IDP_SIGN_KEY = dynamic_setting[str | None](default=None)

    def __init__(self, *args, **kwargs):
        # Django makes a backend for every authenticate() and permission check: no I/O.
        self.UserModel = get_user_model()

    # -- configuration -----------------------------------------------------------------

    @property
    def plugin(self) -> BaseOIDCPlugin:
        return registry[self.config.identifier]

    def get_settings(self, attr: str, *args) -> Any:
        if not self.config:
            raise MissingInitialisation("No OIDC client is loaded: call authenticate() first.")
        plugin = self.plugin
        if not getattr(self, "_settings_validated", False):
            plugin.validate_settings()
            self._settings_validated = True
        return plugin.get_setting(attr, *args)

    def _check_candidate_backend(self) -> bool:
        return self.get_settings("enabled")

    def _user_plugin(self) -> AbstractUserOIDCPlugin:
        plugin = self.plugin
        if not isinstance(plugin, AbstractUserOIDCPlugin):
            raise TypeError(f"Plugin '{plugin.identifier}' does not manage Django users.")
        return plugin

    # -- the flow ----------------------------------------------------------------------

    def authenticate(self, request, nonce=None, code_verifier=None):
        if request is None:
            return None
        try:
            self.config = lookup_config(request)
        except BadRequest:
            # not an OIDC callback: let the other backends answer
            return None
        self.request = request
        if self.config.identifier not in registry:
            note_login_failure(request, f"no plugin for client '{self.config.identifier}'")
            return None
        if not self._check_candidate_backend():
            note_login_failure(request, f"OIDC client '{self.config.identifier}' is disabled")
            return None

        user = super().authenticate(request, nonce=nonce, code_verifier=code_verifier)
        if user:
            user._oidcdb_config_identifier = self.config.identifier
            claims = getattr(self, "_id_token_claims", None) or {}
            queue_session_writes(
                request,
                {
                    SUBJECT_SESSION_KEY: claims.get("sub"),
                    PROVIDER_SESSION_ID_SESSION_KEY: claims.get("sid"),
                    ISSUER_SESSION_KEY: claims.get("iss"),
                },
            )
        return user

    def get_token(self, payload: dict[str, Any]) -> dict[str, Any]:
        auth = None
        if self.get_settings("OIDC_TOKEN_USE_BASIC_AUTH", False):
            # RFC 6749 section 2.3.1: the credentials are form-urlencoded first
            auth = HTTPBasicAuth(
                quote_plus(payload["client_id"]), quote_plus(payload.pop("client_secret"))
            )
        response = provider_session().post(self.OIDC_OP_TOKEN_ENDPOINT, data=payload, auth=auth)
        self.raise_token_response_error(response)
        try:
            token_info = response.json()
        except ValueError:
            raise ProviderError("The token endpoint did not answer with JSON.")
        if not isinstance(token_info, dict) or not token_info.get("id_token"):
            raise ProviderError("The token endpoint's answer has no id_token.")
        # verify_token checks the ID token's at_hash against this access token
        self._token_response = token_info
        return token_info

    def raise_token_response_error(self, response: requests.Response) -> None:
        if response.status_code == 200:
            return
        error = ""
        try:
            body = response.json()
            if isinstance(body, dict):
                error = str(body.get("error", ""))[:100]
        except ValueError:
            pass
        raise ProviderError(
            f"The token endpoint answered {response.status_code}"
            + (f" with error '{error}'" if error else "")
        )

    # -- token validation (OpenID Connect Core 1.0 §3.1.3.7 and §5.3) --------------------

    def verify_token(self, token: str, **kwargs) -> JSONObject:
        """Validate the ID token ``token`` and return its claims.

        Called by upstream's ``authenticate`` with the ``nonce`` of the login. Raises
        :class:`TokenValidationError` (or :class:`ProviderError` when the provider's key
        set or discovery document cannot be had) with a reason safe to log.
        """
        expected, key = self._expectations_and_key(token)
        claims = id_token_rules.validate_id_token(
            token,
            key,
            expected,
            nonce=kwargs.get("nonce"),
            access_token=kwargs.get("access_token", self._access_token_for(token)),
        )
        self._id_token_claims = claims
        return claims

    def retrieve_matching_jwk(self, token: str) -> Any:
        """The provider's published key that signed ``token``, from the shared key set cache."""
        header = id_token_rules.read_header(token)
        kid = header.get("kid") if getattr(settings, "OIDC_VERIFY_KID", True) else None
        return jwks.find_signing_key(self._jwks_uri(), kid, self.OIDC_RP_SIGN_ALGO)

    def _token_expectations(self) -> id_token_rules.Expectations:
        """What this client's tokens must satisfy; resolved once per login."""
        if getattr(self, "_expected", None) is None:
            issuer = expected_issuer(self.config.oidc_provider)
            if issuer is None:
                logger.warning(
                    "The issuer of ID tokens for OIDC client '%s' is not checked: its "
                    "provider has neither an issuer nor a discovery endpoint (W003).",
                    self.config.identifier,
                )
            self._expected = id_token_rules.Expectations(
                client_id=self.OIDC_RP_CLIENT_ID,
                algorithm=self.OIDC_RP_SIGN_ALGO,
                issuer=issuer,
                leeway=oidcdb_settings.OIDCDB_CLOCK_LEEWAY,
                max_age=oidcdb_settings.OIDCDB_MAX_TOKEN_AGE,
                allow_unsecured=self.get_settings("OIDC_ALLOW_UNSECURED_JWT", False),
                use_nonce=self.get_settings("OIDC_USE_NONCE", True),
            )
        return self._expected

    def _expectations_and_key(self, token: str) -> tuple[id_token_rules.Expectations, Any]:
        """What ``token`` must satisfy, and the key to verify it with.

        The ``alg`` of the token is checked before any key is looked up: a token never
        chooses how it is verified, and a forged one costs no request for the key set.
        """
        expected = self._token_expectations()
        header = id_token_rules.read_header(token)
        id_token_rules.check_algorithm(header, expected)
        return expected, self._verification_key(token, header)

    def _verification_key(self, token: str, header: dict[str, Any]) -> Any:
        """The key for the configured algorithm: never one the token asks for."""
        algorithm = self.OIDC_RP_SIGN_ALGO
        if header["alg"] == id_token_rules.UNSECURED:  # allowed, or check_algorithm refused it
            return None
        if algorithm in jwks.SYMMETRIC_ALGORITHMS:
            return self.OIDC_RP_CLIENT_SECRET
        if sign_key := self.OIDC_RP_IDP_SIGN_KEY:
            key = jwks.load_public_key(sign_key)
            jwks.check_key_matches_algorithm(key, algorithm)
            return key
        return self.retrieve_matching_jwk(token)

    def _jwks_uri(self) -> str:
        if endpoint := self.OIDC_OP_JWKS_ENDPOINT:
            return endpoint
        provider = self.config.oidc_provider
        if provider is not None and provider.oidc_op_discovery_endpoint:
            if jwks_uri := get_provider_metadata(provider).jwks_uri:
                return jwks_uri
        raise TokenValidationError(
            "The provider has no key set (JWKS) endpoint to verify the token with.",
            user_message=_("Login with this identity provider is not configured correctly."),
        )

    def _access_token_for(self, token: str) -> str | None:
        token_response = getattr(self, "_token_response", None) or {}
        if token_response.get("id_token") == token:
            return token_response.get("access_token")
        return None

    def get_userinfo(self, access_token: str, id_token: str, payload: JSONObject) -> JSONObject:
        """The claims about the user: the ID token's, or the userinfo endpoint's (§5.3).

        The userinfo response must be about the same subject as the ID token (§5.3.4);
        a signed response (``application/jwt``) is verified like the ID token (§5.3.2).
        """
        if self.config.userinfo_claims_source == UserInformationClaimsSources.id_token:
            logger.debug("Using the ID token's claims as user information")
            return payload
        logger.debug("Fetching user information from the userinfo endpoint")
        response = provider_session().get(
            self.OIDC_OP_USER_ENDPOINT,
            headers={"Authorization": f"Bearer {access_token}"},
        )
        if response.status_code != 200:
            raise ProviderError(f"The userinfo endpoint answered {response.status_code}")
        if response.headers.get("content-type", "").lower().startswith("application/jwt"):
            claims = self._verify_signed_userinfo(response.text)
        else:
            try:
                claims = response.json()
            except ValueError:
                raise ProviderError("The userinfo endpoint did not answer with JSON.")
            if not isinstance(claims, dict):
                raise ProviderError("The userinfo endpoint did not answer with a JSON object.")
        if "sub" not in payload:
            # only when a subclass's verify_token made up the claims: ours requires sub
            logger.debug("The ID token claims have no 'sub' to compare the userinfo with")
            return claims
        return id_token_rules.validate_userinfo(claims, payload)

    def _verify_signed_userinfo(self, token: str) -> JSONObject:
        expected, key = self._expectations_and_key(token)
        return id_token_rules.validate_signed_userinfo(token, key, expected)

    # -- users -------------------------------------------------------------------------

    def get_or_create_user(self, access_token, id_token, payload):
        plugin = self.plugin
        if isinstance(plugin, AnonymousUserOIDCPlugin):
            return plugin.get_or_create_user(access_token, id_token, payload, self.request)
        try:
            return self._get_or_create_django_user(access_token, id_token, payload)
        except SuspiciousOperation as exc:
            # upstream catches these and returns None: keep the reason for the person
            user_message = getattr(exc, "user_message", None)
            note_login_failure(self.request, str(exc.args[0] if exc.args else exc), user_message)
            raise

    def _get_or_create_django_user(self, access_token, id_token, payload):
        user_info = self.get_userinfo(access_token, id_token, payload)
        if not self.verify_claims(user_info):
            raise OIDCLoginFailed("Claims verification failed")

        # Everything written for one login commits together, or not at all.
        with transaction.atomic():
            users = list(self.filter_users_by_claims(user_info))
            if len(users) == 1:
                user = self.update_user(users[0], user_info)
            elif len(users) > 1:
                raise OIDCLoginFailed("Multiple users returned")
            elif self.get_settings("OIDC_CREATE_USER", True):
                user = self._create_user_once(user_info)
            else:
                raise OIDCLoginFailed(
                    "No user matches the claims and OIDC_CREATE_USER is off",
                    user_message=_("There is no account for you on this site."),
                )
        if user is not None and not isinstance(user, self.UserModel):
            raise TypeError("The plugin returned something that is not a user.")
        return user

    def _create_user_once(self, user_info: JSONObject):
        """Create the user; if a concurrent login created it first, update that one."""
        try:
            with transaction.atomic():
                return self.create_user(user_info)
        except IntegrityError:
            users = list(self.filter_users_by_claims(user_info))
            if len(users) != 1:
                raise
            return self.update_user(users[0], user_info)

    def verify_claims(self, claims: JSONObject) -> bool:
        if not claims:
            return False
        return self._user_plugin().verify_claims(claims)

    def filter_users_by_claims(self, claims: JSONObject):
        return self._user_plugin().filter_users_by_claims(claims)

    def create_user(self, claims: JSONObject):
        return self._user_plugin().create_user(claims)

    def update_user(self, user, claims: JSONObject):
        return self._user_plugin().update_user(user, claims)

    # -- tokens kept in the session -----------------------------------------------------

    def store_tokens(self, access_token: str, id_token: str) -> None:
        """Keep the tokens the settings ask for, and the ID token for logout when useful.

        Nothing is written yet: the callback view writes them to the session once the
        login has succeeded (see :mod:`~mozilla_django_oidc_db.session`).

        RP-initiated logout (``views.AdminLogoutView``) sends the ID token back to the
        provider as ``id_token_hint``. It is kept, whatever ``OIDC_STORE_ID_TOKEN`` says,
        for clients that log a Django user in at a provider with an end-session
        endpoint, as long as the session is stored server-side: never in a
        ``signed_cookies`` session, where it would travel in a readable cookie.
        """
        values = {}
        if self.get_settings("OIDC_STORE_ACCESS_TOKEN", False):
            values[ACCESS_TOKEN_SESSION_KEY] = access_token
        if self.get_settings("OIDC_STORE_ID_TOKEN", False) or self._keeps_id_token_for_logout():
            values[ID_TOKEN_SESSION_KEY] = id_token
        queue_session_writes(self.request, values)

    def _keeps_id_token_for_logout(self) -> bool:
        provider = self.config.oidc_provider
        return (
            provider is not None
            and bool(provider.oidc_op_logout_endpoint)
            and isinstance(self.plugin, AbstractUserOIDCPlugin)
            and not isinstance(self.request.session, CookieStore)
        )

    def get_user(self, user_id):
        user = super().get_user(user_id)
        # unlike upstream, a deactivated user is logged out (as with ModelBackend)
        if user is not None and not self.user_can_authenticate(user):
            return None
        return user


__all__ = ["OIDCAuthenticationBackend"]

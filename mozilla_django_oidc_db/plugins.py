"""Plugins: what a client is used for, and how its logins are handled.

A plugin is registered under the identifier of the :class:`~.models.OIDCClient` it
uses. Plugin instances are process-wide singletons shared by threads: they keep no
state, and read their client through :meth:`BaseOIDCPlugin.get_config`, which resolves
it once per request.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .claims import MISSING, lookup_claim
from .config import get_setting_from_config, resolve_client
from .constants import OIDC_ADMIN_CONFIG_IDENTIFIER
from .exceptions import MissingIdentifierClaim, OIDCLoginFailed
from .registry import register
from .schemas import ADMIN_OPTIONS_SCHEMA
from .typing import ClaimPath, GetParams, JSONObject
from .utils import get_groups_by_name, obfuscate_claims
from .views import AdminCallbackView

if TYPE_CHECKING:
    from .models import OIDCClient

logger = logging.getLogger(__name__)

missing = MISSING

admin_callback_view = AdminCallbackView.as_view()

#: Algorithms verified with the provider's public keys (the others use the client secret).
ASYMMETRIC_ALGORITHM_PREFIXES = ("RS", "ES", "PS", "Ed")


class BaseOIDCPlugin(abc.ABC):
    identifier: str

    def __init__(self, identifier: str):
        self.identifier = identifier

    def get_config(self) -> OIDCClient:
        """This plugin's client with its provider, resolved once per request."""
        return resolve_client(self.identifier)

    def get_setting(self, attr: str, *args) -> Any:
        """Resolve an upstream setting name for this plugin's client; override per name."""
        return get_setting_from_config(self.get_config(), attr, *args)

    def get_extra_params(self, request: HttpRequest, extra_params: GetParams) -> GetParams:
        """Add to (or change) the query parameters of the authorization redirect."""
        return extra_params

    def check_options(self, options: JSONObject) -> list[tuple[list[str | int], str]]:
        """What the plugin needs of ``options`` beyond its schema: ``(path, problem)`` pairs.

        Called (after the schema check) by the admin form and the YAML import, so that
        options that would fail at login time are refused when they are saved.
        """
        return []

    @abc.abstractmethod
    def get_schema(self) -> JSONObject:
        """The JSON schema of ``OIDCClient.options`` for this plugin."""

    @abc.abstractmethod
    def validate_settings(self) -> None:
        """Raise ``ImproperlyConfigured`` when the client cannot be used as configured."""

    @abc.abstractmethod
    def handle_callback(self, request: HttpRequest) -> HttpResponseBase:
        """Produce the response for the OIDC callback, usually through a callback view."""


class AnonymousUserOIDCPlugin(BaseOIDCPlugin):
    """For flows that identify a person with OIDC without a Django user.

    Subclasses implement ``get_or_create_user(access_token, id_token, payload, request)``
    returning an ``AnonymousUser`` (success) or ``None``, and a callback view that treats
    an ``AnonymousUser`` as a success (see ``views.AnonymousUserCallbackView``).
    """

    def get_or_create_user(
        self, access_token: str, id_token: str, payload: JSONObject, request: HttpRequest
    ) -> AnonymousUser | None:
        raise NotImplementedError(f"{type(self).__name__} must implement get_or_create_user().")


class AbstractUserOIDCPlugin(BaseOIDCPlugin):
    """For flows that create and update real Django users."""

    def create_user(self, claims: JSONObject) -> AbstractUser:
        raise NotImplementedError(f"{type(self).__name__} must implement create_user().")

    def update_user(self, user: AbstractUser, claims: JSONObject) -> AbstractUser:
        raise NotImplementedError(f"{type(self).__name__} must implement update_user().")

    def filter_users_by_claims(self, claims: JSONObject) -> QuerySet[AbstractUser]:
        raise NotImplementedError(f"{type(self).__name__} must implement filter_users_by_claims().")

    def verify_claims(self, claims: JSONObject) -> bool:
        raise NotImplementedError(f"{type(self).__name__} must implement verify_claims().")


# Fields a claim mapping may never write: identity, credentials and bookkeeping. The
# superuser flag follows ``superuser_group_names`` instead.
PROTECTED_USER_FIELDS = frozenset(
    {"password", "last_login", "date_joined", "is_superuser", "groups", "user_permissions"}
)

DEFAULT_USERNAME_CLAIM = ["sub"]


def _groups_settings(options: JSONObject) -> dict:
    """``groups_settings``, accepting the ``group_settings`` spelling some rows carry."""
    value = options.get("groups_settings")
    if not isinstance(value, dict):
        value = options.get("group_settings")
    return value if isinstance(value, dict) else {}


def _user_settings(options: JSONObject) -> dict:
    value = options.get("user_settings")
    return value if isinstance(value, dict) else {}


class UserClaimsMixin:
    """Username lookup and claim-to-field mapping from ``options.user_settings``."""

    def _options(self) -> JSONObject:
        options = self.get_config().options
        return options if isinstance(options, dict) else {}

    def _claim_mappings(self) -> dict[str, ClaimPath]:
        mappings = _user_settings(self._options()).get("claim_mappings")
        return mappings if isinstance(mappings, dict) else {}

    def _username_path(self) -> ClaimPath:
        return self._claim_mappings().get("username") or DEFAULT_USERNAME_CLAIM

    def get_username(self, claims: JSONObject, *, raise_on_empty: bool = False) -> str:
        bits = self._username_path()
        value = lookup_claim(claims, bits, default="")
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            value = ""
        value = str(value)
        if raise_on_empty and not value:
            raise MissingIdentifierClaim(claim_bits=bits)
        return value

    def _sensitive_claims(self) -> list[ClaimPath]:
        # a copy: the options of the (possibly shared) client object are never changed
        sensitive = list(_user_settings(self._options()).get("sensitive_claims") or [])
        sensitive.append(self._username_path())
        return sensitive

    def masked(self, claims: JSONObject) -> JSONObject:
        return obfuscate_claims(claims, self._sensitive_claims())

    def _apply_claim_mappings(self, user: AbstractUser, claims: JSONObject) -> set[str]:
        touched: set[str] = set()
        user_model = type(user)
        for field_name, bits in self._claim_mappings().items():
            if field_name == "username" or not bits:
                continue
            value = lookup_claim(claims, bits)
            if value is MISSING:
                continue
            field = _mappable_field(user_model, field_name)
            if field is None:
                logger.warning(
                    "Claim mapping for '%s' ignored: it is not a field a claim may set on %s.",
                    field_name,
                    user_model.__name__,
                )
                continue
            value = _clean_mapped_value(field, value)
            if getattr(user, field.attname) != value:
                setattr(user, field.attname, value)
                touched.add(field.attname)
        return touched


def _mappable_field(user_model: type[models.Model], name: str) -> models.Field | None:
    try:
        field = user_model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if (
        not getattr(field, "concrete", False)
        or field.primary_key
        or not field.editable
        or field.is_relation
        or field.name in PROTECTED_USER_FIELDS
        or field.name == user_model.USERNAME_FIELD
    ):
        return None
    return field


def _clean_mapped_value(field: models.Field, value: Any) -> Any:
    """Make a claim value fit a user field, or refuse the login with a clear reason."""
    if value is None:
        if field.null:
            return None
        value = ""
        if not field.empty_strings_allowed:
            raise OIDCLoginFailed(
                f"The claim mapped to '{field.name}' is empty.",
                user_message=_("Your account data from the identity provider is incomplete."),
            )
    if isinstance(field, (models.CharField, models.TextField)):
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise OIDCLoginFailed(
                f"The claim mapped to '{field.name}' is not text ({type(value).__name__}).",
                user_message=_("Your account data from the identity provider is invalid."),
            )
        value = str(value)
        if field.max_length is not None and len(value) > field.max_length:
            raise OIDCLoginFailed(
                f"The claim mapped to '{field.name}' has {len(value)} characters, more than "
                f"the {field.max_length} the field holds.",
                user_message=_("Your account data from the identity provider is too long."),
            )
        try:
            # the field's own validators: EmailValidator for an EmailField, and so on
            field.run_validators(value)
        except ValidationError:
            problem = (
                "is not an e-mail address"
                if isinstance(field, models.EmailField)
                else "does not pass the field's validation"
            )
            raise OIDCLoginFailed(
                f"The claim mapped to '{field.name}' {problem}.",
                user_message=_("Your account data from the identity provider is invalid."),
            )
        return value
    if isinstance(field, models.BooleanField):
        if not isinstance(value, bool):
            raise OIDCLoginFailed(
                f"The claim mapped to '{field.name}' is not a boolean.",
                user_message=_("Your account data from the identity provider is invalid."),
            )
        return value
    try:
        return field.clean(value, None)
    except ValidationError:
        raise OIDCLoginFailed(
            f"The claim mapped to '{field.name}' has a value the field does not accept.",
            user_message=_("Your account data from the identity provider is invalid."),
        )


@register(OIDC_ADMIN_CONFIG_IDENTIFIER)
class OIDCAdminPlugin(UserClaimsMixin, AbstractUserOIDCPlugin):
    """Logs staff into the Django admin."""

    def get_schema(self) -> JSONObject:
        return ADMIN_OPTIONS_SCHEMA

    def validate_settings(self) -> None:
        validate_client_settings(self.get_config())

    def check_options(self, options: JSONObject) -> list[tuple[list[str | int], str]]:
        path = ["user_settings", "claim_mappings", "username"]
        username = lookup_claim(options, path, default=None)
        if (
            not isinstance(username, list)
            or not username
            or not all(isinstance(bit, str) and bit for bit in username)
        ):
            message = gettext(
                "the username claim path must be a non-empty list of claim names "
                '(for example ["sub"]).'
            )
            return [(path, message)]
        return []

    def handle_callback(self, request: HttpRequest) -> HttpResponseBase:
        return admin_callback_view(request)

    def verify_claims(self, claims: JSONObject) -> bool:
        if not claims:
            logger.error("The identity provider sent no user claims.")
            return False
        logger.debug("OIDC claims received: %s", self.masked(claims))
        try:
            self.get_username(claims, raise_on_empty=True)
        except MissingIdentifierClaim as exc:
            logger.error(
                "The username claim '%s' is not in the claims received, so the user cannot "
                "be authenticated.",
                " > ".join(exc.claim_bits),
                exc_info=exc,
            )
            return False
        username_field = get_user_model()._meta.get_field(get_user_model().USERNAME_FIELD)
        username = self.get_username(claims)
        max_length = getattr(username_field, "max_length", None)
        if max_length is not None and len(username) > max_length:
            logger.error(
                "The username claim has %d characters, more than the %d the user model "
                "holds; login refused.",
                len(username),
                max_length,
            )
            return False
        return True

    def filter_users_by_claims(self, claims: JSONObject) -> QuerySet[AbstractUser]:
        user_model = get_user_model()
        username = self.get_username(claims)
        if not username:
            return user_model.objects.none()
        lookup = user_model.USERNAME_FIELD
        if not _user_settings(self._options()).get("username_case_sensitive", True):
            lookup += "__iexact"
        return user_model.objects.filter(**{lookup: username})

    def create_user(self, claims: JSONObject) -> AbstractUser:
        user_model = get_user_model()
        username = self.get_username(claims)
        logger.debug("Creating OIDC user: %s", self.masked({"username": username})["username"])
        user = user_model.objects.create_user(**{user_model.USERNAME_FIELD: username})
        self.update_user(user, claims)
        return user

    def update_user(self, user: AbstractUser, claims: JSONObject) -> AbstractUser:
        logger.debug("Updating OIDC user %s", user.pk)
        touched = self._apply_claim_mappings(user, claims)
        groups_settings = _groups_settings(self._options())

        if groups_settings.get("make_users_staff", False) and not user.is_staff:
            user.is_staff = True
            touched.add("is_staff")

        groups = self._get_groups(claims, groups_settings.get("claim_mapping") or [])
        superuser_group_names = groups_settings.get("superuser_group_names") or []
        if superuser_group_names and groups is not None:
            is_superuser = any(name in superuser_group_names for name in groups)
            if user.is_superuser != is_superuser:
                user.is_superuser = is_superuser
                touched.add("is_superuser")

        if touched:
            user.save(update_fields=touched)

        self._set_user_groups(
            user,
            groups,
            groups_settings.get("default_groups") or [],
            groups_settings.get("sync", True),
            groups_settings.get("sync_pattern", "*"),
        )
        return user

    def _get_groups(self, claims: JSONObject, groups_claim: ClaimPath) -> list[str] | None:
        """The group names in the claim; ``None`` means "leave group memberships alone"."""
        if not groups_claim:
            return None
        groups = lookup_claim(claims, groups_claim)
        if groups is MISSING or groups is None:
            # Providers leave an empty claim out: no claim means no groups.
            logger.debug(
                "The configured groups claim '%s' was not found in the user info.",
                " > ".join(groups_claim),
            )
            return []
        if isinstance(groups, str):
            return [groups]
        if not isinstance(groups, (list, tuple)) or not all(
            isinstance(name, str) for name in groups
        ):
            logger.warning(
                "The groups claim '%s' is not a list of strings (it is a %s); group "
                "memberships are left unchanged.",
                " > ".join(groups_claim),
                type(groups).__name__,
            )
            return None
        return list(groups)

    def _set_user_groups(
        self,
        user: AbstractUser,
        groups: list[str] | None,
        default_group_names: Collection[str],
        sync_missing_groups: bool,
        sync_groups_glob: str,
    ) -> None:
        if groups is None:
            return
        desired = set(default_group_names) | set(groups)
        if desired == set(user.groups.values_list("name", flat=True)):
            return
        # The glob limits which names from the claim may create a group; the default
        # groups are named by the administrator and are created whatever the glob.
        groups_to_set = get_groups_by_name(set(groups), sync_groups_glob, sync_missing_groups)
        if default_group_names:
            groups_to_set |= get_groups_by_name(default_group_names, "*", sync_missing_groups)
        user.groups.set(groups_to_set)


def validate_client_settings(config: OIDCClient) -> None:
    """Raise ``ImproperlyConfigured`` when ``config`` cannot be used for a login."""
    provider = config.oidc_provider
    if provider is None:
        raise ImproperlyConfigured(f"OIDC client '{config.identifier}' has no provider.")
    missing_endpoints = [
        name
        for name in ("oidc_op_authorization_endpoint", "oidc_op_token_endpoint")
        if not getattr(provider, name)
    ]
    if missing_endpoints:
        raise ImproperlyConfigured(
            f"OIDC provider '{provider.identifier}' lacks {', '.join(missing_endpoints)}."
        )
    if not config.oidc_rp_client_id:
        raise ImproperlyConfigured(f"OIDC client '{config.identifier}' has no client ID.")
    algorithm = config.oidc_rp_sign_algo
    if (
        algorithm.startswith(ASYMMETRIC_ALGORITHM_PREFIXES)
        and not config.oidc_rp_idp_sign_key
        and not provider.oidc_op_jwks_endpoint
    ):
        raise ImproperlyConfigured(
            f"{algorithm} alg requires OIDC_RP_IDP_SIGN_KEY or OIDC_OP_JWKS_ENDPOINT to be "
            "configured."
        )

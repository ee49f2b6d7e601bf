"""The YAML format of :class:`~.steps.AdminOIDCConfigurationStep` (django-setup-configuration).

.. code-block:: yaml

    oidc_db_config_enable: true
    oidc_db_config_admin_auth:
      providers:
        - identifier: my-provider
          endpoint_config:
            oidc_op_discovery_endpoint: https://op.example/realms/x/
      items:
        - identifier: admin-oidc
          oidc_rp_client_id: my-client
          oidc_rp_client_secret:
            value_from: {env: OIDC_ADMIN_OIDC_CLIENT_SECRET}
          oidc_provider_identifier: my-provider
          options: {...}

Every model forbids unknown keys. A provider's ``endpoint_config`` is either a discovery
URL (the endpoints and the issuer are read from the provider's discovery document) or
the explicit endpoints; giving both is an error.

Beyond the original format: providers take ``oidc_use_pkce``, the explicit endpoint
configuration takes ``oidc_op_issuer``, and items take ``check_op_availability`` (left
unchanged when absent). The flat claim and group keys of an item are deprecated in
favour of ``options``.

Importing this module needs a ready app registry: the description of an item's
``identifier`` lists the plugins registered at that moment.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _

from django_setup_configuration.fields import DjangoModelRef
from django_setup_configuration.models import ConfigurationModel
from pydantic import AnyUrl, Discriminator, Field, Tag, field_validator, model_validator

from ..models import OIDCClient, OIDCProvider, get_claim_mapping
from ..utils import get_registry_identifiers

__all__ = [
    "EXAMPLE_REALM",
    "OIDCFullProviderConfig",
    "OIDCDiscoveryProviderConfig",
    "get_provider_config_model",
    "OIDCProviderConfigUnion",
    "OIDCConfigProviderModel",
    "AdminOIDCConfigurationModelItem",
    "AdminOIDCConfigurationModel",
    "PROVIDER_SETTINGS",
    "DEPRECATED_PROVIDER_KEYS",
    "DEPRECATED_OPTIONS_KEYS",
]

EXAMPLE_REALM = "http://keycloak.local:8080/realms/test"

#: The protocol settings of a provider that both provider entries and (deprecated) client
#: entries have.
PROVIDER_SETTINGS = (
    "oidc_token_use_basic_auth",
    "oidc_use_nonce",
    "oidc_nonce_size",
    "oidc_state_size",
)

#: Item keys that belong to the provider now (``providers[]``).
DEPRECATED_PROVIDER_KEYS = ("endpoint_config", *PROVIDER_SETTINGS)

#: Item keys that belong to ``options`` now.
DEPRECATED_OPTIONS_KEYS = (
    "claim_mapping",
    "username_claim",
    "groups_claim",
    "superuser_group_names",
    "default_groups",
    "sync_groups",
    "sync_groups_glob_pattern",
    "make_users_staff",
)

_MOVED_TO_PROVIDERS = (
    "Deprecated: give the provider its own entry in `providers` and refer to it with "
    "`oidc_provider_identifier`."
)
_MOVED_TO_OPTIONS = "Deprecated: configure this in `options`."


def _deprecated(message: str, **kwargs) -> Any:
    """A deprecated item key: documented as such, still accepted."""
    return Field(deprecated=message, description=message, **kwargs)


class OIDCFullProviderConfig(ConfigurationModel):
    """The endpoints of a provider, given one by one."""

    oidc_op_authorization_endpoint: AnyUrl = DjangoModelRef(
        OIDCProvider,
        "oidc_op_authorization_endpoint",
        examples=[f"{EXAMPLE_REALM}/protocol/openid-connect/auth"],
    )
    oidc_op_token_endpoint: AnyUrl = DjangoModelRef(
        OIDCProvider,
        "oidc_op_token_endpoint",
        examples=[f"{EXAMPLE_REALM}/protocol/openid-connect/token"],
    )
    oidc_op_user_endpoint: AnyUrl = DjangoModelRef(
        OIDCProvider,
        "oidc_op_user_endpoint",
        examples=[f"{EXAMPLE_REALM}/protocol/openid-connect/userinfo"],
    )
    oidc_op_logout_endpoint: AnyUrl | Literal[""] = DjangoModelRef(
        OIDCProvider,
        "oidc_op_logout_endpoint",
        examples=[f"{EXAMPLE_REALM}/protocol/openid-connect/logout"],
    )
    oidc_op_jwks_endpoint: AnyUrl | Literal[""] = DjangoModelRef(
        OIDCProvider,
        "oidc_op_jwks_endpoint",
        examples=[f"{EXAMPLE_REALM}/protocol/openid-connect/certs"],
    )
    # A plain string: the issuer is compared character for character with the `iss` of
    # tokens, so it must not be normalised the way AnyUrl does (a trailing slash).
    oidc_op_issuer: str = DjangoModelRef(OIDCProvider, "oidc_op_issuer", examples=[EXAMPLE_REALM])

    @field_validator("oidc_op_issuer")
    @classmethod
    def _issuer_is_a_url(cls, value: str) -> str:
        if value:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError("the issuer must be an http(s) URL (or empty)")
            if parts.query or parts.fragment:
                raise ValueError("the issuer must not have a query string or fragment")
        return value


class OIDCDiscoveryProviderConfig(ConfigurationModel):
    """The provider's discovery URL: endpoints and issuer come from its document."""

    oidc_op_discovery_endpoint: AnyUrl = DjangoModelRef(
        OIDCProvider,
        "oidc_op_discovery_endpoint",
        examples=[f"{EXAMPLE_REALM}/"],
    )


def get_provider_config_model(endpoint_data: Any) -> str:
    """The discriminator of :data:`OIDCProviderConfigUnion`: ``"discovery"`` or ``"all"``."""
    if isinstance(endpoint_data, dict):
        discovery_endpoint = endpoint_data.get("oidc_op_discovery_endpoint")
    else:
        discovery_endpoint = getattr(endpoint_data, "oidc_op_discovery_endpoint", None)
    return "discovery" if discovery_endpoint else "all"


OIDCProviderConfigUnion = Annotated[
    Annotated[OIDCFullProviderConfig, Tag("all")]
    | Annotated[OIDCDiscoveryProviderConfig, Tag("discovery")],
    Discriminator(get_provider_config_model),
]


class OIDCConfigProviderModel(ConfigurationModel):
    """One entry of ``providers``: an :class:`~mozilla_django_oidc_db.models.OIDCProvider`."""

    # a plain str (as in the original); the slug rule is checked when the row is saved
    identifier: str = DjangoModelRef(OIDCProvider, "identifier", examples=["admin-oidc-provider"])
    endpoint_config: OIDCProviderConfigUnion

    class Meta:
        django_model_refs = {OIDCProvider: (*PROVIDER_SETTINGS, "oidc_use_pkce")}


def _identifier_description() -> str:
    return str(
        _("A unique identifier of the OIDC client: one of the registered plugins, {identifiers}.")
    ).format(identifiers=", ".join(f"`{name}`" for name in get_registry_identifiers()))


class AdminOIDCConfigurationModelItem(ConfigurationModel):
    """One entry of ``items``: the :class:`~mozilla_django_oidc_db.models.OIDCClient` of a
    plugin (same identifier)."""

    identifier: str = Field(description=_identifier_description(), examples=["admin-oidc"])
    # on by default here, although the model's default is off
    enabled: bool = DjangoModelRef(OIDCClient, "enabled", default=True)
    oidc_rp_client_id: str = DjangoModelRef(OIDCClient, "oidc_rp_client_id", examples=["my-client"])
    oidc_rp_client_secret: str = DjangoModelRef(
        OIDCClient, "oidc_rp_client_secret", examples=["secret"]
    )
    oidc_rp_scopes_list: list[str] = DjangoModelRef(OIDCClient, "oidc_rp_scopes_list")
    oidc_rp_sign_algo: str = DjangoModelRef(OIDCClient, "oidc_rp_sign_algo")
    oidc_rp_idp_sign_key: str = DjangoModelRef(OIDCClient, "oidc_rp_idp_sign_key")
    oidc_keycloak_idp_hint: str = DjangoModelRef(OIDCClient, "oidc_keycloak_idp_hint")
    userinfo_claims_source: Literal["userinfo_endpoint", "id_token"] = DjangoModelRef(
        OIDCClient, "userinfo_claims_source"
    )
    # absent: the stored value is kept (new clients get the model default, off)
    check_op_availability: bool | None = DjangoModelRef(
        OIDCClient, "check_op_availability", default=None
    )
    options: dict[str, Any] = DjangoModelRef(
        OIDCClient,
        "options",
        description=_(
            "Options for the plugin, checked against its JSON schema. For `admin-oidc`: "
            "`user_settings` (`claim_mappings` with at least `username`, "
            "`username_case_sensitive`, `sensitive_claims`) and `groups_settings` "
            "(`claim_mapping`, `sync`, `sync_pattern`, `default_groups`, "
            "`make_users_staff`, `superuser_group_names`). The spelling `group_settings` "
            "is accepted and stored as `groups_settings`."
        ),
    )
    oidc_provider_identifier: str = Field(
        default="",
        description=_(
            "The identifier of the provider this client uses: one from `providers`, or "
            "one already in the database."
        ),
        examples=["admin-oidc-provider"],
    )

    # -- deprecated: provider settings (now in `providers`) ---------------------------
    endpoint_config: OIDCProviderConfigUnion | None = _deprecated(_MOVED_TO_PROVIDERS, default=None)
    oidc_token_use_basic_auth: bool = _deprecated(_MOVED_TO_PROVIDERS, default=False)
    oidc_use_nonce: bool = _deprecated(_MOVED_TO_PROVIDERS, default=True)
    oidc_nonce_size: int = _deprecated(_MOVED_TO_PROVIDERS, default=32)
    oidc_state_size: int = _deprecated(_MOVED_TO_PROVIDERS, default=32)

    # -- deprecated: claim and group settings (now in `options`) -----------------------
    claim_mapping: dict[str, list[str]] = _deprecated(
        _MOVED_TO_OPTIONS, default_factory=get_claim_mapping
    )
    username_claim: list[str] = _deprecated(_MOVED_TO_OPTIONS, default_factory=lambda: ["sub"])
    groups_claim: list[str] = _deprecated(_MOVED_TO_OPTIONS, default_factory=lambda: ["roles"])
    superuser_group_names: list[str] = _deprecated(_MOVED_TO_OPTIONS, default_factory=list)
    default_groups: list[str] = _deprecated(_MOVED_TO_OPTIONS, default_factory=list)
    sync_groups: bool = _deprecated(_MOVED_TO_OPTIONS, default=True)
    sync_groups_glob_pattern: str = _deprecated(_MOVED_TO_OPTIONS, default="*")
    make_users_staff: bool = _deprecated(_MOVED_TO_OPTIONS, default=False)


def _duplicates(identifiers: list[str]) -> list[tuple[int, str]]:
    seen: set[str] = set()
    repeated = []
    for index, identifier in enumerate(identifiers):
        if identifier in seen:
            repeated.append((index, identifier))
        seen.add(identifier)
    return repeated


class AdminOIDCConfigurationModel(ConfigurationModel):
    """The ``oidc_db_config_admin_auth`` namespace: providers first, then the clients."""

    providers: list[OIDCConfigProviderModel] = Field(default_factory=list)
    items: list[AdminOIDCConfigurationModelItem]

    @model_validator(mode="after")
    def _identifiers_are_unique(self) -> AdminOIDCConfigurationModel:
        problems = [
            f"{key}.{index}.identifier: `{identifier}` is listed more than once"
            for key, entries in (("providers", self.providers), ("items", self.items))
            for index, identifier in _duplicates([entry.identifier for entry in entries])
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

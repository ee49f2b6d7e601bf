from __future__ import annotations

from typing import ClassVar

from django.core.exceptions import BadRequest
from django.db import models
from django.utils.translation import gettext_lazy as _

from django_jsonform.models.fields import JSONField

from .constants import UNIQUE_PLUGIN_ID_MAX_LENGTH
from .fields import StringArrayField
from .registry import register as registry
from .typing import JSONObject


def get_options_schema(instance: OIDCClient) -> JSONObject:
    return registry[instance.identifier].get_schema()


def get_default_scopes() -> list[str]:
    return ["openid", "email", "profile"]


def get_claim_mapping() -> dict[str, list[str]]:
    # referenced by historical migrations
    return {
        "email": ["email"],
        "first_name": ["given_name"],
        "last_name": ["family_name"],
    }


class UserInformationClaimsSources(models.TextChoices):
    userinfo_endpoint = "userinfo_endpoint", _("Userinfo endpoint")
    id_token = "id_token", _("ID token")


class OIDCProvider(models.Model):
    """The endpoints and protocol knobs of one OpenID Provider."""

    identifier = models.SlugField(
        _("identifier"),
        max_length=255,
        unique=True,
        help_text=_("Unique identifier of the OIDC provider."),
    )
    oidc_op_discovery_endpoint = models.URLField(
        _("Discovery endpoint"),
        max_length=1000,
        help_text=_(
            "URL of your OpenID Connect provider discovery endpoint ending with a slash "
            "(`.well-known/...` will be added automatically). If this is provided, the "
            "remaining endpoints can be omitted, as they will be derived from this endpoint."
        ),
        blank=True,
    )
    oidc_op_jwks_endpoint = models.URLField(
        _("JSON Web Key Set endpoint"),
        max_length=1000,
        help_text=_(
            "URL of your OpenID Connect provider JSON Web Key Set endpoint. "
            "Needed for public-key signing algorithms (RS*, PS*, ES*, EdDSA) unless a "
            "sign key is configured; taken from the discovery document when empty."
        ),
        blank=True,
    )
    oidc_op_authorization_endpoint = models.URLField(
        _("Authorization endpoint"),
        max_length=1000,
        help_text=_("URL of your OpenID Connect provider authorization endpoint"),
    )
    oidc_op_token_endpoint = models.URLField(
        _("Token endpoint"),
        max_length=1000,
        help_text=_("URL of your OpenID Connect provider token endpoint"),
    )
    oidc_op_user_endpoint = models.URLField(
        _("User endpoint"),
        max_length=1000,
        help_text=_("URL of your OpenID Connect provider userinfo endpoint"),
    )
    oidc_op_logout_endpoint = models.URLField(
        _("Logout endpoint"),
        max_length=1000,
        help_text=_("URL of your OpenID Connect provider logout endpoint"),
        blank=True,
    )
    oidc_token_use_basic_auth = models.BooleanField(
        _("Use Basic auth for token endpoint"),
        default=False,
        help_text=_(
            "If enabled, the client ID and secret are sent in the HTTP Basic auth "
            "header when obtaining the access token. Otherwise, they are sent in the "
            "request body."
        ),
        blank=True,
    )
    oidc_use_nonce = models.BooleanField(
        _("Use nonce"),
        help_text=_("Controls whether the client uses nonce verification (recommended)."),
        default=True,
        blank=True,
    )
    oidc_op_issuer = models.CharField(
        _("Issuer"),
        max_length=1000,
        blank=True,
        help_text=_(
            "The issuer identifier of the provider: ID tokens must carry exactly this "
            "value in their `iss` claim. Filled in from the discovery document."
        ),
    )
    oidc_use_pkce = models.BooleanField(
        _("Use PKCE"),
        default=True,
        blank=True,
        help_text=_("Protect the authorization code with PKCE (S256), as RFC 9700 recommends."),
    )
    oidc_nonce_size = models.PositiveIntegerField(
        _("Nonce size"),
        help_text=_("Sets the length of the random string used for nonce verification"),
        default=32,
        blank=True,
    )
    oidc_state_size = models.PositiveIntegerField(
        _("State size"),
        help_text=_("Sets the length of the random string used for state verification"),
        default=32,
        blank=True,
    )

    class Meta:
        verbose_name = _("OIDC Provider")
        verbose_name_plural = _("OIDC Providers")

    def __str__(self):
        return _("OIDC Provider {identifier}").format(identifier=self.identifier)


class OIDCClientManager(models.Manager["OIDCClient"]):
    def resolve(self, identifier: str) -> OIDCClient:
        """Return the client with its provider, in one query; ``BadRequest`` if absent."""
        try:
            return self.select_related("oidc_provider").get(identifier=identifier)
        except (self.model.DoesNotExist, self.model.MultipleObjectsReturned) as exc:
            raise BadRequest("The referenced OIDC configuration could not be looked up.") from exc


class OIDCClient(models.Model):
    """One relying-party configuration, used by the plugin with the same identifier."""

    identifier = models.SlugField(
        _("identifier"),
        max_length=UNIQUE_PLUGIN_ID_MAX_LENGTH,
        unique=True,
        help_text=_("Unique identifier of the OIDC client."),
    )
    enabled = models.BooleanField(
        _("enabled"),
        default=False,
        help_text=_(
            "Indicates whether OpenID Connect for authentication/authorization is "
            "enabled. Users can only authenticate through this client when it is enabled."
        ),
    )
    oidc_provider = models.ForeignKey(
        OIDCProvider,
        on_delete=models.PROTECT,
        verbose_name=_("OIDC Provider"),
        help_text=_(
            "The OIDC provider to use. It can be left empty so that clients can be "
            "created automatically at startup."
        ),
        null=True,
    )
    oidc_rp_client_id = models.CharField(
        _("Client ID"),
        max_length=1000,
        help_text=_("Client ID provided by the OIDC Provider"),
    )
    oidc_rp_client_secret = models.CharField(
        _("Secret"),
        max_length=1000,
        help_text=_("Secret provided by the OIDC Provider"),
    )
    oidc_rp_scopes_list = StringArrayField(
        verbose_name=_("Scopes"),
        base_field=models.CharField(_("Scope"), max_length=50),
        default=get_default_scopes,
        blank=True,
        help_text=_("Scopes that are requested during login"),
    )
    oidc_rp_sign_algo = models.CharField(
        _("OpenID sign algorithm"),
        max_length=50,
        help_text=_("Algorithm the Identity Provider uses to sign ID tokens"),
        default="RS256",
    )
    oidc_rp_idp_sign_key = models.CharField(
        _("Sign key"),
        max_length=1000,
        help_text=_(
            "Public key the Identity Provider signs ID tokens with, for a public-key "
            "sign algorithm, in PEM or DER format. When empty, the key set (JWKS) is used."
        ),
        blank=True,
    )
    oidc_keycloak_idp_hint = models.CharField(
        _("Keycloak Identity Provider hint"),
        max_length=1000,
        help_text=_(
            "Specific for Keycloak: parameter that indicates which identity provider "
            "should be used (therefore skipping the Keycloak login screen)."
        ),
        blank=True,
    )
    userinfo_claims_source = models.CharField(
        verbose_name=_("user information claims extracted from"),
        choices=UserInformationClaimsSources.choices,
        max_length=100,
        default=UserInformationClaimsSources.userinfo_endpoint,
        help_text=_(
            "Indicates the source from which the user information claims should be extracted."
        ),
    )
    check_op_availability = models.BooleanField(
        _("check OIDC Provider availability"),
        default=False,
        help_text=_(
            "Check the availability of the OIDC Provider before redirecting the user to it."
        ),
    )
    options = JSONField(
        _("options"),
        schema=get_options_schema,
        default=dict,
        help_text=_("Options specific to the identity provider and use case."),
    )

    objects: ClassVar[OIDCClientManager] = OIDCClientManager()

    class Meta:
        verbose_name = _("OIDC client")
        verbose_name_plural = _("OIDC clients")

    def __str__(self):
        return _("OIDC client {identifier}").format(identifier=self.identifier)

    @property
    def oidc_rp_scopes(self) -> str:
        return " ".join(self.oidc_rp_scopes_list)

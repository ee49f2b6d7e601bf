# The configuration is split in providers (the OpenID Provider's endpoints and protocol
# knobs) and clients (one relying-party configuration per plugin). Verbose names and
# help texts equal those of models.py: the state after the last migration must equal
# the models, or ``makemigrations`` writes a migration into the installed package.

import django.db.models.deletion
import django_jsonform.models.fields
from django.db import migrations, models

import mozilla_django_oidc_db.fields
import mozilla_django_oidc_db.models


class Migration(migrations.Migration):
    dependencies = [
        ("mozilla_django_oidc_db", "0005_alter_openidconnectconfig_claim_mapping"),
    ]

    operations = [
        migrations.CreateModel(
            name="OIDCProvider",
            fields=[
                (
                    "id",
                    models.AutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "identifier",
                    models.SlugField(
                        help_text="Unique identifier of the OIDC provider.",
                        max_length=255,
                        unique=True,
                        verbose_name="identifier",
                    ),
                ),
                (
                    "oidc_op_discovery_endpoint",
                    models.URLField(
                        blank=True,
                        help_text=(
                            "URL of your OpenID Connect provider discovery endpoint ending "
                            "with a slash (`.well-known/...` will be added automatically). "
                            "If this is provided, the remaining endpoints can be omitted, as "
                            "they will be derived from this endpoint."
                        ),
                        max_length=1000,
                        verbose_name="Discovery endpoint",
                    ),
                ),
                (
                    "oidc_op_jwks_endpoint",
                    models.URLField(
                        blank=True,
                        help_text=(
                            "URL of your OpenID Connect provider JSON Web Key Set endpoint. "
                            "Needed for public-key signing algorithms (RS*, PS*, ES*, "
                            "EdDSA) unless a sign key is configured; taken from the "
                            "discovery document when empty."
                        ),
                        max_length=1000,
                        verbose_name="JSON Web Key Set endpoint",
                    ),
                ),
                (
                    "oidc_op_authorization_endpoint",
                    models.URLField(
                        help_text="URL of your OpenID Connect provider authorization endpoint",
                        max_length=1000,
                        verbose_name="Authorization endpoint",
                    ),
                ),
                (
                    "oidc_op_token_endpoint",
                    models.URLField(
                        help_text="URL of your OpenID Connect provider token endpoint",
                        max_length=1000,
                        verbose_name="Token endpoint",
                    ),
                ),
                (
                    "oidc_op_user_endpoint",
                    models.URLField(
                        help_text="URL of your OpenID Connect provider userinfo endpoint",
                        max_length=1000,
                        verbose_name="User endpoint",
                    ),
                ),
                (
                    "oidc_op_logout_endpoint",
                    models.URLField(
                        blank=True,
                        help_text="URL of your OpenID Connect provider logout endpoint",
                        max_length=1000,
                        verbose_name="Logout endpoint",
                    ),
                ),
                (
                    "oidc_token_use_basic_auth",
                    models.BooleanField(
                        blank=True,
                        default=False,
                        help_text=(
                            "If enabled, the client ID and secret are sent in the HTTP Basic "
                            "auth header when obtaining the access token. Otherwise, they are "
                            "sent in the request body."
                        ),
                        verbose_name="Use Basic auth for token endpoint",
                    ),
                ),
                (
                    "oidc_use_nonce",
                    models.BooleanField(
                        blank=True,
                        default=True,
                        help_text=(
                            "Controls whether the client uses nonce verification (recommended)."
                        ),
                        verbose_name="Use nonce",
                    ),
                ),
                (
                    "oidc_nonce_size",
                    models.PositiveIntegerField(
                        blank=True,
                        default=32,
                        help_text=(
                            "Sets the length of the random string used for nonce verification"
                        ),
                        verbose_name="Nonce size",
                    ),
                ),
                (
                    "oidc_state_size",
                    models.PositiveIntegerField(
                        blank=True,
                        default=32,
                        help_text=(
                            "Sets the length of the random string used for state verification"
                        ),
                        verbose_name="State size",
                    ),
                ),
            ],
            options={
                "verbose_name": "OIDC Provider",
                "verbose_name_plural": "OIDC Providers",
            },
        ),
        migrations.CreateModel(
            name="OIDCClient",
            fields=[
                (
                    "id",
                    models.AutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "identifier",
                    models.SlugField(
                        help_text="Unique identifier of the OIDC client.",
                        max_length=255,
                        unique=True,
                        verbose_name="identifier",
                    ),
                ),
                (
                    "enabled",
                    models.BooleanField(
                        default=False,
                        help_text=(
                            "Indicates whether OpenID Connect for authentication/authorization "
                            "is enabled. Users can only authenticate through this client when "
                            "it is enabled."
                        ),
                        verbose_name="enabled",
                    ),
                ),
                (
                    "oidc_rp_client_id",
                    models.CharField(
                        help_text="Client ID provided by the OIDC Provider",
                        max_length=1000,
                        verbose_name="Client ID",
                    ),
                ),
                (
                    "oidc_rp_client_secret",
                    models.CharField(
                        help_text="Secret provided by the OIDC Provider",
                        max_length=1000,
                        verbose_name="Secret",
                    ),
                ),
                (
                    "oidc_rp_scopes_list",
                    mozilla_django_oidc_db.fields.StringArrayField(
                        base_field=models.CharField(max_length=50, verbose_name="Scope"),
                        blank=True,
                        default=mozilla_django_oidc_db.models.get_default_scopes,
                        help_text="Scopes that are requested during login",
                        verbose_name="Scopes",
                    ),
                ),
                (
                    "oidc_rp_sign_algo",
                    models.CharField(
                        default="RS256",
                        help_text="Algorithm the Identity Provider uses to sign ID tokens",
                        max_length=50,
                        verbose_name="OpenID sign algorithm",
                    ),
                ),
                (
                    "oidc_rp_idp_sign_key",
                    models.CharField(
                        blank=True,
                        help_text=(
                            "Public key the Identity Provider signs ID tokens with, for a "
                            "public-key sign algorithm, in PEM or DER format. When empty, "
                            "the key set (JWKS) is used."
                        ),
                        max_length=1000,
                        verbose_name="Sign key",
                    ),
                ),
                (
                    "oidc_keycloak_idp_hint",
                    models.CharField(
                        blank=True,
                        help_text=(
                            "Specific for Keycloak: parameter that indicates which identity "
                            "provider should be used (therefore skipping the Keycloak login "
                            "screen)."
                        ),
                        max_length=1000,
                        verbose_name="Keycloak Identity Provider hint",
                    ),
                ),
                (
                    "userinfo_claims_source",
                    models.CharField(
                        choices=[
                            ("userinfo_endpoint", "Userinfo endpoint"),
                            ("id_token", "ID token"),
                        ],
                        default="userinfo_endpoint",
                        help_text=(
                            "Indicates the source from which the user information claims "
                            "should be extracted."
                        ),
                        max_length=100,
                        verbose_name="user information claims extracted from",
                    ),
                ),
                (
                    "check_op_availability",
                    models.BooleanField(
                        default=False,
                        help_text=(
                            "Check the availability of the OIDC Provider before redirecting "
                            "the user to it."
                        ),
                        verbose_name="check OIDC Provider availability",
                    ),
                ),
                (
                    "options",
                    django_jsonform.models.fields.JSONField(
                        default=dict,
                        help_text="Options specific to the identity provider and use case.",
                        verbose_name="options",
                    ),
                ),
                (
                    "oidc_provider",
                    models.ForeignKey(
                        help_text=(
                            "The OIDC provider to use. It can be left empty so that clients "
                            "can be created automatically at startup."
                        ),
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        to="mozilla_django_oidc_db.oidcprovider",
                        verbose_name="OIDC Provider",
                    ),
                ),
            ],
            options={
                "verbose_name": "OIDC client",
                "verbose_name_plural": "OIDC clients",
            },
        ),
    ]

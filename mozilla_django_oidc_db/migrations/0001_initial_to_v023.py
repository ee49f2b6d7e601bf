# Squash of 0001_initial_to_v015 .. 0005: the legacy singleton configuration in the
# shape it had at release 0.23. Fresh databases run this instead of the five replaced
# migrations; databases that applied those keep them.

import django_jsonform.models.fields
from django.db import migrations, models

import mozilla_django_oidc_db.fields
import mozilla_django_oidc_db.models


class Migration(migrations.Migration):
    replaces = [
        ("mozilla_django_oidc_db", "0001_initial_to_v015"),
        ("mozilla_django_oidc_db", "0002_migrate_to_claim_field"),
        ("mozilla_django_oidc_db", "0003_openidconnectconfig_oidc_keycloak_idp_hint_and_more"),
        ("mozilla_django_oidc_db", "0004_remove_openidconnectconfig_oidc_exempt_urls"),
        ("mozilla_django_oidc_db", "0005_alter_openidconnectconfig_claim_mapping"),
    ]

    dependencies = [
        ("auth", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="OpenIDConnectConfig",
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
                ("enabled", models.BooleanField(default=False, verbose_name="enable")),
                (
                    "oidc_rp_client_id",
                    models.CharField(max_length=1000, verbose_name="OpenID Connect client ID"),
                ),
                (
                    "oidc_rp_client_secret",
                    models.CharField(max_length=1000, verbose_name="OpenID Connect secret"),
                ),
                (
                    "oidc_rp_sign_algo",
                    models.CharField(
                        default="HS256",
                        max_length=50,
                        verbose_name="OpenID sign algorithm",
                    ),
                ),
                (
                    "oidc_rp_scopes_list",
                    mozilla_django_oidc_db.fields.StringArrayField(
                        base_field=models.CharField(max_length=50, verbose_name="OpenID Connect scope"),
                        blank=True,
                        default=mozilla_django_oidc_db.models.get_default_scopes,
                        verbose_name="OpenID Connect scopes",
                    ),
                ),
                (
                    "oidc_op_jwks_endpoint",
                    models.URLField(blank=True, max_length=1000, verbose_name="JSON Web Key Set endpoint"),
                ),
                (
                    "oidc_op_authorization_endpoint",
                    models.URLField(max_length=1000, verbose_name="Authorization endpoint"),
                ),
                (
                    "oidc_op_token_endpoint",
                    models.URLField(max_length=1000, verbose_name="Token endpoint"),
                ),
                (
                    "oidc_op_user_endpoint",
                    models.URLField(max_length=1000, verbose_name="User endpoint"),
                ),
                (
                    "oidc_rp_idp_sign_key",
                    models.CharField(blank=True, max_length=1000, verbose_name="Sign key"),
                ),
                (
                    "oidc_op_discovery_endpoint",
                    models.URLField(blank=True, max_length=1000, verbose_name="Discovery endpoint"),
                ),
                (
                    "claim_mapping",
                    django_jsonform.models.fields.JSONField(
                        default=mozilla_django_oidc_db.models.get_claim_mapping,
                        verbose_name="claim mapping",
                    ),
                ),
                (
                    "make_users_staff",
                    models.BooleanField(default=False, verbose_name="make users staff"),
                ),
                (
                    "sync_groups",
                    models.BooleanField(default=True, verbose_name="synchronize groups"),
                ),
                (
                    "sync_groups_glob_pattern",
                    models.CharField(default="*", max_length=255, verbose_name="groups glob pattern"),
                ),
                (
                    "oidc_nonce_size",
                    models.PositiveIntegerField(default=32, verbose_name="Nonce size"),
                ),
                (
                    "oidc_state_size",
                    models.PositiveIntegerField(default=32, verbose_name="State size"),
                ),
                ("oidc_use_nonce", models.BooleanField(default=True, verbose_name="Use nonce")),
                (
                    "default_groups",
                    models.ManyToManyField(blank=True, to="auth.group", verbose_name="default groups"),
                ),
                (
                    "userinfo_claims_source",
                    models.CharField(
                        choices=[
                            ("userinfo_endpoint", "Userinfo endpoint"),
                            ("id_token", "ID token"),
                        ],
                        default="userinfo_endpoint",
                        max_length=100,
                        verbose_name="user information claims extracted from",
                    ),
                ),
                (
                    "superuser_group_names",
                    mozilla_django_oidc_db.fields.StringArrayField(
                        base_field=models.CharField(max_length=50, verbose_name="Superuser group name"),
                        blank=True,
                        default=list,
                        verbose_name="Superuser group names",
                    ),
                ),
                (
                    "oidc_token_use_basic_auth",
                    models.BooleanField(default=False, verbose_name="Use Basic auth for token endpoint"),
                ),
                (
                    "groups_claim",
                    mozilla_django_oidc_db.fields.ClaimField(
                        blank=True,
                        default=mozilla_django_oidc_db.fields.ClaimFieldDefault("roles"),
                        verbose_name="groups claim",
                    ),
                ),
                (
                    "username_claim",
                    mozilla_django_oidc_db.fields.ClaimField(
                        default=mozilla_django_oidc_db.fields.ClaimFieldDefault("sub"),
                        verbose_name="username claim",
                    ),
                ),
                (
                    "oidc_keycloak_idp_hint",
                    models.CharField(
                        blank=True,
                        max_length=1000,
                        verbose_name="Keycloak Identity Provider hint",
                    ),
                ),
                (
                    "oidc_op_logout_endpoint",
                    models.URLField(blank=True, max_length=1000, verbose_name="Logout endpoint"),
                ),
            ],
            options={
                "verbose_name": "OpenID Connect configuration",
            },
        ),
    ]

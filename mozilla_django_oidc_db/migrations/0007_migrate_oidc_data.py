# Moves the legacy singleton configuration into one provider and the client of the
# admin plugin, and back when migrating backwards. The plugin-specific settings (claim
# mappings, group synchronisation) end up in the client's ``options``, in the shape the
# admin plugin's schema describes.

from django.db import migrations

from mozilla_django_oidc_db.constants import (
    OIDC_ADMIN_CONFIG_IDENTIFIER,
    OIDC_ADMIN_PROVIDER_CONFIG_IDENTIFIER,
)

# Copied one to one between the legacy config and the provider / the client.
PROVIDER_FIELDS = (
    "oidc_op_discovery_endpoint",
    "oidc_op_jwks_endpoint",
    "oidc_op_authorization_endpoint",
    "oidc_op_token_endpoint",
    "oidc_op_user_endpoint",
    "oidc_op_logout_endpoint",
    "oidc_token_use_basic_auth",
    "oidc_use_nonce",
    "oidc_nonce_size",
    "oidc_state_size",
)
CLIENT_FIELDS = (
    "enabled",
    "oidc_rp_client_id",
    "oidc_rp_client_secret",
    "oidc_rp_sign_algo",
    "oidc_rp_scopes_list",
    "oidc_rp_idp_sign_key",
    "oidc_keycloak_idp_hint",
    "userinfo_claims_source",
)


def _copy(source, names) -> dict:
    return {name: getattr(source, name) for name in names}


def _mapping(data, key: str) -> dict:
    """``data[key]`` when both are mappings, else an empty dict (options are free JSON)."""
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def forward(apps, schema_editor):
    OpenIDConnectConfig = apps.get_model("mozilla_django_oidc_db", "OpenIDConnectConfig")
    OIDCProvider = apps.get_model("mozilla_django_oidc_db", "OIDCProvider")
    OIDCClient = apps.get_model("mozilla_django_oidc_db", "OIDCClient")

    old = OpenIDConnectConfig.objects.first()
    if old is None:
        return

    provider = OIDCProvider.objects.create(
        identifier=OIDC_ADMIN_PROVIDER_CONFIG_IDENTIFIER,
        **_copy(old, PROVIDER_FIELDS),
    )
    OIDCClient.objects.create(
        identifier=OIDC_ADMIN_CONFIG_IDENTIFIER,
        oidc_provider=provider,
        **_copy(old, CLIENT_FIELDS),
        options={
            "user_settings": {
                "claim_mappings": {"username": old.username_claim, **old.claim_mapping},
                "username_case_sensitive": True,
            },
            "groups_settings": {
                "claim_mapping": old.groups_claim,
                "sync": old.sync_groups,
                "sync_pattern": old.sync_groups_glob_pattern,
                "default_groups": list(
                    old.default_groups.order_by("name").values_list("name", flat=True)
                ),
                "make_users_staff": old.make_users_staff,
                "superuser_group_names": old.superuser_group_names,
            },
        },
    )


def backward(apps, schema_editor):
    OpenIDConnectConfig = apps.get_model("mozilla_django_oidc_db", "OpenIDConnectConfig")
    OIDCClient = apps.get_model("mozilla_django_oidc_db", "OIDCClient")
    Group = apps.get_model("auth", "Group")

    client = (
        OIDCClient.objects.select_related("oidc_provider")
        .filter(identifier=OIDC_ADMIN_CONFIG_IDENTIFIER)
        .first()
    )
    if client is None or client.oidc_provider is None:
        return

    claim_mapping = dict(_mapping(_mapping(client.options, "user_settings"), "claim_mappings"))
    username_claim = claim_mapping.pop("username", ["sub"])
    # rows written by setup-configuration's deprecated path say "group_settings"
    groups_settings = _mapping(client.options, "groups_settings") or _mapping(
        client.options, "group_settings"
    )

    config = OpenIDConnectConfig(
        **_copy(client.oidc_provider, PROVIDER_FIELDS),
        **_copy(client, CLIENT_FIELDS),
        claim_mapping=claim_mapping,
        username_claim=username_claim,
        groups_claim=groups_settings.get("claim_mapping", []),
        sync_groups=groups_settings.get("sync", True),
        sync_groups_glob_pattern=groups_settings.get("sync_pattern", "*"),
        make_users_staff=groups_settings.get("make_users_staff", False),
        superuser_group_names=groups_settings.get("superuser_group_names", []),
    )
    config.save()
    config.default_groups.set(
        [
            Group.objects.get_or_create(name=name)[0]
            for name in groups_settings.get("default_groups", [])
        ]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("mozilla_django_oidc_db", "0006_oidcprovider_oidcclient"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]

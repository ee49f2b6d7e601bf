"""A legacy ``OpenIDConnectConfig`` (before 0006), split by where 0007 moves each value.

Shared by the migration tests and the oracle tests that compare with the original.
"""

#: Goes to the provider ``admin-oidc-provider``.
LEGACY_PROVIDER_PART = {
    "oidc_op_discovery_endpoint": "https://op.example.com/realms/test/",
    "oidc_op_jwks_endpoint": "https://op.example.com/realms/test/certs",
    "oidc_op_authorization_endpoint": "https://op.example.com/realms/test/auth",
    "oidc_op_token_endpoint": "https://op.example.com/realms/test/token",
    "oidc_op_user_endpoint": "https://op.example.com/realms/test/userinfo",
    "oidc_op_logout_endpoint": "https://op.example.com/realms/test/logout",
    "oidc_token_use_basic_auth": True,
    "oidc_use_nonce": False,
    "oidc_nonce_size": 48,
    "oidc_state_size": 40,
}
#: Goes to the fields of the client ``admin-oidc``.
LEGACY_CLIENT_PART = {
    "enabled": True,
    "oidc_rp_client_id": "legacy-client",
    "oidc_rp_client_secret": "legacy-secret",
    "oidc_rp_sign_algo": "RS256",
    "oidc_rp_scopes_list": ["openid", "email", "groups"],
    "oidc_rp_idp_sign_key": "",
    "oidc_keycloak_idp_hint": "corporate",
    "userinfo_claims_source": "id_token",
}
#: Goes to the client's ``options`` (claim mappings and group synchronisation).
LEGACY_PLUGIN_PART = {
    "claim_mapping": {"email": ["email"], "first_name": ["given_name"]},
    "username_claim": ["preferred_username"],
    "groups_claim": ["realm_access", "roles"],
    "sync_groups": False,
    "sync_groups_glob_pattern": "local.*",
    "make_users_staff": True,
    "superuser_group_names": ["superusers"],
}
LEGACY_CONFIG = {**LEGACY_PROVIDER_PART, **LEGACY_CLIENT_PART, **LEGACY_PLUGIN_PART}
LEGACY_GROUPS = ["Editors", "Readers"]

#: The client's ``options`` made from LEGACY_PLUGIN_PART and LEGACY_GROUPS.
EXPECTED_OPTIONS = {
    "user_settings": {
        "claim_mappings": {
            "username": ["preferred_username"],
            "email": ["email"],
            "first_name": ["given_name"],
        },
        "username_case_sensitive": True,
    },
    "groups_settings": {
        "claim_mapping": ["realm_access", "roles"],
        "sync": False,
        "sync_pattern": "local.*",
        "default_groups": LEGACY_GROUPS,
        "make_users_staff": True,
        "superuser_group_names": ["superusers"],
    },
}

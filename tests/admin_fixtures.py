"""A provider and the admin client configured by hand, without a real OP.

Fixtures ``manual_provider`` and ``manual_admin_client`` for the admin, form and
browser tests of the admin pages. The discovery constants describe a Keycloak-like OP
that tests serve with requests-mock.
"""

import copy

import pytest

from mozilla_django_oidc_db.models import OIDCClient, OIDCProvider

from .op_fixtures import ADMIN_OPTIONS  # the fully specified options of API.md §7.1

__all__ = ["ADMIN_OPTIONS", "BASE_URL", "DISCOVERY_URL", "DOCUMENT", "ISSUER"]

BASE_URL = "https://op.example.com/realms/test/"
ISSUER = "https://op.example.com/realms/test"
DISCOVERY_URL = BASE_URL + ".well-known/openid-configuration"

DOCUMENT = {
    "issuer": ISSUER,
    "authorization_endpoint": f"{ISSUER}/protocol/openid-connect/auth",
    "token_endpoint": f"{ISSUER}/protocol/openid-connect/token",
    "userinfo_endpoint": f"{ISSUER}/protocol/openid-connect/userinfo",
    "jwks_uri": f"{ISSUER}/protocol/openid-connect/certs",
    "end_session_endpoint": f"{ISSUER}/protocol/openid-connect/logout",
    "response_types_supported": ["code"],
    "subject_types_supported": ["public"],
    "id_token_signing_alg_values_supported": ["RS256"],
}


@pytest.fixture
def manual_provider(db):
    """A provider with typed endpoints (no discovery)."""
    return OIDCProvider.objects.create(
        identifier="test-op",
        oidc_op_authorization_endpoint="https://op.example.com/auth",
        oidc_op_token_endpoint="https://op.example.com/token",
        oidc_op_user_endpoint="https://op.example.com/userinfo",
        oidc_op_jwks_endpoint="https://op.example.com/jwks",
    )


@pytest.fixture
def manual_admin_client(manual_provider):
    """The ``admin-oidc`` client, disabled, with a stored secret and :data:`ADMIN_OPTIONS`."""
    # get_or_create: transactional tests empty the tables, the post-migrate row included
    client, _ = OIDCClient.objects.get_or_create(identifier="admin-oidc")
    client.oidc_provider = manual_provider
    client.oidc_rp_client_id = "the-client"
    client.oidc_rp_client_secret = "the-stored-secret"
    client.oidc_rp_scopes_list = ["openid", "email"]
    client.options = copy.deepcopy(ADMIN_OPTIONS)
    client.save()
    return client

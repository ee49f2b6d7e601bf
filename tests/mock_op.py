"""A mocked OpenID Provider (requests-mock) for tests of single login steps.

``admin_client_config`` configures the ``admin-oidc`` client for it (HS256 ID tokens
signed with the client secret); ``start_login`` and ``answer_at_the_op`` play the
browser's first step and the provider's answers to the callback.
"""

import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from mozilla_django_oidc_db.models import OIDCClient, OIDCProvider

ISSUER = "https://op.example/realms/test"
CLIENT_ID = "budget-client"
SECRET = "a-long-enough-client-secret-for-hmac-sha-256-signatures"


@pytest.fixture
def admin_client_config(db):
    provider = OIDCProvider.objects.create(
        identifier="budget-op",
        oidc_op_issuer=ISSUER,
        oidc_op_authorization_endpoint=f"{ISSUER}/auth",
        oidc_op_token_endpoint=f"{ISSUER}/token",
        oidc_op_user_endpoint=f"{ISSUER}/userinfo",
        oidc_op_jwks_endpoint=f"{ISSUER}/certs",
    )
    OIDCClient.objects.filter(identifier="admin-oidc").update(
        enabled=True,
        oidc_provider=provider,
        oidc_rp_client_id=CLIENT_ID,
        oidc_rp_client_secret=SECRET,
        oidc_rp_sign_algo="HS256",
        options={
            "user_settings": {
                "claim_mappings": {"username": ["sub"], "email": ["email"]},
            },
            "groups_settings": {"make_users_staff": True, "claim_mapping": ["roles"]},
        },
    )


def start_login(client) -> dict[str, str]:
    response = client.get("/oidc/authenticate/", {"next": "/admin/"})
    assert response.status_code == 302, response
    return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


def mint_id_token(nonce: str) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "sub": "budget-user",
        "iat": now,
        "exp": now + 300,
        "nonce": nonce,
    }
    return jwt.encode(claims, SECRET, algorithm="HS256")


def answer_at_the_op(requests_mock, nonce: str, **userinfo) -> None:
    """The OP's token and userinfo endpoints, answering for ``budget-user``."""
    requests_mock.post(
        f"{ISSUER}/token",
        json={"id_token": mint_id_token(nonce), "access_token": "at", "token_type": "Bearer"},
    )
    requests_mock.get(f"{ISSUER}/userinfo", json={"sub": "budget-user", **userinfo})

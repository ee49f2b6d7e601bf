"""Statement budgets: one query for the client per login step, none per fresh request.

Counted, not timed: each test captures the SQL of a step and counts the statements
that read the package's tables.
"""

import time
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

import jwt
import pytest

from mozilla_django_oidc_db.models import OIDCClient, OIDCProvider

ISSUER = "https://op.example/realms/test"
CLIENT_ID = "budget-client"
SECRET = "a-long-enough-client-secret-for-hmac-sha-256-signatures"


def package_queries(context: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in context.captured_queries if "mozilla_django_oidc_db_" in q["sql"]]


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


def log_in_with_expired_token(client, requests_mock) -> dict[str, str]:
    """Log in; return the parameters of the authorization request."""
    params = start_login(client)
    answer_at_the_op(requests_mock, params["nonce"], email="b@example.com")
    client.get("/oidc/callback/", {"code": "c0de", "state": params["state"]})
    session = client.session
    session["oidc_id_token_expiration"] = time.time() - 1
    session.save()
    return params


@pytest.mark.django_db
def test_login_start_resolves_the_client_once(client, admin_client_config):
    with CaptureQueriesContext(connection) as context:
        params = start_login(client)

    assert params["client_id"] == CLIENT_ID
    assert len(package_queries(context)) == 1, package_queries(context)


@pytest.mark.django_db
def test_callback_resolves_the_client_once(client, admin_client_config, requests_mock):
    params = start_login(client)
    answer_at_the_op(requests_mock, params["nonce"], email="budget@example.com", roles=["a", "b"])

    with CaptureQueriesContext(connection) as context:
        response = client.get("/oidc/callback/", {"code": "c0de", "state": params["state"]})

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    user = get_user_model().objects.get(username="budget-user")
    assert user.email == "budget@example.com" and user.is_staff
    assert len(package_queries(context)) == 1, package_queries(context)


@pytest.mark.django_db
def test_fresh_session_costs_no_query_of_the_package(client, admin_client_config, requests_mock):
    params = start_login(client)
    answer_at_the_op(requests_mock, params["nonce"], email="b@example.com")
    client.get("/oidc/callback/", {"code": "c0de", "state": params["state"]})

    with CaptureQueriesContext(connection) as context:
        response = client.get("/admin/")

    assert response.status_code == 200
    assert package_queries(context) == []


@pytest.mark.django_db
def test_expired_session_refresh_resolves_the_client_once(
    client, admin_client_config, requests_mock
):
    log_in_with_expired_token(client, requests_mock)

    with CaptureQueriesContext(connection) as context:
        response = client.get("/admin/")

    assert response.status_code == 302
    refresh = parse_qs(urlsplit(response["Location"]).query)
    assert refresh["prompt"] == ["none"] and refresh["client_id"] == [CLIENT_ID]
    assert len(package_queries(context)) == 1, package_queries(context)


@pytest.mark.django_db
def test_session_refresh_marks_its_state_and_keeps_client_parameters(
    client, admin_client_config, requests_mock
):
    OIDCClient.objects.filter(identifier="admin-oidc").update(oidc_keycloak_idp_hint="corp-idp")
    params = log_in_with_expired_token(client, requests_mock)
    assert params["kc_idp_hint"] == "corp-idp"

    response = client.get("/admin/", headers={"x-requested-with": "XMLHttpRequest"})

    assert response.status_code == 403
    refresh = parse_qs(urlsplit(response.json()["refresh_url"]).query)
    assert refresh["kc_idp_hint"] == ["corp-idp"]
    state_entry = client.session["oidc_states"][refresh["state"][0]]
    assert state_entry["config_identifier"] == "admin-oidc"

"""Statement budgets: one query for the client per login step, none per fresh request.

Counted, not timed: each test captures the SQL of a step and counts the statements
that read the package's tables.
"""

import time
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest

from mozilla_django_oidc_db.models import OIDCClient
from tests.mock_op import CLIENT_ID, answer_at_the_op, start_login


def package_queries(context: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in context.captured_queries if "mozilla_django_oidc_db_" in q["sql"]]


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

"""The login flow end to end, against a real OpenID Provider (tests/op, oidc-provider).

The RP is pytest-django's live server; a ``requests.Session`` (``browser``) plays the
browser, and ``op.login`` fills the OP's login and consent forms.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model

from .op_fixtures import ADMIN_CLIENT_ID, CITIZEN_CLIENT_ID

pytestmark = pytest.mark.e2e

User = get_user_model()


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def start_admin_login(browser, live_server, next_url: str = "/admin/") -> str:
    """GET /oidc/authenticate/ at the RP; return the authorization URL it redirects to."""
    response = browser.get(
        f"{live_server.url}/oidc/authenticate/",
        params={"next": next_url},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def finish_at_rp(browser, callback_url: str):
    """Follow the OP's redirect to the RP's callback, and the RP's redirects after it."""
    return browser.get(callback_url, timeout=10)


def admin_login(browser, live_server, op, username: str, password: str):
    authorize_url = start_admin_login(browser, live_server)
    callback_url = op.login(browser, authorize_url, username, password)
    return finish_at_rp(browser, callback_url)


def test_admin_login_creates_staff_user_with_mapped_fields_and_groups(
    browser, live_server, op, admin_oidc_client
):
    authorize_url = start_admin_login(browser, live_server)

    assert authorize_url.startswith(op.authorization_endpoint + "?")
    params = query_of(authorize_url)
    assert params["client_id"] == ADMIN_CLIENT_ID
    assert params["redirect_uri"] == f"{live_server.url}/oidc/callback/"
    assert params["scope"].split() == ["openid", "email", "profile", "groups"]
    assert params["response_type"] == "code"
    assert params["state"] and params["nonce"]

    callback_url = op.login(browser, authorize_url, "alice", "alice-password")
    assert callback_url.startswith(f"{live_server.url}/oidc/callback/?")
    assert query_of(callback_url)["state"] == params["state"]

    response = finish_at_rp(browser, callback_url)

    assert response.status_code == 200
    assert urlsplit(response.url).path == "/admin/"
    assert "Site administration" in response.text
    user = User.objects.get(username="alice")
    assert user.email == "alice@example.com"
    assert user.first_name == "Alice"
    assert user.last_name == "Adams"
    assert user.is_staff
    assert user.is_superuser
    assert sorted(user.groups.values_list("name", flat=True)) == ["editors", "superuser"]
    # the RP exchanged the code and fetched the user info
    assert len(op.requests_to("/token")) == 1
    assert len(op.requests_to("/me")) == 1

"""The login flow end to end, against a real OpenID Provider (tests/op, oidc-provider).

The RP is pytest-django's live server; a ``requests.Session`` (``browser``) plays the
browser, and ``op.login`` fills the OP's login and consent forms.
"""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth import get_user_model

import pytest
import requests

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


def new_browser() -> requests.Session:
    """A browser with no cookies: neither an RP nor an OP session."""
    return requests.Session()


def rp_session(browser) -> dict:
    """The RP's session data of this browser."""
    from importlib import import_module

    from django.conf import settings

    store = import_module(settings.SESSION_ENGINE).SessionStore
    return store(session_key=browser.cookies[settings.SESSION_COOKIE_NAME]).load()


def wait_until(timestamp: float) -> None:
    time.sleep(max(0.0, timestamp - time.time()) + 0.1)


def admin_groups(user) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True))


def test_second_login_updates_user_from_changed_claims(live_server, op, admin_oidc_client):
    with new_browser() as browser:
        admin_login(browser, live_server, op, "alice", "alice-password")
    op.update_claims(
        "alice",
        email="alice.adams@example.org",
        given_name="Alicia",
        family_name="Adams-Smith",
        groups=["editors", "reviewers"],
    )

    with new_browser() as browser:
        response = admin_login(browser, live_server, op, "alice", "alice-password")

    assert urlsplit(response.url).path == "/admin/"
    assert User.objects.count() == 1
    user = User.objects.get(username="alice")
    assert (user.email, user.first_name, user.last_name) == (
        "alice.adams@example.org",
        "Alicia",
        "Adams-Smith",
    )
    assert admin_groups(user) == ["editors", "reviewers"]
    assert not user.is_superuser  # "superuser" is no longer among the groups


def test_superuser_granted_then_revoked_by_groups_at_the_op(live_server, op, admin_oidc_client):
    with new_browser() as browser:
        response = admin_login(browser, live_server, op, "bob", "bob-password")
        assert "Site administration" in response.text
    bob = User.objects.get(username="bob")
    assert bob.is_staff and not bob.is_superuser
    assert admin_groups(bob) == ["editors"]

    op.update_claims("bob", groups=["editors", "superuser"])
    with new_browser() as browser:
        admin_login(browser, live_server, op, "bob", "bob-password")
        # a superuser sees the user admin without any permission assigned
        assert browser.get(f"{live_server.url}/admin/auth/user/", timeout=10).status_code == 200
    bob.refresh_from_db()
    assert bob.is_superuser
    assert admin_groups(bob) == ["editors", "superuser"]

    op.update_claims("bob", groups=[])
    with new_browser() as browser:
        admin_login(browser, live_server, op, "bob", "bob-password")
        assert browser.get(f"{live_server.url}/admin/auth/user/", timeout=10).status_code == 403
    bob.refresh_from_db()
    assert bob.is_staff and not bob.is_superuser
    assert admin_groups(bob) == []


def test_admin_and_citizen_clients_side_by_side(
    browser, live_server, op, admin_oidc_client, citizen_oidc_client
):
    # 1. the admin logs in through admin-oidc
    admin_url = start_admin_login(browser, live_server)
    assert query_of(admin_url)["client_id"] == ADMIN_CLIENT_ID
    assert "ui_locales" not in query_of(admin_url)
    response = finish_at_rp(browser, op.login(browser, admin_url, "alice", "alice-password"))
    assert urlsplit(response.url).path == "/admin/"

    # 2. in the same browser, the citizen login: its own client id and extra parameter
    response = browser.get(f"{live_server.url}/citizen/login/", allow_redirects=False, timeout=10)
    assert response.status_code == 302
    citizen_url = response.headers["Location"]
    assert citizen_url.startswith(op.authorization_endpoint + "?")
    citizen_params = query_of(citizen_url)
    assert citizen_params["client_id"] == CITIZEN_CLIENT_ID
    assert citizen_params["ui_locales"] == "nl"
    assert citizen_params["redirect_uri"] == f"{live_server.url}/oidc/callback/"

    # the OP still has alice's session: only the consent for the new client is asked
    consent_page = browser.get(citizen_url, timeout=10)
    assert 'id="consent-form"' in consent_page.text
    assert '<html lang="nl">' in consent_page.text  # the OP received ui_locales
    callback_url = op.login(browser, citizen_url, "alice", "alice-password")
    response = finish_at_rp(browser, callback_url)

    # routed to the citizen plugin: identified in the session, redirected to /citizen/
    assert urlsplit(response.url).path == "/citizen/"
    assert response.text == "citizen alice Alice Adams"
    # the admin session is untouched
    assert "Site administration" in browser.get(f"{live_server.url}/admin/", timeout=10).text
    client_ids = [r["query"].get("client_id") for r in op.requests_to("/auth")]
    assert client_ids[0] == ADMIN_CLIENT_ID and client_ids[-1] == CITIZEN_CLIENT_ID


def test_citizen_login_creates_no_user(browser, live_server, op, citizen_oidc_client):
    response = browser.get(f"{live_server.url}/citizen/login/", allow_redirects=False, timeout=10)
    callback_url = op.login(
        browser, response.headers["Location"], "carol-citizen", "carol-password"
    )
    response = finish_at_rp(browser, callback_url)

    assert urlsplit(response.url).path == "/citizen/"
    assert response.text == "citizen carol-citizen Carol Citizen"
    assert not User.objects.exists()
    # no admin session came with it
    admin = browser.get(f"{live_server.url}/admin/", allow_redirects=False, timeout=10)
    assert admin.status_code == 302 and "/admin/login/" in admin.headers["Location"]


def test_session_refresh_after_expiry_renews_silently(
    browser, live_server, op, admin_oidc_client, settings
):
    settings.OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS = 3
    admin_login(browser, live_server, op, "alice", "alice-password")
    expiration = rp_session(browser)["oidc_id_token_expiration"]
    assert 0 < expiration - time.time() <= 3
    if time.time() < expiration - 0.5:  # not due yet: no trip to the OP
        response = browser.get(f"{live_server.url}/admin/", allow_redirects=False, timeout=10)
        assert response.status_code == 200
    op.update_claims("alice", given_name="Renewed")
    wait_until(expiration)

    # an XHR gets the refresh URL instead of a redirect
    xhr = browser.get(
        f"{live_server.url}/admin/",
        headers={"X-Requested-With": "XMLHttpRequest"},
        allow_redirects=False,
        timeout=10,
    )
    assert xhr.status_code == 403
    assert xhr.json()["refresh_url"].startswith(op.authorization_endpoint + "?")

    response = browser.get(
        f"{live_server.url}/admin/password_change/", allow_redirects=False, timeout=10
    )
    assert response.status_code == 302
    refresh_url = response.headers["Location"]
    assert refresh_url.startswith(op.authorization_endpoint + "?")
    params = query_of(refresh_url)
    assert params["prompt"] == "none"
    assert params["client_id"] == ADMIN_CLIENT_ID

    # the OP session is alive: straight back to the callback, no form
    callback_url = op.login(browser, refresh_url, "alice", "unused")
    assert "code" in query_of(callback_url), callback_url
    response = finish_at_rp(browser, callback_url)

    assert urlsplit(response.url).path == "/admin/password_change/"
    assert response.status_code == 200
    assert "Password change" in response.text
    assert User.objects.get(username="alice").first_name == "Renewed"
    # renewed: the next request is served without another trip to the OP
    again = browser.get(f"{live_server.url}/admin/", allow_redirects=False, timeout=10)
    assert again.status_code == 200


@pytest.mark.parametrize(
    "source, expected_name, expected_groups, userinfo_calls",
    [
        ("id_token", "FromIdToken", ["from-id-token"], 0),
        ("userinfo_endpoint", "FromUserinfo", ["from-userinfo"], 1),
    ],
)
def test_claims_source(
    browser,
    live_server,
    op,
    admin_oidc_client,
    source,
    expected_name,
    expected_groups,
    userinfo_calls,
):
    account = op.account("alice")
    account["id_token_claims"] = {"given_name": "FromIdToken", "groups": ["from-id-token"]}
    account["userinfo_claims"] = {"given_name": "FromUserinfo", "groups": ["from-userinfo"]}
    op.reconfigure(accounts=[account])
    admin_oidc_client.userinfo_claims_source = source
    admin_oidc_client.save()

    response = admin_login(browser, live_server, op, "alice", "alice-password")

    assert urlsplit(response.url).path == "/admin/"
    user = User.objects.get(username="alice")
    assert user.first_name == expected_name
    assert user.email == "alice@example.com"
    assert admin_groups(user) == expected_groups
    assert len(op.requests_to("/me")) == userinfo_calls


@pytest.mark.parametrize("cancel_at", ["login", "consent"])
def test_cancel_at_the_op_shows_admin_failure_page(
    browser, live_server, op, admin_oidc_client, cancel_at
):
    authorize_url = start_admin_login(browser, live_server)
    callback_url = op.login(browser, authorize_url, "alice", "alice-password", cancel_at=cancel_at)
    assert query_of(callback_url)["error"] == "access_denied"

    response = finish_at_rp(browser, callback_url)

    assert urlsplit(response.url).path == "/admin/login/failure/"
    assert response.status_code == 200
    assert "cancelled or refused at the identity provider" in response.text
    assert not User.objects.exists()
    assert op.requests_to("/token") == []


def test_disabled_client_shows_failure_page(browser, live_server, op, admin_oidc_client):
    admin_oidc_client.enabled = False
    admin_oidc_client.save()

    response = browser.get(f"{live_server.url}/oidc/authenticate/?next=/admin/", timeout=10)

    assert urlsplit(response.url).path == "/admin/login/failure/"
    assert response.status_code == 200
    assert "currently disabled" in response.text
    assert op.requests_to("/auth") == []
    assert not User.objects.exists()


def test_client_disabled_during_login_shows_failure_page(
    browser, live_server, op, admin_oidc_client
):
    authorize_url = start_admin_login(browser, live_server)
    callback_url = op.login(browser, authorize_url, "alice", "alice-password")
    admin_oidc_client.enabled = False
    admin_oidc_client.save()

    response = finish_at_rp(browser, callback_url)

    assert urlsplit(response.url).path == "/admin/login/failure/"
    assert response.status_code == 200
    assert "could not be completed" in response.text
    assert op.requests_to("/token") == []  # refused before the code was exchanged
    assert not User.objects.exists()


def test_pkce_challenge_is_sent_and_checked_by_the_op(browser, live_server, op, admin_oidc_client):
    authorize_url = start_admin_login(browser, live_server)
    params = query_of(authorize_url)
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43

    admin_login_response = finish_at_rp(
        browser, op.login(browser, authorize_url, "alice", "alice-password")
    )

    # the OP checked the code_verifier against the challenge when it issued the tokens
    assert urlsplit(admin_login_response.url).path == "/admin/"
    assert User.objects.filter(username="alice").exists()


def test_replayed_callback_is_refused(browser, live_server, op, admin_oidc_client):
    authorize_url = start_admin_login(browser, live_server)
    callback_url = op.login(browser, authorize_url, "alice", "alice-password")
    assert urlsplit(finish_at_rp(browser, callback_url).url).path == "/admin/"

    # another browser, without the RP session of this login
    with new_browser() as other:
        response = other.get(callback_url, allow_redirects=False, timeout=10)
        assert response.status_code == 400
    # the same browser again: the state was used
    response = finish_at_rp(browser, callback_url)
    assert urlsplit(response.url).path == "/admin/login/failure/"
    assert "already used" in response.text
    assert len(op.requests_to("/token")) == 1


def test_wrong_client_secret_shows_failure_page(browser, live_server, op, admin_oidc_client):
    admin_oidc_client.oidc_rp_client_secret = "not-the-secret"
    admin_oidc_client.save()

    response = admin_login(browser, live_server, op, "alice", "alice-password")

    assert urlsplit(response.url).path == "/admin/login/failure/"
    assert "could not be reached or returned an error" in response.text
    assert len(op.requests_to("/token")) == 1
    assert not User.objects.exists()


def test_es256_id_token_and_signed_userinfo(browser, live_server, op, admin_oidc_client):
    clients = op.config["clients"]
    for client in clients:
        if client["client_id"] == ADMIN_CLIENT_ID:
            client["id_token_signed_response_alg"] = "ES256"
            client["userinfo_signed_response_alg"] = "ES256"
    op.reconfigure(clients=clients)
    admin_oidc_client.oidc_rp_sign_algo = "ES256"
    admin_oidc_client.save()

    response = admin_login(browser, live_server, op, "alice", "alice-password")

    assert urlsplit(response.url).path == "/admin/"
    user = User.objects.get(username="alice")
    assert (user.first_name, user.last_name) == ("Alice", "Adams")
    assert admin_groups(user) == ["editors", "superuser"]
    [userinfo] = op.requests_to("/me")
    assert userinfo["status"] == 200
    assert userinfo["content_type"].startswith("application/jwt")


def test_login_after_the_op_rotated_its_keys(live_server, op, admin_oidc_client):
    old_kids = {key["kid"] for key in op.state()["jwks"]["keys"]}
    with new_browser() as browser:
        admin_login(browser, live_server, op, "alice", "alice-password")

    new_kids = {key["kid"] for key in op.rotate_keys()["keys"]}
    assert not old_kids & new_kids
    op.update_claims("alice", given_name="Rotated")
    with new_browser() as browser:
        response = admin_login(browser, live_server, op, "alice", "alice-password")

    assert urlsplit(response.url).path == "/admin/"
    assert User.objects.get(username="alice").first_name == "Rotated"


def test_nested_groups_claim(browser, live_server, op, admin_oidc_client):
    op.reconfigure(scopes={"groups": ["groups", "realm_access"]})
    op.update_claims("bob", realm_access={"roles": ["superuser", "auditors"]})
    options = admin_oidc_client.options
    options["groups_settings"]["claim_mapping"] = ["realm_access", "roles"]
    admin_oidc_client.save()

    admin_login(browser, live_server, op, "bob", "bob-password")

    bob = User.objects.get(username="bob")
    assert bob.is_superuser
    assert admin_groups(bob) == ["auditors", "superuser"]


@pytest.mark.parametrize(
    "next_url, landing",
    [("/admin/auth/group/", "/admin/auth/group/"), ("http://evil.example/", "/admin/")],
)
def test_next_url_is_honoured_only_when_safe(
    browser, live_server, op, admin_oidc_client, next_url, landing
):
    authorize_url = start_admin_login(browser, live_server, next_url=next_url)
    response = finish_at_rp(browser, op.login(browser, authorize_url, "alice", "alice-password"))

    assert response.status_code == 200
    assert urlsplit(response.url).netloc == urlsplit(live_server.url).netloc
    assert urlsplit(response.url).path == landing


def test_op_availability_check_before_redirect(browser, live_server, op, admin_oidc_client):
    admin_oidc_client.check_op_availability = True
    admin_oidc_client.save()

    response = admin_login(browser, live_server, op, "alice", "alice-password")

    assert urlsplit(response.url).path == "/admin/"
    # the probe: a bare GET of the authorization endpoint (oidc-provider answers 400)
    probes = [r for r in op.requests_to("/auth") if not r["query"]]
    assert len(probes) == 1 and probes[0]["status"] == 400


def test_session_refresh_without_op_session_logs_out(
    browser, live_server, op, admin_oidc_client, settings
):
    settings.OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS = 1
    admin_login(browser, live_server, op, "alice", "alice-password")
    browser.cookies.clear(domain="127.0.0.1")  # the OP session is gone (the RP's stays)
    wait_until(rp_session(browser)["oidc_id_token_expiration"])

    response = browser.get(f"{live_server.url}/admin/", allow_redirects=False, timeout=10)
    assert query_of(response.headers["Location"])["prompt"] == "none"
    callback_url = op.login(browser, response.headers["Location"], "alice", "unused")
    assert query_of(callback_url)["error"] == "login_required"

    response = finish_at_rp(browser, callback_url)

    assert urlsplit(response.url).path == "/admin/login/failure/"
    admin = browser.get(f"{live_server.url}/admin/", allow_redirects=False, timeout=10)
    assert admin.status_code == 302 and "/admin/login/" in admin.headers["Location"]


def test_login_after_the_op_restarted(live_server, op, admin_oidc_client):
    issuer = op.issuer
    with new_browser() as browser:
        admin_login(browser, live_server, op, "alice", "alice-password")

    op.restart()  # new keys, all OP sessions and grants lost; same issuer and endpoints

    assert op.issuer == issuer
    with new_browser() as browser:
        response = admin_login(browser, live_server, op, "bob", "bob-password")
    assert "Site administration" in response.text
    assert set(User.objects.values_list("username", flat=True)) == {"alice", "bob"}


def test_citizen_cancel_shows_the_reason_on_its_failure_page(
    browser, live_server, op, citizen_oidc_client
):
    response = browser.get(f"{live_server.url}/citizen/login/", allow_redirects=False, timeout=10)
    callback_url = op.login(
        browser,
        response.headers["Location"],
        "carol-citizen",
        "carol-password",
        cancel_at="consent",
    )

    response = finish_at_rp(browser, callback_url)

    assert urlsplit(response.url).path == "/login-failed/"
    assert "cancelled or refused at the identity provider" in response.text
    assert browser.get(f"{live_server.url}/citizen/", timeout=10).status_code == 401


def test_citizen_login_with_disabled_client(browser, live_server, op, citizen_oidc_client):
    citizen_oidc_client.enabled = False
    citizen_oidc_client.save()

    response = browser.get(f"{live_server.url}/citizen/login/", timeout=10)

    assert urlsplit(response.url).path == "/login-failed/"
    assert "currently disabled" in response.text
    assert op.requests_to("/auth") == []


def test_deactivated_user_is_refused(browser, live_server, op, admin_oidc_client):
    User.objects.create_user(username="alice", email="old@example.com", is_active=False)

    response = admin_login(browser, live_server, op, "alice", "alice-password")

    assert urlsplit(response.url).path == "/admin/login/failure/"
    assert "could not be completed" in response.text
    assert (
        browser.get(f"{live_server.url}/admin/", allow_redirects=False, timeout=10).status_code
        == 302
    )


def test_admin_logout_ends_the_session_at_the_op(browser, live_server, op, admin_oidc_client):
    admin_login(browser, live_server, op, "alice", "alice-password")
    index = browser.get(f"{live_server.url}/admin/", timeout=10)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', index.text).group(1)

    response = browser.post(
        f"{live_server.url}/admin/logout/",
        data={"csrfmiddlewaretoken": csrf},
        allow_redirects=False,
        timeout=10,
    )

    # logged out of Django, and sent to the OP's end-session endpoint
    assert response.status_code == 302
    end_session_url = response.headers["Location"]
    assert end_session_url.startswith(op.end_session_endpoint + "?")
    params = query_of(end_session_url)
    assert params["client_id"] == ADMIN_CLIENT_ID
    assert params["post_logout_redirect_uri"] == f"{live_server.url}/admin/"
    assert params["id_token_hint"].count(".") == 2
    admin = browser.get(f"{live_server.url}/admin/", allow_redirects=False, timeout=10)
    assert admin.status_code == 302 and "/admin/login/" in admin.headers["Location"]

    back = op.logout(browser, end_session_url)
    assert back.startswith(f"{live_server.url}/admin/?")
    assert query_of(back)["state"] == params["state"]
    # the OP session is gone too: the next login asks for the password again
    authorize_url = start_admin_login(browser, live_server)
    assert 'id="login-form"' in browser.get(authorize_url, timeout=10).text


def test_op_down_with_availability_check_shows_failure_page(
    browser, live_server, op, admin_oidc_client
):
    admin_oidc_client.check_op_availability = True
    admin_oidc_client.save()
    op.stop()
    try:
        response = browser.get(
            f"{live_server.url}/oidc/authenticate/", params={"next": "/admin/"}, timeout=30
        )
    finally:
        op.start()

    assert response.status_code == 200
    assert urlsplit(response.url).path == "/admin/login/failure/"
    assert "appears to be down" in response.text

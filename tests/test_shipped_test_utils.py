"""The test utilities the package ships: factories, OIDCMixin and the login helpers."""

from __future__ import annotations

import importlib
import sys
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth import get_user_model
from django.test import TestCase

import pytest
import requests

from mozilla_django_oidc_db.models import OIDCClient, OIDCProvider
from mozilla_django_oidc_db.tests.factories import (
    ADMIN_OPTIONS,
    OIDCClientFactory,
    OIDCProviderFactory,
)
from mozilla_django_oidc_db.tests.mixins import (
    NOT_A_RANDOM_STRING,
    OIDCMixin,
    mock_random_state_and_nonce,
)
from mozilla_django_oidc_db.tests.utils import keycloak_login, op_login
from mozilla_django_oidc_db.validators import validate_options

from .op_fixtures import ADMIN_CLIENT_ID, default_clients

User = get_user_model()

RP = "http://testserver"


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


# -- factories -----------------------------------------------------------------------------


class TestFactories:
    def test_provider_endpoints_and_issuer_follow_the_discovery_url(self, db):
        provider = OIDCProviderFactory(
            identifier="kc", oidc_op_discovery_endpoint="http://keycloak.local:8080/realms/test/"
        )

        base = "http://keycloak.local:8080/realms/test/"
        assert provider.oidc_op_jwks_endpoint == base + "protocol/openid-connect/certs"
        assert provider.oidc_op_authorization_endpoint == base + "openid-connect/auth"
        assert provider.oidc_op_token_endpoint == base + "protocol/openid-connect/token"
        assert provider.oidc_op_user_endpoint == base + "protocol/openid-connect/userinfo"
        assert provider.oidc_op_logout_endpoint == base + "protocol/openid-connect/logout"
        assert provider.oidc_op_issuer == "http://keycloak.local:8080/realms/test"
        assert provider.oidc_use_pkce is True

    def test_random_provider(self, db):
        provider = OIDCProviderFactory()

        assert provider.pk
        assert provider.oidc_op_discovery_endpoint.endswith("/")
        assert provider.oidc_op_issuer == provider.oidc_op_discovery_endpoint.rstrip("/")

    def test_client_defaults(self, db):
        client = OIDCClientFactory(identifier="some-client")

        assert client.pk
        assert client.oidc_provider.pk
        assert client.oidc_rp_client_id and client.oidc_rp_client_secret
        assert client.options == {"bla": "bla"}

    def test_admin_options_trait_gives_options_the_admin_plugin_accepts(self, db):
        OIDCClient.objects.filter(identifier="admin-oidc").delete()

        client = OIDCClientFactory(identifier="admin-oidc", with_admin_options=True)

        assert client.options == ADMIN_OPTIONS
        validate_options("admin-oidc", client.options)
        client.refresh_from_db()
        assert client.options == ADMIN_OPTIONS

    def test_admin_options_are_fresh_objects_and_overridable(self, db):
        first = OIDCClientFactory.build(with_admin_options=True)
        second = OIDCClientFactory.build(
            with_admin_options=True, options__groups_settings__make_users_staff=False
        )

        first.options["user_settings"]["claim_mappings"]["username"].append("changed")

        assert second.options["user_settings"]["claim_mappings"]["username"] == ["sub"]
        assert ADMIN_OPTIONS["user_settings"]["claim_mappings"]["username"] == ["sub"]
        assert second.options["groups_settings"]["make_users_staff"] is False

    def test_get_or_create_returns_the_existing_client_unchanged(self, db):
        existing = OIDCClient.objects.get(identifier="admin-oidc")  # post-migrate hook

        client = OIDCClientFactory(identifier="admin-oidc", oidc_rp_client_id="ignored")

        assert client.pk == existing.pk
        assert client.oidc_rp_client_id == existing.oidc_rp_client_id


# -- imports without the optional dependencies --------------------------------------------


@pytest.mark.parametrize(
    "module, missing, needed",
    [
        ("mozilla_django_oidc_db.tests.factories", "factory", "factory-boy"),
        ("mozilla_django_oidc_db.tests.utils", "pyquery", "pyquery"),
    ],
)
def test_missing_test_dependency_gives_a_clear_import_error(monkeypatch, module, missing, needed):
    monkeypatch.setitem(sys.modules, missing, None)  # `import <missing>` fails
    monkeypatch.delitem(sys.modules, module)

    with pytest.raises(ImportError) as excinfo:
        importlib.import_module(module)

    message = str(excinfo.value)
    assert module in message
    assert needed in message
    assert "mozilla-django-oidc-db[tests]" in message


# -- mock_random_state_and_nonce -------------------------------------------------------------


@pytest.mark.django_db
def test_mocked_state_nonce_and_pkce_verifier(client):
    provider = OIDCProviderFactory(identifier="kc")
    OIDCClient.objects.filter(identifier="admin-oidc").update(
        enabled=True, oidc_provider=provider, oidc_rp_client_id="c", oidc_rp_client_secret="s"
    )

    with mock_random_state_and_nonce():
        response = client.get("/oidc/authenticate/")

    params = query_of(response["Location"])
    assert params["state"] == NOT_A_RANDOM_STRING
    assert params["nonce"] == NOT_A_RANDOM_STRING
    assert "code_challenge" in params
    state = client.session["oidc_states"][NOT_A_RANDOM_STRING]
    assert state["nonce"] == NOT_A_RANDOM_STRING
    assert state["code_verifier"] == NOT_A_RANDOM_STRING

    response = client.get("/oidc/authenticate/")  # outside the block: random again
    assert query_of(response["Location"])["state"] != NOT_A_RANDOM_STRING


# -- keycloak_login --------------------------------------------------------------------------

KEYCLOAK_PAGE = """
<html><body>
<form id="kc-form-login" action="https://kc.example.com/realms/test/login-actions/authenticate?x=1"
      method="post">
  <input name="username"><input name="password" type="password">
  <input name="credentialId" type="hidden"><input name="login" type="submit" value="Sign In">
</form>
</body></html>
"""


class TestKeycloakLogin:
    authorize = "https://kc.example.com/realms/test/protocol/openid-connect/auth?client_id=x"
    action = "https://kc.example.com/realms/test/login-actions/authenticate?x=1"
    callback = "http://testserver/oidc/callback/?state=s&code=c"

    def test_fills_the_form_and_returns_the_redirect(self, requests_mock):
        requests_mock.get(self.authorize, text=KEYCLOAK_PAGE)
        requests_mock.post(self.action, status_code=302, headers={"Location": self.callback})

        assert keycloak_login(self.authorize, "alice", "secret") == self.callback

        form = parse_qs(requests_mock.last_request.text, keep_blank_values=True)
        assert form == {
            "username": ["alice"],
            "password": ["secret"],
            "credentialId": [""],
            "login": ["Sign In"],
        }

    def test_uses_and_keeps_the_given_session(self, requests_mock):
        requests_mock.get(self.authorize, text=KEYCLOAK_PAGE)
        requests_mock.post(self.action, status_code=302, headers={"Location": self.callback})
        with requests.Session() as session:
            session.cookies.set("KEYCLOAK_SESSION", "abc")

            keycloak_login(self.authorize, session=session)

            assert requests_mock.last_request.headers["Cookie"] == "KEYCLOAK_SESSION=abc"
            assert session.adapters  # still usable

    def test_redirect_elsewhere_fails(self, requests_mock):
        requests_mock.get(self.authorize, text=KEYCLOAK_PAGE)
        requests_mock.post(
            self.action, status_code=302, headers={"Location": "https://evil.example.com/"}
        )

        with pytest.raises(AssertionError):
            keycloak_login(self.authorize)

    def test_page_without_form_fails(self, requests_mock):
        requests_mock.get(self.authorize, text="<html>Keycloak is down</html>")

        with pytest.raises(AssertionError, match="kc-form-login"):
            keycloak_login(self.authorize)


# -- OIDCMixin, factories and op_login against the test OP -----------------------------------


@pytest.mark.e2e
class TestLoginWithShippedUtilities(OIDCMixin, TestCase):
    """A downstream-style test case: the Django test client plays the RP's browser part."""

    @pytest.fixture(autouse=True)
    def _test_op(self, op):
        # the OP must accept the test client's callback URL
        clients = default_clients(op.rp_url, op.client_secrets)
        for client in clients:
            client["redirect_uris"].append(f"{RP}/oidc/callback/")
        op.reconfigure(clients=clients)
        self.op = op

    def configure(self, *, use_pkce: bool = False) -> OIDCClient:
        op = self.op
        provider = OIDCProviderFactory(
            identifier="test-op",
            oidc_op_discovery_endpoint=op.discovery_url,
            oidc_op_authorization_endpoint=op.authorization_endpoint,
            oidc_op_token_endpoint=op.token_endpoint,
            oidc_op_user_endpoint=op.userinfo_endpoint,
            oidc_op_jwks_endpoint=op.jwks_uri,
            oidc_op_logout_endpoint=op.end_session_endpoint,
            oidc_use_pkce=use_pkce,
        )
        return OIDCClientFactory(
            identifier="admin-oidc",
            with_admin_options=True,
            enabled=True,
            oidc_provider=provider,
            oidc_rp_client_id=ADMIN_CLIENT_ID,
            oidc_rp_client_secret=op.client_secrets[ADMIN_CLIENT_ID],
        )

    def login(self, username: str, password: str):
        response = self.client.get("/oidc/authenticate/", {"next": "/admin/"})
        self.assertEqual(response.status_code, 302)
        authorize_url = response["Location"]
        self.assertEqual(query_of(authorize_url)["state"], NOT_A_RANDOM_STRING)
        callback_url = op_login(authorize_url, username, password, host=f"{RP}/")
        return self.client.get(callback_url)

    def test_mixin_removed_the_auto_created_clients(self):
        self.assertFalse(OIDCClient.objects.exists())
        self.assertFalse(OIDCProvider.objects.exists())

    def test_admin_login(self):
        self.configure()

        response = self.login("alice", "alice-password")

        self.assertRedirects(response, "/admin/", fetch_redirect_response=False)
        user = User.objects.get(username="alice")
        self.assertTrue(user.is_staff)
        self.assertEqual(user.email, "alice@example.com")
        self.assertEqual(self.client.session["_auth_user_id"], str(user.pk))

    def test_a_new_mock_block_forgets_the_used_state(self):
        # What happens between two tests of the class: the first login's callback marked
        # the fixed state as used (replay protection); a new block forgets that mark.
        self.configure()
        self.login("alice", "alice-password")
        self.client.logout()

        with mock_random_state_and_nonce():
            response = self.login("bob", "bob-password")

        self.assertRedirects(response, "/admin/", fetch_redirect_response=False)
        self.assertTrue(User.objects.get(username="bob").is_staff)

    def test_fixed_verifier_is_too_short_for_a_strict_provider(self):
        # RFC 7636 §4.1: 43 to 128 characters; the fixed string has 19
        self.configure(use_pkce=True)

        response = self.login("alice", "alice-password")

        self.assertRedirects(response, "/admin/login/failure/", fetch_redirect_response=False)
        self.assertEqual([r["status"] for r in self.op.requests_to("/token")], [400])
        self.assertFalse(User.objects.filter(username="alice").exists())


@pytest.mark.e2e
def test_op_login_signs_in_at_the_test_op(op, live_server, browser, admin_oidc_client):
    authorize = browser.get(
        f"{live_server.url}/oidc/authenticate/", allow_redirects=False, timeout=10
    ).headers["Location"]

    callback = op_login(authorize, "alice", "alice-password", live_server.url, session=browser)

    assert callback.startswith(f"{live_server.url}/oidc/callback/?")
    assert "code" in query_of(callback)
    # a second login in the same browser session: no form at all
    authorize = browser.get(
        f"{live_server.url}/oidc/authenticate/", allow_redirects=False, timeout=10
    ).headers["Location"]
    assert op_login(authorize, "alice", "wrong", live_server.url, session=browser).startswith(
        f"{live_server.url}/oidc/callback/?"
    )


@pytest.mark.e2e
def test_op_login_reports_a_refused_login(op, live_server, browser, admin_oidc_client):
    authorize = browser.get(
        f"{live_server.url}/oidc/authenticate/", allow_redirects=False, timeout=10
    ).headers["Location"]

    with pytest.raises(AssertionError, match="refused the login of 'alice'"):
        op_login(authorize, "alice", "wrong-password", live_server.url, session=browser)

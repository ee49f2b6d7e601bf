"""RP-initiated logout for the admin: the ID token kept at login, the end-session URL,
and the admin's own logout for everyone else. (In a browser: ``test_browser.py``.)"""

import time
from urllib.parse import parse_qs, urlsplit

import django
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.contrib.sessions.backends.signed_cookies import SessionStore as CookieStore
from django.test import RequestFactory

import pytest

from mozilla_django_oidc_db.backends import OIDCAuthenticationBackend
from mozilla_django_oidc_db.constants import CONFIG_IDENTIFIER_SESSION_KEY
from mozilla_django_oidc_db.models import OIDCClient, OIDCProvider
from mozilla_django_oidc_db.session import ID_TOKEN_SESSION_KEY, apply_session_writes
from mozilla_django_oidc_db.tests.factories import OIDCProviderFactory
from mozilla_django_oidc_db.views import end_session_url

pytestmark = pytest.mark.django_db

User = get_user_model()

END_SESSION = "https://op.example.com/protocol/openid-connect/logout"


@pytest.fixture
def admin_client_config():
    provider = OIDCProviderFactory(
        identifier="op", oidc_op_discovery_endpoint="https://op.example.com/"
    )
    assert provider.oidc_op_logout_endpoint == END_SESSION
    OIDCClient.objects.filter(identifier="admin-oidc").update(
        enabled=True, oidc_provider=provider, oidc_rp_client_id="the-admin-client"
    )
    return OIDCClient.objects.get(identifier="admin-oidc")


def stored_after_login(identifier: str, session) -> dict:
    request = RequestFactory().get("/oidc/callback/")
    request.session = session
    request.session[CONFIG_IDENTIFIER_SESSION_KEY] = identifier
    backend = OIDCAuthenticationBackend()
    backend.request = request
    backend.config = OIDCClient.objects.resolve(identifier)
    backend.store_tokens("the-access-token", "the.id.token")
    apply_session_writes(request)  # what the callback view does once the login succeeded
    return dict(session.items())


class TestIDTokenKeptAtLogin:
    def test_admin_client_at_provider_with_end_session_endpoint(self, admin_client_config):
        session = stored_after_login("admin-oidc", DBStore())

        assert session[ID_TOKEN_SESSION_KEY] == "the.id.token"
        assert "oidc_access_token" not in session  # only what logout needs

    def test_not_when_the_provider_has_no_end_session_endpoint(self, admin_client_config):
        OIDCProvider.objects.update(oidc_op_logout_endpoint="")

        assert ID_TOKEN_SESSION_KEY not in stored_after_login("admin-oidc", DBStore())

    def test_upstream_setting_still_stores_it(self, admin_client_config, settings):
        OIDCProvider.objects.update(oidc_op_logout_endpoint="")
        settings.OIDC_STORE_ID_TOKEN = True

        assert stored_after_login("admin-oidc", DBStore())[ID_TOKEN_SESSION_KEY]

    def test_never_in_a_cookie_session(self, admin_client_config):
        assert ID_TOKEN_SESSION_KEY not in stored_after_login("admin-oidc", CookieStore())

    def test_not_for_clients_without_django_users(self, admin_client_config):
        OIDCClient.objects.filter(identifier="citizen-oidc").update(
            enabled=True,
            oidc_provider=admin_client_config.oidc_provider,
            oidc_rp_client_id="the-citizen-client",
        )

        assert ID_TOKEN_SESSION_KEY not in stored_after_login("citizen-oidc", DBStore())


def log_in_as_with_oidc(client, username: str) -> None:
    """Log the test client in as if through the admin-oidc client, ID token kept."""
    user = User.objects.create_user(username, is_staff=True)
    client.force_login(user, backend="mozilla_django_oidc_db.backends.OIDCAuthenticationBackend")
    session = client.session
    session[CONFIG_IDENTIFIER_SESSION_KEY] = "admin-oidc"
    session[ID_TOKEN_SESSION_KEY] = "the.id.token"
    # a fresh token: SessionRefresh leaves the requests alone
    session["oidc_id_token_expiration"] = time.time() + 600
    session.save()


@pytest.fixture
def logged_in_with_oidc(client, admin_client_config):
    log_in_as_with_oidc(client, "jdoe")
    return client


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


class TestAdminLogoutView:
    def test_redirects_to_the_end_session_endpoint(self, logged_in_with_oidc):
        response = logged_in_with_oidc.post("/admin/logout/")

        assert response.status_code == 302
        assert response.url.startswith(END_SESSION + "?")
        params = query_of(response.url)
        assert params["id_token_hint"] == ["the.id.token"]
        assert params["client_id"] == ["the-admin-client"]
        # testapp's LOGOUT_REDIRECT_URL, made absolute
        assert params["post_logout_redirect_uri"] == ["http://testserver/admin/"]
        assert len(params["state"][0]) >= 32
        # logged out of Django, and the ID token went with the session
        assert "_auth_user_id" not in logged_in_with_oidc.session
        assert ID_TOKEN_SESSION_KEY not in logged_in_with_oidc.session

    def test_each_logout_has_its_own_state(self, client, admin_client_config):
        states = set()
        for username in ("a", "b"):
            log_in_as_with_oidc(client, username)
            states.add(query_of(client.post("/admin/logout/").url)["state"][0])
        assert len(states) == 2

    def test_endpoint_with_a_query_string(self, logged_in_with_oidc):
        OIDCProvider.objects.update(oidc_op_logout_endpoint=END_SESSION + "?tenant=a")

        url = logged_in_with_oidc.post("/admin/logout/").url

        assert url.startswith(END_SESSION + "?tenant=a&")
        assert query_of(url)["tenant"] == ["a"]

    def test_without_logout_redirect_url_comes_back_to_the_admin_index(
        self, logged_in_with_oidc, settings
    ):
        settings.LOGOUT_REDIRECT_URL = None

        url = logged_in_with_oidc.post("/admin/logout/").url

        assert query_of(url)["post_logout_redirect_uri"] == ["http://testserver/admin/"]

    @pytest.mark.parametrize(
        "change",
        [
            pytest.param(
                lambda: OIDCProvider.objects.update(oidc_op_logout_endpoint=""), id="no-endpoint"
            ),
            pytest.param(lambda: OIDCClient.objects.update(enabled=False), id="client-disabled"),
            pytest.param(
                lambda: OIDCClient.objects.filter(identifier="admin-oidc").delete(),
                id="client-gone",
            ),
        ],
    )
    def test_otherwise_the_admins_own_logout(self, logged_in_with_oidc, change):
        change()

        response = logged_in_with_oidc.post("/admin/logout/")

        assert response.status_code == 302
        assert response.url == "/admin/"  # LOGOUT_REDIRECT_URL, through the admin's view
        assert "_auth_user_id" not in logged_in_with_oidc.session

    def test_password_login_has_the_admins_own_logout(self, client, admin_client_config):
        client.force_login(User.objects.create_user("local", is_staff=True))

        response = client.post("/admin/logout/")

        assert response.url == "/admin/"
        assert "_auth_user_id" not in client.session

    def test_get_is_left_to_the_admin(self, logged_in_with_oidc):
        if django.VERSION >= (5, 0):
            response = logged_in_with_oidc.get("/admin/logout/")

            assert response.status_code == 405
            assert "_auth_user_id" in logged_in_with_oidc.session
        else:
            # Django 4.2's admin still logs out on GET (deprecated): locally, not at the OP
            from django.utils.deprecation import RemovedInDjango50Warning

            with pytest.warns(RemovedInDjango50Warning, match="GET"):
                response = logged_in_with_oidc.get("/admin/logout/")

            assert response.status_code == 302
            assert response.url == "/admin/"
            assert "_auth_user_id" not in logged_in_with_oidc.session

    def test_needs_the_csrf_token(self, logged_in_with_oidc):
        logged_in_with_oidc.handler.enforce_csrf_checks = True

        assert logged_in_with_oidc.post("/admin/logout/").status_code == 403
        assert "_auth_user_id" in logged_in_with_oidc.session


def test_end_session_url_needs_an_authenticated_user(admin_client_config):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().post("/admin/logout/")
    request.session = DBStore()
    request.session[CONFIG_IDENTIFIER_SESSION_KEY] = "admin-oidc"
    request.session[ID_TOKEN_SESSION_KEY] = "the.id.token"
    request.user = AnonymousUser()

    assert end_session_url(request, "http://testserver/admin/") is None


class TestUpstreamLogoutView:
    """mozilla-django-oidc's ``oidc_logout`` with ``provider_logout_url`` as its method."""

    @pytest.fixture(autouse=True)
    def logout_method(self, settings):
        settings.OIDC_OP_LOGOUT_URL_METHOD = "mozilla_django_oidc_db.views.provider_logout_url"

    def test_oidc_user_goes_to_the_end_session_endpoint(self, logged_in_with_oidc):
        response = logged_in_with_oidc.post("/oidc/logout/")

        assert response.status_code == 302
        assert response.url.startswith(END_SESSION + "?")
        params = query_of(response.url)
        assert params["id_token_hint"] == ["the.id.token"]
        assert params["post_logout_redirect_uri"] == ["http://testserver/admin/"]
        assert "_auth_user_id" not in logged_in_with_oidc.session

    def test_without_an_id_token_goes_to_logout_redirect_url(self, client, admin_client_config):
        client.force_login(User.objects.create_user("pw-user"))

        response = client.post("/oidc/logout/")

        assert response.url == "/admin/"
        assert "_auth_user_id" not in client.session

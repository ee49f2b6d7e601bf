"""The template tags, and the OIDC link they put on the admin login page."""

from urllib.parse import parse_qs, urlsplit

from django.template import Context, Template
from django.urls import reverse

import pytest
from pyquery import PyQuery

from mozilla_django_oidc_db.models import OIDCClient
from mozilla_django_oidc_db.templatetags.mozilla_django_oidc_db import get_oidc_admin_client
from mozilla_django_oidc_db.views import _OIDC_ERROR_SESSION_KEY


@pytest.fixture
def admin_oidc(db):
    return OIDCClient.objects.get(identifier="admin-oidc")


class TestGetOidcAdminClient:
    def test_returns_the_admin_client(self, admin_oidc):
        rendered = Template(
            "{% load mozilla_django_oidc_db %}{% get_oidc_admin_client as c %}{{ c.identifier }}"
        ).render(Context())

        assert rendered == "admin-oidc"

    def test_none_without_the_row(self, admin_oidc):
        admin_oidc.delete()

        rendered = Template(
            "{% load mozilla_django_oidc_db %}{% get_oidc_admin_client as c %}"
            "{% if c is None %}none{% endif %}"
        ).render(Context())

        assert rendered == "none"

    def test_one_query_per_render(self, admin_oidc, django_assert_num_queries):
        template = Template(
            "{% load mozilla_django_oidc_db %}"
            "{% get_oidc_admin_client as a %}{% get_oidc_admin_client as b %}"
            "{% if a.enabled %}on{% else %}off{% endif %}{{ b.identifier }}"
        )

        with django_assert_num_queries(1):
            assert template.render(Context()) == "offadmin-oidc"
        admin_oidc.enabled = True
        admin_oidc.save()
        with django_assert_num_queries(1):
            assert template.render(Context()) == "onadmin-oidc"

    def test_callable_without_a_template(self, admin_oidc):
        assert get_oidc_admin_client() == admin_oidc


LOGIN_URL = "/admin/login/"


def oidc_link(response):
    return PyQuery(response.content)("#oidc-login-link")


class TestAdminLoginPage:
    def test_no_link_when_the_client_is_disabled(self, client, admin_oidc):
        response = client.get(LOGIN_URL)

        assert response.status_code == 200
        assert PyQuery(response.content)("#login-form")
        assert not oidc_link(response)

    def test_link_when_the_client_is_enabled(self, client, admin_oidc):
        admin_oidc.enabled = True
        admin_oidc.save()

        response = client.get(LOGIN_URL, {"next": "/admin/auth/user/"})

        assert response.status_code == 200
        page = PyQuery(response.content)
        assert page("#login-form")  # the password login stays
        link = page("#oidc-login-link")
        url = urlsplit(link.attr("href"))
        assert url.path == reverse("oidc_authentication_init")
        assert parse_qs(url.query) == {"next": ["/admin/auth/user/"]}

    def test_link_defaults_to_the_admin_index(self, client, admin_oidc):
        admin_oidc.enabled = True
        admin_oidc.save()

        response = client.get(LOGIN_URL)

        url = urlsplit(oidc_link(response).attr("href"))
        assert parse_qs(url.query) == {"next": [reverse("admin:index")]}

    def test_switched_off_by_setting(self, client, admin_oidc, settings):
        admin_oidc.enabled = True
        admin_oidc.save()
        settings.OIDCDB_ADMIN_LOGIN_BUTTON = False

        response = client.get(LOGIN_URL)

        assert response.status_code == 200
        assert not oidc_link(response)

    def test_no_link_without_the_client_row(self, client, admin_oidc):
        admin_oidc.delete()

        response = client.get(LOGIN_URL)

        assert response.status_code == 200
        assert not oidc_link(response)

    def test_failure_page_extends_the_login_page_without_recursion(self, client, admin_oidc):
        admin_oidc.enabled = True
        admin_oidc.save()
        session = client.session
        session[_OIDC_ERROR_SESSION_KEY] = "Something broke"
        session.save()

        response = client.get(reverse("admin-oidc-error"))

        assert response.status_code == 200
        page = PyQuery(response.content)
        assert "Something broke" in page("code").text()
        assert page("body").has_class("login")

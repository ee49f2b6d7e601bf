"""The admin pages for providers and clients, through the test client as a superuser."""

import copy
import json

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

import pytest
from pyquery import PyQuery

from mozilla_django_oidc_db._protocol import discovery, jwks
from mozilla_django_oidc_db.models import OIDCClient, OIDCProvider

from .admin_fixtures import (
    ADMIN_OPTIONS,
    BASE_URL,
    DISCOVERY_URL,
    DOCUMENT,
    ISSUER,
)

PROVIDER_CHANGELIST = "admin:mozilla_django_oidc_db_oidcprovider_changelist"
PROVIDER_ADD = "admin:mozilla_django_oidc_db_oidcprovider_add"
PROVIDER_CHANGE = "admin:mozilla_django_oidc_db_oidcprovider_change"
PROVIDER_DELETE = "admin:mozilla_django_oidc_db_oidcprovider_delete"
CLIENT_CHANGELIST = "admin:mozilla_django_oidc_db_oidcclient_changelist"
CLIENT_ADD = "admin:mozilla_django_oidc_db_oidcclient_add"
CLIENT_CHANGE = "admin:mozilla_django_oidc_db_oidcclient_change"
CLIENT_DELETE = "admin:mozilla_django_oidc_db_oidcclient_delete"


@pytest.fixture
def superuser_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(user)
    return client


def form_data(page: PyQuery, form_id: str) -> dict:
    """The data a browser would post for the form as rendered (checkboxes, selects, inputs)."""
    data = {}
    for element in page(f"#{form_id} input, #{form_id} select, #{form_id} textarea"):
        name = element.get("name")
        if not name:
            continue
        tag, kind = element.tag, element.get("type", "text")
        if tag == "select":
            selected = [
                o.get("value")
                for o in element.findall(".//option")
                if o.get("selected") is not None
            ]
            data[name] = selected[0] if selected else ""
        elif tag == "textarea" and element.get("data-django-jsonform"):
            # django-jsonform's editor script fills this textarea from its config
            data[name] = json.loads(element.get("data-django-jsonform"))["data"]
        elif tag == "textarea":
            data[name] = element.text or ""
        elif kind == "checkbox":
            if element.get("checked") is not None:
                data[name] = element.get("value", "on")
        elif kind not in ("submit", "button", "file"):
            data[name] = element.get("value", "")
    return data


# -- providers -------------------------------------------------------------------------


class TestProviderAdmin:
    def test_changelist(self, superuser_client, manual_provider):
        response = superuser_client.get(reverse(PROVIDER_CHANGELIST))

        assert response.status_code == 200
        assert "test-op" in response.content.decode()

    def test_add_page_shows_the_new_fields(self, superuser_client):
        response = superuser_client.get(reverse(PROVIDER_ADD))

        assert response.status_code == 200
        page = PyQuery(response.content)
        assert page('input[name="oidc_op_issuer"]')
        assert page('input[name="oidc_use_pkce"]')

    def test_add_with_discovery(self, superuser_client, requests_mock):
        requests_mock.get(DISCOVERY_URL, json=DOCUMENT)
        page = PyQuery(superuser_client.get(reverse(PROVIDER_ADD)).content)
        data = form_data(page, "oidcprovider_form")
        data.update(identifier="keycloak", oidc_op_discovery_endpoint=BASE_URL)

        response = superuser_client.post(reverse(PROVIDER_ADD), data)

        assert response.status_code == 302, PyQuery(response.content)(".errorlist").text()
        provider = OIDCProvider.objects.get(identifier="keycloak")
        assert provider.oidc_op_issuer == ISSUER
        assert provider.oidc_op_authorization_endpoint == DOCUMENT["authorization_endpoint"]
        assert provider.oidc_op_jwks_endpoint == DOCUMENT["jwks_uri"]
        assert provider.oidc_use_pkce is True

    def test_unreachable_discovery_is_a_field_error(self, superuser_client, requests_mock):
        import requests

        requests_mock.get(DISCOVERY_URL, exc=requests.exceptions.ConnectTimeout)
        page = PyQuery(superuser_client.get(reverse(PROVIDER_ADD)).content)
        data = form_data(page, "oidcprovider_form")
        data.update(identifier="keycloak", oidc_op_discovery_endpoint=BASE_URL)

        response = superuser_client.post(reverse(PROVIDER_ADD), data)

        assert response.status_code == 200
        errors = PyQuery(response.content)(".field-oidc_op_discovery_endpoint .errorlist").text()
        assert "did not arrive in time" in errors
        assert not OIDCProvider.objects.filter(identifier="keycloak").exists()

    def test_blank_sizes_save_the_default(self, superuser_client, manual_provider):
        url = reverse(PROVIDER_CHANGE, args=[manual_provider.pk])
        data = form_data(PyQuery(superuser_client.get(url).content), "oidcprovider_form")
        data.update(oidc_nonce_size="", oidc_state_size="")

        response = superuser_client.post(url, data)

        assert response.status_code == 302
        manual_provider.refresh_from_db()
        assert (manual_provider.oidc_nonce_size, manual_provider.oidc_state_size) == (32, 32)

    def test_saving_forgets_cached_discovery_and_keys(
        self, superuser_client, manual_provider, requests_mock, mocker
    ):
        manual_provider.oidc_op_discovery_endpoint = BASE_URL
        manual_provider.oidc_op_jwks_endpoint = DOCUMENT["jwks_uri"]
        manual_provider.save()
        document = requests_mock.get(DISCOVERY_URL, json=DOCUMENT)
        discovery.get_provider_metadata(manual_provider)
        discovery.get_provider_metadata(manual_provider)
        assert document.call_count == 1  # cached
        forget_keys = mocker.spy(jwks, "invalidate")

        url = reverse(PROVIDER_CHANGE, args=[manual_provider.pk])
        data = form_data(PyQuery(superuser_client.get(url).content), "oidcprovider_form")
        response = superuser_client.post(url, data)

        assert response.status_code == 302
        assert document.call_count == 2  # the form always reads a fresh document
        discovery.get_provider_metadata(manual_provider)
        assert document.call_count == 3  # the cached one was forgotten
        forget_keys.assert_called_once_with(DOCUMENT["jwks_uri"])

    def test_deleting_forgets_cached_discovery(self, manual_provider, requests_mock):
        manual_provider.oidc_op_discovery_endpoint = BASE_URL
        manual_provider.save()
        document = requests_mock.get(DISCOVERY_URL, json=DOCUMENT)
        discovery.get_provider_metadata(manual_provider)

        manual_provider.delete()

        discovery.get_provider_metadata(BASE_URL)
        assert document.call_count == 2

    def test_provider_in_use_cannot_be_deleted(self, superuser_client, manual_admin_client):
        url = reverse(PROVIDER_DELETE, args=[manual_admin_client.oidc_provider_id])

        response = superuser_client.post(url, {"post": "yes"})

        assert response.status_code == 200
        assert OIDCProvider.objects.filter(pk=manual_admin_client.oidc_provider_id).exists()


# -- clients ---------------------------------------------------------------------------


class TestClientAdmin:
    def test_changelist(self, superuser_client, manual_admin_client):
        response = superuser_client.get(reverse(CLIENT_CHANGELIST))

        assert response.status_code == 200
        page = PyQuery(response.content)
        assert "admin-oidc" in page("#result_list").text()
        assert not page(".object-tools .addlink")

    def test_clients_cannot_be_added_or_deleted(self, superuser_client, manual_admin_client):
        assert superuser_client.get(reverse(CLIENT_ADD)).status_code == 403
        assert (
            superuser_client.post(
                reverse(CLIENT_DELETE, args=[manual_admin_client.pk]), {"post": "yes"}
            )
        ).status_code == 403
        assert OIDCClient.objects.filter(pk=manual_admin_client.pk).exists()

    def test_change_page_renders_the_schema_editor_and_hides_the_secret(
        self, superuser_client, manual_admin_client
    ):
        response = superuser_client.get(reverse(CLIENT_CHANGE, args=[manual_admin_client.pk]))

        assert response.status_code == 200
        html = response.content.decode()
        assert "the-stored-secret" not in html
        page = PyQuery(html)
        secret = page('input[name="oidc_rp_client_secret"]')
        assert secret.attr("type") == "password"
        assert not secret.attr("value")
        assert page('input[name="identifier"]') == []
        # django-jsonform's editor gets the plugin schema and the stored options
        config = json.loads(
            page(".field-options [data-django-jsonform]").attr("data-django-jsonform")
        )
        assert config["schema"]["properties"]["user_settings"]["properties"]["claim_mappings"]
        assert json.loads(config["data"]) == ADMIN_OPTIONS
        scopes = json.loads(
            page(".field-oidc_rp_scopes_list [data-django-jsonform]").attr("data-django-jsonform")
        )
        assert scopes["schema"]["type"] == "array"
        assert json.loads(scopes["data"]) == ["openid", "email"]

    def test_save_keeps_the_secret_and_saves_scopes(self, superuser_client, manual_admin_client):
        url = reverse(CLIENT_CHANGE, args=[manual_admin_client.pk])
        data = form_data(PyQuery(superuser_client.get(url).content), "oidcclient_form")
        assert data["oidc_rp_client_secret"] == ""
        data.update(enabled="on", oidc_rp_scopes_list=json.dumps(["openid", "profile", "roles"]))

        response = superuser_client.post(url, data)

        assert response.status_code == 302, PyQuery(response.content)(".errorlist").text()
        manual_admin_client.refresh_from_db()
        assert manual_admin_client.enabled is True
        assert manual_admin_client.oidc_rp_client_secret == "the-stored-secret"
        assert manual_admin_client.oidc_rp_scopes_list == ["openid", "profile", "roles"]
        assert manual_admin_client.options == ADMIN_OPTIONS

    def test_change_the_secret(self, superuser_client, manual_admin_client):
        url = reverse(CLIENT_CHANGE, args=[manual_admin_client.pk])
        data = form_data(PyQuery(superuser_client.get(url).content), "oidcclient_form")
        data["oidc_rp_client_secret"] = "rotated-secret"

        response = superuser_client.post(url, data)

        assert response.status_code == 302
        manual_admin_client.refresh_from_db()
        assert manual_admin_client.oidc_rp_client_secret == "rotated-secret"

    def test_scope_too_long_is_a_field_error(self, superuser_client, manual_admin_client):
        url = reverse(CLIENT_CHANGE, args=[manual_admin_client.pk])
        data = form_data(PyQuery(superuser_client.get(url).content), "oidcclient_form")
        data["oidc_rp_scopes_list"] = json.dumps(["openid", "x" * 51])

        response = superuser_client.post(url, data)

        assert response.status_code == 200
        assert PyQuery(response.content)(".field-oidc_rp_scopes_list .errorlist")
        manual_admin_client.refresh_from_db()
        assert manual_admin_client.oidc_rp_scopes_list == ["openid", "email"]

    def test_options_not_matching_the_schema_are_a_field_error(
        self, superuser_client, manual_admin_client
    ):
        url = reverse(CLIENT_CHANGE, args=[manual_admin_client.pk])
        data = form_data(PyQuery(superuser_client.get(url).content), "oidcclient_form")
        options = copy.deepcopy(ADMIN_OPTIONS)
        options["user_settings"]["claim_mappings"]["username"] = "sub"
        data.update(options=json.dumps(options), oidc_rp_client_id="changed")

        response = superuser_client.post(url, data)

        assert response.status_code == 200
        page = PyQuery(response.content)
        assert page(".field-options .errorlist").text() == (
            "user_settings.claim_mappings.username: 'sub' is not of type 'array'"
        )
        editor = json.loads(
            page(".field-options [data-django-jsonform]").attr("data-django-jsonform")
        )
        assert editor["errorMap"] == {
            "user_settings§claim_mappings§username": ["'sub' is not of type 'array'"]
        }
        manual_admin_client.refresh_from_db()
        assert manual_admin_client.oidc_rp_client_id == "the-client"
        assert manual_admin_client.options == ADMIN_OPTIONS

    def test_empty_username_claim_is_a_field_error(self, superuser_client, manual_admin_client):
        url = reverse(CLIENT_CHANGE, args=[manual_admin_client.pk])
        data = form_data(PyQuery(superuser_client.get(url).content), "oidcclient_form")
        options = copy.deepcopy(ADMIN_OPTIONS)
        options["user_settings"]["claim_mappings"]["username"] = []
        data["options"] = json.dumps(options)

        response = superuser_client.post(url, data)

        assert response.status_code == 200
        assert "user_settings.claim_mappings.username: the username claim path" in (
            PyQuery(response.content)(".field-options .errorlist").text()
        )

    def test_unregistered_identifier_is_read_only_with_a_note(
        self, superuser_client, manual_admin_client
    ):
        orphan = OIDCClient.objects.create(
            identifier="removed-plugin",
            oidc_rp_client_id="orphan",
            oidc_rp_client_secret="orphan-secret",
            options={"anything": True},
        )
        url = reverse(CLIENT_CHANGE, args=[orphan.pk])

        response = superuser_client.get(url)

        assert response.status_code == 200
        html = response.content.decode()
        page = PyQuery(html)
        assert (
            "No plugin is registered for the identifier 'removed-plugin'"
            in page(".messagelist").text()
        )
        assert not page('input[name="_save"]')
        assert not page('input[name="oidc_rp_client_id"]')
        assert "orphan" in page(".field-oidc_rp_client_id .readonly").text()
        assert "orphan-secret" not in html
        assert page(".field-client_secret_status .readonly").text() == "(stored, not shown)"
        # saving is refused
        assert superuser_client.post(url, {"oidc_rp_client_id": "x"}).status_code == 403
        orphan.refresh_from_db()
        assert orphan.oidc_rp_client_id == "orphan"
        # and the changelist still works
        assert superuser_client.get(reverse(CLIENT_CHANGELIST)).status_code == 200

    def test_view_only_staff_never_see_the_secret(self, client, manual_admin_client):
        user = get_user_model().objects.create_user("viewer", password="pw", is_staff=True)
        user.user_permissions.add(Permission.objects.get(codename="view_oidcclient"))
        client.force_login(user)

        response = client.get(reverse(CLIENT_CHANGE, args=[manual_admin_client.pk]))

        assert response.status_code == 200
        assert "the-stored-secret" not in response.content.decode()
        page = PyQuery(response.content)
        assert page(".field-client_secret_status .readonly").text() == "(stored, not shown)"

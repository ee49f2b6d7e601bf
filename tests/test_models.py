"""The models and the lookups of a request's client."""

from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import BadRequest
from django.test import RequestFactory

import pytest

from mozilla_django_oidc_db.config import lookup_config, store_config
from mozilla_django_oidc_db.constants import CONFIG_IDENTIFIER_SESSION_KEY
from mozilla_django_oidc_db.models import (
    OIDCClient,
    OIDCProvider,
    get_claim_mapping,
    get_default_scopes,
    get_options_schema,
)
from mozilla_django_oidc_db.registry import register
from mozilla_django_oidc_db.schemas import ADMIN_OPTIONS_SCHEMA

pytestmark = pytest.mark.django_db


def test_every_registered_plugin_has_its_client_row_after_migrate():
    assert set(OIDCClient.objects.values_list("identifier", flat=True)) >= set(register)
    client = OIDCClient.objects.get(identifier="admin-oidc")
    assert (client.enabled, client.oidc_provider, client.options) == (False, None, {})
    assert client.oidc_rp_scopes_list == ["openid", "email", "profile"]


def test_strings_scopes_and_schema():
    provider = OIDCProvider(identifier="keycloak")
    client = OIDCClient(identifier="admin-oidc", oidc_rp_scopes_list=["openid", "email"])

    assert str(provider) == "OIDC Provider keycloak"
    assert str(client) == "OIDC client admin-oidc"
    assert client.oidc_rp_scopes == "openid email"
    assert OIDCClient(oidc_rp_scopes_list=[]).oidc_rp_scopes == ""
    assert get_options_schema(client) is ADMIN_OPTIONS_SCHEMA
    assert get_default_scopes() == ["openid", "email", "profile"]
    assert get_default_scopes() is not get_default_scopes()
    assert get_claim_mapping()["email"] == ["email"]


def test_scopes_round_trip_through_the_database():
    OIDCClient.objects.filter(identifier="admin-oidc").update(
        oidc_rp_scopes_list=["openid", "e-mail, with comma", "ünïcode"]
    )

    client = OIDCClient.objects.get(identifier="admin-oidc")

    assert client.oidc_rp_scopes_list == ["openid", "e-mail, with comma", "ünïcode"]


def test_resolve_is_one_query_with_the_provider(django_assert_num_queries):
    provider = OIDCProvider.objects.create(identifier="op")
    OIDCClient.objects.filter(identifier="admin-oidc").update(oidc_provider=provider)

    with django_assert_num_queries(1):
        client = OIDCClient.objects.resolve("admin-oidc")
        assert client.oidc_provider.identifier == "op"


def test_resolve_of_an_unknown_identifier_is_a_bad_request():
    with pytest.raises(BadRequest):
        OIDCClient.objects.resolve("no-such-client")


def callback_request(state: str | None = None, **session_values):
    request = RequestFactory().get("/oidc/callback/", {"state": state} if state else {})
    request.session = SessionStore()
    request.session.update(session_values)
    return request


class TestStoreConfig:
    def test_the_state_entry_names_the_client(self):
        request = callback_request(
            "s1",
            oidc_states={"s1": {"nonce": "n", "config_identifier": "citizen-oidc"}},
            **{CONFIG_IDENTIFIER_SESSION_KEY: "admin-oidc"},
        )

        store_config(request)

        # the state entry wins over the session key
        assert lookup_config(request).identifier == "citizen-oidc"

    def test_the_session_key_when_the_state_entry_names_none(self):
        request = callback_request(
            "s1",
            oidc_states={"s1": {"nonce": "n"}},
            **{CONFIG_IDENTIFIER_SESSION_KEY: "admin-oidc"},
        )

        store_config(request)

        assert lookup_config(request).identifier == "admin-oidc"

    @pytest.mark.parametrize(
        "state,session",
        [
            (None, {}),
            ("unknown", {"oidc_states": {"s1": {"config_identifier": "admin-oidc"}}}),
            ("s1", {"oidc_states": "not a dict"}),
            ("s1", {"oidc_states": {"s1": {"config_identifier": "no-such-client"}}}),
        ],
    )
    def test_nothing_found_is_a_bad_request(self, state, session):
        with pytest.raises(BadRequest):
            store_config(callback_request(state, **session))


class TestLookupConfig:
    def test_from_the_session_once_per_request(self, django_assert_num_queries):
        request = callback_request(**{CONFIG_IDENTIFIER_SESSION_KEY: "admin-oidc"})

        with django_assert_num_queries(1):
            assert lookup_config(request).identifier == "admin-oidc"
            assert lookup_config(request).identifier == "admin-oidc"

    def test_without_session_or_key_is_a_bad_request(self):
        request = RequestFactory().get("/")
        with pytest.raises(BadRequest):
            lookup_config(request)
        with pytest.raises(BadRequest):
            lookup_config(callback_request())


def test_callback_without_a_login_in_progress_explains_itself(client):
    response = client.get("/oidc/callback/", {"code": "c", "state": "forged"})

    assert response.status_code == 400
    assert "Login link no longer valid" in response.content.decode()

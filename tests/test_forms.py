"""The provider and client forms of the admin, outside the admin views."""

import copy
import json

from django.core.exceptions import ValidationError

import pytest
import requests

from mozilla_django_oidc_db.forms import OIDCClientForm, OIDCProviderForm
from mozilla_django_oidc_db.models import OIDCClient, OIDCProvider
from mozilla_django_oidc_db.validators import validate_options

from .admin_fixtures import (
    ADMIN_OPTIONS,
    BASE_URL,
    DISCOVERY_URL,
    DOCUMENT,
    ISSUER,
)


def provider_data(**overrides) -> dict:
    data = {
        "identifier": "test-op",
        "oidc_op_discovery_endpoint": "",
        "oidc_op_issuer": "",
        "oidc_op_jwks_endpoint": "",
        "oidc_op_authorization_endpoint": "",
        "oidc_op_token_endpoint": "",
        "oidc_op_user_endpoint": "",
        "oidc_op_logout_endpoint": "",
        "oidc_token_use_basic_auth": "",
        "oidc_use_pkce": "on",
        "oidc_use_nonce": "on",
        "oidc_nonce_size": "32",
        "oidc_state_size": "32",
    }
    data.update(overrides)
    return data


MANUAL_ENDPOINTS = {
    "oidc_op_authorization_endpoint": "https://manual.example.com/auth",
    "oidc_op_token_endpoint": "https://manual.example.com/token",
    "oidc_op_user_endpoint": "https://manual.example.com/userinfo",
}


class TestProviderFormWithoutDiscovery:
    def test_required_endpoints_are_required(self, db):
        form = OIDCProviderForm(data=provider_data())

        assert not form.is_valid()
        for name in OIDCProviderForm.required_endpoints:
            assert form.errors[name] == ["This field is required."]
        assert "oidc_op_jwks_endpoint" not in form.errors

    def test_manual_endpoints_are_saved(self, db, requests_mock):
        form = OIDCProviderForm(
            data=provider_data(**MANUAL_ENDPOINTS, oidc_op_issuer="https://manual.example.com")
        )

        assert form.is_valid(), form.errors
        provider = form.save()

        provider.refresh_from_db()
        assert provider.oidc_op_authorization_endpoint == "https://manual.example.com/auth"
        assert provider.oidc_op_issuer == "https://manual.example.com"
        assert provider.oidc_use_pkce is True
        assert requests_mock.call_count == 0

    @pytest.mark.parametrize("field", ["oidc_nonce_size", "oidc_state_size"])
    def test_blank_sizes_fall_back_to_the_default(self, db, field):
        form = OIDCProviderForm(data=provider_data(**MANUAL_ENDPOINTS, **{field: ""}))

        assert form.is_valid(), form.errors
        provider = form.save()

        provider.refresh_from_db()
        assert getattr(provider, field) == 32

    def test_negative_size_is_a_field_error(self, db):
        form = OIDCProviderForm(data=provider_data(**MANUAL_ENDPOINTS, oidc_nonce_size="-1"))

        assert not form.is_valid()
        assert list(form.errors) == ["oidc_nonce_size"]

    @pytest.mark.parametrize("field", ["oidc_nonce_size", "oidc_state_size"])
    @pytest.mark.parametrize("size", ["0", "8", "15"])
    def test_guessable_sizes_are_refused(self, db, field, size):
        form = OIDCProviderForm(data=provider_data(**MANUAL_ENDPOINTS, **{field: size}))

        assert not form.is_valid()
        assert form.errors[field] == [
            "Use at least 16 characters, so that the value cannot be guessed."
        ]

    def test_new_fields_are_in_the_form(self):
        assert "oidc_op_issuer" in OIDCProviderForm.base_fields
        assert "oidc_use_pkce" in OIDCProviderForm.base_fields

    def test_endpoint_without_scheme_means_https(self, db, requests_mock):
        # Django 5+ through assume_scheme, Django 4.2 (which adds http://) by the field
        form = OIDCProviderForm(
            data=provider_data(
                **{**MANUAL_ENDPOINTS, "oidc_op_token_endpoint": " manual.example.com/token"},
                oidc_op_logout_endpoint="http://manual.example.com/logout",
            )
        )

        assert form.is_valid(), form.errors
        assert form.cleaned_data["oidc_op_token_endpoint"] == "https://manual.example.com/token"
        # a scheme that was typed is kept
        assert form.cleaned_data["oidc_op_logout_endpoint"] == "http://manual.example.com/logout"


class TestProviderFormWithDiscovery:
    def test_endpoints_and_issuer_come_from_the_document(self, db, requests_mock):
        requests_mock.get(DISCOVERY_URL, json=DOCUMENT)
        form = OIDCProviderForm(data=provider_data(oidc_op_discovery_endpoint=BASE_URL))

        assert form.is_valid(), form.errors
        provider = form.save()

        provider.refresh_from_db()
        assert provider.oidc_op_issuer == ISSUER
        assert provider.oidc_op_authorization_endpoint == DOCUMENT["authorization_endpoint"]
        assert provider.oidc_op_token_endpoint == DOCUMENT["token_endpoint"]
        assert provider.oidc_op_user_endpoint == DOCUMENT["userinfo_endpoint"]
        assert provider.oidc_op_jwks_endpoint == DOCUMENT["jwks_uri"]
        assert provider.oidc_op_logout_endpoint == DOCUMENT["end_session_endpoint"]
        assert requests_mock.call_count == 1

    def test_discovered_values_replace_typed_ones(self, db, requests_mock):
        requests_mock.get(DISCOVERY_URL, json=DOCUMENT)
        form = OIDCProviderForm(
            data=provider_data(
                oidc_op_discovery_endpoint=BASE_URL,
                oidc_op_issuer="https://typed.example.com",
                **MANUAL_ENDPOINTS,
            )
        )

        assert form.is_valid(), form.errors
        assert form.cleaned_data["oidc_op_issuer"] == ISSUER
        assert form.cleaned_data["oidc_op_token_endpoint"] == DOCUMENT["token_endpoint"]

    def test_base_url_without_trailing_slash_keeps_its_last_segment(self, db, requests_mock):
        requests_mock.get(DISCOVERY_URL, json=DOCUMENT)
        form = OIDCProviderForm(data=provider_data(oidc_op_discovery_endpoint=ISSUER))

        assert form.is_valid(), form.errors
        assert requests_mock.last_request.url == DISCOVERY_URL

    def test_endpoint_missing_from_the_document_keeps_the_typed_value(self, db, requests_mock):
        document = {k: v for k, v in DOCUMENT.items() if k != "userinfo_endpoint"}
        requests_mock.get(DISCOVERY_URL, json=document)
        form = OIDCProviderForm(
            data=provider_data(
                oidc_op_discovery_endpoint=BASE_URL,
                oidc_op_user_endpoint="https://manual.example.com/userinfo",
            )
        )

        assert form.is_valid(), form.errors
        assert form.cleaned_data["oidc_op_user_endpoint"] == "https://manual.example.com/userinfo"

    def test_required_endpoint_missing_everywhere_is_an_error_on_the_discovery_url(
        self, db, requests_mock
    ):
        document = {k: v for k, v in DOCUMENT.items() if k != "userinfo_endpoint"}
        requests_mock.get(DISCOVERY_URL, json=document)
        form = OIDCProviderForm(data=provider_data(oidc_op_discovery_endpoint=BASE_URL))

        assert not form.is_valid()
        assert form.errors == {
            "oidc_op_discovery_endpoint": [
                "The discovery document does not list every endpoint that is needed. "
                "Fill in: User endpoint."
            ]
        }
        assert not OIDCProvider.objects.exists()

    @pytest.mark.parametrize(
        "response, reason",
        [
            (
                {"exc": requests.exceptions.ConnectionError},
                "could not be retrieved (ConnectionError)",
            ),
            ({"exc": requests.exceptions.ConnectTimeout}, "did not arrive in time"),
            ({"exc": requests.exceptions.ReadTimeout}, "did not arrive in time"),
            ({"status_code": 404, "text": "not found"}, "HTTP status 404"),
            ({"text": "<html>login</html>"}, "is not JSON"),
            ({"json": ["not", "an", "object"]}, "is not a JSON object"),
            (
                {"json": {"issuer": ISSUER, "token_endpoint": DOCUMENT["token_endpoint"]}},
                "lacks required members: authorization_endpoint",
            ),
            (
                {"json": {**DOCUMENT, "issuer": "https://evil.example.com"}},
                "does not match the URL it came from",
            ),
        ],
    )
    def test_bad_discovery_is_a_field_error_and_nothing_is_saved(
        self, db, requests_mock, response, reason
    ):
        requests_mock.get(DISCOVERY_URL, **response)
        form = OIDCProviderForm(
            data=provider_data(oidc_op_discovery_endpoint=BASE_URL, **MANUAL_ENDPOINTS)
        )

        assert not form.is_valid()
        assert list(form.errors) == ["oidc_op_discovery_endpoint"]
        [message] = form.errors["oidc_op_discovery_endpoint"]
        assert message.startswith("Could not retrieve the provider configuration: ")
        assert reason in message
        assert not OIDCProvider.objects.exists()

    def test_discovery_uses_a_bounded_timeout(self, db, requests_mock, settings):
        settings.OIDCDB_HTTP_TIMEOUT = 3.5
        requests_mock.get(DISCOVERY_URL, json=DOCUMENT)

        OIDCProviderForm(data=provider_data(oidc_op_discovery_endpoint=BASE_URL)).is_valid()

        assert requests_mock.last_request.timeout == 3.5

    def test_invalid_discovery_url_makes_no_request(self, db, requests_mock):
        form = OIDCProviderForm(data=provider_data(oidc_op_discovery_endpoint="not a url"))

        assert not form.is_valid()
        assert list(form.errors) == ["oidc_op_discovery_endpoint"]
        assert requests_mock.call_count == 0

    def test_get_endpoints_from_discovery(self, requests_mock):
        requests_mock.get(DISCOVERY_URL, json=DOCUMENT)

        endpoints = OIDCProviderForm.get_endpoints_from_discovery(BASE_URL)

        assert endpoints == {
            "oidc_op_authorization_endpoint": DOCUMENT["authorization_endpoint"],
            "oidc_op_token_endpoint": DOCUMENT["token_endpoint"],
            "oidc_op_user_endpoint": DOCUMENT["userinfo_endpoint"],
            "oidc_op_jwks_endpoint": DOCUMENT["jwks_uri"],
            "oidc_op_logout_endpoint": DOCUMENT["end_session_endpoint"],
        }

    def test_subclass_can_map_more_members(self, db, requests_mock):
        class ExtendedForm(OIDCProviderForm):
            oidc_mapping = {
                **OIDCProviderForm.oidc_mapping,
                "extra_algorithms": "id_token_signing_alg_values_supported",
            }

        requests_mock.get(DISCOVERY_URL, json=DOCUMENT)
        form = ExtendedForm(data=provider_data(oidc_op_discovery_endpoint=BASE_URL))

        assert form.is_valid(), form.errors
        assert form.cleaned_data["extra_algorithms"] == ["RS256"]


def client_data(client: OIDCClient, **overrides) -> dict:
    data = {
        "enabled": "on",
        "oidc_provider": str(client.oidc_provider_id or ""),
        "oidc_rp_client_id": client.oidc_rp_client_id,
        "oidc_rp_client_secret": "",
        "oidc_rp_scopes_list": json.dumps(client.oidc_rp_scopes_list),
        "oidc_rp_sign_algo": client.oidc_rp_sign_algo,
        "oidc_rp_idp_sign_key": "",
        "options": json.dumps(client.options),
        "userinfo_claims_source": client.userinfo_claims_source,
        "oidc_keycloak_idp_hint": "",
    }
    data.update(overrides)
    return data


class TestClientFormSecret:
    def test_secret_is_never_rendered(self, manual_admin_client):
        form = OIDCClientForm(instance=manual_admin_client)

        html = str(form["oidc_rp_client_secret"])

        assert 'type="password"' in html
        assert "the-stored-secret" not in html
        assert 'autocomplete="new-password"' in html

    def test_empty_input_keeps_the_stored_secret(self, manual_admin_client):
        form = OIDCClientForm(data=client_data(manual_admin_client), instance=manual_admin_client)

        assert form.is_valid(), form.errors
        assert "oidc_rp_client_secret" not in form.changed_data
        form.save()

        manual_admin_client.refresh_from_db()
        assert manual_admin_client.oidc_rp_client_secret == "the-stored-secret"

    def test_typed_secret_replaces_the_stored_one(self, manual_admin_client):
        form = OIDCClientForm(
            data=client_data(manual_admin_client, oidc_rp_client_secret="a-new-secret"),
            instance=manual_admin_client,
        )

        assert form.is_valid(), form.errors
        assert "oidc_rp_client_secret" in form.changed_data
        form.save()

        manual_admin_client.refresh_from_db()
        assert manual_admin_client.oidc_rp_client_secret == "a-new-secret"

    def test_secret_is_required_when_none_is_stored(self, manual_admin_client):
        manual_admin_client.oidc_rp_client_secret = ""
        manual_admin_client.save()

        form = OIDCClientForm(data=client_data(manual_admin_client), instance=manual_admin_client)

        assert not form.is_valid()
        assert form.errors["oidc_rp_client_secret"] == ["This field is required."]


class TestClientFormOptions:
    def test_valid_options_are_saved(self, manual_admin_client):
        options = copy.deepcopy(ADMIN_OPTIONS)
        options["user_settings"]["claim_mappings"]["username"] = ["preferred_username"]
        form = OIDCClientForm(
            data=client_data(manual_admin_client, options=json.dumps(options)),
            instance=manual_admin_client,
        )

        assert form.is_valid(), form.errors
        form.save()

        manual_admin_client.refresh_from_db()
        assert manual_admin_client.options["user_settings"]["claim_mappings"]["username"] == [
            "preferred_username"
        ]

    @pytest.mark.parametrize(
        "change, message",
        [
            (
                lambda o: o["user_settings"]["claim_mappings"].update(username="sub"),
                "user_settings.claim_mappings.username: 'sub' is not of type 'array'",
            ),
            (
                lambda o: o["user_settings"].pop("claim_mappings"),
                "user_settings: 'claim_mappings' is a required property",
            ),
            (
                lambda o: o["groups_settings"].update(make_users_staff="yes"),
                "groups_settings.make_users_staff: 'yes' is not of type 'boolean'",
            ),
            (
                lambda o: o["user_settings"].update(sensitive_claims=[["email"], [1]]),
                "user_settings.sensitive_claims.1.0: 1 is not of type 'string'",
            ),
            (
                lambda o: o["user_settings"]["claim_mappings"].update(username=[]),
                "user_settings.claim_mappings.username: the username claim path must be a "
                'non-empty list of claim names (for example ["sub"]).',
            ),
            (
                lambda o: o["user_settings"]["claim_mappings"].update(username=[""]),
                "user_settings.claim_mappings.username: the username claim path must be a "
                'non-empty list of claim names (for example ["sub"]).',
            ),
        ],
    )
    def test_invalid_options_are_a_field_error_naming_the_path(
        self, manual_admin_client, change, message
    ):
        options = copy.deepcopy(ADMIN_OPTIONS)
        change(options)
        form = OIDCClientForm(
            data=client_data(manual_admin_client, options=json.dumps(options)),
            instance=manual_admin_client,
        )

        assert not form.is_valid()
        assert form.errors == {"options": [message]}
        manual_admin_client.refresh_from_db()
        assert manual_admin_client.options == ADMIN_OPTIONS

    def test_every_problem_is_reported(self, manual_admin_client):
        options = {"user_settings": {"claim_mappings": {"username": "sub", "email": "email"}}}
        form = OIDCClientForm(
            data=client_data(manual_admin_client, options=json.dumps(options)),
            instance=manual_admin_client,
        )

        assert not form.is_valid()
        assert form.errors["options"] == [
            "user_settings.claim_mappings.email: 'email' is not of type 'array'",
            "user_settings.claim_mappings.username: 'sub' is not of type 'array'",
        ]

    def test_options_need_not_list_every_property(self, manual_admin_client):
        options = {"user_settings": {"claim_mappings": {"username": ["sub"]}}}
        form = OIDCClientForm(
            data=client_data(manual_admin_client, options=json.dumps(options)),
            instance=manual_admin_client,
        )

        assert form.is_valid(), form.errors

    def test_untouched_editor_inputs_are_left_out(self, manual_admin_client):
        # django-jsonform's editor sends null for a checkbox nobody touched
        options = copy.deepcopy(ADMIN_OPTIONS)
        options["user_settings"]["username_case_sensitive"] = None
        options["groups_settings"]["sync"] = None
        form = OIDCClientForm(
            data=client_data(manual_admin_client, options=json.dumps(options)),
            instance=manual_admin_client,
        )

        assert form.is_valid(), form.errors
        form.save()

        manual_admin_client.refresh_from_db()
        assert "username_case_sensitive" not in manual_admin_client.options["user_settings"]
        assert "sync" not in manual_admin_client.options["groups_settings"]

    def test_not_json_is_a_field_error(self, manual_admin_client):
        form = OIDCClientForm(
            data=client_data(manual_admin_client, options="{not json"),
            instance=manual_admin_client,
        )

        assert not form.is_valid()
        assert form.errors["options"] == ["Enter a valid JSON."]

    def test_the_editor_is_told_where_the_problem_is(self, manual_admin_client):
        options = copy.deepcopy(ADMIN_OPTIONS)
        options["user_settings"]["claim_mappings"]["username"] = "sub"
        form = OIDCClientForm(
            data=client_data(manual_admin_client, options=json.dumps(options)),
            instance=manual_admin_client,
        )
        form.is_valid()

        assert form.fields["options"].widget.error_map == {
            "user_settings§claim_mappings§username": ["'sub' is not of type 'array'"]
        }

    def test_other_plugins_are_checked_against_their_own_schema(self, manual_provider):
        citizen = OIDCClient.objects.get(identifier="citizen-oidc")
        citizen.oidc_provider = manual_provider
        citizen.oidc_rp_client_id = "citizen"
        citizen.oidc_rp_client_secret = "secret"
        citizen.save()

        valid = OIDCClientForm(
            data=client_data(
                citizen,
                enabled="",
                options=json.dumps({"identifier_claim": ["bsn"]}),
            ),
            instance=citizen,
        )
        invalid = OIDCClientForm(
            data=client_data(citizen, options=json.dumps({"identifier_claim": "bsn"})),
            instance=citizen,
        )

        assert valid.is_valid(), valid.errors
        assert invalid.errors["options"] == ["identifier_claim: 'bsn' is not of type 'array'"]


class TestValidateOptions:
    def test_valid(self):
        validate_options("admin-oidc", ADMIN_OPTIONS)

    def test_unknown_plugin(self):
        with pytest.raises(ValidationError) as excinfo:
            validate_options("no-such-plugin", ADMIN_OPTIONS)

        assert excinfo.value.messages == [
            "No OIDC plugin is registered under the identifier 'no-such-plugin'."
        ]

    def test_schema_problems_come_before_runtime_requirements(self):
        with pytest.raises(ValidationError) as excinfo:
            validate_options("admin-oidc", {"user_settings": "nope"})

        assert excinfo.value.messages == ["user_settings: 'nope' is not of type 'object'"]

    def test_root_problem_is_named(self):
        with pytest.raises(ValidationError) as excinfo:
            validate_options("admin-oidc", ["not", "an", "object"])

        assert excinfo.value.messages == [
            "(options): ['not', 'an', 'object'] is not of type 'object'"
        ]

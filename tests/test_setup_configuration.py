"""The setup-configuration step: YAML files in tests/setup_configuration/files/."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError

import pytest
import requests
import yaml
from django_setup_configuration.exceptions import ConfigurationRunFailed, PrerequisiteFailed
from django_setup_configuration.runner import SetupConfigurationRunner
from django_setup_configuration.test_utils import (
    build_step_config_from_sources,
    execute_single_step,
)

from mozilla_django_oidc_db.models import OIDCClient, OIDCProvider
from mozilla_django_oidc_db.plugins import AnonymousUserOIDCPlugin
from mozilla_django_oidc_db.registry import register as registry
from mozilla_django_oidc_db.setup_configuration.changes import take_snapshot
from mozilla_django_oidc_db.setup_configuration.models import (
    AdminOIDCConfigurationModel,
    OIDCDiscoveryProviderConfig,
    OIDCFullProviderConfig,
    get_provider_config_model,
)
from mozilla_django_oidc_db.setup_configuration.steps import AdminOIDCConfigurationStep

from .test_forms import DISCOVERY_URL, DOCUMENT, ISSUER

FILES = Path(__file__).parent / "setup_configuration" / "files"

ADMIN_OPTIONS = {
    "user_settings": {"claim_mappings": {"username": ["sub"]}},
    "groups_settings": {"make_users_staff": True},
}

MANUAL_PROVIDER = {
    "identifier": "manual-op",
    "endpoint_config": {
        "oidc_op_authorization_endpoint": "https://manual.example.com/auth",
        "oidc_op_token_endpoint": "https://manual.example.com/token",
        "oidc_op_user_endpoint": "https://manual.example.com/userinfo",
    },
}


def run(name: str):
    return execute_single_step(AdminOIDCConfigurationStep, yaml_source=FILES / f"{name}.yaml")


def run_object(providers: list[dict], items: list[dict]):
    return execute_single_step(
        AdminOIDCConfigurationStep,
        object_source={
            "oidc_db_config_enable": True,
            "oidc_db_config_admin_auth": {"providers": providers, "items": items},
        },
    )


def admin_item(**overrides) -> dict:
    return {
        "identifier": "admin-oidc",
        "oidc_rp_client_id": "admin-client",
        "oidc_rp_client_secret": "admin-secret",
        "oidc_provider_identifier": "manual-op",
        "options": ADMIN_OPTIONS,
        **overrides,
    }


@pytest.fixture
def discovery(requests_mock):
    return requests_mock.get(DISCOVERY_URL, json=DOCUMENT)


@pytest.fixture
def unchanged(db):
    """Fails the test if the provider and client rows differ at its end from its start."""
    before = take_snapshot()
    yield
    assert take_snapshot() == before


# -- the step and its models --------------------------------------------------------------


def test_step_attributes():
    step = AdminOIDCConfigurationStep()

    assert step.namespace == "oidc_db_config_admin_auth"
    assert step.enable_setting == "oidc_db_config_enable"
    assert step.config_model is AdminOIDCConfigurationModel
    assert "OpenID Connect" in step.verbose_name


@pytest.mark.parametrize(
    "data, expected",
    [
        ({"oidc_op_discovery_endpoint": "https://op/"}, "discovery"),
        ({"oidc_op_discovery_endpoint": ""}, "all"),
        ({"oidc_op_authorization_endpoint": "https://op/auth"}, "all"),
        (OIDCDiscoveryProviderConfig(oidc_op_discovery_endpoint="https://op/"), "discovery"),
        (object(), "all"),
    ],
)
def test_provider_config_discriminator(data, expected):
    assert get_provider_config_model(data) == expected


def test_issuer_is_kept_as_written():
    config = OIDCFullProviderConfig(
        oidc_op_authorization_endpoint="https://op.example.com/auth",
        oidc_op_token_endpoint="https://op.example.com/token",
        oidc_op_user_endpoint="https://op.example.com/userinfo",
        oidc_op_issuer="https://op.example.com",
    )

    # AnyUrl would add a slash, and `iss` is compared character for character
    assert config.oidc_op_issuer == "https://op.example.com"


def test_yaml_files_of_the_tests_load():
    config = build_step_config_from_sources(
        AdminOIDCConfigurationStep, yaml_source=str(FILES / "full_setup.yaml")
    )

    assert [p.identifier for p in config.providers] == ["test-op", "manual-op"]
    assert [i.identifier for i in config.items] == ["admin-oidc", "citizen-oidc"]


# -- writing providers and clients -----------------------------------------------------------


def test_full_setup(db, discovery):
    run("full_setup")

    test_op = OIDCProvider.objects.get(identifier="test-op")
    assert test_op.oidc_op_discovery_endpoint == "https://op.example.com/realms/test/"
    assert test_op.oidc_op_authorization_endpoint == DOCUMENT["authorization_endpoint"]
    assert test_op.oidc_op_token_endpoint == DOCUMENT["token_endpoint"]
    assert test_op.oidc_op_user_endpoint == DOCUMENT["userinfo_endpoint"]
    assert test_op.oidc_op_jwks_endpoint == DOCUMENT["jwks_uri"]
    assert test_op.oidc_op_logout_endpoint == DOCUMENT["end_session_endpoint"]
    assert test_op.oidc_op_issuer == ISSUER
    assert test_op.oidc_use_pkce is True
    assert test_op.oidc_use_nonce is True

    manual = OIDCProvider.objects.get(identifier="manual-op")
    assert manual.oidc_op_discovery_endpoint == ""
    assert manual.oidc_op_authorization_endpoint == "https://manual.example.com/auth"
    assert manual.oidc_op_jwks_endpoint == "https://manual.example.com/certs"
    assert manual.oidc_op_logout_endpoint == ""
    assert manual.oidc_op_issuer == "https://manual.example.com"
    assert manual.oidc_use_pkce is False
    assert manual.oidc_token_use_basic_auth is True
    assert manual.oidc_use_nonce is False
    assert (manual.oidc_nonce_size, manual.oidc_state_size) == (48, 64)

    admin = OIDCClient.objects.get(identifier="admin-oidc")
    assert admin.enabled is True
    assert admin.oidc_provider == test_op
    assert admin.oidc_rp_client_id == "admin-client"
    assert admin.oidc_rp_client_secret == "admin-secret"
    assert admin.oidc_rp_scopes_list == ["openid", "email", "profile", "roles"]
    assert admin.oidc_keycloak_idp_hint == "some-idp"
    assert admin.userinfo_claims_source == "id_token"
    assert admin.check_op_availability is True
    assert admin.options["groups_settings"]["superuser_group_names"] == ["superuser"]
    assert admin.options["user_settings"]["claim_mappings"]["username"] == ["sub"]

    citizen = OIDCClient.objects.get(identifier="citizen-oidc")
    assert citizen.enabled is False
    assert citizen.oidc_provider == manual
    assert citizen.oidc_rp_scopes_list == ["openid", "email", "profile"]
    assert citizen.options == {"identifier_claim": ["sub"], "name_claim": ["name"]}


def test_second_run_changes_nothing(db, discovery):
    run("full_setup")
    first = take_snapshot()
    pks = {
        "providers": dict(OIDCProvider.objects.values_list("identifier", "pk")),
        "clients": dict(OIDCClient.objects.values_list("identifier", "pk")),
    }

    run("full_setup")

    assert take_snapshot() == first
    assert pks == {
        "providers": dict(OIDCProvider.objects.values_list("identifier", "pk")),
        "clients": dict(OIDCClient.objects.values_list("identifier", "pk")),
    }
    assert OIDCProvider.objects.count() == 2


def test_yaml_overwrites_changes_made_in_the_admin(db, discovery):
    run("full_setup")
    OIDCClient.objects.filter(identifier="admin-oidc").update(
        enabled=False, oidc_rp_client_id="changed", options={"other": True}
    )
    OIDCProvider.objects.filter(identifier="manual-op").update(oidc_use_pkce=True)

    run("full_setup")

    admin = OIDCClient.objects.get(identifier="admin-oidc")
    assert admin.enabled is True
    assert admin.oidc_rp_client_id == "admin-client"
    assert "other" not in admin.options  # replaced, not merged
    assert OIDCProvider.objects.get(identifier="manual-op").oidc_use_pkce is False


def test_check_op_availability_is_kept_when_absent(db):
    run_object([MANUAL_PROVIDER], [admin_item(check_op_availability=True)])
    assert OIDCClient.objects.get(identifier="admin-oidc").check_op_availability is True

    run_object([MANUAL_PROVIDER], [admin_item()])
    assert OIDCClient.objects.get(identifier="admin-oidc").check_op_availability is True

    run_object([MANUAL_PROVIDER], [admin_item(check_op_availability=False)])
    assert OIDCClient.objects.get(identifier="admin-oidc").check_op_availability is False


def test_client_can_use_a_provider_already_in_the_database(db):
    run_object([MANUAL_PROVIDER], [admin_item()])

    run_object([], [admin_item(oidc_rp_client_id="other-client")])

    client = OIDCClient.objects.get(identifier="admin-oidc")
    assert client.oidc_provider.identifier == "manual-op"
    assert client.oidc_rp_client_id == "other-client"


def test_secret_from_environment_variable(db, monkeypatch):
    monkeypatch.setenv("OIDC_ADMIN_OIDC_CLIENT_SECRET", "from-the-environment")

    run("secret_from_env")

    assert OIDCClient.objects.get(identifier="admin-oidc").oidc_rp_client_secret == (
        "from-the-environment"
    )


def test_missing_environment_variable_names_it(unchanged, monkeypatch):
    monkeypatch.delenv("OIDC_ADMIN_OIDC_CLIENT_SECRET", raising=False)

    # django-setup-configuration raises a plain ValueError here, not PrerequisiteFailed
    with pytest.raises(ValueError) as excinfo:
        run("secret_from_env")

    assert "OIDC_ADMIN_OIDC_CLIENT_SECRET" in str(excinfo.value)
    assert "oidc_rp_client_secret" in str(excinfo.value)


# -- options: group_settings, deprecated flat keys ------------------------------------------


def test_deprecated_flat_keys_become_options_under_groups_settings(db, discovery):
    with pytest.warns(DeprecationWarning) as caught:
        run("deprecated_flat_keys")

    messages = [str(w.message) for w in caught]
    assert any("items.0: the claim and group keys" in m for m in messages)
    assert any("items.0: provider settings in a client entry" in m for m in messages)
    client = OIDCClient.objects.get(identifier="admin-oidc")
    assert client.options == {
        "user_settings": {
            "claim_mappings": {
                "username": ["preferred_username"],
                "email": ["email"],
                "first_name": ["given_name"],
            }
        },
        "groups_settings": {
            "claim_mapping": ["groups"],
            "sync": False,
            "sync_pattern": "local.*",
            "make_users_staff": True,
            "superuser_group_names": ["superuser"],
            "default_groups": ["staff"],
        },
    }
    provider = client.oidc_provider
    assert provider.identifier == "admin-oidc-provider"
    assert provider.oidc_op_authorization_endpoint == DOCUMENT["authorization_endpoint"]
    assert provider.oidc_op_issuer == ISSUER
    assert provider.oidc_use_nonce is False
    assert provider.oidc_nonce_size == 40
    assert provider.oidc_use_pkce is True


def test_deprecated_provider_keeps_its_pkce_setting(db, discovery):
    with pytest.warns(DeprecationWarning):
        run("deprecated_flat_keys")
    OIDCProvider.objects.filter(identifier="admin-oidc-provider").update(oidc_use_pkce=False)

    with pytest.warns(DeprecationWarning):
        run("deprecated_flat_keys")

    assert OIDCProvider.objects.get(identifier="admin-oidc-provider").oidc_use_pkce is False


def test_empty_options_use_the_defaults_of_the_flat_keys(db):
    with pytest.warns(DeprecationWarning):
        run("deprecated_defaults")

    options = OIDCClient.objects.get(identifier="admin-oidc").options
    assert options == {
        "user_settings": {
            "claim_mappings": {
                "username": ["sub"],
                "email": ["email"],
                "first_name": ["given_name"],
                "last_name": ["family_name"],
            }
        },
        "groups_settings": {
            "claim_mapping": ["roles"],
            "sync": True,
            "sync_pattern": "*",
            "make_users_staff": False,
            "superuser_group_names": [],
            "default_groups": [],
        },
    }
    assert "group_settings" not in options


def test_client_built_from_flat_keys_can_log_in(db, rf):
    # A1: the original stored these under `group_settings`, and the login crashed
    from mozilla_django_oidc_db.config import client_scope

    with pytest.warns(DeprecationWarning):
        run("deprecated_defaults")
    plugin = registry["admin-oidc"]
    claims = {"sub": "someone", "email": "someone@example.com", "roles": ["editors"]}

    with client_scope():
        user = plugin.create_user(claims)

    assert user.username == "someone"
    assert user.email == "someone@example.com"
    assert sorted(user.groups.values_list("name", flat=True)) == ["editors"]


def test_group_settings_spelling_is_stored_as_groups_settings(db):
    run("group_settings_spelling")

    options = OIDCClient.objects.get(identifier="admin-oidc").options
    assert options == {
        "user_settings": {"claim_mappings": {"username": ["sub"]}},
        "groups_settings": {"make_users_staff": True, "claim_mapping": ["roles"]},
    }


def test_both_spellings_with_different_values_are_refused(unchanged):
    options = {**ADMIN_OPTIONS, "group_settings": {"make_users_staff": False}}

    with pytest.raises(ConfigurationRunFailed) as excinfo:
        run_object([MANUAL_PROVIDER], [admin_item(options=options)])

    assert "oidc_db_config_admin_auth.items.0.options" in str(excinfo.value)
    assert "group_settings" in str(excinfo.value)


def test_both_spellings_with_the_same_value_are_merged(db):
    options = {**ADMIN_OPTIONS, "group_settings": ADMIN_OPTIONS["groups_settings"]}

    run_object([MANUAL_PROVIDER], [admin_item(options=options)])

    assert OIDCClient.objects.get(identifier="admin-oidc").options == ADMIN_OPTIONS


def test_flat_keys_next_to_options_are_ignored_with_a_warning(db):
    with pytest.warns(UserWarning, match=r"items\.0: `make_users_staff` ignored"):
        run_object([MANUAL_PROVIDER], [admin_item(make_users_staff=False)])

    options = OIDCClient.objects.get(identifier="admin-oidc").options
    assert options["groups_settings"]["make_users_staff"] is True


def test_deprecated_provider_keys_next_to_a_provider_identifier_are_ignored(db):
    with pytest.warns(UserWarning, match=r"`oidc_use_nonce` ignored"):
        run_object([MANUAL_PROVIDER], [admin_item(oidc_use_nonce=False)])

    assert OIDCProvider.objects.get(identifier="manual-op").oidc_use_nonce is True
    assert not OIDCProvider.objects.filter(identifier="admin-oidc-provider").exists()


def test_other_plugins_get_no_admin_options(db):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecation warning either
        run_object(
            [MANUAL_PROVIDER],
            [
                {
                    "identifier": "citizen-oidc",
                    "oidc_rp_client_id": "c",
                    "oidc_rp_client_secret": "s",
                    "oidc_provider_identifier": "manual-op",
                }
            ],
        )

    assert OIDCClient.objects.get(identifier="citizen-oidc").options == {}


# -- bad input: a message naming the key, and nothing changed -------------------------------


@pytest.mark.parametrize(
    "name, error, expected",
    [
        (
            "unknown_identifier",
            ConfigurationRunFailed,
            [
                "oidc_db_config_admin_auth.items.0.identifier",
                "`no-such-plugin`",
                "['admin-oidc', 'citizen-oidc']",
            ],
        ),
        (
            "unknown_provider",
            ConfigurationRunFailed,
            ["oidc_db_config_admin_auth.items.0.oidc_provider_identifier", "`nowhere-op`"],
        ),
        # A11: the original crashed with AttributeError
        (
            "no_provider",
            ConfigurationRunFailed,
            ["oidc_db_config_admin_auth.items.0: the client has no provider"],
        ),
        (
            "missing_required_key",
            PrerequisiteFailed,
            ["oidc_db_config_admin_auth.items.0.oidc_rp_client_id", "Field required"],
        ),
        (
            "wrong_types",
            PrerequisiteFailed,
            [
                "oidc_db_config_admin_auth.providers.0.oidc_nonce_size",
                "oidc_db_config_admin_auth.providers.0.endpoint_config.all."
                "oidc_op_authorization_endpoint",
                "oidc_db_config_admin_auth.items.0.enabled",
                "oidc_db_config_admin_auth.items.0.oidc_rp_scopes_list",
            ],
        ),
        # A12: the original stored them, and the first login failed
        (
            "invalid_options",
            ConfigurationRunFailed,
            [
                "oidc_db_config_admin_auth.items.0.options.user_settings.claim_mappings.username",
                "not of type 'array'",
            ],
        ),
    ],
)
def test_bad_input_names_the_key(unchanged, name, error, expected):
    with pytest.raises(error) as excinfo:
        run(name)

    for text in expected:
        assert text in str(excinfo.value)


def test_unknown_key(unchanged):
    with pytest.raises(PrerequisiteFailed) as excinfo:
        run_object([MANUAL_PROVIDER], [admin_item(oidc_rp_client_sekret="typo")])

    assert "items.0.oidc_rp_client_sekret" in str(excinfo.value)


def test_discovery_and_explicit_endpoints_together(unchanged):
    provider = {
        "identifier": "test-op",
        "endpoint_config": {
            "oidc_op_discovery_endpoint": "https://op.example.com/realms/test/",
            "oidc_op_token_endpoint": "https://op.example.com/token",
        },
    }

    with pytest.raises(PrerequisiteFailed) as excinfo:
        run_object([provider], [admin_item(oidc_provider_identifier="test-op")])

    assert "providers.0.endpoint_config.discovery.oidc_op_token_endpoint" in str(excinfo.value)


def test_duplicate_identifiers(unchanged):
    with pytest.raises(PrerequisiteFailed) as excinfo:
        run_object([MANUAL_PROVIDER, MANUAL_PROVIDER], [admin_item(), admin_item()])

    assert "providers.1.identifier: `manual-op` is listed more than once" in str(excinfo.value)
    assert "items.1.identifier: `admin-oidc` is listed more than once" in str(excinfo.value)


def test_options_without_the_username_claim(unchanged):
    options = {"groups_settings": {"make_users_staff": True}}

    with pytest.raises(ConfigurationRunFailed) as excinfo:
        run_object([MANUAL_PROVIDER], [admin_item(options=options)])

    assert "items.0.options.user_settings.claim_mappings.username" in str(excinfo.value)


def test_invalid_provider_identifier(unchanged):
    provider = {**MANUAL_PROVIDER, "identifier": "not a slug"}

    with pytest.raises(ConfigurationRunFailed) as excinfo:
        run_object([provider], [admin_item(oidc_provider_identifier="not a slug")])

    assert "oidc_db_config_admin_auth.providers.0.identifier" in str(excinfo.value)


@pytest.mark.parametrize(
    "response",
    [
        {"exc": requests.ConnectionError},
        {"exc": requests.Timeout},
        {"status_code": 404},
        {"text": "not json"},
        {"json": {**DOCUMENT, "issuer": "https://elsewhere.example.com"}},
    ],
    ids=["connection-error", "timeout", "404", "not-json", "wrong-issuer"],
)
def test_unreachable_or_bad_discovery(unchanged, requests_mock, response):
    requests_mock.get(DISCOVERY_URL, **response)

    with pytest.raises(ConfigurationRunFailed) as excinfo:
        run("unreachable_discovery")

    # the first provider (explicit endpoints) was written before, and rolled back
    assert not OIDCProvider.objects.filter(identifier="manual-op").exists()
    message = str(excinfo.value)
    assert "`test-op`" in message
    assert (
        "oidc_db_config_admin_auth.providers.1.endpoint_config.oidc_op_discovery_endpoint"
        in message
    )


def test_errors_are_found_before_the_provider_is_contacted(unchanged, requests_mock):
    with pytest.raises(ConfigurationRunFailed):
        run_object(
            [{"identifier": "test-op", "endpoint_config": {"oidc_op_discovery_endpoint": ISSUER}}],
            [admin_item(identifier="no-such-plugin", oidc_provider_identifier="test-op")],
        )

    assert requests_mock.call_count == 0


# -- all or nothing -------------------------------------------------------------------------


class ThirdPlugin(AnonymousUserOIDCPlugin):
    def get_schema(self):
        return {"type": "object"}

    def validate_settings(self):
        pass

    def handle_callback(self, request):
        raise NotImplementedError


@pytest.fixture
def third_plugin(monkeypatch):
    monkeypatch.setitem(registry._registry, "third-oidc", ThirdPlugin("third-oidc"))


@pytest.fixture
def configured(db):
    """Both clients configured (the state a failing import must leave alone)."""
    run_object([{**MANUAL_PROVIDER, "oidc_use_nonce": False}], [admin_item()])
    run_object(
        [],
        [
            {
                "identifier": "citizen-oidc",
                "oidc_rp_client_id": "old-citizen-client",
                "oidc_rp_client_secret": "old-citizen-secret",
                "oidc_provider_identifier": "manual-op",
            }
        ],
    )
    return take_snapshot()


def test_failure_in_the_third_item_leaves_the_first_two_unchanged(configured, third_plugin):
    with pytest.raises(ConfigurationRunFailed) as excinfo:
        run("third_item_fails")

    assert "oidc_db_config_admin_auth.items.2.oidc_rp_scopes_list" in str(excinfo.value)
    assert take_snapshot() == configured
    assert not OIDCClient.objects.filter(identifier="third-oidc").exists()


def test_step_is_atomic_without_the_runner(configured, third_plugin):
    config = build_step_config_from_sources(
        AdminOIDCConfigurationStep, yaml_source=str(FILES / "third_item_fails.yaml")
    )

    with pytest.raises(ConfigurationRunFailed):
        AdminOIDCConfigurationStep().execute(config)

    assert take_snapshot() == configured


def test_runner_rolls_back_a_failed_step(configured, third_plugin):
    runner = SetupConfigurationRunner(
        steps=[AdminOIDCConfigurationStep], yaml_source=FILES / "third_item_fails.yaml"
    )

    (result,) = runner.execute_all()

    assert isinstance(result.run_exception, ConfigurationRunFailed)
    assert take_snapshot() == configured


# -- the setup_configuration command ----------------------------------------------------------


def test_setup_configuration_command(db, discovery, settings):
    settings.SETUP_CONFIGURATION_STEPS = [
        "mozilla_django_oidc_db.setup_configuration.steps.AdminOIDCConfigurationStep"
    ]

    call_command("setup_configuration", yaml_file=str(FILES / "full_setup.yaml"), verbosity=0)

    assert OIDCClient.objects.get(identifier="admin-oidc").oidc_provider.identifier == "test-op"


def test_setup_configuration_command_failure_rolls_back(configured, third_plugin, settings):
    settings.SETUP_CONFIGURATION_STEPS = [
        "mozilla_django_oidc_db.setup_configuration.steps.AdminOIDCConfigurationStep"
    ]

    with pytest.raises(CommandError, match="rolled back"):
        call_command(
            "setup_configuration", yaml_file=str(FILES / "third_item_fails.yaml"), verbosity=0
        )

    assert take_snapshot() == configured


def test_disabled_step_is_skipped(unchanged, tmp_path, settings):
    settings.SETUP_CONFIGURATION_STEPS = [
        "mozilla_django_oidc_db.setup_configuration.steps.AdminOIDCConfigurationStep"
    ]
    disabled = tmp_path / "disabled.yaml"
    disabled.write_text(
        (FILES / "unknown_identifier.yaml")
        .read_text()
        .replace("oidc_db_config_enable: true", "oidc_db_config_enable: false")
    )

    with pytest.raises(CommandError, match="No steps enabled"):
        call_command("setup_configuration", yaml_file=str(disabled), verbosity=0)


# -- end to end: configured from YAML, then a login at the test OP ----------------------------


def _admin_login(browser, live_server, username: str, password: str):
    from mozilla_django_oidc_db.tests.utils import op_login

    authorize = browser.get(
        f"{live_server.url}/oidc/authenticate/", allow_redirects=False, timeout=10
    ).headers["Location"]
    callback = op_login(authorize, username, password, live_server.url, session=browser)
    return browser.get(callback, timeout=10)


@pytest.mark.e2e
@pytest.mark.parametrize("style", ["options", "deprecated-flat-keys"])
def test_login_after_yaml_import(op, live_server, browser, monkeypatch, tmp_path, style):
    from django.contrib.auth import get_user_model

    from .op_fixtures import ADMIN_CLIENT_ID

    monkeypatch.setenv("OIDC_ADMIN_OIDC_CLIENT_SECRET", op.client_secrets[ADMIN_CLIENT_ID])
    item = {
        "identifier": "admin-oidc",
        "oidc_rp_client_id": ADMIN_CLIENT_ID,
        "oidc_rp_client_secret": {"value_from": {"env": "OIDC_ADMIN_OIDC_CLIENT_SECRET"}},
        "oidc_rp_scopes_list": ["openid", "email", "profile", "groups"],
    }
    providers = []
    if style == "options":
        providers = [
            {
                "identifier": "test-op",
                "endpoint_config": {"oidc_op_discovery_endpoint": op.discovery_url},
            }
        ]
        item["oidc_provider_identifier"] = "test-op"
        item["options"] = {
            "user_settings": {"claim_mappings": {"username": ["sub"], "email": ["email"]}},
            "groups_settings": {
                "claim_mapping": ["groups"],
                "make_users_staff": True,
                "superuser_group_names": ["superuser"],
            },
        }
    else:  # A1: the original wrote `group_settings` here, and this login crashed
        item["endpoint_config"] = {"oidc_op_discovery_endpoint": op.discovery_url}
        item["username_claim"] = ["sub"]
        item["groups_claim"] = ["groups"]
        item["make_users_staff"] = True
        item["superuser_group_names"] = ["superuser"]
    path = tmp_path / "oidc.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "oidc_db_config_enable": True,
                "oidc_db_config_admin_auth": {"providers": providers, "items": [item]},
            }
        )
    )
    call_command("oidc_import_config", str(path), stdout=io.StringIO(), stderr=io.StringIO())

    response = _admin_login(browser, live_server, "alice", "alice-password")

    assert response.status_code == 200
    assert "Site administration" in response.text
    user = get_user_model().objects.get(username="alice")
    assert user.is_staff and user.is_superuser
    assert user.email == "alice@example.com"
    assert sorted(user.groups.values_list("name", flat=True)) == ["editors", "superuser"]
    provider = OIDCClient.objects.get(identifier="admin-oidc").oidc_provider
    assert provider.oidc_op_issuer == op.issuer
    assert provider.oidc_op_token_endpoint == op.token_endpoint

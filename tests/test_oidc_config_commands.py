"""``oidc_export_config`` and ``oidc_import_config`` (with ``--dry-run``)."""

from __future__ import annotations

import io
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError

import pytest
import yaml
from django_setup_configuration.test_utils import build_step_config_from_sources

from mozilla_django_oidc_db.models import OIDCClient, OIDCProvider
from mozilla_django_oidc_db.setup_configuration.changes import (
    compare,
    describe,
    take_snapshot,
)
from mozilla_django_oidc_db.setup_configuration.export import secret_env_var
from mozilla_django_oidc_db.setup_configuration.steps import AdminOIDCConfigurationStep
from mozilla_django_oidc_db.tests.factories import OIDCClientFactory, OIDCProviderFactory

from .test_forms import BASE_URL, DISCOVERY_URL, DOCUMENT

FILES = Path(__file__).parent / "setup_configuration" / "files"

ADMIN_SECRET = "admin-secret-value-1234"
CITIZEN_SECRET = "citizen-secret-value-5678"


def command(name: str, *args, **options) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=stdout, stderr=stderr, **options)
    return stdout.getvalue(), stderr.getvalue()


def failing_command(name: str, *args, **options) -> str:
    """Run a command that must fail; its standard error and the error message."""
    stderr = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command(name, *args, stdout=io.StringIO(), stderr=stderr, **options)
    return stderr.getvalue() + str(excinfo.value)


@pytest.fixture
def configuration(db, requests_mock):
    """Two providers and both clients, as an administrator might have set them up."""
    OIDCClient.objects.all().delete()
    discovered = OIDCProviderFactory(identifier="test-op", oidc_op_discovery_endpoint=BASE_URL)
    # the provider's discovery document says what the stored endpoints say
    requests_mock.get(
        DISCOVERY_URL,
        json={
            **DOCUMENT,
            "issuer": discovered.oidc_op_issuer,
            "authorization_endpoint": discovered.oidc_op_authorization_endpoint,
            "token_endpoint": discovered.oidc_op_token_endpoint,
            "userinfo_endpoint": discovered.oidc_op_user_endpoint,
            "jwks_uri": discovered.oidc_op_jwks_endpoint,
            "end_session_endpoint": discovered.oidc_op_logout_endpoint,
        },
    )
    manual = OIDCProviderFactory(
        identifier="manual-op",
        oidc_op_discovery_endpoint="",
        oidc_op_authorization_endpoint="https://manual.example.com/auth",
        oidc_op_token_endpoint="https://manual.example.com/token",
        oidc_op_user_endpoint="https://manual.example.com/userinfo",
        oidc_op_jwks_endpoint="",
        oidc_op_logout_endpoint="https://manual.example.com/logout",
        oidc_op_issuer="https://manual.example.com",
        oidc_use_pkce=False,
        oidc_token_use_basic_auth=True,
        oidc_nonce_size=48,
    )
    OIDCClientFactory(
        identifier="admin-oidc",
        with_admin_options=True,
        enabled=True,
        oidc_provider=discovered,
        oidc_rp_client_id="admin-client",
        oidc_rp_client_secret=ADMIN_SECRET,
        oidc_rp_scopes_list=["openid", "email", "roles"],
        oidc_keycloak_idp_hint="idp",
        userinfo_claims_source="id_token",
        check_op_availability=True,
    )
    OIDCClientFactory(
        identifier="citizen-oidc",
        enabled=False,
        oidc_provider=manual,
        oidc_rp_client_id="citizen-client",
        oidc_rp_client_secret=CITIZEN_SECRET,
        oidc_rp_sign_algo="HS256",
        options={"identifier_claim": ["sub"], "name_claim": ["name"]},
    )
    return take_snapshot()


@pytest.fixture
def secrets_in_environment(monkeypatch):
    monkeypatch.setenv("OIDC_ADMIN_OIDC_CLIENT_SECRET", ADMIN_SECRET)
    monkeypatch.setenv("OIDC_CITIZEN_OIDC_CLIENT_SECRET", CITIZEN_SECRET)


def delete_everything():
    OIDCClient.objects.all().delete()
    OIDCProvider.objects.all().delete()


# -- export --------------------------------------------------------------------------------


def test_export_leaves_secrets_out(configuration):
    output, errors = command("oidc_export_config")

    assert ADMIN_SECRET not in output and CITIZEN_SECRET not in output
    data = yaml.safe_load(output)
    assert data["oidc_db_config_enable"] is True
    items = {item["identifier"]: item for item in data["oidc_db_config_admin_auth"]["items"]}
    assert items["admin-oidc"]["oidc_rp_client_secret"] == {
        "value_from": {"env": "OIDC_ADMIN_OIDC_CLIENT_SECRET"}
    }
    assert items["citizen-oidc"]["oidc_rp_client_secret"] == {
        "value_from": {"env": "OIDC_CITIZEN_OIDC_CLIENT_SECRET"}
    }
    # the header says which variables to set
    assert "#   OIDC_ADMIN_OIDC_CLIENT_SECRET  (client admin-oidc)" in output
    assert "OIDC_ADMIN_OIDC_CLIENT_SECRET" in errors


def test_export_format(configuration):
    data = yaml.safe_load(command("oidc_export_config")[0])["oidc_db_config_admin_auth"]

    assert data["providers"] == [
        {
            "identifier": "manual-op",
            "oidc_token_use_basic_auth": True,
            "oidc_use_nonce": True,
            "oidc_nonce_size": 48,
            "oidc_state_size": 32,
            "oidc_use_pkce": False,
            "endpoint_config": {
                "oidc_op_authorization_endpoint": "https://manual.example.com/auth",
                "oidc_op_token_endpoint": "https://manual.example.com/token",
                "oidc_op_user_endpoint": "https://manual.example.com/userinfo",
                "oidc_op_logout_endpoint": "https://manual.example.com/logout",
                "oidc_op_jwks_endpoint": "",
                "oidc_op_issuer": "https://manual.example.com",
            },
        },
        {
            "identifier": "test-op",
            "oidc_token_use_basic_auth": False,
            "oidc_use_nonce": True,
            "oidc_nonce_size": 32,
            "oidc_state_size": 32,
            "oidc_use_pkce": True,
            "endpoint_config": {"oidc_op_discovery_endpoint": BASE_URL},
        },
    ]
    admin = data["items"][0]
    assert admin["identifier"] == "admin-oidc"
    assert admin["oidc_provider_identifier"] == "test-op"
    assert admin["userinfo_claims_source"] == "id_token"
    assert admin["check_op_availability"] is True
    assert admin["oidc_rp_scopes_list"] == ["openid", "email", "roles"]
    assert admin["options"] == OIDCClient.objects.get(identifier="admin-oidc").options


def test_export_with_secrets(configuration):
    output, errors = command("oidc_export_config", include_secrets=True)

    items = yaml.safe_load(output)["oidc_db_config_admin_auth"]["items"]
    assert [item["oidc_rp_client_secret"] for item in items] == [ADMIN_SECRET, CITIZEN_SECRET]
    assert "client secrets" in errors


def test_export_to_a_file(configuration, tmp_path):
    path = tmp_path / "oidc.yaml"

    output, _ = command("oidc_export_config", output=str(path))

    assert output == ""
    assert yaml.safe_load(path.read_text())["oidc_db_config_admin_auth"]["items"]


def test_export_leaves_out_clients_that_cannot_be_imported(db):
    # the post-migrate hook's clients: no provider, no client ID
    output, errors = command("oidc_export_config")

    assert yaml.safe_load(output)["oidc_db_config_admin_auth"] == {"providers": [], "items": []}
    assert "#   client admin-oidc: it has no provider" in output
    assert "Not exported: client citizen-oidc: it has no provider" in errors


def test_exported_file_is_valid_for_the_step(configuration, secrets_in_environment, tmp_path):
    path = tmp_path / "oidc.yaml"
    command("oidc_export_config", output=str(path))

    config = build_step_config_from_sources(AdminOIDCConfigurationStep, yaml_source=str(path))

    assert config.items[0].oidc_rp_client_secret == ADMIN_SECRET


@pytest.mark.parametrize(
    "identifier, name",
    [
        ("admin-oidc", "OIDC_ADMIN_OIDC_CLIENT_SECRET"),
        ("citizen.oidc_2", "OIDC_CITIZEN_OIDC_2_CLIENT_SECRET"),
    ],
)
def test_secret_env_var(identifier, name):
    assert secret_env_var(identifier) == name


# -- round trip ------------------------------------------------------------------------------


def test_export_then_import_recreates_the_rows(configuration, secrets_in_environment, tmp_path):
    path = tmp_path / "oidc.yaml"
    command("oidc_export_config", output=str(path))
    delete_everything()

    command("oidc_import_config", str(path))

    assert take_snapshot() == configuration


def test_export_with_secrets_then_import_recreates_the_rows(configuration, tmp_path):
    path = tmp_path / "oidc.yaml"
    command("oidc_export_config", output=str(path), include_secrets=True)
    delete_everything()

    command("oidc_import_config", str(path))

    assert take_snapshot() == configuration


def test_export_then_import_on_the_same_database_changes_nothing(
    configuration, secrets_in_environment, tmp_path
):
    path = tmp_path / "oidc.yaml"
    command("oidc_export_config", output=str(path))

    output, _ = command("oidc_import_config", str(path), dry_run=True)

    assert output.splitlines()[0] == "No changes."
    command("oidc_import_config", str(path))
    assert take_snapshot() == configuration


# -- import ----------------------------------------------------------------------------------


def test_import_reports_the_changes(db, requests_mock):
    requests_mock.get(DISCOVERY_URL, json=DOCUMENT)

    output, _ = command("oidc_import_config", str(FILES / "full_setup.yaml"))

    assert "Created provider `test-op`" in output
    assert f"    oidc_op_token_endpoint: '{DOCUMENT['token_endpoint']}'" in output
    assert "Updated client `admin-oidc`" in output
    assert "    enabled: False -> True" in output
    assert "    oidc_provider: None -> 'test-op'" in output
    assert "    options.groups_settings.superuser_group_names: ['superuser']" in output
    assert "    oidc_rp_client_secret: (set)" in output
    assert "admin-secret" not in output
    assert OIDCClient.objects.get(identifier="admin-oidc").oidc_rp_client_id == "admin-client"

    output, _ = command("oidc_import_config", str(FILES / "full_setup.yaml"))

    assert output.splitlines()[0] == "No changes."


def test_dry_run_changes_nothing(db, requests_mock):
    requests_mock.get(DISCOVERY_URL, json=DOCUMENT)
    before = take_snapshot()

    output, _ = command("oidc_import_config", str(FILES / "full_setup.yaml"), dry_run=True)

    assert take_snapshot() == before
    assert "Created provider `manual-op`" in output
    assert "Updated client `citizen-oidc`" in output
    assert "    oidc_rp_client_secret: (set)" in output
    assert "citizen-secret" not in output
    assert output.rstrip().endswith("Dry run: nothing was changed.")


def test_dry_run_shows_changed_fields_and_masks_changed_secrets(configuration, tmp_path):
    path = tmp_path / "oidc.yaml"
    command("oidc_export_config", output=str(path), include_secrets=True)
    text = path.read_text()
    text = text.replace(ADMIN_SECRET, "a-new-secret").replace(
        "make_users_staff: true", "make_users_staff: false"
    )
    path.write_text(text.replace("oidc_nonce_size: 48", "oidc_nonce_size: 64"))

    output, _ = command("oidc_import_config", str(path), dry_run=True)

    assert take_snapshot() == configuration
    assert output.splitlines()[:5] == [
        "Updated provider `manual-op`",
        "    oidc_nonce_size: 48 -> 64",
        "Updated client `admin-oidc`",
        "    oidc_rp_client_secret: (changed)",
        "    options.groups_settings.make_users_staff: True -> False",
    ]
    assert "a-new-secret" not in output and ADMIN_SECRET not in output


def test_import_failure_changes_nothing(db, requests_mock):
    requests_mock.get(DISCOVERY_URL, status_code=503)
    before = take_snapshot()

    with pytest.raises(CommandError, match="nothing was changed"):
        command("oidc_import_config", str(FILES / "unreachable_discovery.yaml"))

    assert take_snapshot() == before


def test_import_failure_names_the_key(db):
    errors = failing_command("oidc_import_config", str(FILES / "invalid_options.yaml"))

    assert "items.0.options.user_settings.claim_mappings.username" in errors


def test_dry_run_of_a_failing_import_fails(db):
    with pytest.raises(CommandError):
        command("oidc_import_config", str(FILES / "unknown_identifier.yaml"), dry_run=True)


def test_import_of_invalid_yaml_lists_the_errors(db):
    errors = failing_command("oidc_import_config", str(FILES / "wrong_types.yaml"))

    assert "is not a valid OIDC configuration" in errors
    assert "oidc_db_config_admin_auth.items.0.enabled" in errors
    assert "oidc_db_config_admin_auth.providers.0.oidc_nonce_size" in errors


def test_import_without_the_secret_in_the_environment(db, monkeypatch):
    monkeypatch.delenv("OIDC_ADMIN_OIDC_CLIENT_SECRET", raising=False)

    with pytest.raises(CommandError, match="OIDC_ADMIN_OIDC_CLIENT_SECRET"):
        command("oidc_import_config", str(FILES / "secret_from_env.yaml"))


def test_import_of_a_missing_file(db):
    with pytest.raises(CommandError, match="does not exist"):
        command("oidc_import_config", "/nonexistent/oidc.yaml")


def test_import_runs_whatever_the_enable_flag_says(db, tmp_path):
    path = tmp_path / "disabled.yaml"
    path.write_text(
        (FILES / "group_settings_spelling.yaml")
        .read_text()
        .replace("oidc_db_config_enable: true", "oidc_db_config_enable: false")
    )

    command("oidc_import_config", str(path))

    assert OIDCClient.objects.get(identifier="admin-oidc").oidc_rp_client_id == "admin-client"


def test_import_shows_deprecation_warnings(db):
    _, errors = command("oidc_import_config", str(FILES / "deprecated_defaults.yaml"))

    assert "Warning: oidc_db_config_admin_auth.items.0: the claim and group keys" in errors


# -- the change report -----------------------------------------------------------------------


def test_compare_reports_created_updated_and_deleted_rows():
    before = {
        ("provider", "gone"): {"identifier": "gone"},
        ("client", "c"): {
            "identifier": "c",
            "oidc_rp_client_secret": "old",
            "enabled": False,
            "options": {"a": {"b": 1, "c": 2}},
        },
    }
    after = {
        ("provider", "new"): {"identifier": "new", "oidc_use_pkce": True},
        ("client", "c"): {
            "identifier": "c",
            "oidc_rp_client_secret": "new",
            "enabled": False,
            "options": {"a": {"b": 1, "d": 3}},
        },
    }

    changes = compare(before, after)

    assert [(c.kind, c.identifier, c.action) for c in changes] == [
        ("provider", "gone", "deleted"),
        ("provider", "new", "created"),
        ("client", "c", "updated"),
    ]
    assert describe(changes).splitlines() == [
        "Deleted provider `gone`",
        "Created provider `new`",
        "    oidc_use_pkce: True",
        "Updated client `c`",
        "    oidc_rp_client_secret: (changed)",
        "    options.a.c: 2 -> (removed)",
        "    options.a.d: 3",
    ]
    assert describe([]) == "No changes."

"""Migrations: names and graph of the original, state equal to the models, data kept.

The tests that walk the migration graph change the schema of the test database and put
it back at the latest migration when they end, whatever happens.
"""

from io import StringIO

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings

import pytest

from mozilla_django_oidc_db.models import OIDCClient, OIDCProvider

from .legacy_config import (
    EXPECTED_OPTIONS,
    LEGACY_CLIENT_PART,
    LEGACY_CONFIG,
    LEGACY_GROUPS,
    LEGACY_PROVIDER_PART,
)

APP = "mozilla_django_oidc_db"
SQUASH = (APP, "0001_initial_to_v023")
LEAF = (APP, "0010_oidcprovider_oidc_op_issuer_oidc_use_pkce")

# Downstream projects and databases migrated by the original name these: never rename.
EXPECTED_DEPENDENCIES = {
    "0001_initial_to_v015": {("auth", "0001_initial")},
    "0001_initial_to_v023": {("auth", "0001_initial")},
    "0002_migrate_to_claim_field": {(APP, "0001_initial_to_v015")},
    "0003_openidconnectconfig_oidc_keycloak_idp_hint_and_more": {
        (APP, "0002_migrate_to_claim_field")
    },
    "0004_remove_openidconnectconfig_oidc_exempt_urls": {
        (APP, "0003_openidconnectconfig_oidc_keycloak_idp_hint_and_more")
    },
    "0005_alter_openidconnectconfig_claim_mapping": {
        (APP, "0004_remove_openidconnectconfig_oidc_exempt_urls")
    },
    "0006_oidcprovider_oidcclient": {(APP, "0005_alter_openidconnectconfig_claim_mapping")},
    "0007_migrate_oidc_data": {(APP, "0006_oidcprovider_oidcclient")},
    "0008_delete_openidconnectconfig": {(APP, "0007_migrate_oidc_data")},
    "0009_delete_openidconnectconfig": {(APP, "0008_delete_openidconnectconfig")},
    "0010_oidcprovider_oidc_op_issuer_oidc_use_pkce": {(APP, "0009_delete_openidconnectconfig")},
}


def migrate_to(target: tuple[str, str]) -> None:
    """Migrate the app to ``target`` like ``manage.py migrate`` (signals included)."""
    call_command("migrate", APP, target[1], verbosity=0, stdout=StringIO())


def historical_models(target: tuple[str, str]):
    """The models as the migration state at ``target`` knows them."""
    loader = MigrationLoader(connection, replace_migrations=target == SQUASH)
    return loader.project_state(target).apps


def create_legacy_config(target: tuple[str, str], fields: dict) -> None:
    models = historical_models(target)
    Group = models.get_model("auth", "Group")
    config = models.get_model(APP, "OpenIDConnectConfig").objects.create(**fields)
    config.default_groups.set([Group.objects.create(name=name) for name in LEGACY_GROUPS])


@pytest.fixture
def restore_schema(transactional_db):
    """Whatever the test leaves behind, end at the latest migration again."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes(APP))


def test_names_and_graph_are_those_of_the_original():
    loader = MigrationLoader(None, ignore_no_migrations=True, replace_migrations=False)
    ours = {
        name: migration for (app, name), migration in loader.disk_migrations.items() if app == APP
    }

    assert {name: set(m.dependencies) for name, m in ours.items()} == EXPECTED_DEPENDENCIES
    assert ours["0001_initial_to_v023"].replaces == [
        (APP, "0001_initial_to_v015"),
        (APP, "0002_migrate_to_claim_field"),
        (APP, "0003_openidconnectconfig_oidc_keycloak_idp_hint_and_more"),
        (APP, "0004_remove_openidconnectconfig_oidc_exempt_urls"),
        (APP, "0005_alter_openidconnectconfig_claim_mapping"),
    ]
    assert MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes(APP) == [LEAF]


def test_squash_and_replaced_migrations_end_in_the_same_state():
    replaced = MigrationLoader(None, ignore_no_migrations=True, replace_migrations=False)
    squashed = MigrationLoader(None, ignore_no_migrations=True)

    assert (
        replaced.project_state((APP, "0005_alter_openidconnectconfig_claim_mapping"))
        .models[APP, "openidconnectconfig"]
        .fields.keys()
        == squashed.project_state(SQUASH).models[APP, "openidconnectconfig"].fields.keys()
    )


@pytest.mark.django_db
def test_migration_state_equals_the_models():
    out = StringIO()
    try:
        call_command("makemigrations", APP, check=True, dry_run=True, stdout=out)
    except SystemExit:  # raised by --check when a migration would be written
        pytest.fail(f"models and migrations differ:\n{out.getvalue()}")


@pytest.mark.django_db(transaction=True)  # SQLite's schema editor refuses an atomic block
def test_0009_only_changes_the_migration_state():
    """Databases migrated by the original 2.0.0 lack 0009: it must not touch the schema."""
    out = StringIO()
    call_command("sqlmigrate", APP, "0009_delete_openidconnectconfig", stdout=out)

    statements = [
        line
        for line in out.getvalue().splitlines()
        if line.strip() and not line.startswith("--") and line not in ("BEGIN;", "COMMIT;")
    ]
    assert statements == []


@pytest.mark.django_db
def test_postgresql_column_types_are_those_of_the_original():
    if connection.vendor != "postgresql":
        pytest.skip("column types are checked on PostgreSQL only (run with DB=postgres)")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT attname, format_type(atttypid, atttypmod)
            FROM pg_attribute
            WHERE attrelid = 'mozilla_django_oidc_db_oidcclient'::regclass
              AND attname IN ('oidc_rp_scopes_list', 'options')
            """
        )
        types = dict(cursor.fetchall())

    assert types == {"oidc_rp_scopes_list": "character varying(50)[]", "options": "jsonb"}


def test_downstream_migrations_naming_ours_still_load():
    with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, "tests.migration_downstream"]):
        loader = MigrationLoader(None, ignore_no_migrations=True)
        downstream_leaf = ("migration_downstream", "0002_delete_publicopenidconnectconfig")
        plan = loader.graph.forwards_plan(downstream_leaf)
        state = loader.project_state()
        # rendering every model fails if a base or a relation cannot be resolved
        assert state.apps.get_model(APP, "OIDCClient")

    # the dependency on 0002 resolves to the squash that replaces it
    assert SQUASH in plan
    assert (APP, "0008_delete_openidconnectconfig") in plan
    assert (APP, "openidconnectconfig") not in state.models


def test_legacy_configuration_moves_to_provider_and_client_and_back(restore_schema):
    migrate_to(SQUASH)  # post_migrate runs on a state without OIDCClient: must not crash
    create_legacy_config(SQUASH, LEGACY_CONFIG)

    migrate_to(LEAF)

    provider = OIDCProvider.objects.get()
    client = OIDCClient.objects.get(identifier="admin-oidc")
    assert client.oidc_provider == provider
    assert provider.identifier == "admin-oidc-provider"
    assert {name: getattr(provider, name) for name in LEGACY_PROVIDER_PART} == LEGACY_PROVIDER_PART
    # an existing configuration keeps working as before: no PKCE, no issuer check
    assert provider.oidc_use_pkce is False
    assert provider.oidc_op_issuer == ""
    assert {name: getattr(client, name) for name in LEGACY_CLIENT_PART} == LEGACY_CLIENT_PART
    assert client.check_op_availability is False
    assert client.options == EXPECTED_OPTIONS
    # a provider created now gets PKCE
    assert OIDCProvider().oidc_use_pkce is True

    migrate_to(SQUASH)

    legacy = historical_models(SQUASH).get_model(APP, "OpenIDConnectConfig").objects.get()
    assert {name: getattr(legacy, name) for name in LEGACY_CONFIG} == LEGACY_CONFIG
    assert sorted(legacy.default_groups.values_list("name", flat=True)) == LEGACY_GROUPS


def test_migrating_backwards_without_a_provider_keeps_nothing(restore_schema):
    migrate_to(LEAF)
    OIDCClient.objects.update_or_create(identifier="admin-oidc", defaults={"oidc_provider": None})

    migrate_to(SQUASH)

    assert not historical_models(SQUASH).get_model(APP, "OpenIDConnectConfig").objects.exists()


def test_history_of_old_releases_runs_unsquashed(restore_schema):
    """A database migrated by a release before the squash takes 0001_initial_to_v015..0005."""
    call_command("migrate", APP, "zero", verbosity=0, stdout=StringIO())
    executor = MigrationExecutor(connection)
    executor.loader.replace_migrations = False
    executor.loader.build_graph()
    executor.migrate([(APP, "0001_initial_to_v015")])
    not_yet = {"oidc_keycloak_idp_hint", "oidc_op_logout_endpoint"}
    create_legacy_config(
        (APP, "0001_initial_to_v015"),
        {
            **{name: value for name, value in LEGACY_CONFIG.items() if name not in not_yet},
            "username_claim": "preferred_username",
            "groups_claim": "roles",
            "oidc_exempt_urls": ["/api/"],
        },
    )
    executor.loader.build_graph()
    executor.migrate([(APP, "0005_alter_openidconnectconfig_claim_mapping")])

    migrate_to(LEAF)

    applied = MigrationRecorder(connection).applied_migrations()
    assert SQUASH in applied  # all it replaces ran, so Django records it as applied too
    client = OIDCClient.objects.get(identifier="admin-oidc")
    # 0002 does not carry the single-key claims over: the claim paths start from defaults
    assert client.options["user_settings"]["claim_mappings"]["username"] == ["sub"]
    assert client.options["groups_settings"]["claim_mapping"] == ["roles"]
    assert client.oidc_keycloak_idp_hint == ""
    assert client.oidc_provider.oidc_op_logout_endpoint == ""


@pytest.mark.parametrize("global_pkce", [True, False])
def test_0010_carries_the_global_pkce_setting_over_to_existing_providers(
    restore_schema, settings, global_pkce
):
    before = (APP, "0009_delete_openidconnectconfig")
    migrate_to(before)
    historical_models(before).get_model(APP, "OIDCProvider").objects.create(
        identifier="existing",
        oidc_op_authorization_endpoint="https://op.example/auth",
        oidc_op_token_endpoint="https://op.example/token",
        oidc_op_user_endpoint="https://op.example/userinfo",
    )
    settings.OIDC_USE_PKCE = global_pkce

    migrate_to(LEAF)

    from mozilla_django_oidc_db.models import OIDCProvider

    assert OIDCProvider.objects.get(identifier="existing").oidc_use_pkce is global_pkce
    assert OIDCProvider().oidc_use_pkce is True  # new providers use PKCE

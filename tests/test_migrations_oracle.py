"""Oracle: a database migrated by the original package keeps working with ours.

The original ``mozilla-django-oidc-db`` (2.0.0 and 2.0.1 from PyPI) is installed once
into a Python 3.12 virtualenv cached under ``.cache/`` at the repository root. It
migrates a throwaway PostgreSQL database and stores a configuration with its own ORM;
then this package (``manage.py`` with ``testapp.settings``) is pointed at that database.

Each side runs in a subprocess with an explicit environment. Skipped only when
PostgreSQL cannot be reached or no Python 3.12 is installed.
"""

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from .legacy_config import EXPECTED_OPTIONS, LEGACY_CONFIG, LEGACY_GROUPS

pytestmark = pytest.mark.oracle

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache"
APP = "mozilla_django_oidc_db"
SQUASH = "0001_initial_to_v023"
ORIGINAL_REQUIREMENTS = ("psycopg[binary]>=3.1", "django>=4.2,<6", "mozilla-django-oidc>=5,<6")
PIP_TIMEOUT = 900
COMMAND_TIMEOUT = 240

# what a subprocess may see of our environment: the basics, and how to reach the registry
PASSED_ENV = re.compile(
    r"^(PATH|HOME|LANG|LC_ALL|TMPDIR|SSL_CERT_FILE|REQUESTS_CA_BUNDLE|PIP_\w+"
    r"|(HTTPS?|NO|ALL)_PROXY|(https?|no|all)_proxy)$"
)

ORIGINAL_SETTINGS = """\
import os

SECRET_KEY = "oracle-not-secret"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django_jsonform",
    "mozilla_django_oidc",
    "mozilla_django_oidc_db",
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ["PGHOST"],
        "PORT": os.environ["PGPORT"],
        "USER": os.environ["PGUSER"],
        "PASSWORD": os.environ["PGPASSWORD"],
        "NAME": os.environ["PGDATABASE"],
    }
}
USE_TZ = True
OIDC_AUTHENTICATE_CLASS = "mozilla_django_oidc_db.views.OIDCAuthenticationRequestView"
OIDC_CALLBACK_CLASS = "mozilla_django_oidc_db.views.OIDCCallbackView"
"""

# Runs in the original's virtualenv: migrate without the post_migrate signal, whose
# receiver in the original crashes on states without OIDCClient (UPSTREAM_DEFECTS A19).
MIGRATE_WITHOUT_SIGNALS = """\
import sys
import django

django.setup()
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

MigrationExecutor(connection).migrate([("mozilla_django_oidc_db", sys.argv[1])])
"""

# Runs in the original's virtualenv: store a configuration through its ORM.
STORE_WITH_ORIGINAL_ORM = """\
import json
import sys
import django

django.setup()
from mozilla_django_oidc_db.models import OIDCClient, OIDCProvider

data = json.loads(sys.argv[1])
provider = OIDCProvider.objects.create(**data["provider"])
for identifier, fields in data["clients"].items():
    OIDCClient.objects.update_or_create(
        identifier=identifier, defaults={**fields, "oidc_provider": provider}
    )
"""

# Runs with our manage.py shell: everything our models read back.
READ_WITH_OUR_ORM = """\
import json
from django.forms.models import model_to_dict
from mozilla_django_oidc_db.models import OIDCClient, OIDCProvider

providers = {p.identifier: model_to_dict(p, exclude=["id"]) for p in OIDCProvider.objects.all()}
clients = {
    c.identifier: {
        **model_to_dict(c, exclude=["id", "oidc_provider"]),
        "oidc_provider": c.oidc_provider.identifier if c.oidc_provider else None,
        "scopes_type": type(c.oidc_rp_scopes_list).__name__,
        "options_type": type(c.options).__name__,
    }
    for c in OIDCClient.objects.select_related("oidc_provider")
}
print("READ:" + json.dumps({"providers": providers, "clients": clients}))
"""

PROVIDER = {
    "identifier": "keycloak",
    "oidc_op_discovery_endpoint": "https://sso.example.com/realms/main/",
    "oidc_op_jwks_endpoint": "https://sso.example.com/realms/main/protocol/openid-connect/certs",
    "oidc_op_authorization_endpoint": "https://sso.example.com/realms/main/protocol/openid-connect/auth",
    "oidc_op_token_endpoint": "https://sso.example.com/realms/main/protocol/openid-connect/token",
    "oidc_op_user_endpoint": "https://sso.example.com/realms/main/protocol/openid-connect/userinfo",
    "oidc_op_logout_endpoint": "https://sso.example.com/realms/main/protocol/openid-connect/logout",
    "oidc_token_use_basic_auth": True,
    "oidc_use_nonce": True,
    "oidc_nonce_size": 64,
    "oidc_state_size": 48,
}
CLIENTS = {
    "admin-oidc": {
        "enabled": True,
        "oidc_rp_client_id": "portal-admin",
        "oidc_rp_client_secret": "s3cr3t",
        "oidc_rp_scopes_list": ["openid", "email", "profile", "roles"],
        "oidc_rp_sign_algo": "RS256",
        "oidc_rp_idp_sign_key": "",
        "oidc_keycloak_idp_hint": "azure-ad",
        "userinfo_claims_source": "id_token",
        "check_op_availability": True,
        "options": {
            "user_settings": {
                "claim_mappings": {
                    "username": ["preferred_username"],
                    "email": ["email"],
                    "first_name": ["given_name"],
                    "last_name": ["family_name"],
                },
                "username_case_sensitive": False,
            },
            "groups_settings": {
                "claim_mapping": ["realm_access", "roles"],
                "sync": True,
                "sync_pattern": "portal-*",
                "default_groups": ["Staff"],
                "make_users_staff": True,
                "superuser_group_names": ["portal-admins"],
            },
        },
    },
    "citizen-oidc": {
        "enabled": False,
        "oidc_rp_client_id": "portal-citizens",
        "oidc_rp_client_secret": "an0ther",
        "oidc_rp_scopes_list": ["openid"],
        "oidc_rp_sign_algo": "ES256",
        "oidc_rp_idp_sign_key": "",
        "oidc_keycloak_idp_hint": "",
        "userinfo_claims_source": "userinfo_endpoint",
        "check_op_availability": False,
        "options": {"identifier_claim": ["bsn"], "name_claim": ["name"]},
    },
}


# -- environment ---------------------------------------------------------------------


def postgres_params() -> dict[str, str]:
    """Where PostgreSQL is: the same variables and defaults as testapp.settings."""
    return {
        "PGHOST": os.environ.get("PGHOST", "127.0.0.1"),
        "PGPORT": os.environ.get("PGPORT", "5432"),
        "PGUSER": os.environ.get("PGUSER", "postgres"),
        "PGPASSWORD": os.environ.get("PGPASSWORD", ""),
    }


@contextmanager
def pg_connect(dbname: str) -> Iterator[psycopg.Connection]:
    params = postgres_params()
    with psycopg.connect(
        host=params["PGHOST"],
        port=params["PGPORT"],
        user=params["PGUSER"],
        password=params["PGPASSWORD"],
        dbname=dbname,
        autocommit=True,
        connect_timeout=5,
        row_factory=dict_row,
    ) as conn:
        yield conn


def base_env(**extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if PASSED_ENV.match(name)}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


def run(
    args: list,
    *,
    env: dict[str, str],
    cwd: Path = ROOT,
    timeout: int = COMMAND_TIMEOUT,
    check: bool = True,
):
    try:
        result = subprocess.run(
            [str(arg) for arg in args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"timed out after {timeout}s: {args}\n{exc.stdout}\n{exc.stderr}")
    if check and result.returncode:
        pytest.fail(
            f"exit code {result.returncode}: {args}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result


def find_python312() -> str | None:
    pyenv_versions = Path(os.environ.get("PYENV_ROOT", "/root/.pyenv")) / "versions"

    def version_key(path: Path):
        return tuple(int(part) for part in re.findall(r"\d+", path.parent.parent.name))

    candidates = [
        os.environ.get("ORACLE_PYTHON"),
        *sorted(pyenv_versions.glob("3.12*/bin/python3.12"), key=version_key, reverse=True),
        shutil.which("python3.12"),
    ]
    probe = "import sys, venv, ensurepip; assert sys.version_info[:2] == (3, 12)"
    for candidate in filter(None, candidates):
        try:
            subprocess.run([candidate, "-c", probe], capture_output=True, timeout=30, check=True)
        except (OSError, subprocess.SubprocessError):
            continue
        return str(candidate)
    return None


@pytest.fixture(scope="module")
def python312() -> str:
    python = find_python312()
    if python is None:
        pytest.skip("no Python 3.12 found (the original package needs it); set ORACLE_PYTHON")
    return python


@pytest.fixture(scope="module")
def postgres() -> None:
    try:
        with pg_connect("postgres"):
            pass
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is unreachable at {postgres_params()['PGHOST']}: {exc}")


def original_venv(version: str, python: str) -> Path:
    """The cached virtualenv with the original package; built once, under a file lock."""
    venv = CACHE / f"oracle-venv-{version}"
    ready = venv / ".oracle-ready"
    requirements = [f"mozilla-django-oidc-db=={version}", *ORIGINAL_REQUIREMENTS]
    CACHE.mkdir(exist_ok=True)
    with open(CACHE / f"oracle-venv-{version}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if ready.exists() and json.loads(ready.read_text()) == requirements:
            return venv
        shutil.rmtree(venv, ignore_errors=True)
        run([python, "-m", "venv", venv], env=base_env())
        pip = [venv / "bin" / "python", "-m", "pip", "install", "--disable-pip-version-check"]
        run([*pip, "--no-input", "-q", *requirements], env=base_env(), timeout=PIP_TIMEOUT)
        ready.write_text(json.dumps(requirements))
    return venv


@pytest.fixture
def scratch_databases(postgres) -> Iterator:
    """A factory of empty PostgreSQL databases, all dropped at the end of the test."""
    created: list[str] = []

    def create() -> str:
        name = f"oidcdb_oracle_{uuid.uuid4().hex[:12]}"
        with pg_connect("postgres") as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        created.append(name)
        return name

    yield create

    with pg_connect("postgres") as conn:
        for name in created:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                [name],
            )
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


# -- the two sides -------------------------------------------------------------------


class Original:
    """The original package, installed in its own virtualenv, on database ``db``."""

    def __init__(self, venv: Path, settings_dir: Path, db: str):
        self.venv = venv
        self.python = venv / "bin" / "python"
        # away from the repository, which must not shadow the installed package
        self.cwd = settings_dir
        self.env = base_env(
            **postgres_params(),
            PGDATABASE=db,
            PYTHONPATH=str(settings_dir),
            PYTHONSAFEPATH="1",
            DJANGO_SETTINGS_MODULE="oracle_settings",
        )

    def django(self, *args: str):
        return run([self.python, "-m", "django", *args], env=self.env, cwd=self.cwd)

    def script(self, code: str, *args: str):
        return run([self.python, "-c", code, *args], env=self.env, cwd=self.cwd)

    def package_path(self) -> Path:
        code = "import mozilla_django_oidc_db as p; print(p.__file__)"
        return Path(self.script(code).stdout.strip())


class Ours:
    """This package, through the repository's manage.py and testapp.settings."""

    def __init__(self, db: str):
        venv_python = ROOT / ".venv" / "bin" / "python"
        self.python = venv_python if venv_python.exists() else Path(sys.executable)
        self.env = base_env(
            **postgres_params(),
            DB="postgres",
            PGDATABASE=db,
            DJANGO_SETTINGS_MODULE="testapp.settings",
        )

    def manage(self, *args: str, check: bool = True):
        return run([self.python, "manage.py", *args], env=self.env, check=check)

    def pending(self, *settings: str) -> list[str]:
        """Our app's migrations that ``migrate --plan`` would apply."""
        out = self.manage("migrate", "--plan", *settings).stdout
        return re.findall(rf"^{APP}\.(\w+)$", out, re.MULTILINE)

    def shown(self) -> dict[str, bool]:
        out = self.manage("showmigrations", APP).stdout
        return {name: mark == "X" for mark, name in re.findall(r"^ \[(X| )\] (\S+)", out, re.M)}

    def read(self) -> dict:
        out = self.manage("shell", "-c", READ_WITH_OUR_ORM).stdout
        return json.loads(re.search(r"^READ:(.*)$", out, re.MULTILINE).group(1))


@pytest.fixture
def original_settings(tmp_path) -> Path:
    (tmp_path / "oracle_settings.py").write_text(ORIGINAL_SETTINGS)
    return tmp_path


def recorded_migrations(db: str, app: str = APP) -> set[str]:
    with pg_connect(db) as conn:
        rows = conn.execute("SELECT name FROM django_migrations WHERE app = %s", [app])
        return {row["name"] for row in rows}


def column_types(db: str, table: str) -> dict[str, str]:
    with pg_connect(db) as conn:
        rows = conn.execute(
            """
            SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute
            WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped
            """,
            [table],
        )
        return {row["attname"]: row["type"] for row in rows}


# -- a database of the original, then ours -------------------------------------------

ORIGINAL_HISTORY = {
    "0001_initial_to_v015",
    "0002_migrate_to_claim_field",
    "0003_openidconnectconfig_oidc_keycloak_idp_hint_and_more",
    "0004_remove_openidconnectconfig_oidc_exempt_urls",
    "0005_alter_openidconnectconfig_claim_mapping",
    SQUASH,
    "0006_oidcprovider_oidcclient",
    "0007_migrate_oidc_data",
    "0008_delete_openidconnectconfig",
}
OURS_ONLY = "0010_oidcprovider_oidc_op_issuer_oidc_use_pkce"


@pytest.mark.parametrize(
    ("version", "expected_pending"),
    [
        ("2.0.1", [OURS_ONLY]),
        # 2.0.0 lacks 0009 (UPSTREAM_DEFECTS A9): ours applies as a state-only no-op
        ("2.0.0", ["0009_delete_openidconnectconfig", OURS_ONLY]),
    ],
)
def test_database_of_the_original_needs_only_our_additions(
    version, expected_pending, python312, scratch_databases, original_settings
):
    db = scratch_databases()
    original = Original(original_venv(version, python312), original_settings, db)
    assert original.package_path().is_relative_to(original.venv)
    original.django("migrate", "--skip-checks", "--no-input")
    original.script(STORE_WITH_ORIGINAL_ORM, json.dumps({"provider": PROVIDER, "clients": CLIENTS}))
    recorded = recorded_migrations(db)
    assert recorded - ORIGINAL_HISTORY == (
        {"0009_delete_openidconnectconfig"} if version == "2.0.1" else set()
    )
    # a downstream app whose migrations name ours migrated along with the original
    with pg_connect(db) as conn:
        for name in ("0001_initial", "0002_delete_publicopenidconnectconfig"):
            conn.execute(
                "INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, now())",
                ["migration_downstream", name],
            )
    ours = Ours(db)

    assert ours.pending() == expected_pending
    assert ours.pending("--settings", "tests.migration_downstream.settings") == expected_pending
    assert [name for name, applied in ours.shown().items() if not applied] == expected_pending

    migrated = ours.manage("migrate", "--no-input").stdout
    assert re.findall(rf"Applying {APP}\.(\w+)\.\.\. OK", migrated) == expected_pending

    assert all(ours.shown().values())
    assert ours.pending("--settings", "tests.migration_downstream.settings") == []
    assert ours.manage("makemigrations", APP, "--check", "--dry-run", check=False).returncode == 0
    assert recorded_migrations(db) == recorded | set(expected_pending)
    provider_columns = column_types(db, f"{APP}_oidcprovider")
    assert provider_columns["oidc_op_issuer"] == "character varying(1000)"
    assert provider_columns["oidc_use_pkce"] == "boolean"
    client_columns = column_types(db, f"{APP}_oidcclient")
    assert client_columns["oidc_rp_scopes_list"] == "character varying(50)[]"
    assert client_columns["options"] == "jsonb"

    stored = ours.read()
    # the existing provider keeps its behaviour: no PKCE, no issuer check
    assert stored["providers"] == {
        "keycloak": {**PROVIDER, "oidc_op_issuer": "", "oidc_use_pkce": False}
    }
    assert {identifier: stored["clients"][identifier] for identifier in CLIENTS} == {
        identifier: {
            **fields,
            "identifier": identifier,
            "oidc_provider": "keycloak",
            "scopes_type": "list",
            "options_type": "dict",
        }
        for identifier, fields in CLIENTS.items()
    }


# -- the data migration, ours next to the original's ---------------------------------


def store_legacy_config(db: str) -> None:
    with pg_connect(db) as conn:
        config_id = conn.execute(
            sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING id").format(
                sql.Identifier(f"{APP}_openidconnectconfig"),
                sql.SQL(", ").join(map(sql.Identifier, LEGACY_CONFIG)),
                sql.SQL(", ").join(sql.Placeholder() * len(LEGACY_CONFIG)),
            ),
            [Jsonb(v) if isinstance(v, dict) else v for v in LEGACY_CONFIG.values()],
        ).fetchone()["id"]
        for name in LEGACY_GROUPS:
            group_id = conn.execute(
                "INSERT INTO auth_group (name) VALUES (%s) RETURNING id", [name]
            ).fetchone()["id"]
            conn.execute(
                sql.SQL("INSERT INTO {} (openidconnectconfig_id, group_id) VALUES (%s, %s)").format(
                    sql.Identifier(f"{APP}_openidconnectconfig_default_groups")
                ),
                [config_id, group_id],
            )


def admin_client_row(db: str) -> dict:
    """The admin client and its provider as stored, without ids."""
    with pg_connect(db) as conn:
        client = conn.execute(
            f"SELECT * FROM {APP}_oidcclient WHERE identifier = 'admin-oidc'"
        ).fetchone()
        provider = conn.execute(
            f"SELECT * FROM {APP}_oidcprovider WHERE id = %s", [client["oidc_provider_id"]]
        ).fetchone()
    for row in (client, provider):
        del row["id"]
    del client["oidc_provider_id"]
    return {"client": client, "provider": provider}


def legacy_row(db: str) -> dict:
    with pg_connect(db) as conn:
        config = conn.execute(f"SELECT * FROM {APP}_openidconnectconfig").fetchone()
        groups = conn.execute(
            f"""
            SELECT g.name FROM auth_group g
            JOIN {APP}_openidconnectconfig_default_groups m ON m.group_id = g.id
            WHERE m.openidconnectconfig_id = %s ORDER BY g.name
            """,
            [config["id"]],
        )
        config["default_groups"] = [row["name"] for row in groups]
    del config["id"]
    return config


def test_legacy_configuration_migrates_like_the_original(
    python312, scratch_databases, original_settings
):
    venv = original_venv("2.0.1", python312)
    theirs_db, ours_db = scratch_databases(), scratch_databases()
    for db in (theirs_db, ours_db):
        Original(venv, original_settings, db).script(MIGRATE_WITHOUT_SIGNALS, SQUASH)
        store_legacy_config(db)
    original, ours = Original(venv, original_settings, theirs_db), Ours(ours_db)

    original.django("migrate", "--skip-checks", "--no-input")
    ours.manage("migrate", "--no-input")

    theirs_rows, our_rows = admin_client_row(theirs_db), admin_client_row(ours_db)
    assert our_rows["provider"].pop("oidc_use_pkce") is False
    assert our_rows["provider"].pop("oidc_op_issuer") == ""
    assert our_rows == theirs_rows
    assert theirs_rows["client"]["options"] == EXPECTED_OPTIONS

    # backwards: the original only without signals (its receiver crashes, A19); ours with
    original.script(MIGRATE_WITHOUT_SIGNALS, SQUASH)
    ours.manage("migrate", APP, SQUASH, "--no-input")

    legacy = {**LEGACY_CONFIG, "default_groups": LEGACY_GROUPS}
    assert legacy_row(ours_db) == legacy_row(theirs_db) == legacy

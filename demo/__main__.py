"""Run the demo: a local identity provider and the Django admin that logs in with it.

    python -m demo [--port 8000] [--op-port 9000]      (make demo DEMO_ARGS="...")

1. migrates a SQLite database in ``demo-data/``;
2. starts the OpenID Provider of the tests (``tests/op/server.js``, npm's
   oidc-provider) with two accounts;
3. configures the ``admin-oidc`` client for it from a YAML file, with
   django-setup-configuration (``demo-data/setup-configuration.yaml``);
4. starts Django's development server and prints where to go.

Ctrl-C stops both servers. Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.op_fixtures import ACCOUNTS as TEST_ACCOUNTS
from tests.op_fixtures import OpenIDProvider, OPError

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("DEMO_DATA_DIR", ROOT / "demo-data"))
OP_DIR = ROOT / "tests" / "op"
HOST = "127.0.0.1"
START_TIMEOUT = 30  # seconds for each server to answer
MIN_NODE_MAJOR = 20  # oidc-provider 9

CLIENT_ID = "demo-admin"

#: The test OP's alice and bob, with their names as passwords; groups become Django groups.
ACCOUNTS = [
    {**account, "password": account["id"]}
    for account in TEST_ACCOUNTS
    if account["id"] in ("alice", "bob")
]

#: Permissions of the ``editors`` group, so that bob sees something in the admin.
EDITOR_PERMISSIONS = ["auth.view_user", "auth.view_group"]

SETUP_YAML = """\
# Written by `python -m demo` on every start; the demo then runs
#   python -m django setup_configuration --yaml-file {yaml_path}
# (django-setup-configuration, with the step
#  mozilla_django_oidc_db.setup_configuration.steps.AdminOIDCConfigurationStep)
oidc_db_config_enable: true
oidc_db_config_admin_auth:
  providers:
    - identifier: demo-op
      endpoint_config:
        # the endpoints come from the provider's discovery document
        oidc_op_discovery_endpoint: {discovery_url}
  items:
    - identifier: admin-oidc
      enabled: true
      oidc_provider_identifier: demo-op
      oidc_rp_client_id: {client_id}
      oidc_rp_client_secret: {client_secret}
      oidc_rp_scopes_list: [openid, email, profile, groups]
      oidc_rp_sign_algo: RS256
      options:
        user_settings:
          claim_mappings:
            username: [sub]
            email: [email]
            first_name: [given_name]
            last_name: [family_name]
          username_case_sensitive: false
        groups_settings:
          claim_mapping: [groups]
          sync: true
          sync_pattern: "*"
          make_users_staff: true
          superuser_group_names: [superuser]
"""


class DemoError(Exception):
    """Something the person running the demo can fix; shown without a traceback."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8000, help="the Django site (default 8000)")
    parser.add_argument(
        "--op-port", type=int, default=9000, help="the identity provider (default 9000)"
    )
    args = parser.parse_args(argv)
    if args.port == args.op_port:
        parser.error("--port and --op-port must differ")
    return args


# -- before anything starts ----------------------------------------------------------------


def check_node() -> None:
    """Node.js and the provider's npm packages, or a message saying what to install."""
    install = (
        f"The demo's identity provider runs on Node.js {MIN_NODE_MAJOR} or later, with npm.\n"
        "Install them (Debian/Ubuntu: sudo apt-get install nodejs npm; elsewhere see "
        "https://nodejs.org/) and run the demo again."
    )
    if not shutil.which("node"):
        raise DemoError("Node.js is not installed (no `node` on the PATH).\n" + install)
    version = subprocess.run(
        ["node", "--version"], capture_output=True, text=True, timeout=30
    ).stdout.strip()
    try:
        major = int(version.lstrip("v").split(".")[0])
    except ValueError:
        major = 0
    if major < MIN_NODE_MAJOR:
        raise DemoError(f"Node.js {version or '(unknown version)'} is too old.\n" + install)
    if (OP_DIR / "node_modules" / "oidc-provider" / "package.json").exists():
        return
    if not shutil.which("npm"):
        raise DemoError("npm is not installed (no `npm` on the PATH).\n" + install)
    print("Installing the identity provider's npm packages (npm ci in tests/op) ...")
    result = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=OP_DIR,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise DemoError(f"npm ci failed in {OP_DIR}:\n{result.stdout}{result.stderr}")


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # as the servers do: a port only waiting out TIME_WAIT counts as free
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def check_ports(args: argparse.Namespace) -> None:
    for what, port in (("the Django site", args.port), ("the identity provider", args.op_port)):
        if not port_is_free(port):
            raise DemoError(
                f"Port {port} on {HOST} (for {what}) is already in use: another demo, or "
                "another server?\nStop it, or choose other ports:\n"
                f'  make demo DEMO_ARGS="--port {args.port + 1} --op-port {args.op_port + 1}"\n'
                f"  (or: python -m demo --port {args.port + 1} --op-port {args.op_port + 1})"
            )


# -- the database and the configuration ----------------------------------------------------


def setup_django() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "demo.settings"
    os.environ["DEMO_DATA_DIR"] = str(DATA_DIR)
    import django

    django.setup()


def migrate() -> None:
    from django.contrib.auth.models import Group, Permission
    from django.core.management import call_command

    print(f"Migrating the database {display(DATA_DIR / 'demo.sqlite3')} ...")
    call_command("migrate", verbosity=0)
    editors, _ = Group.objects.get_or_create(name="editors")
    for name in EDITOR_PERMISSIONS:
        app_label, codename = name.split(".")
        editors.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def configure_admin_client(discovery_url: str, client_secret: str) -> Path:
    """Write the YAML of the ``admin-oidc`` client and import it; return its path."""
    from django.core.management import CommandError, call_command

    yaml_path = DATA_DIR / "setup-configuration.yaml"
    yaml_path.write_text(
        SETUP_YAML.format(
            yaml_path=display(yaml_path),
            discovery_url=discovery_url,
            client_id=CLIENT_ID,
            client_secret=client_secret,
        )
    )
    print(f"Configuring the admin-oidc client from {display(yaml_path)} ...")
    output = io.StringIO()
    try:
        call_command("setup_configuration", yaml_file=str(yaml_path), stdout=output)
    except CommandError as exc:
        raise DemoError(
            f"The YAML import of {display(yaml_path)} failed:\n{indent(output.getvalue())}\n{exc}"
        ) from None
    return yaml_path


# -- the two servers -----------------------------------------------------------------------


def op_config(args: argparse.Namespace, client_secret: str) -> dict:
    sites = [f"http://{host}:{args.port}" for host in (HOST, "localhost")]
    return {
        "issuer": f"http://{HOST}:{{port}}/realms/demo",
        "clients": [
            {
                "client_id": CLIENT_ID,
                "client_secret": client_secret,
                "redirect_uris": [f"{site}/oidc/callback/" for site in sites],
                # testapp's LOGOUT_REDIRECT_URL
                "post_logout_redirect_uris": [f"{site}/admin/" for site in sites],
                "token_endpoint_auth_method": "client_secret_post",
                "id_token_signed_response_alg": "RS256",
            }
        ],
        "accounts": ACCOUNTS,
    }


def start_op(args: argparse.Namespace, client_secret: str):
    import requests

    op = OpenIDProvider(config=op_config(args, client_secret), workdir=DATA_DIR, port=args.op_port)
    print(f"Starting the identity provider on port {args.op_port} ...")
    try:
        op.start()
    except (OPError, requests.RequestException, ValueError):
        op.stop()
        log = op.log().strip() or "(empty)"
        hint = ""
        if "EADDRINUSE" in log:
            hint = f"\nPort {args.op_port} is taken: choose another with --op-port."
        raise DemoError(
            f"The identity provider did not start. Its log ({display(op.log_path)}):\n"
            f"{indent(log)}{hint}"
        ) from None
    return op


def start_site(args: argparse.Namespace) -> subprocess.Popen:
    print(f"Starting the Django development server on port {args.port} ...")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "demo.settings",
        "DEMO_DATA_DIR": str(DATA_DIR),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "django", "runserver", "--noreload", f"{HOST}:{args.port}"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    url = f"http://{HOST}:{args.port}/admin/login/"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DemoError(
                f"The Django development server stopped (exit code {process.returncode}); "
                "its output is above."
            )
        try:
            with urllib.request.urlopen(url, timeout=2):
                return process
        except urllib.error.HTTPError:
            return process  # it answers
        except OSError:
            time.sleep(0.2)
    raise DemoError(f"The Django development server did not answer at {url} in {START_TIMEOUT}s.")


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


# -- output --------------------------------------------------------------------------------


def display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def account_lines() -> str:
    lines = []
    for account in ACCOUNTS:
        groups = account["claims"].get("groups", [])
        role = "staff and superuser" if "superuser" in groups else "staff"
        if "editors" in groups and role == "staff":
            role += ", may view users and groups"
        login = f"{account['id']} / {account['password']}"
        lines.append(f"    {login:<15} groups {', '.join(groups):<20} -> {role}")
    return "\n".join(lines)


def banner(args: argparse.Namespace, op, yaml_path: Path) -> str:
    rule = "-" * 72
    return f"""
{rule}
  The demo is running.

  Admin:     http://{HOST}:{args.port}/admin/
             press "Log in with your organization account"
  Provider:  {op.issuer}   (log: {display(op.log_path)})

  Accounts at the provider (username / password):
{account_lines()}

  The admin-oidc client comes from {display(yaml_path)}.
  Log out in the admin ends the session at the provider too.
  Press Ctrl-C to stop.
{rule}
"""


def run(args: argparse.Namespace) -> int:
    check_ports(args)
    check_node()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    setup_django()
    migrate()

    op = site = None
    try:
        client_secret = secrets.token_urlsafe(24)
        op = start_op(args, client_secret)
        yaml_path = configure_admin_client(op.discovery_url, client_secret)
        site = start_site(args)
        print(banner(args, op, yaml_path), flush=True)
        while True:
            for name, process in (("identity provider", op.process), ("Django server", site)):
                if process.poll() is not None:
                    raise DemoError(
                        f"The {name} stopped (exit code {process.returncode}); stopping the demo."
                    )
            time.sleep(0.5)
    finally:
        stop(site)
        if op is not None:
            op.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # `kill` and a closed terminal stop the servers too, as Ctrl-C does
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGHUP, signal.default_int_handler)
    try:
        return run(args)
    except DemoError as exc:
        print(f"\n{exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nThe demo stopped.")
        return 0


if __name__ == "__main__":
    sys.exit(main())

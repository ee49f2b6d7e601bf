"""A real OpenID Provider for the tests: ``tests/op/server.js`` (npm's oidc-provider).

Fixtures:

* ``op_server`` (session): the running OP, an :class:`OpenIDProvider`.
* ``op`` (function): the same OP, reset to the default clients and accounts
  (:data:`ACCOUNTS`) with an empty request log; use this one in tests.
* ``oidc_provider_config`` (function): the ``OIDCProvider`` row, endpoints taken from
  the OP's discovery document.
* ``admin_oidc_client`` / ``citizen_oidc_client`` (function): the ``admin-oidc`` and
  ``citizen-oidc`` clients, enabled and configured for the OP.

These use pytest-django's ``live_server`` (the OP redirects the browser back to it), so
tests that use them run with ``transactional_db``. A ``requests.Session`` plays the
browser; :meth:`OpenIDProvider.login` signs in at the OP.
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import hashlib
import json
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests

OP_DIR = Path(__file__).resolve().parent / "op"
START_TIMEOUT = 30  # seconds for node to print READY
NPM_TIMEOUT = 300

ADMIN_CLIENT_ID = "testapp-admin"
CITIZEN_CLIENT_ID = "testapp-citizen"

#: The accounts at the OP after the ``op`` fixture reset it. ``sub`` is the id.
ACCOUNTS: list[dict[str, Any]] = [
    {
        "id": "alice",
        "password": "alice-password",
        "claims": {
            "email": "alice@example.com",
            "email_verified": True,
            "given_name": "Alice",
            "family_name": "Adams",
            "name": "Alice Adams",
            "groups": ["editors", "superuser"],
        },
    },
    {
        "id": "bob",
        "password": "bob-password",
        "claims": {
            "email": "bob@example.com",
            "email_verified": True,
            "given_name": "Bob",
            "family_name": "Baker",
            "name": "Bob Baker",
            "groups": ["editors"],
        },
    },
    {
        "id": "carol-citizen",
        "password": "carol-password",
        "claims": {
            "email": "carol@example.com",
            "given_name": "Carol",
            "family_name": "Citizen",
            "name": "Carol Citizen",
        },
    },
]

ADMIN_OPTIONS = {
    "user_settings": {
        "claim_mappings": {
            "username": ["sub"],
            "email": ["email"],
            "first_name": ["given_name"],
            "last_name": ["family_name"],
        },
        "username_case_sensitive": False,
        "sensitive_claims": [],
    },
    "groups_settings": {
        "claim_mapping": ["groups"],
        "sync": True,
        "sync_pattern": "*",
        "default_groups": [],
        "make_users_staff": True,
        "superuser_group_names": ["superuser"],
    },
}

CITIZEN_OPTIONS = {"identifier_claim": ["sub"], "name_claim": ["name"]}


class OPError(RuntimeError):
    """The OP did not start, or did not answer as a sign-in expects."""


# -- installing and running the OP ------------------------------------------------------


def ensure_node_modules() -> None:
    """``npm ci`` in tests/op once; a file lock keeps parallel runs from colliding."""
    marker = OP_DIR / "node_modules" / "oidc-provider" / "package.json"
    if marker.exists():
        return
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("Node.js and npm are needed for the end-to-end tests")
    lock_name = "oidcdb-npm-" + hashlib.sha256(str(OP_DIR).encode()).hexdigest()[:12] + ".lock"
    with open(Path(tempfile.gettempdir()) / lock_name, "w") as lock:
        deadline = time.monotonic() + NPM_TIMEOUT
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OPError("Timed out waiting for another run's npm ci in tests/op")
                time.sleep(0.5)
        if marker.exists():  # another run installed it while we waited
            return
        result = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=OP_DIR,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT,
        )
        if result.returncode != 0:
            raise OPError(f"npm ci failed in {OP_DIR}:\n{result.stdout}\n{result.stderr}")


@dataclass
class OpenIDProvider:
    """A running ``server.js`` and the helpers a test needs to use it."""

    config: dict[str, Any]
    workdir: Path
    port: int = 0
    issuer: str = ""
    discovery: dict[str, Any] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    #: client_id -> client_secret of the RP clients registered at the OP
    client_secrets: dict[str, str] = field(default_factory=dict)
    #: the RP (live server) the clients redirect back to
    rp_url: str = ""

    # -- process -------------------------------------------------------------------

    @property
    def log_path(self) -> Path:
        return self.workdir / "op.log"

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")
        return ""

    def start(self) -> None:
        config_path = self.workdir / "op-config.json"
        config_path.write_text(json.dumps(self.config))
        log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            ["node", "server.js", "--port", str(self.port), "--config", str(config_path)],
            cwd=OP_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if match := re.search(r"^READY (\S+)$", self.log(), re.MULTILINE):
                self.issuer = match.group(1)
                self.port = urlsplit(self.issuer).port
                break
            if self.process.poll() is not None:
                raise OPError(f"The test OP exited ({self.process.returncode}):\n{self.log()}")
            time.sleep(0.05)
        else:
            self.stop()
            raise OPError(f"The test OP did not get ready in {START_TIMEOUT}s:\n{self.log()}")
        response = requests.get(self.discovery_url + ".well-known/openid-configuration", timeout=10)
        response.raise_for_status()
        self.discovery = response.json()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def restart(self, **config_changes: Any) -> None:
        """Stop and start again on the same port (and issuer); all OP state is lost."""
        self.stop()
        self.config.update(config_changes)
        self.start()

    # -- addresses -----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``: where the ``/_test/`` endpoints are."""
        parts = urlsplit(self.issuer)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def discovery_url(self) -> str:
        """The issuer with a final ``/``: ``<discovery_url>.well-known/...`` works."""
        return self.issuer.rstrip("/") + "/"

    @property
    def endpoints(self) -> dict[str, str]:
        """The endpoints of the discovery document, by their discovery names."""
        return {k: v for k, v in self.discovery.items() if k.endswith(("_endpoint", "_uri"))}

    @property
    def authorization_endpoint(self) -> str:
        return self.discovery["authorization_endpoint"]

    @property
    def token_endpoint(self) -> str:
        return self.discovery["token_endpoint"]

    @property
    def userinfo_endpoint(self) -> str:
        return self.discovery["userinfo_endpoint"]

    @property
    def jwks_uri(self) -> str:
        return self.discovery["jwks_uri"]

    @property
    def end_session_endpoint(self) -> str:
        return self.discovery["end_session_endpoint"]

    # -- changing the OP at runtime ----------------------------------------------------

    def _admin(self, method: str, path: str, **kwargs) -> dict[str, Any]:
        response = requests.request(
            method,
            self.base_url + path,
            headers={"Authorization": f"Bearer {self.config['admin_token']}"},
            timeout=10,
            **kwargs,
        )
        if response.status_code != 200:
            raise OPError(f"{method} {path}: {response.status_code}\n{self.log()[-3000:]}")
        return response.json()

    def reconfigure(self, **changes: Any) -> dict[str, Any]:
        """Change accounts (replaced by id), clients, ttl, scopes, jwks or rotate_keys=True.

        Anything but accounts rebuilds the provider; OP sessions and grants survive.
        Returns ``{"jwks": <the public keys now in use>}``.
        """
        for name in ("clients", "ttl", "scopes", "jwks"):
            if name in changes:
                self.config[name] = copy.deepcopy(changes[name])
        return self._admin("POST", "/_test/reconfigure", json=changes)

    def account(self, account_id: str) -> dict[str, Any]:
        return next(a for a in self.state()["accounts"] if a["id"] == account_id)

    def update_claims(self, account_id: str, **claims: Any) -> None:
        """Change (or, with the value ``None``, remove) claims of an account."""
        account = self.account(account_id)
        for name, value in claims.items():
            if value is None:
                account["claims"].pop(name, None)
            else:
                account["claims"][name] = value
        self.reconfigure(accounts=[account])

    def rotate_keys(self) -> dict[str, Any]:
        """New signing keys (new kids); the old ones are gone from the JWKS."""
        return self.reconfigure(rotate_keys=True)["jwks"]

    def state(self) -> dict[str, Any]:
        return self._admin("GET", "/_test/state")

    def requests_to(self, path_suffix: str) -> list[dict[str, Any]]:
        """Logged requests whose path ends in ``path_suffix``: dicts with ``method``,
        ``path``, ``query`` and (once answered) ``status`` and ``content_type``."""
        return [r for r in self.state()["requests"] if r["path"].endswith(path_suffix)]

    # -- the browser's part ----------------------------------------------------------------

    def login(
        self,
        session: requests.Session,
        authorize_url: str,
        username: str,
        password: str,
        *,
        cancel_at: str | None = None,
        max_steps: int = 12,
    ) -> str:
        """Sign in at the OP as a browser would, and return the redirect back to the RP.

        Follows the OP's redirects, fills the login form, confirms the consent form
        (or presses Cancel on the ``cancel_at`` page: ``"login"`` or ``"consent"``), and
        stops at the first redirect that leaves the OP, without following it. With an
        OP session (a second login in the same ``session``) no form is shown at all.
        """
        method, url, data = "GET", authorize_url, None
        submitted_login = False
        for _ in range(max_steps):
            response = session.request(method, url, data=data, allow_redirects=False, timeout=10)
            if response.is_redirect:
                location = urljoin(response.url, response.headers["Location"])
                if not location.startswith(self.base_url + "/"):
                    return location
                method, url, data = "GET", location, None
                continue
            page = response.text
            if response.status_code != 200:
                raise OPError(f"The OP answered {response.status_code} at {url}:\n{page}")
            if 'id="login-form"' in page:
                if cancel_at == "login":
                    method, url, data = "POST", _form_action(response, "cancel-form"), {}
                    continue
                if submitted_login:
                    raise OPError(f"The OP refused the login of {username!r}:\n{page}")
                submitted_login = True
                data = {"login": username, "password": password}
                method, url = "POST", _form_action(response, "login-form")
            elif 'id="consent-form"' in page:
                form = "cancel-form" if cancel_at == "consent" else "consent-form"
                method, url, data = "POST", _form_action(response, form), {}
            else:
                raise OPError(f"Unexpected page from the OP at {url}:\n{page}")
        raise OPError(f"No redirect back to the RP after {max_steps} steps (last: {url})")

    def logout(self, session: requests.Session, end_session_url: str, *, confirm=True) -> str:
        """Answer the OP's sign-out question; return where the OP sends the browser next.

        That is the RP's ``post_logout_redirect_uri`` (with ``state``) when the request
        named a registered one, else the OP's own "signed out" page.
        """
        page = session.get(end_session_url, allow_redirects=False, timeout=10)
        if page.status_code != 200 or 'id="op.logoutForm"' not in page.text:
            raise OPError(f"No sign-out form at {end_session_url}: {page.status_code}\n{page.text}")
        xsrf = re.search(r'name="xsrf" value="([^"]+)"', page.text).group(1)
        data = {"xsrf": xsrf, **({"logout": "yes"} if confirm else {})}
        response = session.post(
            _form_action(page, "op.logoutForm"), data=data, allow_redirects=False, timeout=10
        )
        if not response.is_redirect:
            raise OPError(f"The OP did not redirect after sign-out:\n{response.text}")
        return urljoin(response.url, response.headers["Location"])


def _form_action(response: requests.Response, form_id: str) -> str:
    match = re.search(rf'<form id="{form_id}" method="post" action="([^"]+)">', response.text)
    if not match:
        raise OPError(f"No form {form_id!r} on the OP's page:\n{response.text}")
    return urljoin(response.url, match.group(1))


def default_clients(rp_url: str, secrets_: dict[str, str]) -> list[dict[str, Any]]:
    """The two RP clients; both come back to the package's one callback URL."""
    common = {
        "redirect_uris": [f"{rp_url}/oidc/callback/"],
        "post_logout_redirect_uris": [f"{rp_url}/admin/", f"{rp_url}/citizen/"],
        "token_endpoint_auth_method": "client_secret_post",
        "id_token_signed_response_alg": "RS256",
    }
    return [
        {**common, "client_id": client_id, "client_secret": secrets_[client_id]}
        for client_id in (ADMIN_CLIENT_ID, CITIZEN_CLIENT_ID)
    ]


DEFAULT_TTL = {"IdToken": 300, "AccessToken": 300, "Session": 3600, "Grant": 3600}


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def op_server(live_server, tmp_path_factory):
    """The OP, running for the whole test session; see also ``op``."""
    ensure_node_modules()
    client_secrets = {
        cid: secrets.token_urlsafe(24) for cid in (ADMIN_CLIENT_ID, CITIZEN_CLIENT_ID)
    }
    server = OpenIDProvider(
        config={
            "issuer": "http://127.0.0.1:{port}/realms/test",
            "admin_token": secrets.token_urlsafe(24),
            "clients": default_clients(live_server.url, client_secrets),
            "accounts": copy.deepcopy(ACCOUNTS),
            "ttl": DEFAULT_TTL,
        },
        workdir=tmp_path_factory.mktemp("op"),
        client_secrets=client_secrets,
        rp_url=live_server.url,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def op(op_server):
    """The OP with the default clients, accounts and TTLs, and an empty request log."""
    if op_server.process.poll() is not None:  # a test stopped it
        op_server.start()
    op_server.reconfigure(
        accounts=copy.deepcopy(ACCOUNTS),
        clients=default_clients(op_server.rp_url, op_server.client_secrets),
        ttl=DEFAULT_TTL,
        clear_log=True,
    )
    return op_server


@pytest.fixture
def oidc_provider_config(op, live_server):
    """The ``OIDCProvider`` row of the OP, endpoints from its discovery document."""
    from mozilla_django_oidc_db.models import OIDCProvider

    provider, _ = OIDCProvider.objects.update_or_create(
        identifier="test-op",
        defaults={
            "oidc_op_discovery_endpoint": op.discovery_url,
            "oidc_op_authorization_endpoint": op.authorization_endpoint,
            "oidc_op_token_endpoint": op.token_endpoint,
            "oidc_op_user_endpoint": op.userinfo_endpoint,
            "oidc_op_jwks_endpoint": op.jwks_uri,
            "oidc_op_logout_endpoint": op.end_session_endpoint,
            "oidc_op_issuer": op.issuer,
        },
    )
    return provider


def _configure_client(identifier: str, provider, client_id: str, secret: str, options: dict):
    from mozilla_django_oidc_db.models import OIDCClient

    client, _ = OIDCClient.objects.update_or_create(
        identifier=identifier,
        defaults={
            "enabled": True,
            "oidc_provider": provider,
            "oidc_rp_client_id": client_id,
            "oidc_rp_client_secret": secret,
            "oidc_rp_scopes_list": ["openid", "email", "profile", "groups"],
            "oidc_rp_sign_algo": "RS256",
            "options": copy.deepcopy(options),
        },
    )
    return client


@pytest.fixture
def admin_oidc_client(op, oidc_provider_config):
    """The ``admin-oidc`` client: enabled, claims mapped, groups synced, staff, superuser."""
    return _configure_client(
        "admin-oidc",
        oidc_provider_config,
        ADMIN_CLIENT_ID,
        op.client_secrets[ADMIN_CLIENT_ID],
        ADMIN_OPTIONS,
    )


@pytest.fixture
def citizen_oidc_client(op, oidc_provider_config):
    """The ``citizen-oidc`` client of ``testapp/plugins.py``, with its own client ID."""
    return _configure_client(
        "citizen-oidc",
        oidc_provider_config,
        CITIZEN_CLIENT_ID,
        op.client_secrets[CITIZEN_CLIENT_ID],
        CITIZEN_OPTIONS,
    )


@pytest.fixture
def browser():
    """A ``requests.Session`` playing the browser (cookies for the RP and the OP)."""
    with requests.Session() as session:
        yield session


__all__ = [
    "ACCOUNTS",
    "ADMIN_CLIENT_ID",
    "ADMIN_OPTIONS",
    "CITIZEN_CLIENT_ID",
    "CITIZEN_OPTIONS",
    "OPError",
    "OpenIDProvider",
    "ensure_node_modules",
]

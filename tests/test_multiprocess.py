"""Several app processes sharing PostgreSQL and Redis: a login may start on one
process and end on another, and a callback replayed on a third is refused.

Runs when the suite runs on PostgreSQL (``DB=postgres``) and Redis answers; two
``manage.py runserver`` processes play the app servers behind one host name (the
callback goes to the second process with the first one's ``Host`` header, as a load
balancer would send it).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.contrib.auth import get_user_model
from django.db import connection

import pytest
import requests

from mozilla_django_oidc_db.models import OIDCClient
from tests.op_fixtures import ADMIN_CLIENT_ID, default_clients

pytestmark = [pytest.mark.e2e]

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def app_processes(live_server, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the multi-process test needs the suite on PostgreSQL (DB=postgres)")
    if not _redis_answers():
        pytest.skip("the multi-process test needs Redis on 127.0.0.1:6379")

    env = {
        **os.environ,
        "DB": "postgres",
        "PGDATABASE": connection.settings_dict["NAME"],
        "CACHE": "redis",
        "CACHE_KEY_PREFIX": f"oidcdb-mp-{uuid.uuid4().hex}",
        "PYTHONUNBUFFERED": "1",
    }
    urls = []
    with ExitStack() as stack:
        for name in ("a", "b"):
            port = _free_port()
            log = open(tmp_path / f"app-{name}.log", "w")
            stack.callback(log.close)
            process = subprocess.Popen(
                [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            stack.callback(_stop, process)
            urls.append(f"http://127.0.0.1:{port}")
        for url, name in zip(urls, "ab", strict=True):
            _wait_until_up(url, tmp_path / f"app-{name}.log")
        yield urls


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _wait_until_up(url: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(url + "/admin/login/", timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not start:\n{log.read_text()}")


def _on(url: str, base: str) -> str:
    """``url`` sent to the process at ``base`` instead."""
    parts, target = urlsplit(url), urlsplit(base)
    return urlunsplit((parts.scheme, target.netloc, parts.path, parts.query, parts.fragment))


def test_login_started_on_one_process_ends_on_another(op, admin_oidc_client, app_processes):
    app_a, app_b = app_processes
    # the OP knows the site by the first process's address
    op.reconfigure(clients=default_clients(app_a, op.client_secrets))
    host_a = urlsplit(app_a).netloc

    with requests.Session() as browser:
        response = browser.get(
            f"{app_a}/oidc/authenticate/",
            params={"next": "/admin/"},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302
        assert f"client_id={ADMIN_CLIENT_ID}" in response.headers["Location"]

        callback = op.login(browser, response.headers["Location"], "alice", "alice-password")
        assert callback.startswith(f"{app_a}/oidc/callback/")

        # the load balancer sends the callback to process B
        response = browser.get(
            _on(callback, app_b), headers={"Host": host_a}, allow_redirects=False, timeout=30
        )
        assert response.status_code == 302, response.text
        assert response.headers["Location"] == "/admin/"

        # the session (PostgreSQL) is shared: process A serves the admin to alice
        response = browser.get(f"{app_a}/admin/", allow_redirects=False, timeout=10)
        assert response.status_code == 200
        assert "Site administration" in response.text and "Alice" in response.text

        # the same callback replayed on process A is refused (the used state is in Redis)
        replay = requests.get(callback, allow_redirects=False, timeout=30, cookies=browser.cookies)
        assert replay.status_code in (302, 400)
        assert replay.headers.get("Location", "") != "/admin/"

    # a change saved in the database is used by the next request of every process
    OIDCClient.objects.filter(identifier="admin-oidc").update(enabled=False)
    for app in (app_a, app_b):
        response = requests.get(
            f"{app}/oidc/authenticate/",
            params={"next": "/admin/"},
            allow_redirects=False,
            timeout=10,
        )
        assert response.headers["Location"] == "/admin/login/failure/", app

    alice = get_user_model().objects.get(username="alice")
    assert alice.is_staff and alice.is_superuser
    # the key set was fetched once for both processes: it is shared through Redis
    assert len(op.requests_to("/jwks")) <= 1

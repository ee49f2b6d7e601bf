"""Figures for one admin login against the real test provider: statements, calls, time.

    .venv/bin/python benchmarks/login_budget.py [--logins 20]

Starts the test OP (tests/op), serves the test project in this process on a loopback
port (SQLite in a temporary folder, local-memory cache), logs in ``--logins`` times as
a new browser each time, and prints per login step: SQL statements in all and on the
package's tables, outbound calls the OP received, and wall time (median, p90). Then one
request of a logged-in user with a fresh token. Timings on a shared machine are noisy:
read them as an order of magnitude; the counts are exact.
"""

from __future__ import annotations

import argparse
import collections
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StatementCounter:
    """Counts the SQL statements of every connection of every thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.total = 0
        self.package = 0

    def __call__(self, execute, sql, params, many, context):
        with self.lock:
            self.total += 1
            if "mozilla_django_oidc_db_" in sql:
                self.package += 1
        return execute(sql, params, many, context)

    def snapshot(self) -> tuple[int, int]:
        with self.lock:
            return self.total, self.package


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=20)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="oidcdb-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testapp.settings")
    os.environ["SQLITE_PATH"] = str(workdir / "bench.sqlite3")

    import django

    django.setup()

    from django.core.management import call_command
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application
    from django.db.backends.signals import connection_created

    import requests

    from tests.op_fixtures import (
        ACCOUNTS,
        ADMIN_CLIENT_ID,
        ADMIN_OPTIONS,
        DEFAULT_TTL,
        OpenIDProvider,
        default_clients,
        ensure_node_modules,
    )

    call_command("migrate", verbosity=0)
    counter = StatementCounter()

    def count_statements_of(connection, **kwargs):
        # a connection object reconnects after each request: wrap it once
        if counter not in connection.execute_wrappers:
            connection.execute_wrappers.append(counter)

    connection_created.connect(count_statements_of, weak=False)
    from django.db import connections

    for connection in connections.all():
        count_statements_of(connection)

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    port = free_port()
    rp_url = f"http://127.0.0.1:{port}"
    server = ThreadedWSGIServer(("127.0.0.1", port), QuietHandler)
    server.set_app(get_wsgi_application())
    threading.Thread(target=server.serve_forever, daemon=True).start()

    ensure_node_modules()
    secrets_ = {ADMIN_CLIENT_ID: "bench-secret-" + "x" * 24, "testapp-citizen": "unused-secret"}
    op = OpenIDProvider(
        config={
            "issuer": "http://127.0.0.1:{port}/realms/test",
            "admin_token": "bench-admin-token",
            "clients": default_clients(rp_url, secrets_),
            "accounts": ACCOUNTS,
            "ttl": DEFAULT_TTL,
        },
        workdir=workdir,
        client_secrets=secrets_,
        rp_url=rp_url,
    )
    op.start()
    try:
        from mozilla_django_oidc_db.models import OIDCClient, OIDCProvider

        provider = OIDCProvider.objects.create(
            identifier="bench-op",
            oidc_op_discovery_endpoint=op.discovery_url,
            oidc_op_issuer=op.issuer,
            oidc_op_authorization_endpoint=op.authorization_endpoint,
            oidc_op_token_endpoint=op.token_endpoint,
            oidc_op_user_endpoint=op.userinfo_endpoint,
            oidc_op_jwks_endpoint=op.jwks_uri,
        )
        OIDCClient.objects.filter(identifier="admin-oidc").update(
            enabled=True,
            oidc_provider=provider,
            oidc_rp_client_id=ADMIN_CLIENT_ID,
            oidc_rp_client_secret=secrets_[ADMIN_CLIENT_ID],
            oidc_rp_scopes_list=["openid", "email", "profile", "groups"],
            options=ADMIN_OPTIONS,
        )
        run(args.logins, rp_url, op, counter, requests)
    finally:
        op.stop()
        server.shutdown()


def run(logins: int, rp_url: str, op, counter: StatementCounter, requests) -> None:
    figures: dict[str, list[tuple[int, int, float]]] = collections.defaultdict(list)

    def step(name: str, call):
        before = counter.snapshot()
        started = time.perf_counter()
        result = call()
        elapsed = time.perf_counter() - started
        after = counter.snapshot()
        figures[name].append((after[0] - before[0], after[1] - before[1], elapsed))
        return result

    op_calls_before = len(op.state()["requests"])
    for number in range(logins):
        with requests.Session() as browser:
            response = step(
                "1. login start (/oidc/authenticate/)",
                lambda: browser.get(
                    f"{rp_url}/oidc/authenticate/",
                    params={"next": "/admin/"},
                    allow_redirects=False,
                    timeout=30,
                ),
            )
            callback = op.login(browser, response.headers["Location"], "alice", "alice-password")
            at_op_calls = len(op.state()["requests"])
            response = step(
                "2. callback (/oidc/callback/)",
                lambda url=callback: browser.get(url, allow_redirects=False, timeout=30),
            )
            assert response.headers.get("Location") == "/admin/", response.text[:500]
            after_callback = len(op.state()["requests"])
            figures["server-to-OP calls during the callback"].append(
                (after_callback - at_op_calls, 0, 0.0)
            )
            step(
                "3. admin page, fresh token",
                lambda: browser.get(f"{rp_url}/admin/", allow_redirects=False, timeout=30),
            )
        if number == 0:
            first_login_calls = len(op.state()["requests"]) - op_calls_before

    endpoints = {"openid-configuration", "jwks", "token", "me", "auth"}
    requests_by_path = collections.Counter(
        name if (name := r["path"].rsplit("/", 1)[-1]) in endpoints else "(login pages)"
        for r in op.state()["requests"]
    )
    print(f"{logins} admin logins against the test OP (SQLite, local-memory cache)\n")
    print(f"{'step':42} {'SQL':>5} {'pkg SQL':>8} {'median ms':>10} {'p90 ms':>8}")
    for name, rows in figures.items():
        if name.startswith("server-to-OP"):
            continue
        totals = sorted(r[0] for r in rows)
        package = sorted(r[1] for r in rows)
        times = sorted(r[2] * 1000 for r in rows)
        p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
        print(
            f"{name:42} {statistics.median(totals):>5.0f} {statistics.median(package):>8.0f} "
            f"{statistics.median(times):>10.1f} {p90:>8.1f}"
        )
    calls = [r[0] for r in figures["server-to-OP calls during the callback"]]
    print(
        f"\nOP requests while the RP handled a callback: first login {calls[0]}, "
        f"later logins median {statistics.median(calls[1:] or calls):.0f}"
    )
    print(f"OP requests of the first login, browser included: {first_login_calls}")
    print(
        "OP requests over the whole run (browser and RP; 'me' is userinfo; the test "
        "harness fetched the discovery document once):",
        dict(sorted(requests_by_path.items())),
    )


if __name__ == "__main__":
    main()

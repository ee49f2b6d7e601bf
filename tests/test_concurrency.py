"""Two simultaneous first logins of the same new person end with one user, no error."""

import threading

from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.test import RequestFactory

import pytest

from mozilla_django_oidc_db.backends import OIDCAuthenticationBackend
from mozilla_django_oidc_db.config import client_scope
from mozilla_django_oidc_db.models import OIDCClient, OIDCProvider
from mozilla_django_oidc_db.plugins import OIDCAdminPlugin

CLAIMS = {"sub": "twin", "email": "twin@example.com", "roles": ["new-group"]}


@pytest.mark.django_db(transaction=True)
def test_simultaneous_first_logins_create_one_user(monkeypatch):
    if connection.vendor == "sqlite":
        pytest.skip("needs a database with concurrent writers (DB=postgres or DB=mysql)")
    provider = OIDCProvider.objects.create(
        identifier="op",
        oidc_op_authorization_endpoint="https://op.example/auth",
        oidc_op_token_endpoint="https://op.example/token",
        oidc_op_user_endpoint="https://op.example/userinfo",
        oidc_op_jwks_endpoint="https://op.example/certs",
    )
    # update_or_create: a transactional test before this one may have flushed the row
    OIDCClient.objects.update_or_create(
        identifier="admin-oidc",
        defaults=dict(
            enabled=True,
            oidc_provider=provider,
            oidc_rp_client_id="id",
            oidc_rp_client_secret="secret",
            options={
                "user_settings": {"claim_mappings": {"username": ["sub"], "email": ["email"]}},
                "groups_settings": {
                    "claim_mapping": ["roles"],
                    "sync": True,
                    "make_users_staff": True,
                },
            },
        ),
    )

    # Both logins find no user, then meet here before either creates one.
    barrier = threading.Barrier(2, timeout=10)
    real_create_user = OIDCAdminPlugin.create_user

    def create_user_together(self, claims):
        barrier.wait()
        return real_create_user(self, claims)

    monkeypatch.setattr(OIDCAdminPlugin, "create_user", create_user_together)

    results, errors = [], []

    def login():
        try:
            with client_scope():
                request = RequestFactory().get("/oidc/callback/")
                request.session = {}
                request._oidcdb_config = OIDCClient.objects.resolve("admin-oidc")
                backend = OIDCAuthenticationBackend()
                backend.config = request._oidcdb_config
                backend.request = request
                results.append(backend.get_or_create_user("at", "idt", CLAIMS))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    monkeypatch.setattr(OIDCAuthenticationBackend, "get_userinfo", lambda self, *a: dict(CLAIMS))
    threads = [threading.Thread(target=login) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(results) == 2
    users = get_user_model().objects.filter(username="twin")
    assert users.count() == 1
    assert {result.pk for result in results} == {users.get().pk}
    assert list(users.get().groups.values_list("name", flat=True)) == ["new-group"]

"""SessionRefresh keeps per-request state off its shared instance."""

import threading
import time
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.test import RequestFactory

import pytest

from mozilla_django_oidc_db.constants import CONFIG_IDENTIFIER_SESSION_KEY
from mozilla_django_oidc_db.middleware import SessionRefresh
from mozilla_django_oidc_db.models import OIDCClient, OIDCProvider

BACKEND = "mozilla_django_oidc_db.backends.OIDCAuthenticationBackend"


def expired_request(identifier: str):
    request = RequestFactory().get("/admin/")
    request.user = get_user_model()(username=f"user-of-{identifier}")
    request.session = SessionStore()
    request.session.update(
        {
            CONFIG_IDENTIFIER_SESSION_KEY: identifier,
            BACKEND_SESSION_KEY: BACKEND,
            "oidc_id_token_expiration": time.time() - 1,
        }
    )
    return request


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_each_refresh_with_their_own_client(monkeypatch):
    for identifier in ("admin-oidc", "citizen-oidc"):
        provider = OIDCProvider.objects.create(
            identifier=f"op-of-{identifier}",
            oidc_op_authorization_endpoint=f"https://{identifier}.example/auth",
            oidc_op_token_endpoint=f"https://{identifier}.example/token",
            oidc_op_user_endpoint=f"https://{identifier}.example/userinfo",
            oidc_op_jwks_endpoint=f"https://{identifier}.example/certs",
        )
        OIDCClient.objects.update_or_create(
            identifier=identifier,
            defaults={
                "enabled": True,
                "oidc_provider": provider,
                "oidc_rp_client_id": f"client-of-{identifier}",
            },
        )

    middleware = SessionRefresh(lambda request: HttpResponse("view"))
    # Both requests have set their client before either reads a setting: with the
    # client kept on the (shared) middleware instance, one would use the other's.
    barrier = threading.Barrier(2, timeout=10)
    set_config = SessionRefresh._set_config_from_request

    def set_config_then_wait(self, request):
        set_config(self, request)
        barrier.wait()

    monkeypatch.setattr(SessionRefresh, "_set_config_from_request", set_config_then_wait)
    redirects = {}

    def refresh(identifier):
        from django.db import connection

        try:
            redirects[identifier] = middleware(expired_request(identifier))["Location"]
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh, args=(i,)) for i in ("admin-oidc", "citizen-oidc")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    for identifier, location in redirects.items():
        assert location.startswith(f"https://{identifier}.example/auth?"), location
        assert parse_qs(urlsplit(location).query)["client_id"] == [f"client-of-{identifier}"]
    assert len(redirects) == 2


@pytest.mark.django_db
def test_requests_of_other_logins_cost_no_query(django_assert_num_queries):
    middleware = SessionRefresh(lambda request: HttpResponse("view"))
    request = RequestFactory().get("/admin/")
    request.session = SessionStore()  # no OIDC login in this session

    with django_assert_num_queries(0):
        assert middleware(request).content == b"view"

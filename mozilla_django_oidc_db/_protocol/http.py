"""The one place where calls to identity providers go out.

Every call gets the configured timeout, TLS verification and proxies, and reuses a
keep-alive connection: one ``requests.Session`` per thread (sessions are not
guaranteed thread-safe).
"""

from __future__ import annotations

import threading

import requests

from ..app_settings import oidcdb_settings

_local = threading.local()


class ProviderSession(requests.Session):
    """A session whose requests default to the package's timeout, verify and proxies."""

    def request(self, method, url, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = oidcdb_settings.http_timeout
        kwargs.setdefault("verify", oidcdb_settings.verify_ssl)
        if kwargs.get("proxies") is None and oidcdb_settings.proxies:
            kwargs["proxies"] = oidcdb_settings.proxies
        return super().request(method, url, **kwargs)


def provider_session() -> ProviderSession:
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = ProviderSession()
        session.headers["User-Agent"] = "mozilla-django-oidc-db"
    return session

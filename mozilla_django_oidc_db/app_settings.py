"""The package's own process-wide knobs, with every default in one mapping.

Read them as attributes of :data:`oidcdb_settings`; values are looked up in Django's
settings on first access and forgotten when a test (or anything else) changes a
setting, through Django's ``setting_changed`` signal.

These are the knobs that apply to every client at once (outbound HTTP, caches, clock
leeway). Per-client configuration lives in the database; see ``config.py`` for how
upstream ``OIDC_*`` setting names are resolved against a client.
"""

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

DEFAULTS: dict[str, Any] = {
    # Seconds to wait for any call to an identity provider (discovery, key set, token,
    # userinfo, logout, availability). Upstream's OIDC_TIMEOUT wins when it is set.
    "OIDCDB_HTTP_TIMEOUT": 5.0,
    # Cache alias (Django's cache framework) that holds discovery documents, key sets
    # and the replay guard for ``state``. Use a shared cache (Redis, memcached, database)
    # when several processes serve the site.
    "OIDCDB_CACHE": "default",
    # How long a discovery document and a key set are trusted before they are fetched again.
    "OIDCDB_DISCOVERY_CACHE_TTL": 60 * 60,
    "OIDCDB_JWKS_CACHE_TTL": 60 * 60,
    # A token signed with an unknown key triggers one refetch of the key set; further
    # refetches of the same key set wait at least this many seconds.
    "OIDCDB_JWKS_MIN_REFETCH_INTERVAL": 30,
    # Clock skew tolerated on ``exp``, ``iat`` and ``nbf``, in seconds.
    "OIDCDB_CLOCK_LEEWAY": 60,
    # Refuse ID tokens issued longer ago than this many seconds (``iat``).
    "OIDCDB_MAX_TOKEN_AGE": 60 * 60,
    # Show the OP's ``error_description`` on the failure page (it is always logged).
    "OIDCDB_SHOW_PROVIDER_ERROR_DESCRIPTION": False,
    # Show a "Log in with OIDC" link on the admin login page (when the package's
    # admin/login.html is in use and the admin client is enabled).
    "OIDCDB_ADMIN_LOGIN_BUTTON": True,
}


class OIDCDBSettings:
    def __init__(self, defaults: dict[str, Any]):
        self._defaults = defaults
        self._cached: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self._defaults:
            raise AttributeError(name)
        if name not in self._cached:
            self._cached[name] = getattr(settings, name, self._defaults[name])
        return self._cached[name]

    @property
    def http_timeout(self) -> float:
        """The timeout for outbound calls: ``OIDC_TIMEOUT`` if set, else ours."""
        upstream = getattr(settings, "OIDC_TIMEOUT", None)
        return upstream if upstream is not None else self.OIDCDB_HTTP_TIMEOUT

    @property
    def verify_ssl(self) -> bool | str:
        return getattr(settings, "OIDC_VERIFY_SSL", True)

    @property
    def proxies(self) -> dict[str, str] | None:
        return getattr(settings, "OIDC_PROXY", None)

    def reload(self) -> None:
        self._cached.clear()


oidcdb_settings = OIDCDBSettings(DEFAULTS)


@receiver(setting_changed, dispatch_uid="oidcdb.reload_app_settings")
def _reload_app_settings(*, setting: str, **kwargs) -> None:
    if setting in DEFAULTS:
        oidcdb_settings.reload()

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

#: What each setting of :data:`DEFAULTS` means, for people configuring a project. The
#: configuration reference in the docs is generated from these two mappings; the docs
#: build fails when a setting has no description here.
DESCRIPTIONS: dict[str, str] = {
    "OIDCDB_HTTP_TIMEOUT": (
        "Seconds to wait for any call to an identity provider: discovery, key set, token, "
        "userinfo, logout and the availability probe. Upstream's OIDC_TIMEOUT takes "
        "precedence when it is set."
    ),
    "OIDCDB_CACHE": (
        "Alias (a key of CACHES) of the Django cache that holds discovery documents, key "
        "sets, their refetch slots and the states of completed callbacks (the replay "
        "guard). Use a cache shared by all processes (Redis, memcached, database) when more "
        "than one process serves the site."
    ),
    "OIDCDB_DISCOVERY_CACHE_TTL": (
        "Seconds a provider's discovery document is kept in the cache before it is fetched "
        "again. Saving or deleting the provider forgets it at once."
    ),
    "OIDCDB_JWKS_CACHE_TTL": (
        "Seconds a provider's key set (JWKS) is kept in the cache before it is fetched "
        "again. A token signed with a key the cached set lacks makes it refetch earlier."
    ),
    "OIDCDB_JWKS_MIN_REFETCH_INTERVAL": (
        "Seconds that must pass between two refetches of the same key set caused by unknown "
        "keys, counted across all processes sharing the cache; 0 removes the limit."
    ),
    "OIDCDB_CLOCK_LEEWAY": (
        "Seconds of clock difference with the provider tolerated when checking the exp, "
        "iat and nbf claims."
    ),
    "OIDCDB_MAX_TOKEN_AGE": (
        "ID tokens issued (iat) longer ago than this many seconds are refused; None or 0 "
        "removes the limit."
    ),
    "OIDCDB_SHOW_PROVIDER_ERROR_DESCRIPTION": (
        "When the provider sends an error to the callback, show its error_description (at "
        "most 300 characters) to the person instead of a generic message. It is logged "
        "either way."
    ),
    "OIDCDB_ADMIN_LOGIN_BUTTON": (
        "Show a 'Log in with your organization account' link on the admin login page when "
        "the admin client is enabled (with the package listed before django.contrib.admin "
        "in INSTALLED_APPS, or the oidc_admin_login_button template tag in your own "
        "template)."
    ),
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

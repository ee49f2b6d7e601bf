"""OpenID Connect Discovery 1.0: fetch, validate and cache a provider's metadata.

* :func:`fetch_provider_metadata` fetches ``<base>/.well-known/openid-configuration``
  and validates it (§4), uncached: for the provider admin form and for tools.
* :func:`get_provider_metadata` is the same, cached in Django's cache (shared by all
  processes) for ``OIDCDB_DISCOVERY_CACHE_TTL`` seconds: for logins.
* :func:`expected_issuer` says which ``iss`` the tokens of a provider must carry.

Every failure raises :class:`DiscoveryError` with a message that can be shown to an
administrator (it names the URL and what was wrong, never a secret).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

from ..app_settings import oidcdb_settings
from ..constants import OIDC_MAPPING, OPEN_ID_CONFIG_PATH
from ..exceptions import ProviderError
from . import cache
from .http import provider_session

if TYPE_CHECKING:
    from ..models import OIDCProvider

__all__ = [
    "DiscoveryError",
    "ProviderMetadata",
    "discovery_url",
    "fetch_provider_metadata",
    "get_provider_metadata",
    "expected_issuer",
    "invalidate",
]

#: Members without which a login cannot work (Discovery §3 lists more as REQUIRED, but
#: providers in the wild omit some of them, e.g. ``subject_types_supported``).
REQUIRED_MEMBERS = ("issuer", "authorization_endpoint", "token_endpoint")

#: Optional members that, when present, must be URLs.
URL_MEMBERS = ("userinfo_endpoint", "jwks_uri", "end_session_endpoint")

CACHE_NAMESPACE = "discovery"


class DiscoveryError(ProviderError):
    """The discovery document could not be fetched or is not valid."""


@dataclass(frozen=True)
class ProviderMetadata:
    """The members of a validated discovery document that this package uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str = ""
    jwks_uri: str = ""
    end_session_endpoint: str = ""
    #: the whole document, for members not modelled here
    document: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> ProviderMetadata:
        return cls(
            issuer=document["issuer"],
            authorization_endpoint=document["authorization_endpoint"],
            token_endpoint=document["token_endpoint"],
            userinfo_endpoint=document.get("userinfo_endpoint") or "",
            jwks_uri=document.get("jwks_uri") or "",
            end_session_endpoint=document.get("end_session_endpoint") or "",
            document=document,
        )

    def provider_fields(self) -> dict[str, str]:
        """Values for the :class:`~mozilla_django_oidc_db.models.OIDCProvider` fields.

        Only members the document has are included, so a caller can keep what an
        administrator typed for the others.
        """
        values = {
            model_field: self.document[member]
            for model_field, member in OIDC_MAPPING.items()
            if self.document.get(member)
        }
        values["oidc_op_issuer"] = self.issuer
        return values


def discovery_url(base_url: str) -> str:
    """The URL of the discovery document for the issuer (or discovery base) ``base_url``.

    Discovery §4.1: the document lives at the issuer with
    ``/.well-known/openid-configuration`` appended. A base URL without a trailing slash
    keeps its last path segment (``urljoin`` would drop it), and a URL that already
    points at the document is used as it is.
    """
    base_url = (base_url or "").strip()
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DiscoveryError(f"The discovery URL '{base_url}' is not an http(s) URL.")
    if parts.query or parts.fragment:
        raise DiscoveryError(
            f"The discovery URL '{base_url}' must not have a query string or fragment."
        )
    if parts.path.rstrip("/").endswith("/" + OPEN_ID_CONFIG_PATH):
        return base_url.rstrip("/")
    return base_url.rstrip("/") + "/" + OPEN_ID_CONFIG_PATH


def _issuer_of(url: str) -> str:
    """The issuer a discovery document at ``url`` must declare (Discovery §4.3)."""
    return url[: -len(OPEN_ID_CONFIG_PATH)].rstrip("/")


def fetch_provider_metadata(base_url: str) -> ProviderMetadata:
    """Fetch and validate the discovery document of ``base_url`` (not cached)."""
    url = discovery_url(base_url)
    document = _fetch_document(url)
    _validate_document(document, url)
    return ProviderMetadata.from_document(document)


def _fetch_document(url: str) -> dict[str, Any]:
    try:
        response = provider_session().get(url, headers={"Accept": "application/json"})
    except requests.Timeout:
        raise DiscoveryError(f"The discovery document at {url} did not arrive in time.")
    except requests.RequestException as exc:
        raise DiscoveryError(
            f"The discovery document at {url} could not be retrieved ({type(exc).__name__})."
        )
    if response.status_code != 200:
        raise DiscoveryError(
            f"The discovery document at {url} could not be retrieved: "
            f"HTTP status {response.status_code}."
        )
    try:
        document = response.json()
    except ValueError:
        raise DiscoveryError(f"The discovery document at {url} is not JSON.")
    if not isinstance(document, dict):
        raise DiscoveryError(f"The discovery document at {url} is not a JSON object.")
    return document


def _validate_document(document: dict[str, Any], url: str) -> None:
    """Discovery §3 (members) and §4.3 (the issuer is the URL it was fetched from)."""
    missing = [name for name in REQUIRED_MEMBERS if not document.get(name)]
    if missing:
        raise DiscoveryError(
            f"The discovery document at {url} lacks required members: {', '.join(missing)}."
        )
    for name in (*REQUIRED_MEMBERS, *URL_MEMBERS):
        value = document.get(name)
        if value in (None, ""):
            continue
        if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https"):
            raise DiscoveryError(
                f"The member '{name}' of the discovery document at {url} is not a URL."
            )
    # §4.3: "MUST be identical"; a trailing slash is tolerated because the discovery
    # base URL is stored with one.
    if document["issuer"].rstrip("/") != _issuer_of(url):
        raise DiscoveryError(
            f"The discovery document at {url} declares the issuer "
            f"'{document['issuer']}', which does not match the URL it came from."
        )


# -- cached access, for logins ---------------------------------------------------------


def get_provider_metadata(provider: OIDCProvider | str) -> ProviderMetadata:
    """The validated metadata of ``provider`` (or of a discovery base URL), cached."""
    base_url = provider if isinstance(provider, str) else provider.oidc_op_discovery_endpoint
    if not base_url:
        raise DiscoveryError("The provider has no discovery endpoint.")
    url = discovery_url(base_url)
    key = cache.cache_key(CACHE_NAMESPACE, url)
    document = cache.get(key)
    if isinstance(document, dict):
        return ProviderMetadata.from_document(document)
    document = _fetch_document(url)
    _validate_document(document, url)
    cache.set(key, document, oidcdb_settings.OIDCDB_DISCOVERY_CACHE_TTL)
    return ProviderMetadata.from_document(document)


def expected_issuer(provider: OIDCProvider | None) -> str | None:
    """The ``iss`` the tokens of ``provider`` must carry; ``None`` if nobody configured it.

    The issuer typed in (or stored from discovery) wins; otherwise the issuer of the
    provider's discovery document. Raises :class:`DiscoveryError` if that document is
    needed and cannot be had.
    """
    if provider is None:
        return None
    if provider.oidc_op_issuer:
        return provider.oidc_op_issuer
    if provider.oidc_op_discovery_endpoint:
        return get_provider_metadata(provider).issuer
    return None


def invalidate(provider: OIDCProvider | str) -> None:
    """Forget the cached discovery document of ``provider`` (e.g. after it was saved)."""
    base_url = provider if isinstance(provider, str) else provider.oidc_op_discovery_endpoint
    if not base_url:
        return
    try:
        url = discovery_url(base_url)
    except DiscoveryError:
        return  # never cached
    cache.delete([cache.cache_key(CACHE_NAMESPACE, url)])

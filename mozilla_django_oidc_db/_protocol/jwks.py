"""The provider's signing keys: a JSON Web Key Set (RFC 7517) shared through the cache.

A key set is fetched once and kept in Django's cache (``OIDCDB_CACHE``) for
``OIDCDB_JWKS_CACHE_TTL`` seconds, so every process uses the same copy and a normal
login makes no request for it. A token signed with a key that is not in the cached set
(the provider rotated its keys) makes *one* process fetch the set again; other
refetches of that set wait ``OIDCDB_JWKS_MIN_REFETCH_INTERVAL`` seconds, so a stream of
forged ``kid`` values cannot turn the site into a load generator against the provider.

Keys configured by an administrator as PEM text are read by :func:`load_public_key`.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

import jwt
import requests
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import (
    load_der_public_key,
    load_pem_public_key,
)

from ..app_settings import oidcdb_settings
from ..exceptions import ProviderError, TokenValidationError
from . import cache
from .http import provider_session

if TYPE_CHECKING:
    from ..models import OIDCProvider

__all__ = [
    "ASYMMETRIC_ALGORITHMS",
    "SYMMETRIC_ALGORITHMS",
    "SUPPORTED_ALGORITHMS",
    "fetch_key_set",
    "find_signing_key",
    "select_key",
    "load_public_key",
    "check_key_matches_algorithm",
    "invalidate",
]

logger = logging.getLogger(__name__)

#: JWA (RFC 7518 §3.1, RFC 8037) algorithm -> (JWK ``kty``, allowed ``crv`` or ``None``)
ASYMMETRIC_ALGORITHMS: dict[str, tuple[str, frozenset[str] | None]] = {
    **{f"RS{bits}": ("RSA", None) for bits in (256, 384, 512)},
    **{f"PS{bits}": ("RSA", None) for bits in (256, 384, 512)},
    "ES256": ("EC", frozenset({"P-256"})),
    "ES384": ("EC", frozenset({"P-384"})),
    "ES512": ("EC", frozenset({"P-521"})),
    "EdDSA": ("OKP", frozenset({"Ed25519", "Ed448"})),
}
#: Signed with the client secret (RFC 7518 §3.2); never looked up in a key set.
SYMMETRIC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
SUPPORTED_ALGORITHMS = frozenset(ASYMMETRIC_ALGORITHMS) | SYMMETRIC_ALGORITHMS

#: The key classes (cryptography) that can verify each family, and the EC curve names.
_KEY_CLASSES = {
    "RSA": (rsa.RSAPublicKey,),
    "EC": (ec.EllipticCurvePublicKey,),
    "OKP": (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey),
}
_CURVE_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}

#: namespaces of the cached key sets and of their refetch slots
CACHE_NAMESPACE = "jwks"
REFETCH_SLOT_NAMESPACE = "jwks-refetch"

_CONFIGURATION_MESSAGE = _("Login with this identity provider is not configured correctly.")


# -- fetching --------------------------------------------------------------------------


def fetch_key_set(jwks_uri: str) -> list[dict[str, Any]]:
    """GET the key set at ``jwks_uri``: its ``keys`` (JSON objects only), uncached."""
    try:
        response = provider_session().get(jwks_uri, headers={"Accept": "application/json"})
    except requests.Timeout:
        raise ProviderError("The provider's key set did not arrive in time.")
    except requests.RequestException as exc:
        raise ProviderError(
            f"The provider's key set could not be retrieved ({type(exc).__name__})."
        )
    if response.status_code != 200:
        raise ProviderError(f"The provider's key set answered HTTP status {response.status_code}.")
    try:
        document = response.json()
    except ValueError:
        raise ProviderError("The provider's key set is not JSON.")
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise ProviderError("The provider's key set is not a JSON object with a 'keys' list.")
    return [key for key in keys if isinstance(key, dict)]


def _fetch_and_share(jwks_uri: str) -> list[dict[str, Any]]:
    keys = fetch_key_set(jwks_uri)
    cache.set(
        cache.cache_key(CACHE_NAMESPACE, jwks_uri), keys, oidcdb_settings.OIDCDB_JWKS_CACHE_TTL
    )
    return keys


def _shared_keys(jwks_uri: str) -> list[dict[str, Any]] | None:
    keys = cache.get(cache.cache_key(CACHE_NAMESPACE, jwks_uri))
    return keys if isinstance(keys, list) else None


def _may_refetch(jwks_uri: str) -> bool:
    """Take the refetch slot of ``jwks_uri`` for all processes (``cache.add`` is atomic)."""
    interval = oidcdb_settings.OIDCDB_JWKS_MIN_REFETCH_INTERVAL
    if not interval:
        return True
    return cache.add(cache.cache_key(REFETCH_SLOT_NAMESPACE, jwks_uri), 1, interval)


def invalidate(provider: OIDCProvider | str) -> None:
    """Forget the cached key set of ``provider`` (or at a URI) and its refetch slot."""
    jwks_uri = provider if isinstance(provider, str) else provider.oidc_op_jwks_endpoint
    if jwks_uri:
        cache.delete(
            cache.cache_key(namespace, jwks_uri)
            for namespace in (CACHE_NAMESPACE, REFETCH_SLOT_NAMESPACE)
        )


# -- choosing a key --------------------------------------------------------------------


def _can_verify(jwk: dict[str, Any], algorithm: str) -> bool:
    """Whether ``jwk`` is a signature key of the family of ``algorithm`` (RFC 7517 §4)."""
    kty, curves = ASYMMETRIC_ALGORITHMS[algorithm]
    if jwk.get("kty") != kty:
        return False
    if curves is not None and jwk.get("crv") not in curves:
        return False
    if jwk.get("use", "sig") != "sig":
        return False
    key_ops = jwk.get("key_ops")
    if key_ops is not None and (not isinstance(key_ops, list) or "verify" not in key_ops):
        return False
    return jwk.get("alg", algorithm) == algorithm


def select_key(
    keys: list[dict[str, Any]], kid: str | None, algorithm: str
) -> dict[str, Any] | None:
    """The one key of ``keys`` that can verify a token with ``kid`` and ``algorithm``.

    ``None`` when no key fits (the set may be outdated); ``TokenValidationError`` when
    several fit, because picking one would be a guess. A token without ``kid`` needs
    exactly one suitable key; so does a token with a ``kid`` when no key of the set
    carries one.
    """
    suitable = [jwk for jwk in keys if _can_verify(jwk, algorithm)]
    if kid is not None and any("kid" in jwk for jwk in suitable):
        candidates = [jwk for jwk in suitable if jwk.get("kid") == kid]
    else:
        candidates = suitable
    if len(candidates) > 1:
        raise TokenValidationError(
            f"Several keys of the provider's key set fit the token ({algorithm}, "
            f"kid {'absent' if kid is None else repr(kid[:64])}); refusing to guess."
        )
    return candidates[0] if candidates else None


def _to_key(jwk: dict[str, Any], algorithm: str) -> jwt.PyJWK:
    try:
        return jwt.PyJWK(jwk, algorithm)
    except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError, KeyError):
        raise ProviderError(
            f"The provider's key {jwk.get('kid', '(without kid)')!r:.80} is not a valid "
            f"{algorithm} public key."
        )


def find_signing_key(jwks_uri: str, kid: str | None, algorithm: str) -> jwt.PyJWK:
    """The key of the provider's set at ``jwks_uri`` that signed a token.

    Served from the shared cache; an unknown ``kid`` refetches the set once (rate
    limited across processes).
    """
    if algorithm not in ASYMMETRIC_ALGORITHMS:
        raise TokenValidationError(f"Algorithm {algorithm!r:.20} does not use a published key.")
    keys = _shared_keys(jwks_uri)
    fresh = keys is None
    if keys is None:
        keys = _fetch_and_share(jwks_uri)
    jwk = select_key(keys, kid, algorithm)
    if jwk is None and not fresh:
        if _may_refetch(jwks_uri):
            logger.info("Unknown signing key: fetching the provider's key set again")
            jwk = select_key(_fetch_and_share(jwks_uri), kid, algorithm)
        else:
            logger.info("Unknown signing key: the key set was fetched too recently to retry")
    if jwk is None:
        raise TokenValidationError(
            f"No key of the provider's key set fits the token ({algorithm}, "
            f"kid {'absent' if kid is None else repr(kid[:64])})."
        )
    return _to_key(jwk, algorithm)


# -- keys typed in by an administrator -------------------------------------------------


def load_public_key(text: str):
    """A public key from PEM (key or certificate) or bare base64 DER, as shown by Keycloak."""
    data = text.strip().encode()
    try:
        if b"-----BEGIN CERTIFICATE" in data:
            return x509.load_pem_x509_certificate(data).public_key()
        if b"-----BEGIN" in data:
            return load_pem_public_key(data)
        der = base64.b64decode(b"".join(data.split()), validate=True)
        try:
            return load_der_public_key(der)
        except ValueError:
            return x509.load_der_x509_certificate(der).public_key()
    except (ValueError, TypeError, binascii.Error, x509.InvalidVersion):
        raise TokenValidationError(
            "The configured sign key is not a public key or certificate in PEM or DER format.",
            user_message=_CONFIGURATION_MESSAGE,
        )


def check_key_matches_algorithm(key: Any, algorithm: str) -> None:
    """Refuse a key of another family than ``algorithm`` (e.g. an EC key for RS256)."""
    kty, curves = ASYMMETRIC_ALGORITHMS[algorithm]
    if not isinstance(key, _KEY_CLASSES[kty]):
        raise TokenValidationError(
            f"The configured sign key cannot verify {algorithm} signatures.",
            user_message=_CONFIGURATION_MESSAGE,
        )
    if kty == "EC" and _CURVE_NAMES.get(key.curve.name) not in curves:
        raise TokenValidationError(
            f"The configured sign key is on curve {key.curve.name}, not the one of {algorithm}.",
            user_message=_CONFIGURATION_MESSAGE,
        )

"""ID token and userinfo validation, OpenID Connect Core 1.0 §3.1.3.7 and §5.3.

:func:`validate_id_token` lets PyJWT check the signature and the registered claims it
knows (``require``, ``issuer``, ``audience``, ``leeway``), then applies one small
function per rule of §3.1.3.7, each naming its step; they also catch what PyJWT lets
through (e.g. an ``exp`` sent as a numeric string). :func:`validate_userinfo` and
:func:`validate_signed_userinfo` do the same for the userinfo response (§5.3.2, §5.3.4).

Every refusal is a :class:`~mozilla_django_oidc_db.exceptions.TokenValidationError`
whose message is safe to log: it names the rule, never the token or claim values other
than the expected ones.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

import jwt
from cryptography.hazmat.primitives.asymmetric import ed448

from ..exceptions import TokenValidationError
from .jwks import (
    ASYMMETRIC_ALGORITHMS,
    SUPPORTED_ALGORITHMS,
    SYMMETRIC_ALGORITHMS,
    check_key_matches_algorithm,
)

__all__ = [
    "Expectations",
    "read_header",
    "validate_id_token",
    "validate_signed_userinfo",
    "validate_userinfo",
    "check_algorithm",
    "check_issuer",
    "check_audience",
    "check_authorized_party",
    "check_expiry",
    "check_issued_at",
    "check_not_before",
    "check_subject",
    "check_nonce",
    "check_access_token_hash",
    "UNSECURED",
]

UNSECURED = "none"

#: Claims every ID token carries (§2); PyJWT refuses a token lacking one.
REQUIRED_ID_TOKEN_CLAIMS = ["iss", "sub", "aud", "exp", "iat"]


@dataclass(frozen=True)
class Expectations:
    """What the tokens of one client must satisfy."""

    client_id: str
    #: the algorithm configured for the client (``id_token_signed_response_alg``)
    algorithm: str
    #: the provider's issuer identifier; ``None`` when nobody configured one
    issuer: str | None
    #: clock skew tolerated on ``exp``, ``iat`` and ``nbf``, seconds
    leeway: float = 60
    #: refuse tokens issued longer ago than this (seconds); ``None`` or 0: no limit
    max_age: float | None = 60 * 60
    #: accept ``alg: none`` (Django setting ``OIDC_ALLOW_UNSECURED_JWT``)
    allow_unsecured: bool = False
    #: the login sent a ``nonce`` that the ID token must carry (provider ``oidc_use_nonce``)
    use_nonce: bool = True


# -- the header ------------------------------------------------------------------------


def read_header(token: Any) -> dict[str, Any]:
    """The (unverified) JOSE header of ``token``; refuse what is not a compact JWS."""
    if not isinstance(token, str | bytes) or not token:
        raise TokenValidationError("The provider sent no token.")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:  # also a 'kid' that is not a string
        raise TokenValidationError("The token is not a well-formed JWS.")
    if not isinstance(header.get("alg"), str):
        raise TokenValidationError("The token header has no 'alg'.")
    return header


def check_algorithm(header: Mapping[str, Any], expected: Expectations) -> None:
    """§3.1.3.7 step 7 (and §3.1.3.7 step 6 for ``none``).

    The ``alg`` of the header must be the one the client is configured with, so a token
    can never choose how it is verified (no HS256 token checked with a public key). An
    unsecured token (``alg: none``) is only accepted when the project allows it.
    """
    algorithm = header["alg"]
    if algorithm == UNSECURED:
        if expected.allow_unsecured:
            return
        raise TokenValidationError("Unsecured tokens (alg 'none') are not accepted.")
    if expected.algorithm not in SUPPORTED_ALGORITHMS:
        raise TokenValidationError(
            f"The client is configured with the unsupported algorithm {expected.algorithm!r:.20}.",
            user_message=_("Login with this identity provider is not configured correctly."),
        )
    if algorithm != expected.algorithm:
        raise TokenValidationError(
            f"The token is signed with {algorithm!r:.20}, but the client expects "
            f"{expected.algorithm!r}."
        )


# -- the claims, one rule each ---------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_issuer(claims: Mapping[str, Any], issuer: str | None) -> None:
    """§3.1.3.7 step 2: ``iss`` exactly matches the provider's issuer identifier."""
    if not isinstance(claims.get("iss"), str):
        raise TokenValidationError("The token has no issuer ('iss').")
    if issuer is not None and claims["iss"] != issuer:
        raise TokenValidationError(f"The token was not issued by {issuer!r}.")


def check_audience(claims: Mapping[str, Any], client_id: str) -> None:
    """§3.1.3.7 step 3: ``aud`` contains the client id."""
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or not all(isinstance(a, str) for a in audiences):
        raise TokenValidationError("The token has no valid audience ('aud').")
    if client_id not in audiences:
        raise TokenValidationError(f"The token is not meant for client {client_id!r}.")


def check_authorized_party(claims: Mapping[str, Any], client_id: str) -> None:
    """§3.1.3.7 steps 4 and 5: with several audiences ``azp`` is required; if present it
    must be the client id."""
    audience = claims.get("aud")
    several = isinstance(audience, list) and len(set(audience)) > 1
    if "azp" not in claims:
        if several:
            raise TokenValidationError(
                "The token has several audiences but no authorized party ('azp')."
            )
        return
    if claims["azp"] != client_id:
        raise TokenValidationError(
            f"The token's authorized party ('azp') is not client {client_id!r}."
        )


def check_expiry(claims: Mapping[str, Any], now: float, leeway: float) -> None:
    """§3.1.3.7 step 9: ``exp`` is required and not in the past (allowing ``leeway``)."""
    if not _is_number(claims.get("exp")):
        raise TokenValidationError("The token has no valid expiry ('exp').")
    if claims["exp"] <= now - leeway:
        raise TokenValidationError("The token has expired.")


def check_issued_at(
    claims: Mapping[str, Any], now: float, leeway: float, max_age: float | None
) -> None:
    """§3.1.3.7 step 10: ``iat`` is required, not in the future, and not older than
    ``max_age`` seconds (the limit the client sets on how long ago tokens were issued)."""
    if not _is_number(claims.get("iat")):
        raise TokenValidationError("The token has no valid issue time ('iat').")
    if claims["iat"] > now + leeway:
        raise TokenValidationError("The token claims to be issued in the future.")
    if max_age and claims["iat"] < now - max_age - leeway:
        raise TokenValidationError(f"The token was issued more than {max_age:g} seconds ago.")


def check_not_before(claims: Mapping[str, Any], now: float, leeway: float) -> None:
    """RFC 7519 §4.1.5 (an ID token may carry it, Core §2): honour ``nbf`` if present."""
    if "nbf" not in claims:
        return
    if not _is_number(claims["nbf"]):
        raise TokenValidationError("The token has an invalid 'nbf'.")
    if claims["nbf"] > now + leeway:
        raise TokenValidationError("The token is not valid yet ('nbf').")


def check_subject(claims: Mapping[str, Any]) -> None:
    """Core §2: ``sub`` is required, a non-empty string of at most 255 ASCII characters."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise TokenValidationError("The token has no subject ('sub').")
    if len(subject) > 255 or not subject.isascii():
        raise TokenValidationError("The token's subject ('sub') is malformed.")


def check_nonce(claims: Mapping[str, Any], nonce: str | None) -> None:
    """§3.1.3.7 step 11: the ``nonce`` equals the one sent in the authentication request.

    Called only when the client uses a nonce; then a token without one is refused.
    """
    if not nonce or not isinstance(claims.get("nonce"), str):
        raise TokenValidationError("The token's nonce does not match the login.")
    if not hmac.compare_digest(claims["nonce"].encode(), nonce.encode()):
        raise TokenValidationError("The token's nonce does not match the login.")


def _left_half_hash(value: str, algorithm: str, key: Any) -> bytes:
    """The left-most half of the hash of ``value`` used by the JWS ``algorithm``."""
    data = value.encode("ascii")
    if algorithm == "EdDSA":
        # OpenID Connect errata: SHA-512 for Ed25519, SHAKE256 (114 bytes) for Ed448
        digest = (
            hashlib.shake_256(data).digest(114)
            if isinstance(key, ed448.Ed448PublicKey)
            else hashlib.sha512(data).digest()
        )
    else:
        digest = hashlib.new(f"sha{algorithm[2:]}", data).digest()
    return digest[: len(digest) // 2]


def check_access_token_hash(
    claims: Mapping[str, Any], access_token: str | None, algorithm: str, key: Any = None
) -> None:
    """§3.1.3.8 / §3.2.2.9: ``at_hash``, when present, matches the access token."""
    if "at_hash" not in claims or not access_token:
        return
    if algorithm == UNSECURED or not isinstance(claims["at_hash"], str):
        raise TokenValidationError("The token's access token hash ('at_hash') is not usable.")
    try:
        expected = _left_half_hash(access_token, algorithm, key)
    except (UnicodeEncodeError, ValueError):
        raise TokenValidationError("The access token cannot be checked against 'at_hash'.")
    encoded = base64.urlsafe_b64encode(expected).rstrip(b"=")
    if not hmac.compare_digest(encoded, claims["at_hash"].encode("ascii", "replace")):
        raise TokenValidationError("The access token does not match the token's 'at_hash'.")


# -- putting it together ---------------------------------------------------------------


def _signing_key(key: Any) -> Any:
    return key.key if isinstance(key, jwt.PyJWK) else key


def _decode(token: str | bytes, key: Any, algorithm: str, **pyjwt_kwargs: Any) -> dict[str, Any]:
    """Verify the signature (§3.1.3.7 step 6) and let PyJWT check what it was asked to."""
    if algorithm == UNSECURED:
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise TokenValidationError("The token is not a well-formed JWT.")
    else:
        if key is None or (algorithm in SYMMETRIC_ALGORITHMS and not isinstance(key, str | bytes)):
            raise TokenValidationError(f"No key to verify a {algorithm} token.")
        if algorithm in ASYMMETRIC_ALGORITHMS:
            if isinstance(key, str | bytes):
                # a secret (or PEM text) for a public-key algorithm: algorithm confusion
                raise TokenValidationError(
                    f"A {algorithm} token must be verified with a public key."
                )
            check_key_matches_algorithm(_signing_key(key), algorithm)
        try:
            claims = jwt.decode(token, _signing_key(key), algorithms=[algorithm], **pyjwt_kwargs)
        except jwt.InvalidSignatureError:
            raise TokenValidationError("The token's signature is not valid.")
        except jwt.ExpiredSignatureError:
            raise TokenValidationError("The token has expired.")
        except jwt.ImmatureSignatureError:
            raise TokenValidationError("The token is not valid yet.")
        except jwt.MissingRequiredClaimError as exc:
            raise TokenValidationError(f"The token lacks the required claim '{exc.claim}'.")
        except jwt.InvalidAudienceError:
            raise TokenValidationError("The token is not meant for this client ('aud').")
        except jwt.InvalidIssuerError:
            raise TokenValidationError("The token was issued by another issuer ('iss').")
        except (jwt.InvalidKeyError, TypeError, ValueError):
            raise TokenValidationError(f"The key cannot verify {algorithm} signatures.")
        except jwt.PyJWTError as exc:
            # DecodeError, InvalidIssuedAtError, ...: PyJWT's messages hold no claim values
            raise TokenValidationError(f"The token is invalid ({type(exc).__name__}).")
    if not isinstance(claims, dict):
        raise TokenValidationError("The token's payload is not a JSON object.")
    return claims


def validate_id_token(
    token: str | bytes,
    key: Any,
    expected: Expectations,
    *,
    nonce: str | None = None,
    access_token: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """Validate an ID token (§3.1.3.7) and return its claims.

    ``key`` is a ``jwt.PyJWK`` or a public key object for asymmetric algorithms, the
    client secret for HS*, ``None`` for an accepted ``alg: none``.
    ``nonce`` is the one sent in the authentication request (checked when
    ``expected.use_nonce``); ``access_token`` the one that came with the ID token.
    """
    header = read_header(token)
    check_algorithm(header, expected)
    algorithm = header["alg"]
    claims = _decode(
        token,
        key,
        algorithm,
        options={"require": REQUIRED_ID_TOKEN_CLAIMS},
        audience=expected.client_id,
        issuer=expected.issuer,
        leeway=expected.leeway,
    )
    now = time.time() if now is None else now
    check_issuer(claims, expected.issuer)
    check_audience(claims, expected.client_id)
    check_authorized_party(claims, expected.client_id)
    check_expiry(claims, now, expected.leeway)
    check_issued_at(claims, now, expected.leeway, expected.max_age)
    check_not_before(claims, now, expected.leeway)
    check_subject(claims)
    if expected.use_nonce:
        check_nonce(claims, nonce)
    check_access_token_hash(claims, access_token, algorithm, _signing_key(key))
    return claims


def validate_signed_userinfo(
    token: str | bytes, key: Any, expected: Expectations, *, now: float | None = None
) -> dict[str, Any]:
    """A userinfo response sent as a JWT (§5.3.2): same signature rules as the ID token;
    ``iss`` and ``aud`` are checked when present (they SHOULD be), ``exp`` honoured."""
    header = read_header(token)
    check_algorithm(header, expected)
    claims = _decode(
        token,
        key,
        header["alg"],
        options={"verify_aud": False, "verify_iss": False},
        leeway=expected.leeway,
    )
    now = time.time() if now is None else now
    if "iss" in claims:
        check_issuer(claims, expected.issuer)
    if "aud" in claims:
        check_audience(claims, expected.client_id)
    if "exp" in claims:
        check_expiry(claims, now, expected.leeway)
    check_not_before(claims, now, expected.leeway)
    return claims


def validate_userinfo(userinfo: Any, id_token_claims: Mapping[str, Any]) -> dict[str, Any]:
    """§5.3.2 and §5.3.4: a JSON object whose ``sub`` is exactly the ID token's ``sub``."""
    if not isinstance(userinfo, dict):
        raise TokenValidationError("The userinfo response is not a JSON object.")
    if not isinstance(userinfo.get("sub"), str) or userinfo["sub"] != id_token_claims.get("sub"):
        raise TokenValidationError(
            "The userinfo response is about another subject than the ID token ('sub')."
        )
    return userinfo

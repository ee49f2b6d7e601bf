"""Factories for keys and tokens minted in the tests (PyJWT + cryptography).

Nothing here talks to a provider: a test makes a key, publishes its JWK through
``requests-mock`` if it needs a key set, and signs the claims it wants to present.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

ISSUER = "https://kc.example.com/realms/x"
CLIENT_ID = "test-client"
CLIENT_SECRET = "a-client-secret-of-at-least-thirty-two-bytes-for-hs512-and-more-bytes!"
NONCE = "the-nonce-of-this-login"

_CURVES = {"ES256": ec.SECP256R1, "ES384": ec.SECP384R1, "ES512": ec.SECP521R1}


@functools.cache
def _private_key(family: str, variant: int = 0):
    """One private key per family and variant, made once per test session (RSA is slow)."""
    if family == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if family in _CURVES:
        return ec.generate_private_key(_CURVES[family]())
    if family == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(family)


def _family(algorithm: str) -> str:
    if algorithm[:2] in ("RS", "PS"):
        return "RSA"
    return algorithm


@dataclass(frozen=True)
class SigningKey:
    """A provider's signing key: private half to mint tokens, public half as JWK/PEM."""

    algorithm: str
    private_key: Any
    kid: str | None = "key-1"

    @property
    def public_key(self):
        return self.private_key.public_key()

    def jwk(self, **overrides) -> dict[str, Any]:
        exporter = {"RSA": RSAAlgorithm, "EdDSA": OKPAlgorithm}.get(
            _family(self.algorithm), ECAlgorithm
        )
        jwk = exporter.to_jwk(self.public_key, as_dict=True)
        jwk.update(use="sig", alg=self.algorithm)
        if self.kid is not None:
            jwk["kid"] = self.kid
        jwk.update(overrides)
        return {name: value for name, value in jwk.items() if value is not None}

    def public_pem(self) -> str:
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    def sign(self, claims: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
        all_headers = {"kid": self.kid} if self.kid is not None else {}
        all_headers.update(headers or {})
        return jwt.encode(claims, self.private_key, algorithm=self.algorithm, headers=all_headers)


def sign_raw(key: SigningKey, header: dict[str, Any], payload: Any) -> str:
    """A JWS over any header and payload, bypassing PyJWT's checks of what it encodes."""

    def segment(data: Any) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")

    signing_input = segment({"alg": key.algorithm, **header}) + b"." + segment(payload)
    signature = jwt.get_algorithm_by_name(key.algorithm).sign(signing_input, key.private_key)
    return (signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()


def make_key(algorithm: str = "RS256", kid: str | None = "key-1", variant: int = 0) -> SigningKey:
    """A signing key for ``algorithm``; another ``variant`` gives another key pair."""
    return SigningKey(algorithm, _private_key(_family(algorithm), variant), kid)


def key_set(*keys: SigningKey) -> dict[str, Any]:
    return {"keys": [key.jwk() for key in keys]}


def make_claims(
    issuer: str = ISSUER, client_id: str = CLIENT_ID, now: float | None = None, **overrides
) -> dict[str, Any]:
    """The claims of a valid ID token; ``claim=None`` leaves a claim out."""
    now = int(time.time() if now is None else now)
    claims = {
        "iss": issuer,
        "sub": "f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
        "aud": client_id,
        "exp": now + 300,
        "iat": now,
        "nonce": NONCE,
        "email": "jane@example.com",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def sign_hs(claims: dict[str, Any], algorithm: str = "HS256", secret: str = CLIENT_SECRET) -> str:
    return jwt.encode(claims, secret, algorithm=algorithm)


def unsecured_token(claims: dict[str, Any]) -> str:
    """A JWT with ``alg: none`` and an empty signature."""

    def segment(data: dict) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{segment({'alg': 'none', 'typ': 'JWT'})}.{segment(claims)}."


def at_hash(access_token: str, digest: str = "sha256") -> str:
    full = hashlib.new(digest, access_token.encode()).digest()
    return base64.urlsafe_b64encode(full[: len(full) // 2]).rstrip(b"=").decode()

"""ID token and userinfo validation (OpenID Connect Core 1.0 §3.1.3.7, §5.3).

Every token is minted here with a key made here; no database, no network.
"""

import hashlib
import hmac
import json
import time

import jwt
import pytest

from mozilla_django_oidc_db._protocol.id_token import (
    Expectations,
    check_access_token_hash,
    read_header,
    validate_id_token,
    validate_signed_userinfo,
    validate_userinfo,
)
from mozilla_django_oidc_db._protocol.jwks import load_public_key
from mozilla_django_oidc_db.exceptions import TokenValidationError

from .tokens import (
    CLIENT_ID,
    CLIENT_SECRET,
    ISSUER,
    NONCE,
    at_hash,
    make_claims,
    make_key,
    sign_hs,
    sign_raw,
    unsecured_token,
)

AZURE_TENANT = "4b1a0c4e-0000-0000-0000-1f2e3d4c5b6a"
AZURE_ISSUER = f"https://login.microsoftonline.com/{AZURE_TENANT}/v2.0"

ASYMMETRIC = [
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
]


@pytest.fixture
def expect():
    """Expectations of the test client; keyword arguments override."""

    def make(**overrides) -> Expectations:
        values = {"client_id": CLIENT_ID, "algorithm": "RS256", "issuer": ISSUER}
        values.update(overrides)
        return Expectations(**values)

    return make


@pytest.fixture
def rs256():
    return make_key("RS256")


def refused(token, key, expected, reason: str, **kwargs):
    with pytest.raises(TokenValidationError) as excinfo:
        validate_id_token(token, key, expected, nonce=NONCE, **kwargs)
    assert reason in str(excinfo.value)
    return excinfo.value


# -- signature and algorithms (§3.1.3.7 steps 6 and 7) ----------------------------------


@pytest.mark.parametrize("algorithm", ASYMMETRIC)
def test_asymmetric_algorithms_with_the_published_key(algorithm, expect):
    key = make_key(algorithm)

    claims = validate_id_token(
        key.sign(make_claims()), jwt.PyJWK(key.jwk()), expect(algorithm=algorithm), nonce=NONCE
    )

    assert claims["sub"] == make_claims()["sub"]


@pytest.mark.parametrize("algorithm", ["RS256", "ES384", "EdDSA"])
def test_asymmetric_algorithms_with_a_configured_pem_key(algorithm, expect):
    key = make_key(algorithm)

    validate_id_token(
        key.sign(make_claims()),
        load_public_key(key.public_pem()),
        expect(algorithm=algorithm),
        nonce=NONCE,
    )


@pytest.mark.parametrize("algorithm", ["HS256", "HS384", "HS512"])
def test_symmetric_algorithms_with_the_client_secret(algorithm, expect):
    token = sign_hs(make_claims(), algorithm)

    validate_id_token(token, CLIENT_SECRET, expect(algorithm=algorithm), nonce=NONCE)


def test_bad_signature(expect, rs256):
    other = make_key("RS256", variant=1)
    token = other.sign(make_claims())

    refused(token, jwt.PyJWK(rs256.jwk()), expect(), "signature is not valid")


def test_tampered_payload(expect, rs256):
    header, payload, signature = rs256.sign(make_claims()).split(".")
    forged_payload = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(payload).replace(b"jane@", b"john@")
    ).decode()

    refused(f"{header}.{forged_payload}.{signature}", rs256.public_key, expect(), "signature")


def test_wrong_client_secret(expect):
    token = sign_hs(make_claims(), secret="another-secret-that-is-also-long-enough-for-hs256")

    refused(token, CLIENT_SECRET, expect(algorithm="HS256"), "signature is not valid")


def test_header_algorithm_must_be_the_configured_one(expect):
    token = make_key("RS384").sign(make_claims())

    refused(token, make_key("RS384").public_key, expect(algorithm="RS256"), "expects 'RS256'")


def test_algorithm_confusion_hs256_signed_with_the_public_key(expect, rs256):
    """The classic attack: HMAC with the provider's (public) PEM as the secret."""
    header = jwt.utils.base64url_encode(json.dumps({"alg": "HS256", "kid": "key-1"}).encode())
    payload = jwt.utils.base64url_encode(json.dumps(make_claims()).encode())
    signing_input = header + b"." + payload
    mac = hmac.new(rs256.public_pem().encode(), signing_input, hashlib.sha256).digest()
    token = (signing_input + b"." + jwt.utils.base64url_encode(mac)).decode()

    refused(token, jwt.PyJWK(rs256.jwk()), expect(algorithm="RS256"), "expects 'RS256'")
    refused(token, CLIENT_SECRET, expect(algorithm="HS256"), "signature is not valid")


def test_algorithm_confusion_never_uses_a_secret_for_public_key_algorithms(expect, rs256):
    token = rs256.sign(make_claims())

    refused(token, rs256.public_pem(), expect(), "must be verified with a public key")
    refused(token, CLIENT_SECRET, expect(), "must be verified with a public key")


def test_algorithm_confusion_never_uses_a_public_key_as_hmac_secret(expect, rs256):
    token = sign_hs(make_claims(), "HS256")

    refused(token, rs256.public_key, expect(algorithm="HS256"), "No key to verify")


def test_key_of_another_family_is_refused(expect):
    token = make_key("ES256").sign(make_claims())

    refused(token, make_key("RS256").public_key, expect(algorithm="ES256"), "cannot verify")


def test_unsupported_configured_algorithm(expect, rs256):
    token = sign_hs(make_claims(), "HS256")

    error = refused(token, CLIENT_SECRET, expect(algorithm="HS1"), "unsupported algorithm")
    assert "not configured correctly" in str(error.user_message)


def test_alg_none_is_refused(expect):
    refused(unsecured_token(make_claims()), None, expect(), "alg 'none'")


def test_alg_none_is_refused_even_when_configured(expect):
    refused(unsecured_token(make_claims()), None, expect(algorithm="none"), "alg 'none'")


def test_alg_none_when_allowed_still_checks_the_claims(expect):
    expected = expect(allow_unsecured=True)

    assert validate_id_token(unsecured_token(make_claims()), None, expected, nonce=NONCE)
    refused(unsecured_token(make_claims(aud="other")), None, expected, "not meant for client")
    refused(unsecured_token(make_claims(exp=int(time.time()) - 3600)), None, expected, "expired")


@pytest.mark.parametrize(
    "token, reason",
    [
        (None, "no token"),
        ("", "no token"),
        ("not-a-jwt", "not a well-formed JWS"),
        ("a.b.c", "not a well-formed JWS"),
        ("eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln", "not valid"),
    ],
)
def test_malformed_tokens(expect, rs256, token, reason):
    refused(token, rs256.public_key, expect(), reason)


def test_header_without_alg(expect, rs256):
    token = "eyJ0eXAiOiJKV1QifQ.e30.c2ln"  # {"typ":"JWT"}.{}.sig

    with pytest.raises(TokenValidationError, match="no 'alg'"):
        read_header(token)


def test_header_kid_must_be_a_string(expect, rs256):
    token = sign_raw(rs256, {"kid": 7}, make_claims())

    refused(token, rs256.public_key, expect(), "not a well-formed JWS")


# -- issuer and audience (§3.1.3.7 steps 2 to 5) ------------------------------------------


def test_wrong_issuer(expect, rs256):
    token = rs256.sign(make_claims(issuer="https://evil.example.com/realms/x"))

    refused(token, rs256.public_key, expect(), "another issuer")


def test_issuer_must_match_exactly(expect, rs256):
    token = rs256.sign(make_claims(issuer=ISSUER + "/"))

    refused(token, rs256.public_key, expect(), "issuer")


def test_unknown_issuer_still_requires_iss(expect, rs256):
    expected = expect(issuer=None)

    validate_id_token(
        rs256.sign(make_claims(issuer="https://any.example")),
        rs256.public_key,
        expected,
        nonce=NONCE,
    )
    refused(rs256.sign(make_claims(iss=None)), rs256.public_key, expected, "'iss'")


def test_wrong_audience(expect, rs256):
    refused(rs256.sign(make_claims(aud="other-client")), rs256.public_key, expect(), "not meant")


def test_audience_list_without_the_client(expect, rs256):
    token = rs256.sign(make_claims(aud=["other-client", "account"], azp="other-client"))

    refused(token, rs256.public_key, expect(), "not meant")


def test_several_audiences_need_azp(expect, rs256):
    token = rs256.sign(make_claims(aud=[CLIENT_ID, "account"]))

    refused(token, rs256.public_key, expect(), "no authorized party")


def test_azp_must_be_the_client(expect, rs256):
    token = rs256.sign(make_claims(aud=[CLIENT_ID, "account"], azp="account"))

    refused(token, rs256.public_key, expect(), "authorized party ('azp') is not client")


def test_azp_with_one_audience_must_still_be_the_client(expect, rs256):
    token = rs256.sign(make_claims(azp="someone-else"))

    refused(token, rs256.public_key, expect(), "'azp'")


def test_keycloak_shaped_token(expect, rs256):
    claims = make_claims(
        aud=[CLIENT_ID, "account"],
        azp=CLIENT_ID,
        typ="ID",
        auth_time=int(time.time()) - 5,
        session_state="a4b5c6",
        sid="a4b5c6",
        at_hash=at_hash("the-access-token"),
        acr="1",
        email_verified=True,
        preferred_username="jane",
        realm_access={"roles": ["offline_access"]},
    )
    token = rs256.sign(claims, headers={"typ": "JWT"})

    result = validate_id_token(
        token, jwt.PyJWK(rs256.jwk()), expect(), nonce=NONCE, access_token="the-access-token"
    )

    assert result["preferred_username"] == "jane"


def test_azure_ad_shaped_token(expect, rs256):
    now = int(time.time())
    claims = make_claims(
        issuer=AZURE_ISSUER,
        nbf=now,
        ver="2.0",
        tid=AZURE_TENANT,
        oid="00000000-0000-0000-66f3-3332eca7ea81",
        preferred_username="jane@contoso.example",
        aio="Df2UVXL1ix!lMCWMSOJBcFatzcGfvFGhjKv8q5g0x732dR5MB5BisvGQO7YWByjd8iQDLq!eGbIDakyp5mnOrcdqHeYSnltepQmRp6AIZ8jY",
        rh="I",
        uti="YzRhYzRjNjMtMmRlYS00",
    )
    token = rs256.sign(claims, headers={"typ": "JWT", "kid": "nOo3ZDrODXEK1jKWhXslHR_KXEg"})

    result = validate_id_token(token, rs256.public_key, expect(issuer=AZURE_ISSUER), nonce=NONCE)

    assert result["tid"] == AZURE_TENANT


# -- time (§3.1.3.7 steps 9 and 10, RFC 7519 §4.1.5) --------------------------------------


def test_expired(expect, rs256):
    now = time.time()
    token = rs256.sign(make_claims(now=now - 600, exp=int(now) - 120))

    refused(token, rs256.public_key, expect(leeway=60), "expired")


def test_expired_within_leeway_is_accepted(expect, rs256):
    now = time.time()
    token = rs256.sign(make_claims(now=now - 600, exp=int(now) - 30))

    validate_id_token(token, rs256.public_key, expect(leeway=60), nonce=NONCE)


def test_not_yet_valid(expect, rs256):
    token = rs256.sign(make_claims(nbf=int(time.time()) + 600))

    refused(token, rs256.public_key, expect(), "not valid yet")


def test_not_before_within_leeway_is_accepted(expect, rs256):
    token = rs256.sign(make_claims(nbf=int(time.time()) + 20))

    validate_id_token(token, rs256.public_key, expect(leeway=60), nonce=NONCE)


def test_issued_in_the_future(expect, rs256):
    token = rs256.sign(make_claims(now=time.time() + 600))

    refused(token, rs256.public_key, expect(), "not valid yet")


def test_issued_too_long_ago(expect, rs256):
    now = time.time()
    token = rs256.sign(make_claims(now=now - 7200, exp=int(now) + 300))

    refused(token, rs256.public_key, expect(max_age=3600), "issued more than 3600 seconds ago")
    validate_id_token(token, rs256.public_key, expect(max_age=None), nonce=NONCE)


# -- required and malformed claims ------------------------------------------------------


@pytest.mark.parametrize("claim", ["exp", "iat", "sub", "iss", "aud"])
def test_missing_required_claim(expect, rs256, claim):
    token = rs256.sign(make_claims(**{claim: None}))

    refused(token, rs256.public_key, expect(), claim)


@pytest.mark.parametrize(
    "overrides, reason",
    [
        ({"exp": str(int(time.time()) + 300)}, "expiry"),
        ({"exp": "tomorrow"}, "invalid"),
        ({"iat": True}, "issue time"),
        ({"nbf": str(int(time.time()))}, "'nbf'"),
        ({"sub": 12345}, "invalid"),
        ({"sub": ""}, "subject"),
        ({"sub": "x" * 256}, "malformed"),
        ({"sub": "jäne"}, "malformed"),
        ({"aud": 42}, "'aud'"),
        ({"aud": [CLIENT_ID, 42]}, "'aud'"),
        ({"iss": ["https://kc.example.com/realms/x"]}, "'iss'"),
        ({"azp": ["test-client"]}, "'azp'"),
        ({"nonce": 42}, "nonce"),
        ({"at_hash": 42}, "at_hash"),
    ],
)
def test_malformed_claims(expect, rs256, overrides, reason):
    token = sign_raw(rs256, {"kid": rs256.kid}, make_claims(**overrides))

    refused(token, rs256.public_key, expect(), reason, access_token="the-access-token")


def test_payload_that_is_not_an_object(expect, rs256):
    token = sign_raw(rs256, {}, ["a", "list"])

    refused(token, rs256.public_key, expect(), "invalid")


# -- nonce (§3.1.3.7 step 11) -----------------------------------------------------------------


def test_nonce_mismatch(expect, rs256):
    refused(rs256.sign(make_claims(nonce="another")), rs256.public_key, expect(), "nonce")


def test_nonce_missing_from_the_token(expect, rs256):
    refused(rs256.sign(make_claims(nonce=None)), rs256.public_key, expect(), "nonce")


def test_nonce_missing_from_the_login(expect, rs256):
    with pytest.raises(TokenValidationError, match="nonce"):
        validate_id_token(rs256.sign(make_claims()), rs256.public_key, expect(), nonce=None)


def test_nonce_ignored_when_the_client_does_not_use_it(expect, rs256):
    token = rs256.sign(make_claims(nonce=None))

    validate_id_token(token, rs256.public_key, expect(use_nonce=False), nonce=None)


# -- at_hash (§3.1.3.8, §3.2.2.9) -----------------------------------------------------------


@pytest.mark.parametrize(
    "algorithm, digest",
    [("RS256", "sha256"), ("PS384", "sha384"), ("ES512", "sha512"), ("EdDSA", "sha512")],
)
def test_access_token_hash_matches(expect, algorithm, digest):
    key = make_key(algorithm)
    token = key.sign(make_claims(at_hash=at_hash("the-access-token", digest)))

    validate_id_token(
        token,
        key.public_key,
        expect(algorithm=algorithm),
        nonce=NONCE,
        access_token="the-access-token",
    )


def test_access_token_hash_mismatch(expect, rs256):
    token = rs256.sign(make_claims(at_hash=at_hash("another-access-token")))

    refused(token, rs256.public_key, expect(), "does not match", access_token="the-access-token")


def test_access_token_hash_is_optional(expect, rs256):
    validate_id_token(
        rs256.sign(make_claims()), rs256.public_key, expect(), nonce=NONCE, access_token="x"
    )


def test_access_token_hash_hs256():
    check_access_token_hash({"at_hash": at_hash("tok")}, "tok", "HS256")
    with pytest.raises(TokenValidationError):
        check_access_token_hash({"at_hash": at_hash("tok")}, "tok", "HS512")


# -- userinfo (§5.3.2, §5.3.4) ------------------------------------------------------------


def test_userinfo_subject_must_match():
    id_claims = make_claims()

    assert validate_userinfo({"sub": id_claims["sub"], "email": "x"}, id_claims)["email"] == "x"
    for userinfo in ({"sub": "someone-else"}, {"email": "x"}, {"sub": 1}):
        with pytest.raises(TokenValidationError, match="another subject"):
            validate_userinfo(userinfo, id_claims)


def test_userinfo_must_be_an_object():
    with pytest.raises(TokenValidationError, match="not a JSON object"):
        validate_userinfo(["sub"], make_claims())


def test_signed_userinfo(expect, rs256):
    userinfo = {
        "sub": "s",
        "email": "jane@example.com",
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "nonce": "x",
    }

    assert validate_signed_userinfo(rs256.sign(userinfo), rs256.public_key, expect()) == userinfo


def test_signed_userinfo_without_iss_and_aud(expect, rs256):
    validate_signed_userinfo(rs256.sign({"sub": "s"}), rs256.public_key, expect())


@pytest.mark.parametrize(
    "claims, reason",
    [
        ({"sub": "s", "iss": "https://evil.example.com"}, "not issued by"),
        ({"sub": "s", "aud": "other-client"}, "not meant"),
        ({"sub": "s", "exp": 1000}, "expired"),
    ],
)
def test_signed_userinfo_refused(expect, rs256, claims, reason):
    with pytest.raises(TokenValidationError, match=reason):
        validate_signed_userinfo(rs256.sign(claims), rs256.public_key, expect())


def test_signed_userinfo_bad_signature(expect, rs256):
    token = make_key("RS256", variant=1).sign({"sub": "s"})

    with pytest.raises(TokenValidationError, match="signature"):
        validate_signed_userinfo(token, rs256.public_key, expect())


def test_signed_userinfo_alg_none(expect):
    with pytest.raises(TokenValidationError, match="none"):
        validate_signed_userinfo(unsecured_token({"sub": "s"}), None, expect())


def test_messages_never_contain_the_token(expect, rs256):
    token = rs256.sign(make_claims(aud="other"))

    error = refused(token, rs256.public_key, expect(), "")

    assert token not in str(error)
    assert "jane@example.com" not in str(error)

"""The provider's key set: shared cache, one refetch on an unknown key, rate limit."""

import base64
import datetime

from django.core.cache import caches

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from mozilla_django_oidc_db._protocol import cache, jwks
from mozilla_django_oidc_db._protocol.jwks import (
    check_key_matches_algorithm,
    find_signing_key,
    load_public_key,
    select_key,
)
from mozilla_django_oidc_db.exceptions import ProviderError, TokenValidationError
from mozilla_django_oidc_db.models import OIDCProvider

from .tokens import make_key

JWKS_URI = "https://kc.example.com/realms/x/protocol/openid-connect/certs"
KEY_SET = cache.cache_key(jwks.CACHE_NAMESPACE, JWKS_URI)
REFETCH_SLOT = cache.cache_key(jwks.REFETCH_SLOT_NAMESPACE, JWKS_URI)


@pytest.fixture
def publish(requests_mock):
    """Publish these keys at JWKS_URI; returns the requests-mock matcher."""

    def publish(*keys, **response):
        if not response:
            response = {
                "json": {"keys": [key.jwk() if hasattr(key, "jwk") else key for key in keys]}
            }
        return requests_mock.get(JWKS_URI, **response)

    return publish


@pytest.fixture
def old_key():
    return make_key("RS256", kid="old")


@pytest.fixture
def new_key():
    return make_key("RS256", kid="new", variant=1)


def public_numbers(pyjwk):
    return pyjwk.key.public_numbers()


# -- the shared cache ------------------------------------------------------------------


def test_key_set_is_fetched_once_and_shared(publish, old_key):
    mock = publish(old_key)

    first = find_signing_key(JWKS_URI, "old", "RS256")
    second = find_signing_key(JWKS_URI, "old", "RS256")

    assert public_numbers(first) == public_numbers(second) == old_key.public_key.public_numbers()
    assert mock.call_count == 1


def test_cached_key_set_means_no_request(publish, old_key, requests_mock):
    caches["default"].set(KEY_SET, [old_key.jwk()])

    find_signing_key(JWKS_URI, "old", "RS256")

    assert not requests_mock.called


def test_outbound_call_uses_the_package_timeout(publish, old_key, settings):
    settings.OIDCDB_HTTP_TIMEOUT = 2.5
    mock = publish(old_key)

    find_signing_key(JWKS_URI, "old", "RS256")

    assert mock.last_request.timeout == 2.5


def test_cache_failure_is_a_miss(publish, old_key, mocker):
    mock = publish(old_key)
    broken = mocker.Mock()
    for method in ("get", "set", "add", "delete_many"):
        getattr(broken, method).side_effect = ConnectionError("cache down")
    mocker.patch.object(cache, "shared_cache", return_value=broken)

    find_signing_key(JWKS_URI, "old", "RS256")
    find_signing_key(JWKS_URI, "old", "RS256")
    jwks.invalidate(JWKS_URI)

    assert mock.call_count == 2


def test_invalidate_forgets_the_set(publish, old_key):
    mock = publish(old_key)
    find_signing_key(JWKS_URI, "old", "RS256")

    jwks.invalidate(JWKS_URI)
    find_signing_key(JWKS_URI, "old", "RS256")
    jwks.invalidate(OIDCProvider(oidc_op_jwks_endpoint=JWKS_URI))
    find_signing_key(JWKS_URI, "old", "RS256")

    assert mock.call_count == 3


# -- unknown keys, rotation and the rate limit ---------------------------------------------


def test_rotation_works_without_restart(publish, old_key, new_key):
    publish(old_key)
    find_signing_key(JWKS_URI, "old", "RS256")
    mock = publish(old_key, new_key)  # the provider rotates

    key = find_signing_key(JWKS_URI, "new", "RS256")
    find_signing_key(JWKS_URI, "new", "RS256")

    assert public_numbers(key) == new_key.public_key.public_numbers()
    assert mock.call_count == 1  # one refetch, then served from the cache again


def test_unknown_key_refetches_once_then_refuses(publish, old_key, settings):
    settings.OIDCDB_JWKS_MIN_REFETCH_INTERVAL = 0  # only the single-refetch rule applies
    caches["default"].set(KEY_SET, [old_key.jwk()])
    mock = publish(old_key)

    with pytest.raises(TokenValidationError, match="No key of the provider's key set fits"):
        find_signing_key(JWKS_URI, "forged", "RS256")

    assert mock.call_count == 1


def test_first_fetch_is_not_repeated_for_an_unknown_key(publish, old_key):
    mock = publish(old_key)

    with pytest.raises(TokenValidationError):
        find_signing_key(JWKS_URI, "forged", "RS256")

    assert mock.call_count == 1


def test_refetches_are_rate_limited(publish, old_key, new_key):
    publish(old_key)
    find_signing_key(JWKS_URI, "old", "RS256")
    mock = publish(old_key)
    with pytest.raises(TokenValidationError):
        find_signing_key(JWKS_URI, "forged", "RS256")  # takes the refetch slot
    assert mock.call_count == 1

    publish(old_key, new_key)  # the provider rotates just now
    with pytest.raises(TokenValidationError):
        find_signing_key(JWKS_URI, "new", "RS256")
    assert mock.call_count == 1

    # the interval has passed (the slot, shared by all processes, expired)
    caches["default"].delete(REFETCH_SLOT)
    find_signing_key(JWKS_URI, "new", "RS256")


def test_refetch_slot_taken_by_another_process(publish, old_key, new_key):
    publish(old_key)
    find_signing_key(JWKS_URI, "old", "RS256")
    caches["default"].add(REFETCH_SLOT, 1, 30)
    mock = publish(old_key, new_key)

    with pytest.raises(TokenValidationError):
        find_signing_key(JWKS_URI, "new", "RS256")
    assert not mock.called


def test_forged_kids_cost_one_request_per_interval(publish, old_key):
    publish(old_key)
    find_signing_key(JWKS_URI, "old", "RS256")
    mock = publish(old_key)

    for attempt in range(5):
        with pytest.raises(TokenValidationError):
            find_signing_key(JWKS_URI, f"forged-{attempt}", "RS256")

    assert mock.call_count == 1


# -- choosing the key ---------------------------------------------------------------------


def test_no_kid_with_one_suitable_key(publish):
    key = make_key("ES256", kid=None)
    publish(key, make_key("RS256", kid="rsa"))

    found = find_signing_key(JWKS_URI, None, "ES256")

    assert found.key.public_numbers() == key.public_key.public_numbers()


def test_no_kid_with_two_suitable_keys_is_refused(publish, old_key, new_key):
    publish(old_key, new_key)

    with pytest.raises(TokenValidationError, match="refusing to guess"):
        find_signing_key(JWKS_URI, None, "RS256")


def test_kid_in_token_but_not_in_a_single_key_set(publish):
    key = make_key("RS256", kid=None)
    publish(key)

    assert find_signing_key(JWKS_URI, "whatever", "RS256")


def test_duplicate_kid_is_refused():
    first, second = make_key("RS256", kid="same"), make_key("RS256", kid="same", variant=1)

    with pytest.raises(TokenValidationError, match="refusing to guess"):
        select_key([first.jwk(), second.jwk()], "same", "RS256")


@pytest.mark.parametrize(
    "overrides",
    [
        {"use": "enc"},
        {"alg": "RS512"},
        {"key_ops": ["encrypt"]},
        {"key_ops": "verify"},
        {"kty": "EC"},
    ],
    ids=["use-enc", "other-alg", "key-ops", "key-ops-not-list", "other-kty"],
)
def test_unsuitable_keys_are_skipped(overrides):
    key = make_key("RS256", kid="k")

    assert select_key([key.jwk(**overrides)], "k", "RS256") is None


def test_key_without_alg_or_use_is_suitable():
    key = make_key("RS256", kid="k")

    assert select_key([key.jwk(alg=None, use=None)], "k", "RS256")


def test_ec_curve_must_match_the_algorithm():
    key = make_key("ES384", kid="k")

    assert select_key([key.jwk(alg=None)], "k", "ES256") is None
    assert select_key([key.jwk(alg=None)], "k", "ES384")


def test_eddsa_key():
    key = make_key("EdDSA", kid="ed")

    assert select_key([key.jwk(), make_key("RS256").jwk()], "ed", "EdDSA")["kty"] == "OKP"


def test_symmetric_algorithms_never_use_the_key_set(requests_mock):
    with pytest.raises(TokenValidationError, match="does not use a published key"):
        find_signing_key(JWKS_URI, "k", "HS256")
    assert not requests_mock.called


def test_broken_key_material(publish):
    publish(json={"keys": [{"kty": "RSA", "kid": "k", "n": "not base64!", "e": "AQAB"}]})

    with pytest.raises(ProviderError, match="not a valid RS256 public key"):
        find_signing_key(JWKS_URI, "k", "RS256")


# -- the key set is down or broken ----------------------------------------------------------


@pytest.mark.parametrize(
    "response, message",
    [
        ({"exc": requests.ReadTimeout}, "did not arrive in time"),
        ({"exc": requests.ConnectionError}, "could not be retrieved"),
        ({"status_code": 500, "text": "oops"}, "HTTP status 500"),
        ({"status_code": 404, "json": {"keys": []}}, "HTTP status 404"),
        ({"text": "<html/>"}, "not JSON"),
        ({"json": [{"kty": "RSA"}]}, "'keys' list"),
        ({"json": {"keys": {"kty": "RSA"}}}, "'keys' list"),
    ],
    ids=["timeout", "unreachable", "500", "404", "not-json", "array", "keys-not-list"],
)
def test_key_set_down(publish, response, message):
    publish(**response)

    with pytest.raises(ProviderError, match=message):
        find_signing_key(JWKS_URI, "k", "RS256")


def test_entries_that_are_not_objects_are_ignored(publish, old_key):
    publish(json={"keys": ["junk", 42, None, old_key.jwk()]})

    assert find_signing_key(JWKS_URI, "old", "RS256")


# -- keys typed in by an administrator ------------------------------------------------------


def self_signed_certificate(key):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "op.example")])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key)
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key.private_key, hashes.SHA256())
    )


def test_load_public_key_formats():
    key = make_key("RS256")
    numbers = key.public_key.public_numbers()
    certificate = self_signed_certificate(key)
    der = key.public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    pem = key.public_pem()
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    bare_base64 = base64.b64encode(der).decode()  # what Keycloak's realm settings show
    cert_base64 = base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()
    for text in (pem, cert_pem, bare_base64, cert_base64, f"  {pem}\n"):
        assert load_public_key(text).public_numbers() == numbers


@pytest.mark.parametrize(
    "text", ["", "secret", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"]
)
def test_load_public_key_refuses_garbage(text):
    with pytest.raises(TokenValidationError, match="not a public key"):
        load_public_key(text)


def test_configured_key_of_the_wrong_family_or_curve():
    with pytest.raises(TokenValidationError, match="cannot verify RS256"):
        check_key_matches_algorithm(make_key("ES256").public_key, "RS256")
    with pytest.raises(TokenValidationError, match="curve"):
        check_key_matches_algorithm(make_key("ES384").public_key, "ES256")
    check_key_matches_algorithm(make_key("EdDSA").public_key, "EdDSA")

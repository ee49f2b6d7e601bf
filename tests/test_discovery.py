"""OpenID Connect Discovery: URL normalisation, validation, caching (no database)."""

import pytest
import requests

from mozilla_django_oidc_db._protocol import cache, discovery
from mozilla_django_oidc_db._protocol.discovery import (
    DiscoveryError,
    ProviderMetadata,
    discovery_url,
    expected_issuer,
    fetch_provider_metadata,
    get_provider_metadata,
)
from mozilla_django_oidc_db.models import OIDCProvider

KEYCLOAK = "https://kc.example.com/realms/x"
AZURE = "https://login.microsoftonline.com/4b1a0c4e-0000-0000-0000-1f2e3d4c5b6a/v2.0"


def make_document(issuer_url: str, **overrides) -> dict:
    issuer = issuer_url
    document = {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/protocol/openid-connect/auth",
        "token_endpoint": f"{issuer}/protocol/openid-connect/token",
        "userinfo_endpoint": f"{issuer}/protocol/openid-connect/userinfo",
        "jwks_uri": f"{issuer}/protocol/openid-connect/certs",
        "end_session_endpoint": f"{issuer}/protocol/openid-connect/logout",
        "response_types_supported": ["code"],
    }
    document.update(overrides)
    return {key: value for key, value in document.items() if value is not None}


@pytest.fixture
def serve_document(requests_mock):
    """Answer the discovery URL of ``issuer`` with ``document`` (or any response kwargs)."""

    def serve(issuer: str = KEYCLOAK, document=None, **response):
        if not response:
            response = {"json": make_document(issuer) if document is None else document}
        return requests_mock.get(f"{issuer}/.well-known/openid-configuration", **response)

    return serve


# -- the URL ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "base_url",
    [
        "https://kc.example.com/realms/x/",
        "https://kc.example.com/realms/x",
        " https://kc.example.com/realms/x/ ",
        "https://kc.example.com/realms/x/.well-known/openid-configuration",
    ],
)
def test_discovery_url_keeps_the_last_segment(base_url):
    assert discovery_url(base_url) == f"{KEYCLOAK}/.well-known/openid-configuration"


@pytest.mark.parametrize(
    "base_url", ["", "kc.example.com/realms/x", "ftp://kc.example.com/", "https://x/?a=b"]
)
def test_discovery_url_refuses_non_http_urls(base_url):
    with pytest.raises(DiscoveryError):
        discovery_url(base_url)


# -- fetching and validating ----------------------------------------------------------


def test_keycloak_document(serve_document):
    serve_document(KEYCLOAK)

    metadata = fetch_provider_metadata(KEYCLOAK + "/")

    assert metadata.issuer == KEYCLOAK
    assert metadata.jwks_uri == f"{KEYCLOAK}/protocol/openid-connect/certs"
    assert metadata.provider_fields() == {
        "oidc_op_authorization_endpoint": f"{KEYCLOAK}/protocol/openid-connect/auth",
        "oidc_op_token_endpoint": f"{KEYCLOAK}/protocol/openid-connect/token",
        "oidc_op_user_endpoint": f"{KEYCLOAK}/protocol/openid-connect/userinfo",
        "oidc_op_jwks_endpoint": f"{KEYCLOAK}/protocol/openid-connect/certs",
        "oidc_op_logout_endpoint": f"{KEYCLOAK}/protocol/openid-connect/logout",
        "oidc_op_issuer": KEYCLOAK,
    }


def test_azure_document_without_logout(serve_document):
    serve_document(AZURE, make_document(AZURE, end_session_endpoint=None))

    metadata = fetch_provider_metadata(AZURE)

    assert metadata.issuer == AZURE
    assert metadata.end_session_endpoint == ""
    assert "oidc_op_logout_endpoint" not in metadata.provider_fields()


def test_issuer_with_trailing_slash_is_accepted(serve_document):
    serve_document(KEYCLOAK, make_document(KEYCLOAK + "/"))

    assert fetch_provider_metadata(KEYCLOAK).issuer == KEYCLOAK + "/"


def test_outbound_call_uses_the_package_timeout(serve_document, settings):
    settings.OIDCDB_HTTP_TIMEOUT = 3.5
    mock = serve_document(KEYCLOAK)

    fetch_provider_metadata(KEYCLOAK)

    assert mock.last_request.timeout == 3.5


@pytest.mark.parametrize(
    "response, message",
    [
        ({"exc": requests.ConnectTimeout}, "did not arrive in time"),
        ({"exc": requests.ConnectionError}, "could not be retrieved (ConnectionError)"),
        ({"status_code": 404, "text": "not found"}, "HTTP status 404"),
        ({"status_code": 500, "json": make_document(KEYCLOAK)}, "HTTP status 500"),
        ({"text": "<html>login</html>"}, "is not JSON"),
        ({"json": ["issuer", KEYCLOAK]}, "is not a JSON object"),
        ({"json": "just a string"}, "is not a JSON object"),
        (
            {"json": make_document(KEYCLOAK, token_endpoint=None, issuer=None)},
            "lacks required members: issuer, token_endpoint",
        ),
        ({"json": make_document(KEYCLOAK, authorization_endpoint="")}, "authorization_endpoint"),
        ({"json": make_document(KEYCLOAK, jwks_uri=42)}, "'jwks_uri' of the discovery"),
        ({"json": make_document(KEYCLOAK, token_endpoint="/token")}, "'token_endpoint'"),
        (
            {"json": make_document("https://evil.example.com/realms/x")},
            "does not match the URL it came from",
        ),
        ({"json": make_document(KEYCLOAK + "/other")}, "does not match the URL"),
    ],
    ids=[
        "timeout",
        "unreachable",
        "404",
        "500",
        "not-json",
        "array",
        "string",
        "missing-members",
        "empty-member",
        "jwks-not-a-string",
        "relative-url",
        "foreign-issuer",
        "other-issuer-path",
    ],
)
def test_every_failure_is_a_discovery_error(serve_document, response, message):
    serve_document(KEYCLOAK, **response)

    with pytest.raises(DiscoveryError) as excinfo:
        fetch_provider_metadata(KEYCLOAK)

    assert message in str(excinfo.value)
    assert KEYCLOAK in str(excinfo.value) or "issuer" in str(excinfo.value)


# -- the cache -------------------------------------------------------------------------


def test_cached_accessor_fetches_once(serve_document):
    mock = serve_document(KEYCLOAK)

    first = get_provider_metadata(KEYCLOAK)
    second = get_provider_metadata(KEYCLOAK + "/")

    assert first == second
    assert mock.call_count == 1


def test_cached_accessor_does_not_cache_failures(serve_document):
    mock = serve_document(KEYCLOAK, status_code=503)

    for _ in range(2):
        with pytest.raises(DiscoveryError):
            get_provider_metadata(KEYCLOAK)

    assert mock.call_count == 2


def test_invalidate_forgets_the_document(serve_document):
    provider = OIDCProvider(oidc_op_discovery_endpoint=KEYCLOAK + "/")
    mock = serve_document(KEYCLOAK)
    get_provider_metadata(provider)

    discovery.invalidate(provider)
    get_provider_metadata(provider)

    assert mock.call_count == 2


def test_cache_failure_is_a_miss(serve_document, mocker):
    mock = serve_document(KEYCLOAK)
    broken = mocker.Mock()
    broken.get.side_effect = ConnectionError("cache down")
    broken.set.side_effect = ConnectionError("cache down")
    mocker.patch.object(cache, "shared_cache", return_value=broken)

    assert get_provider_metadata(KEYCLOAK).issuer == KEYCLOAK
    assert get_provider_metadata(KEYCLOAK).issuer == KEYCLOAK
    assert mock.call_count == 2


def test_cached_documents_are_plain_data(serve_document, settings):
    """What is cached must pickle and be shared by other processes."""
    from django.core.cache import caches

    serve_document(KEYCLOAK)
    get_provider_metadata(KEYCLOAK)

    key = cache.cache_key(discovery.CACHE_NAMESPACE, discovery_url(KEYCLOAK))
    cached = caches["default"].get(key)
    assert ProviderMetadata.from_document(cached).issuer == KEYCLOAK


# -- which issuer the tokens must carry -------------------------------------------------


def test_expected_issuer_prefers_the_configured_one(requests_mock):
    provider = OIDCProvider(oidc_op_issuer=KEYCLOAK, oidc_op_discovery_endpoint=AZURE)

    assert expected_issuer(provider) == KEYCLOAK
    assert not requests_mock.called


def test_expected_issuer_from_discovery(serve_document):
    serve_document(AZURE)

    assert expected_issuer(OIDCProvider(oidc_op_discovery_endpoint=AZURE)) == AZURE


def test_expected_issuer_not_configured():
    assert expected_issuer(OIDCProvider()) is None
    assert expected_issuer(None) is None

"""A provider that answers badly, or an attacker posing as one: never a 500.

Each test drives the real views through Django's test client: it starts the login at
``/oidc/authenticate/?next=/admin/`` (so the session holds state, nonce and PKCE
verifier as in production), then comes back to ``/oidc/callback/`` while
``requests-mock`` plays the provider. A refused login ends on the admin failure page
with a message, creates or changes no user, and logs the reason.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth import get_user_model
from django.core.checks import Warning, run_checks
from django.test import Client

import pytest
import requests

from mozilla_django_oidc_db.backends import OIDCAuthenticationBackend
from mozilla_django_oidc_db.checks import ISSUER_HINT
from mozilla_django_oidc_db.models import OIDCClient, OIDCProvider
from mozilla_django_oidc_db.utils import do_op_logout

from .tokens import (
    CLIENT_ID,
    CLIENT_SECRET,
    ISSUER,
    at_hash,
    make_claims,
    make_key,
    sign_hs,
    unsecured_token,
)

User = get_user_model()

AUTHORIZATION_ENDPOINT = f"{ISSUER}/protocol/openid-connect/auth"
TOKEN_ENDPOINT = f"{ISSUER}/protocol/openid-connect/token"
USERINFO_ENDPOINT = f"{ISSUER}/protocol/openid-connect/userinfo"
JWKS_URI = f"{ISSUER}/protocol/openid-connect/certs"
LOGOUT_ENDPOINT = f"{ISSUER}/protocol/openid-connect/logout"
SUBJECT = make_claims()["sub"]
FAILURE_URL = "/admin/login/failure/"

ADMIN_OPTIONS = {
    "user_settings": {
        "claim_mappings": {"username": ["sub"], "email": ["email"]},
        "username_case_sensitive": True,
        "sensitive_claims": [],
    },
    "groups_settings": {"make_users_staff": True, "sync": False, "default_groups": []},
}


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def signing_key():
    return make_key("RS256", kid="current")


@pytest.fixture
def provider(db):
    return OIDCProvider.objects.create(
        identifier="keycloak",
        oidc_op_issuer=ISSUER,
        oidc_op_authorization_endpoint=AUTHORIZATION_ENDPOINT,
        oidc_op_token_endpoint=TOKEN_ENDPOINT,
        oidc_op_user_endpoint=USERINFO_ENDPOINT,
        oidc_op_jwks_endpoint=JWKS_URI,
        oidc_op_logout_endpoint=LOGOUT_ENDPOINT,
        oidc_use_pkce=True,
    )


@pytest.fixture
def oidc_client(provider):
    """The admin-oidc client (made by the post-migrate hook), enabled for ``provider``."""
    OIDCClient.objects.filter(identifier="admin-oidc").update(
        enabled=True,
        oidc_provider=provider,
        oidc_rp_client_id=CLIENT_ID,
        oidc_rp_client_secret=CLIENT_SECRET,
        oidc_rp_sign_algo="RS256",
        options=ADMIN_OPTIONS,
    )
    return OIDCClient.objects.get(identifier="admin-oidc")


@dataclass
class Login:
    """One login through the real views, with requests-mock as the provider."""

    browser: Client
    mock: object
    signing_key: object
    state: str = ""
    nonce: str = ""
    authorization_params: dict = field(default_factory=dict)

    def start(self) -> Login:
        response = self.browser.get("/oidc/authenticate/?next=/admin/")
        assert response.status_code == 302, response
        location = urlsplit(response["Location"])
        assert location.geturl().startswith(AUTHORIZATION_ENDPOINT)
        self.authorization_params = {k: v[0] for k, v in parse_qs(location.query).items()}
        self.state = self.authorization_params["state"]
        self.nonce = self.authorization_params["nonce"]
        return self

    def id_token(self, key=None, **claims) -> str:
        return (key or self.signing_key).sign(make_claims(nonce=self.nonce, **claims))

    def provider_answers(
        self, *, id_token=None, token=None, jwks=None, userinfo=None, **claims
    ) -> None:
        """Mock the provider; ``token``/``jwks``/``userinfo`` are requests-mock kwargs."""
        if token is None:
            token = {
                "json": {
                    "access_token": "the-access-token",
                    "token_type": "Bearer",
                    "id_token": id_token or self.id_token(**claims),
                }
            }
        self.mock.post(TOKEN_ENDPOINT, **token)
        self.mock.get(JWKS_URI, **(jwks or {"json": {"keys": [self.signing_key.jwk()]}}))
        self.mock.get(
            USERINFO_ENDPOINT,
            **(userinfo or {"json": {"sub": SUBJECT, "email": "jane@example.com"}}),
        )

    def callback(self, **params):
        query = {"code": "the-code", "state": self.state, **params}
        return self.browser.get("/oidc/callback/", query)

    def calls_to(self, url: str) -> list:
        return [request for request in self.mock.request_history if request.url.startswith(url)]


@pytest.fixture
def login(oidc_client, requests_mock, signing_key, caplog):
    caplog.set_level(logging.INFO, logger="mozilla_django_oidc_db")
    return Login(Client(), requests_mock, signing_key).start()


def assert_refused(response, caplog, reason: str, user_message: str = ""):
    """The person sees the failure page with a message, no user exists, the log has why."""
    assert response.status_code == 302
    assert response["Location"] == FAILURE_URL
    page = response.client.get(FAILURE_URL)
    assert page.status_code == 200
    assert user_message in page.content.decode()
    assert "<p><code></code></p>" not in page.content.decode()
    assert not User.objects.exists()
    assert not page.wsgi_request.user.is_authenticated
    assert reason in caplog.text, caplog.text
    # the log names the rule, never a token
    assert "eyJ" not in caplog.text and "the-access-token" not in caplog.text


# -- the happy paths (so the refusals below are meaningful) ------------------------------------


def test_login_succeeds(login):
    login.provider_answers()

    response = login.callback()

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    user = User.objects.get()
    assert (user.username, user.email) == (SUBJECT, "jane@example.com")


def test_normal_login_makes_no_key_set_request_when_cached(login, oidc_client, requests_mock):
    login.provider_answers()
    login.callback()
    User.objects.all().delete()

    second = Login(Client(), requests_mock, login.signing_key).start()
    requests_mock.reset_mock()
    second.provider_answers()
    second.callback()

    assert second.calls_to(JWKS_URI) == []
    assert User.objects.exists()


def test_keycloak_shaped_token_with_azp_and_at_hash(login):
    login.provider_answers(
        aud=[CLIENT_ID, "account"],
        azp=CLIENT_ID,
        typ="ID",
        at_hash=at_hash("the-access-token"),
        session_state="abc",
    )

    assert login.callback()["Location"] == "/admin/"


def test_azure_shaped_provider_with_issuer_from_discovery(
    provider, oidc_client, requests_mock, signing_key
):
    tenant = "4b1a0c4e-0000-0000-0000-1f2e3d4c5b6a"
    issuer = f"https://login.microsoftonline.com/{tenant}/v2.0"
    provider.oidc_op_issuer = ""
    provider.oidc_op_discovery_endpoint = issuer + "/"
    provider.save()
    requests_mock.get(
        f"{issuer}/.well-known/openid-configuration",
        json={
            "issuer": issuer,
            "authorization_endpoint": AUTHORIZATION_ENDPOINT,
            "token_endpoint": TOKEN_ENDPOINT,
            "jwks_uri": JWKS_URI,
        },
    )
    login = Login(Client(), requests_mock, signing_key).start()
    login.provider_answers(issuer=issuer, tid=tenant, ver="2.0", nbf=make_claims()["iat"])

    assert login.callback()["Location"] == "/admin/"


def test_login_with_the_client_secret(login, oidc_client):
    OIDCClient.objects.filter(pk=oidc_client.pk).update(oidc_rp_sign_algo="HS512")
    login.provider_answers(id_token=sign_hs(make_claims(nonce=login.nonce), "HS512"))

    assert login.callback()["Location"] == "/admin/"
    assert not login.calls_to(JWKS_URI)


def test_login_with_a_configured_sign_key(login, oidc_client):
    key = make_key("ES256", kid=None)
    OIDCClient.objects.filter(pk=oidc_client.pk).update(
        oidc_rp_sign_algo="ES256", oidc_rp_idp_sign_key=key.public_pem()
    )
    login.provider_answers(id_token=login.id_token(key=key))

    assert login.callback()["Location"] == "/admin/"
    assert not login.calls_to(JWKS_URI)


def test_signed_userinfo(login, signing_key):
    userinfo = signing_key.sign(
        {"sub": SUBJECT, "email": "jane@example.com", "iss": ISSUER, "aud": CLIENT_ID}
    )
    login.provider_answers(
        userinfo={"text": userinfo, "headers": {"Content-Type": "application/jwt"}}
    )

    assert login.callback()["Location"] == "/admin/"
    assert User.objects.get().email == "jane@example.com"


def test_pkce_s256(login, requests_mock):
    login.provider_answers()

    login.callback()

    params = login.authorization_params
    assert params["code_challenge_method"] == "S256"
    verifier = parse_qs(login.calls_to(TOKEN_ENDPOINT)[0].text)["code_verifier"][0]
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    assert params["code_challenge"] == expected.decode()


def test_authorization_response_with_the_right_iss(login):
    login.provider_answers()

    assert login.callback(iss=ISSUER)["Location"] == "/admin/"


def test_issuer_not_configured_still_logs_in_with_a_warning(provider, login, caplog):
    OIDCProvider.objects.filter(pk=provider.pk).update(oidc_op_issuer="")
    login.provider_answers(issuer="https://anything.example")

    assert login.callback()["Location"] == "/admin/"
    assert "is not checked" in caplog.text


def test_every_outbound_call_has_the_bounded_timeout(login, settings):
    settings.OIDCDB_HTTP_TIMEOUT = 4
    login.provider_answers()

    login.callback()

    assert {request.timeout for request in login.mock.request_history} == {4}


# -- the token endpoint ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "token, reason",
    [
        ({"status_code": 500, "text": "Internal Server Error"}, "token endpoint answered 500"),
        ({"status_code": 400, "json": {"error": "invalid_grant"}}, "error 'invalid_grant'"),
        ({"exc": requests.ConnectTimeout}, "did not answer in time"),
        ({"exc": requests.ConnectionError}, "ConnectionError"),
        ({"text": "<html>not json</html>"}, "did not answer with JSON"),
        ({"json": ["id_token"]}, "has no id_token"),
        ({"json": {"access_token": "a", "token_type": "Bearer"}}, "has no id_token"),
        ({"json": {"access_token": "a", "id_token": "garbage"}}, "not a well-formed JWS"),
    ],
    ids=[
        "500",
        "400-invalid-grant",
        "timeout",
        "unreachable",
        "not-json",
        "array",
        "no-id-token",
        "garbage-id-token",
    ],
)
def test_token_endpoint_failures(login, caplog, token, reason):
    login.provider_answers(token=token)

    assert_refused(login.callback(), caplog, reason)


def test_token_endpoint_error_body_is_not_logged(login, caplog):
    login.provider_answers(
        token={"status_code": 401, "text": "secret-diagnostics " + CLIENT_SECRET}
    )

    assert_refused(login.callback(), caplog, "token endpoint answered 401")
    assert CLIENT_SECRET not in caplog.text


# -- the ID token ----------------------------------------------------------------------------


def test_expired_id_token(login, caplog):
    now = make_claims()["iat"]
    login.provider_answers(iat=now - 900, exp=now - 600)

    assert_refused(login.callback(), caplog, "expired", "could not be verified")


def test_id_token_not_yet_valid(login, caplog):
    login.provider_answers(nbf=make_claims()["iat"] + 3600)

    assert_refused(login.callback(), caplog, "not valid yet")


def test_wrong_issuer(login, caplog):
    login.provider_answers(issuer="https://evil.example.com/realms/x")

    assert_refused(login.callback(), caplog, "issuer")


def test_wrong_audience(login, caplog):
    login.provider_answers(aud="another-client")

    assert_refused(login.callback(), caplog, "not meant for this client")


def test_several_audiences_without_azp(login, caplog):
    login.provider_answers(aud=[CLIENT_ID, "another-client"])

    assert_refused(login.callback(), caplog, "no authorized party")


@pytest.mark.parametrize("claim", ["exp", "iat", "sub"])
def test_missing_claim(login, caplog, claim):
    login.provider_answers(**{claim: None})

    assert_refused(login.callback(), caplog, f"lacks the required claim '{claim}'")


def test_malformed_claims(login, caplog):
    login.provider_answers(exp="tomorrow")

    assert_refused(login.callback(), caplog, "token is invalid")


def test_bad_signature(login, caplog):
    forged = login.id_token(key=make_key("RS256", kid="current", variant=1))
    login.provider_answers(id_token=forged)

    assert_refused(login.callback(), caplog, "signature is not valid")


def test_nonce_mismatch(login, caplog):
    login.provider_answers(id_token=login.signing_key.sign(make_claims(nonce="replayed")))

    assert_refused(login.callback(), caplog, "nonce does not match")


def test_alg_none(login, caplog):
    login.provider_answers(id_token=unsecured_token(make_claims(nonce=login.nonce)))

    assert_refused(login.callback(), caplog, "alg 'none'")
    assert not login.calls_to(JWKS_URI)


def test_algorithm_confusion(login, caplog):
    """An HS256 token for an RS256 client is refused before any key is looked up."""
    token = sign_hs(make_claims(nonce=login.nonce), "HS256", secret=CLIENT_SECRET)
    login.provider_answers(id_token=token)

    assert_refused(login.callback(), caplog, "expects 'RS256'")
    assert not login.calls_to(JWKS_URI)


def test_unknown_key_refetches_once_then_refuses(login, caplog, requests_mock):
    rogue = make_key("RS256", kid="rogue", variant=1)
    login.provider_answers(id_token=login.id_token(key=rogue))

    assert_refused(login.callback(), caplog, "No key of the provider's key set fits")
    assert len(login.calls_to(JWKS_URI)) == 1


def test_key_rotation_without_restart(login, requests_mock):
    login.provider_answers()
    login.callback()  # the key set with "current" is now cached
    User.objects.all().delete()

    rotated = make_key("RS256", kid="rotated", variant=1)
    second = Login(Client(), requests_mock, rotated).start()
    requests_mock.reset_mock()
    second.provider_answers(jwks={"json": {"keys": [rotated.jwk()]}})

    assert second.callback()["Location"] == "/admin/"
    assert len(second.calls_to(JWKS_URI)) == 1


def test_saving_the_provider_forgets_its_key_set(login, provider, requests_mock):
    login.provider_answers()
    login.callback()
    User.objects.all().delete()

    provider.save()  # an administrator saves the provider after a change at the OP
    second = Login(Client(), requests_mock, login.signing_key).start()
    requests_mock.reset_mock()
    second.provider_answers()

    assert second.callback()["Location"] == "/admin/"
    assert len(second.calls_to(JWKS_URI)) == 1


def test_kid_ignored_when_oidc_verify_kid_is_off(login, settings):
    settings.OIDC_VERIFY_KID = False
    login.provider_answers(
        id_token=login.signing_key.sign(
            make_claims(nonce=login.nonce), headers={"kid": "not-published"}
        )
    )

    assert login.callback()["Location"] == "/admin/"


@pytest.mark.parametrize(
    "jwks, reason",
    [
        ({"status_code": 503, "text": "down"}, "key set answered HTTP status 503"),
        ({"exc": requests.ReadTimeout}, "key set did not arrive in time"),
        ({"text": "nope"}, "key set is not JSON"),
    ],
    ids=["503", "timeout", "not-json"],
)
def test_key_set_down(login, caplog, jwks, reason):
    login.provider_answers(jwks=jwks)

    assert_refused(login.callback(), caplog, reason, "could not be reached")


# -- userinfo --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "userinfo, reason",
    [
        (
            {"status_code": 401, "json": {"error": "invalid_token"}},
            "userinfo endpoint answered 401",
        ),
        ({"exc": requests.ReadTimeout}, "did not answer in time"),
        ({"text": "<html/>"}, "did not answer with JSON"),
        ({"json": [SUBJECT]}, "not answer with a JSON object"),
        ({"json": {"sub": "someone-else", "email": "mallory@example.com"}}, "another subject"),
        ({"json": {"email": "jane@example.com"}}, "another subject"),
        (
            {
                "text": make_key("RS256", kid="current", variant=1).sign({"sub": SUBJECT}),
                "headers": {"Content-Type": "application/jwt"},
            },
            "signature is not valid",
        ),
        (
            {
                "text": unsecured_token({"sub": SUBJECT}),
                "headers": {"Content-Type": "application/jwt"},
            },
            "alg 'none'",
        ),
    ],
    ids=[
        "401",
        "timeout",
        "not-json",
        "array",
        "sub-mismatch",
        "no-sub",
        "signed-bad-signature",
        "signed-alg-none",
    ],
)
def test_userinfo_failures(login, caplog, userinfo, reason):
    login.provider_answers(userinfo=userinfo)

    assert_refused(login.callback(), caplog, reason)


def test_existing_user_is_not_changed(login, caplog):
    User.objects.create_user(username=SUBJECT, email="old@example.com")
    login.provider_answers(userinfo={"json": {"sub": "someone-else", "email": "new@example.com"}})

    response = login.callback()

    assert response["Location"] == FAILURE_URL
    assert User.objects.get().email == "old@example.com"
    assert "another subject" in caplog.text


# -- RFC 9207: the issuer of the authorization response ------------------------------------


def test_authorization_response_from_another_issuer(login, caplog):
    login.provider_answers()

    response = login.callback(iss="https://evil.example.com/realms/x")

    assert_refused(response, caplog, "another issuer (RFC 9207)")
    assert not login.calls_to(TOKEN_ENDPOINT)


# -- hooks overridden by a subclass keep working -----------------------------------------------


class CannedBackend(OIDCAuthenticationBackend):
    """A test backend that talks to no provider: the claims are made up."""

    def get_token(self, payload):
        return {"id_token": "not-even-a-jwt", "access_token": "canned"}

    def verify_token(self, token, **kwargs):
        return {"sub": SUBJECT, "email": "canned@example.com"}

    def get_userinfo(self, access_token, id_token, payload):
        return payload


def test_subclass_with_canned_claims(login, settings, requests_mock):
    settings.AUTHENTICATION_BACKENDS = [f"{__name__}.CannedBackend"]

    assert login.callback()["Location"] == "/admin/"
    assert User.objects.get().email == "canned@example.com"
    assert not [r for r in requests_mock.request_history if r.method == "POST"]


# -- other outbound calls --------------------------------------------------------------------


def test_availability_probe_times_out_quickly(oidc_client, requests_mock, settings):
    settings.OIDCDB_HTTP_TIMEOUT = 1.5
    OIDCClient.objects.filter(pk=oidc_client.pk).update(check_op_availability=True)
    requests_mock.get(AUTHORIZATION_ENDPOINT, exc=requests.ConnectTimeout)

    response = Client().get("/oidc/authenticate/?next=/admin/")

    # the outage ends on the failure page, not in a 500
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/failure/"
    assert requests_mock.last_request.timeout == 1.5


def test_op_logout_timeout_is_only_logged(oidc_client, requests_mock, caplog):
    requests_mock.post(LOGOUT_ENDPOINT, exc=requests.ReadTimeout)

    do_op_logout(oidc_client, "an-id-token")

    assert requests_mock.last_request.timeout is not None
    assert "ReadTimeout" in caplog.text


# -- the system check for a missing issuer ------------------------------------------------------


@pytest.mark.django_db
def test_check_w003(provider, oidc_client):
    assert not run_checks(tags=["database"], databases=["default"])

    OIDCProvider.objects.filter(pk=provider.pk).update(oidc_op_issuer="")
    client = OIDCClient.objects.get(pk=oidc_client.pk)

    assert run_checks(tags=["database"], databases=["default"]) == [
        Warning(
            "The OIDC client 'admin-oidc' is enabled, but the issuer of its ID tokens is not "
            "checked: its provider has neither an issuer nor a discovery endpoint.",
            hint=ISSUER_HINT,
            obj=client,
            id="mozilla_django_oidc_db.W003",
        )
    ]
    OIDCProvider.objects.filter(pk=provider.pk).update(
        oidc_op_discovery_endpoint="https://kc.example.com/realms/x/"
    )
    assert not run_checks(tags=["database"], databases=["default"])


def test_check_w003_without_database_access():
    """No database (or no table yet): no message, no crash."""
    assert run_checks(tags=["database"], databases=["default"]) == []
    assert run_checks(tags=["database"]) == []


@pytest.fixture
def provider_advertising_iss(provider, requests_mock):
    """The provider found through discovery, which says it sends ``iss`` (RFC 9207 §3)."""
    provider.oidc_op_discovery_endpoint = ISSUER + "/"
    provider.save()
    requests_mock.get(
        f"{ISSUER}/.well-known/openid-configuration",
        json={
            "issuer": ISSUER,
            "authorization_endpoint": AUTHORIZATION_ENDPOINT,
            "token_endpoint": TOKEN_ENDPOINT,
            "jwks_uri": JWKS_URI,
            "authorization_response_iss_parameter_supported": True,
        },
    )
    return provider


def test_missing_iss_from_a_provider_that_sends_it_is_refused(
    provider_advertising_iss, login, caplog
):
    login.provider_answers()

    response = login.callback()

    assert_refused(response, caplog, "has no 'iss', although the provider says it sends one")
    assert not login.calls_to(TOKEN_ENDPOINT)


def test_iss_from_a_provider_that_sends_it_is_accepted(provider_advertising_iss, login):
    login.provider_answers()

    assert login.callback(iss=ISSUER)["Location"] == "/admin/"

"""What a login keeps in the session is written only when the login succeeds."""

from django.contrib.auth import get_user_model

import pytest

from mozilla_django_oidc_db.session import (
    ACCESS_TOKEN_SESSION_KEY,
    ID_TOKEN_SESSION_KEY,
    ISSUER_SESSION_KEY,
    SUBJECT_SESSION_KEY,
)
from tests.mock_op import ISSUER, answer_at_the_op, start_login


@pytest.fixture
def store_tokens(settings):
    settings.OIDC_STORE_ID_TOKEN = True
    settings.OIDC_STORE_ACCESS_TOKEN = True


@pytest.mark.django_db
def test_tokens_and_subject_are_kept_after_a_successful_login(
    client, admin_client_config, requests_mock, store_tokens
):
    params = start_login(client)
    answer_at_the_op(requests_mock, params["nonce"], email="b@example.com")

    response = client.get("/oidc/callback/", {"code": "c0de", "state": params["state"]})

    assert response["Location"] == "/admin/"
    session = client.session
    assert session[ACCESS_TOKEN_SESSION_KEY] == "at"
    assert session[ID_TOKEN_SESSION_KEY].count(".") == 2
    assert session[SUBJECT_SESSION_KEY] == "budget-user"
    assert session[ISSUER_SESSION_KEY] == ISSUER


@pytest.mark.django_db
def test_a_refused_login_leaves_no_tokens(client, admin_client_config, requests_mock, store_tokens):
    params = start_login(client)
    # a userinfo answer about another subject: the login is refused
    answer_at_the_op(requests_mock, params["nonce"])
    requests_mock.get(f"{ISSUER}/userinfo", json={"sub": "someone-else"})

    response = client.get("/oidc/callback/", {"code": "c0de", "state": params["state"]})

    assert response["Location"] == "/admin/login/failure/"
    session = client.session
    assert ACCESS_TOKEN_SESSION_KEY not in session
    assert ID_TOKEN_SESSION_KEY not in session
    assert SUBJECT_SESSION_KEY not in session
    assert not get_user_model().objects.filter(username="budget-user").exists()


@pytest.mark.django_db
def test_tokens_survive_the_flush_when_another_user_was_logged_in(
    client, admin_client_config, requests_mock, store_tokens
):
    other = get_user_model().objects.create_user("someone-else", is_staff=True)
    client.force_login(other)
    params = start_login(client)
    answer_at_the_op(requests_mock, params["nonce"], email="b@example.com")

    client.get("/oidc/callback/", {"code": "c0de", "state": params["state"]})

    session = client.session
    assert session["_auth_user_id"] == str(get_user_model().objects.get(username="budget-user").pk)
    assert session[ACCESS_TOKEN_SESSION_KEY] == "at"
    assert session[SUBJECT_SESSION_KEY] == "budget-user"

"""The client change page in a real browser: django-jsonform's editors submit the data.

The test-client tests in ``test_admin.py`` post what the editor *would* send; this one
lets the editor's script build the submission (it sends ``null`` for inputs nobody
touched, for example). Browser set-up is shared with ``test_browser.py``.
"""

import pytest

from mozilla_django_oidc_db.models import OIDCClient, OIDCProvider

from .test_browser import chromium, expect, page  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser]


@pytest.fixture
def admin_oidc(transactional_db):
    provider = OIDCProvider.objects.create(
        identifier="test-op",
        oidc_op_authorization_endpoint="https://op.example.com/auth",
        oidc_op_token_endpoint="https://op.example.com/token",
        oidc_op_user_endpoint="https://op.example.com/userinfo",
        oidc_op_jwks_endpoint="https://op.example.com/jwks",
    )
    # transactional tests empty the tables afterwards, the post-migrate row included
    client, _ = OIDCClient.objects.get_or_create(identifier="admin-oidc")
    client.oidc_provider = provider
    client.oidc_rp_client_id = "the-client"
    client.oidc_rp_client_secret = "the-stored-secret"
    client.options = {"user_settings": {"claim_mappings": {"username": ["sub"]}}}
    client.save()
    return client


@pytest.fixture
def signed_in(page, live_server, django_user_model):  # noqa: F811 - the fixture
    django_user_model.objects.create_superuser("admin", "admin@example.com", "pw")
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "pw")
    page.click("#login-form input[type=submit]")
    expect(page.locator("#user-tools")).to_be_visible()
    return page


def test_save_through_the_editors(signed_in, live_server, admin_oidc):
    tab = signed_in
    tab.goto(f"{live_server.url}/admin/mozilla_django_oidc_db/oidcclient/{admin_oidc.pk}/change/")
    secret = tab.locator("input[name=oidc_rp_client_secret]")
    expect(secret).to_have_attribute("type", "password")
    expect(secret).to_have_value("")
    # add a scope with the list editor
    tab.click(".field-oidc_rp_scopes_list .rjf-add-button")
    tab.locator(".field-oidc_rp_scopes_list input[type=text]").last.fill("roles")

    tab.click("input[name=_save]")

    expect(tab.locator(".messagelist .success")).to_be_visible()
    admin_oidc.refresh_from_db()
    assert admin_oidc.oidc_rp_scopes_list == ["openid", "email", "profile", "roles"]
    assert admin_oidc.oidc_rp_client_secret == "the-stored-secret"
    assert admin_oidc.options["user_settings"]["claim_mappings"]["username"] == ["sub"]
    # untouched checkboxes are left out, not stored as null
    assert "username_case_sensitive" not in admin_oidc.options["user_settings"]


def test_an_empty_username_claim_is_refused(signed_in, live_server, admin_oidc):
    tab = signed_in
    tab.goto(f"{live_server.url}/admin/mozilla_django_oidc_db/oidcclient/{admin_oidc.pk}/change/")
    tab.locator(".field-options input[type=text]").first.fill("")

    tab.click("input[name=_save]")

    expect(tab.locator(".field-options .errorlist")).to_contain_text(
        "user_settings.claim_mappings.username: the username claim path must be a non-empty list"
    )
    admin_oidc.refresh_from_db()
    assert admin_oidc.options["user_settings"]["claim_mappings"]["username"] == ["sub"]

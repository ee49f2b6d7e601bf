"""The client change page in a real browser: django-jsonform's editors submit the data.

The test-client tests in ``test_admin.py`` post what the editor *would* send; this one
lets the editor's script build the submission (it sends ``null`` for inputs nobody
touched, for example). Browser set-up is shared with ``test_browser.py``.
"""

import pytest

from .test_browser import chromium, expect, page  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser]


@pytest.fixture
def signed_in(page, live_server, django_user_model):  # noqa: F811 - the fixture
    django_user_model.objects.create_superuser("admin", "admin@example.com", "pw")
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "pw")
    page.click("#login-form input[type=submit]")
    expect(page.locator("#user-tools")).to_be_visible()
    return page


def test_save_through_the_editors(signed_in, live_server, manual_admin_client):
    manual_admin_client.options = {"user_settings": {"claim_mappings": {"username": ["sub"]}}}
    manual_admin_client.save()
    tab = signed_in
    tab.goto(
        f"{live_server.url}/admin/mozilla_django_oidc_db/oidcclient/{manual_admin_client.pk}/change/"
    )
    secret = tab.locator("input[name=oidc_rp_client_secret]")
    expect(secret).to_have_attribute("type", "password")
    expect(secret).to_have_value("")
    # add a scope with the list editor
    tab.click(".field-oidc_rp_scopes_list .rjf-add-button")
    tab.locator(".field-oidc_rp_scopes_list input[type=text]").last.fill("roles")

    tab.click("input[name=_save]")

    expect(tab.locator(".messagelist .success")).to_be_visible()
    manual_admin_client.refresh_from_db()
    assert manual_admin_client.oidc_rp_scopes_list == ["openid", "email", "roles"]
    assert manual_admin_client.oidc_rp_client_secret == "the-stored-secret"
    assert manual_admin_client.options["user_settings"]["claim_mappings"]["username"] == ["sub"]
    # untouched checkboxes are left out, not stored as null
    assert "username_case_sensitive" not in manual_admin_client.options["user_settings"]


def test_an_empty_username_claim_is_refused(signed_in, live_server, manual_admin_client):
    tab = signed_in
    tab.goto(
        f"{live_server.url}/admin/mozilla_django_oidc_db/oidcclient/{manual_admin_client.pk}/change/"
    )
    tab.locator(".field-options input[type=text]").first.fill("")

    tab.click("input[name=_save]")

    expect(tab.locator(".field-options .errorlist")).to_contain_text(
        "user_settings.claim_mappings.username: the username claim path must be a non-empty list"
    )
    manual_admin_client.refresh_from_db()
    assert manual_admin_client.options["user_settings"]["claim_mappings"]["username"] == ["sub"]

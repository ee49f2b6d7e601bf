"""The admin's OIDC login and logout in a real browser: headless chromium via Playwright.

The site is pytest-django's live server, the identity provider the real OP of
``tests/op`` (see ``op_fixtures.py``); the browser fills the OP's own login and consent
forms. Chromium is Debian's (``/usr/bin/chromium``, or ``CHROMIUM_PATH``); Playwright
never downloads one. Without chromium the tests are skipped, except with ``CI=true``,
where they fail. A failing test leaves a screenshot in ``test-artifacts/``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth import get_user_model

import pytest

from .op_fixtures import ADMIN_CLIENT_ID

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

User = get_user_model()

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
TIMEOUT_MS = 15_000

FAILURE_HEADING = "Something went wrong while logging in with your organization account."


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true, so the browser tests must run", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium():
    """Debian's chromium, headless, for the tests of this module."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        _unavailable("Python's playwright is not installed (pip install -e '.[tests]')")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(
            f"chromium not found at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)"
        )

    # Playwright's sync API runs an event loop in this thread, and Django refuses ORM
    # calls while one runs. The tests are synchronous code all the same: allow them,
    # for the tests of this module only.
    with pytest.MonkeyPatch.context() as env, sync_playwright() as playwright:
        env.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        try:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000
            )
        except Error as exc:
            _unavailable(f"chromium at {CHROMIUM} did not start: {exc.message.splitlines()[0]}")
        yield browser
        browser.close()


def _loopback_only(route):
    # the OP's logout page asks for a web font: nothing leaves the machine
    if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
        route.continue_()
    else:
        route.abort()


@pytest.fixture
def page(chromium, request):
    """A fresh browser profile (no cookies at the site or the OP) and one tab."""
    context = chromium.new_context(locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    context.route("**/*", _loopback_only)
    tab = context.new_page()
    yield tab
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        tab.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
    context.close()


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


# -- what a person does ------------------------------------------------------------------

OIDC_BUTTON = "#oidc-login-link"


def open_admin_login(page, live_server):
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    expect(page.locator("#login-form")).to_be_visible()


def sign_in_at_op(page, username: str, password: str, *, consent: bool = True) -> None:
    """Fill the OP's login form, then answer its consent form (Continue or Cancel)."""
    expect(page.locator("#login-form")).to_be_visible()
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", password)
    page.click("#login-form button[type=submit]")
    consent_form = page.locator("#consent-form")
    expect(consent_form.or_(page.locator("#user-tools"))).to_be_visible()
    if consent_form.is_visible():
        page.click("#consent-form button" if consent else "#cancel-form button")


def log_in_with_oidc(page, live_server, username: str, password: str) -> None:
    open_admin_login(page, live_server)
    page.click(OIDC_BUTTON)
    sign_in_at_op(page, username, password)
    expect(page.locator("#user-tools")).to_be_visible()


def click_log_out(page) -> None:
    page.click("#logout-form button")


def group_names(user) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True))


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


# -- tests --------------------------------------------------------------------------------


def test_login_button_shows_only_when_the_client_is_enabled(page, live_server, admin_oidc_client):
    open_admin_login(page, live_server)
    expect(page.locator(OIDC_BUTTON)).to_be_visible()
    expect(page.locator(OIDC_BUTTON)).to_have_text("Log in with your organization account")

    admin_oidc_client.enabled = False
    admin_oidc_client.save()
    open_admin_login(page, live_server)

    expect(page.locator(OIDC_BUTTON)).to_have_count(0)
    # the username/password form is still there
    expect(page.locator("#id_username")).to_be_visible()


def test_superuser_signs_in_at_the_provider_and_lands_in_the_admin(
    page, live_server, op, admin_oidc_client
):
    open_admin_login(page, live_server)
    page.click(OIDC_BUTTON)
    sign_in_at_op(page, "alice", "alice-password")

    expect(page.locator("#user-tools")).to_contain_text("Alice")
    expect(page.locator("#site-name")).to_be_visible()
    assert urlsplit(page.url).path == "/admin/"
    user = User.objects.get(username="alice")
    assert (user.email, user.first_name, user.last_name) == ("alice@example.com", "Alice", "Adams")
    assert user.is_staff and user.is_superuser
    assert group_names(user) == ["editors", "superuser"]

    # what the admin shows: the groups exist, and alice is in both
    page.goto(f"{live_server.url}/admin/auth/group/")
    expect(page.locator("#result_list")).to_contain_text("editors")
    expect(page.locator("#result_list")).to_contain_text("superuser")
    page.goto(f"{live_server.url}/admin/auth/user/{user.pk}/change/")
    chosen = page.locator("#id_groups_to option")
    expect(chosen).to_have_text(["editors", "superuser"])


def test_staff_member_without_superuser_group_gets_no_admin_permissions(
    page, live_server, op, admin_oidc_client
):
    log_in_with_oidc(page, live_server, "bob", "bob-password")

    expect(page.locator("#content")).to_contain_text("permission to view or edit anything")
    user = User.objects.get(username="bob")
    assert user.is_staff and not user.is_superuser
    assert group_names(user) == ["editors"]


def test_refusing_consent_shows_the_failure_page(page, live_server, op, admin_oidc_client):
    open_admin_login(page, live_server)
    page.click(OIDC_BUTTON)
    sign_in_at_op(page, "alice", "alice-password", consent=False)

    expect(page.locator(".errornote")).to_have_text(FAILURE_HEADING)
    expect(page.locator("#content-main code")).to_have_text(
        "The login was cancelled or refused at the identity provider."
    )
    assert urlsplit(page.url).path == "/admin/login/failure/"
    expect(page.get_by_role("link", name="Back to login")).to_be_visible()
    assert not User.objects.filter(username="alice").exists()


def test_client_disabled_after_the_page_loaded_shows_the_failure_page(
    page, live_server, op, admin_oidc_client
):
    open_admin_login(page, live_server)
    admin_oidc_client.enabled = False
    admin_oidc_client.save()

    page.click(OIDC_BUTTON)

    expect(page.locator(".errornote")).to_have_text(FAILURE_HEADING)
    expect(page.locator("#content-main code")).to_have_text(
        "Login with this identity provider is currently disabled."
    )
    assert op.requests_to("/auth") == []  # the browser never went to the OP


def test_logout_ends_the_session_at_the_provider_too(page, live_server, op, admin_oidc_client):
    log_in_with_oidc(page, live_server, "alice", "alice-password")

    click_log_out(page)
    # the OP asks for confirmation (its default page: no id_token_hint shortcut)
    page.get_by_role("button", name="Yes, sign me out").click()
    expect(page.locator("#login-form")).to_be_visible()
    assert urlsplit(page.url).path == "/admin/login/"

    (end_session,) = [r for r in op.requests_to("/session/end") if r["method"] == "GET"]
    params = end_session["query"]
    assert params["client_id"] == ADMIN_CLIENT_ID
    assert params["post_logout_redirect_uri"] == f"{live_server.url}/admin/"
    assert params["id_token_hint"].count(".") == 2
    assert params["state"]

    # a new login asks for the password again: the OP's session is gone
    page.click(OIDC_BUTTON)
    expect(page.locator("#login-form input[name=password]")).to_be_visible()


def test_without_an_end_session_endpoint_logout_is_local_only(
    page, live_server, op, admin_oidc_client
):
    provider = admin_oidc_client.oidc_provider
    provider.oidc_op_logout_endpoint = ""
    provider.save()
    log_in_with_oidc(page, live_server, "alice", "alice-password")

    click_log_out(page)

    # the admin's own logout: LOGOUT_REDIRECT_URL (/admin/) sends to the login page
    expect(page.locator("#login-form")).to_be_visible()
    assert urlsplit(page.url).path == "/admin/login/"
    assert op.requests_to("/session/end") == []
    # the OP still knows alice: the next login goes through without her password
    open_admin_login(page, live_server)
    page.click(OIDC_BUTTON)
    expect(page.locator("#user-tools")).to_be_visible()

"""Sign in at an OpenID Provider's login page the way a browser would, for tests.

Needs ``pyquery`` and ``requests`` (``pip install mozilla-django-oidc-db[tests]``).

Both helpers take the authorization URL the login view redirected to, fill in the
provider's login form, and return the URL the provider sends the browser back to (the
callback with ``code`` and ``state``), without following it, so that the Django test
client can request it::

    response = self.client.get(reverse("oidc_authentication_init"))
    callback_url = keycloak_login(response["Location"])
    self.client.get(callback_url)
"""

from __future__ import annotations

from urllib.parse import urljoin

try:
    import requests
    from pyquery import PyQuery
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "mozilla_django_oidc_db.tests.utils needs pyquery and requests: install "
        "mozilla-django-oidc-db[tests] (or `pip install pyquery requests`)."
    ) from exc

__all__ = ["keycloak_login", "op_login"]

TIMEOUT = 10  # seconds


def keycloak_login(
    login_url: str,
    username: str = "testuser",
    password: str = "testuser",
    host: str = "http://testserver/",
    session: requests.Session | None = None,
) -> str:
    """Sign in at a Keycloak login page (``form#kc-form-login``); return the redirect back.

    ``session`` is used (and left open) when given, otherwise a new one is used and
    closed. ``host`` is where the redirect must point to: the RP under test.
    """
    own_session = session is None
    session = session or requests.Session()
    try:
        page = session.get(login_url, timeout=TIMEOUT)
        assert page.status_code == 200, f"The login page answered {page.status_code}"
        action = PyQuery(page.text)("form#kc-form-login").attr("action")
        assert isinstance(action, str), "No Keycloak login form (form#kc-form-login) on the page"
        response = session.post(
            action,
            data={
                "username": username,
                "password": password,
                "credentialId": "",
                "login": "Sign In",
            },
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        assert response.status_code == 302, f"The login answered {response.status_code}"
        redirect_uri = response.headers["Location"]
        assert redirect_uri.startswith(host), f"Redirected to {redirect_uri}, not to {host}"
        return redirect_uri
    finally:
        if own_session:
            session.close()


def op_login(
    login_url: str,
    username: str,
    password: str,
    host: str = "http://testserver/",
    session: requests.Session | None = None,
    *,
    max_steps: int = 10,
) -> str:
    """Sign in at the test OpenID Provider of this project (``tests/op/server.js``).

    That provider (npm ``oidc-provider`` with plain pages) shows a login form
    (``form#login-form``, fields ``login`` and ``password``) and then a consent form
    (``form#consent-form``). This follows the provider's redirects, fills both forms and
    returns the first redirect that points to ``host``. Within a ``session`` that is
    already signed in at the provider, no form is shown at all.
    """
    own_session = session is None
    session = session or requests.Session()
    try:
        method, url, data = "GET", login_url, None
        signed_in = False
        for _ in range(max_steps):
            response = session.request(
                method, url, data=data, allow_redirects=False, timeout=TIMEOUT
            )
            if response.is_redirect:
                location = urljoin(response.url, response.headers["Location"])
                if location.startswith(host):
                    return location
                method, url, data = "GET", location, None
                continue
            assert response.status_code == 200, (
                f"The provider answered {response.status_code} at {url}:\n{response.text}"
            )
            page = PyQuery(response.text)
            if page("form#login-form"):
                assert not signed_in, f"The provider refused the login of {username!r}"
                signed_in = True
                form = page("form#login-form")
                data = {"login": username, "password": password}
            elif page("form#consent-form"):
                form = page("form#consent-form")
                data = {}
            else:
                raise AssertionError(f"Unexpected page at {url}:\n{response.text}")
            method, url = "POST", urljoin(response.url, form.attr("action"))
        raise AssertionError(f"No redirect to {host} after {max_steps} steps (last: {url})")
    finally:
        if own_session:
            session.close()

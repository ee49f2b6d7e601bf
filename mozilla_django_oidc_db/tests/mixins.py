"""Test case helpers: a clean OIDC configuration and predictable state, nonce and PKCE.

``mock_random_state_and_nonce`` makes the login start with the same ``state``, ``nonce``
and PKCE code verifier every time (``"not-a-random-string"``), so that recorded provider
responses (VCR cassettes, mocked token endpoints) can be replayed. Providers that
enforce RFC 7636's minimum verifier length (43 characters) refuse that verifier: turn
PKCE off for the provider (``oidc_use_pkce=False``) when testing against such a provider.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from unittest.mock import patch

from .._protocol.state import forget_state
from ..models import OIDCClient, OIDCProvider

__all__ = ["OIDCMixin", "mock_random_state_and_nonce", "NOT_A_RANDOM_STRING"]

NOT_A_RANDOM_STRING = "not-a-random-string"


@contextmanager
def mock_random_state_and_nonce() -> Iterator[None]:
    """Within the block, the login init view draws ``"not-a-random-string"`` for the state,
    the nonce and the PKCE code verifier (``mozilla_django_oidc.views.get_random_string``).

    The session refresh middleware is not affected.
    """
    forget_state(NOT_A_RANDOM_STRING)
    try:
        with patch("mozilla_django_oidc.views.get_random_string", return_value=NOT_A_RANDOM_STRING):
            yield
    finally:
        forget_state(NOT_A_RANDOM_STRING)


class OIDCMixin:
    """For ``django.test.TestCase`` classes that configure OIDC themselves.

    * ``setUpTestData`` deletes every OIDC client and provider (so factories create
      fresh rows instead of returning the ones the post-migrate hook made);
    * every test runs inside :func:`mock_random_state_and_nonce`.

    Put it before ``TestCase`` in the bases: ``class MyTests(OIDCMixin, TestCase)``.
    """

    @classmethod
    def setUpTestData(cls):
        OIDCClient.objects.all().delete()
        OIDCProvider.objects.all().delete()
        super().setUpTestData()

    def setUp(self):
        super().setUp()
        mock = mock_random_state_and_nonce()
        mock.__enter__()
        self.addCleanup(mock.__exit__, None, None, None)

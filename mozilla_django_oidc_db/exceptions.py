"""Exceptions raised by the package.

Configuration lookups that fail because of what the browser sent are ``BadRequest``;
problems with what the identity provider sent are ``SuspiciousOperation`` subclasses, so
that Django answers 400 when one escapes, and the callback views turn them into a
failure page.
"""

from django.core.exceptions import SuspiciousOperation
from django.utils.translation import gettext_lazy as _

from .typing import ClaimPath


class OIDCProviderOutage(Exception):
    """The identity provider could not be reached before redirecting the user."""


class MissingIdentifierClaim(Exception):
    def __init__(self, claim_bits: ClaimPath, *args, **kwargs):
        self.claim_bits = claim_bits
        super().__init__(*args, **kwargs)


class MissingInitialisation(Exception):
    """A backend setting was read before ``authenticate()`` loaded a client."""


class OIDCLoginFailed(SuspiciousOperation):
    """A login attempt is refused; ``user_message`` is safe to show to the person.

    ``args[0]`` is the reason for the log: it never holds secrets or unmasked claims.
    """

    user_message = _("The login could not be completed.")

    def __init__(self, reason: str, user_message=None):
        super().__init__(reason)
        if user_message is not None:
            self.user_message = user_message


class TokenValidationError(OIDCLoginFailed):
    """The ID token, the userinfo response or a key failed validation."""

    user_message = _("The identity provider's answer could not be verified.")


class ProviderError(OIDCLoginFailed):
    """The identity provider could not be reached or answered with an error."""

    user_message = _("The identity provider could not be reached or returned an error.")

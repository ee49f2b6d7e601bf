"""Why a login failed: one reason for the log, one message for the person.

The backend and the views note a failure on the request when they refuse a login;
the callback views turn exceptions of a login into such a note, and show the message
on the failure page.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation, ValidationError
from django.db import DatabaseError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

import jwt
import requests

from .exceptions import OIDCLoginFailed

GENERIC_FAILURE_MESSAGE = _("The login could not be completed. Please try again.")


def get_exception_message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return exc.messages[0]
    if exc.args:
        return str(exc.args[0])
    return type(exc).__name__


# -- recording why a login failed ------------------------------------------------------


def note_login_failure(request: HttpRequest, reason: str, user_message=None) -> None:
    """Remember why this request's login failed, for the log and for the person."""
    request._oidcdb_failure = (reason, user_message or GENERIC_FAILURE_MESSAGE)


def failure_of(request: HttpRequest) -> tuple[str, Any]:
    return getattr(request, "_oidcdb_failure", None) or (
        "login refused",
        GENERIC_FAILURE_MESSAGE,
    )


def describe(exc: BaseException) -> tuple[str, Any]:
    """(reason for the log, message for the person) for an exception of a login."""
    if isinstance(exc, OIDCLoginFailed):
        return get_exception_message(exc), exc.user_message
    if isinstance(exc, requests.Timeout):
        return "the identity provider did not answer in time", _(
            "The identity provider did not answer in time. Please try again later."
        )
    if isinstance(exc, requests.RequestException):
        return f"call to the identity provider failed ({type(exc).__name__})", _(
            "The identity provider could not be reached or returned an error."
        )
    if isinstance(exc, (jwt.PyJWTError, SuspiciousOperation)):
        return f"token rejected: {get_exception_message(exc)}", _(
            "The identity provider's answer could not be verified."
        )
    if isinstance(exc, ImproperlyConfigured):
        return f"configuration error: {exc}", _(
            "Login with this identity provider is not configured correctly."
        )
    if isinstance(exc, (DatabaseError, ValidationError)):
        # the database text may hold other people's data: log it, never show it
        return f"{type(exc).__name__}: {get_exception_message(exc)}", _(
            "Your account could not be saved. Please contact your administrator."
        )
    return f"{type(exc).__name__}: {get_exception_message(exc)}", GENERIC_FAILURE_MESSAGE


#: Exceptions a callback turns into a failure page (anything else is a bug: a 500).
HANDLED_CALLBACK_ERRORS = (
    SuspiciousOperation,
    requests.RequestException,
    jwt.PyJWTError,
    ImproperlyConfigured,
    DatabaseError,
    ValidationError,
    ValueError,
    KeyError,
    TypeError,
)

"""What a login keeps in the session, written only once the login has succeeded.

Upstream stores the tokens while the backend still decides about the user, so a
refused login could leave the tokens of a refused person in an anonymous session, and
``auth.login`` flushing a session that held another user lost them. The backend queues
its writes on the request instead; the callback view applies them after the login.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

#: upstream's session keys for the tokens (``OIDC_STORE_*_TOKEN``); the ID token is also
#: sent back to the provider at logout as ``id_token_hint``
ACCESS_TOKEN_SESSION_KEY = "oidc_access_token"
ID_TOKEN_SESSION_KEY = "oidc_id_token"

#: who the provider says the user is, and the provider's session: what back-channel
#: logout (OpenID Connect Back-Channel Logout 1.0) names in its logout token
SUBJECT_SESSION_KEY = "oidcdb_sub"
PROVIDER_SESSION_ID_SESSION_KEY = "oidcdb_sid"
ISSUER_SESSION_KEY = "oidcdb_iss"


def queue_session_writes(request: HttpRequest, values: dict[str, Any]) -> None:
    """Write ``values`` to the session if, and once, the login of ``request`` succeeds."""
    pending = getattr(request, "_oidcdb_session_writes", None)
    if pending is None:
        pending = request._oidcdb_session_writes = {}
    pending.update(values)


def apply_session_writes(request: HttpRequest) -> None:
    pending = getattr(request, "_oidcdb_session_writes", None)
    if pending:
        request.session.update(pending)
        pending.clear()

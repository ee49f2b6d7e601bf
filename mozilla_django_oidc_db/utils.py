from __future__ import annotations

import fnmatch
import logging
from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

import requests

from ._protocol.http import provider_session
from .claims import obfuscate_claim_value, obfuscate_claims
from .models import OIDCClient
from .registry import register as registry

__all__ = [
    "obfuscate_claim_value",
    "obfuscate_claims",
    "do_op_logout",
    "get_groups_by_name",
    "get_registry_identifiers",
]

logger = logging.getLogger(__name__)


def do_op_logout(config: OIDCClient, id_token: str) -> None:
    """Tell the provider, server to server, that the session of ``id_token`` ended.

    Best effort: failures are logged, never raised.
    """
    provider = config.oidc_provider
    if provider is None or not provider.oidc_op_logout_endpoint:
        return
    try:
        response = provider_session().post(
            provider.oidc_op_logout_endpoint,
            data={"id_token_hint": id_token, "client_id": config.oidc_rp_client_id},
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        logger.warning("Could not reach the OIDC provider to log out: %s", type(exc).__name__)
        return
    if not response.ok:
        logger.warning(
            "Failed to log out the user at the OpenID Provider. Status code: %s",
            response.status_code,
            extra={"response": response, "status_code": response.status_code},
        )


def get_groups_by_name(
    group_names: Iterable[str], sync_groups_glob: str, sync_missing_groups: bool
) -> set[Group]:
    """The groups with these names; missing ones matching the glob are created if asked."""
    names = set(group_names)
    existing = set(Group.objects.filter(name__in=names))
    if not sync_missing_groups:
        return existing
    to_create = fnmatch.filter(names - {group.name for group in existing}, sync_groups_glob)
    if not to_create:
        return existing
    # Two first logins at once may create the same group: ignore the conflict and read
    # back what is there.
    try:
        with transaction.atomic():
            Group.objects.bulk_create(
                [Group(name=name) for name in to_create], ignore_conflicts=True
            )
    except IntegrityError:  # pragma: no cover - databases without ON CONFLICT support
        pass
    return existing | set(Group.objects.filter(name__in=to_create))


def get_registry_identifiers() -> list[str]:
    return [identifier for identifier, _plugin in registry.items()]

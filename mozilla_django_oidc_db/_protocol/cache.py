"""The shared cache of discovery documents and key sets, where a failure is a miss.

Everything lives in Django's cache ``OIDCDB_CACHE`` so that all processes agree. The
cache only saves requests to the provider: when it is down, reads miss, writes are
dropped and a login costs a few more requests, but it still works.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from typing import Any

from django.core.cache import caches

from ..app_settings import oidcdb_settings

logger = logging.getLogger(__name__)


def shared_cache():
    return caches[oidcdb_settings.OIDCDB_CACHE]


def cache_key(namespace: str, url: str) -> str:
    """A key for ``url`` in ``namespace`` (hashed: URLs can be longer than keys may be)."""
    return f"oidcdb:{namespace}:{hashlib.sha256(url.encode()).hexdigest()}"


def get(key: str) -> Any:
    try:
        return shared_cache().get(key)
    except Exception:
        logger.warning("Could not read the OIDC cache", exc_info=True)
        return None


def set(key: str, value: Any, timeout: float) -> None:  # noqa: A001 - the cache verb
    try:
        shared_cache().set(key, value, timeout=timeout)
    except Exception:
        logger.warning("Could not write the OIDC cache", exc_info=True)


def add(key: str, value: Any, timeout: float) -> bool:
    """``cache.add``: ``True`` for the one caller that stored it (also when the cache is down)."""
    try:
        return shared_cache().add(key, value, timeout=timeout)
    except Exception:
        logger.warning("Could not write the OIDC cache", exc_info=True)
        return True


def delete(keys: Iterable[str]) -> None:
    try:
        shared_cache().delete_many(list(keys))
    except Exception:
        logger.warning("Could not clear the OIDC cache", exc_info=True)

"""Single use of the ``state`` of an authorization response, across processes.

The session entry of a state is deleted when its callback is handled, but two requests
racing with the same state (a replayed callback, possibly on another process) can both
read the entry first. The shared cache's atomic ``add`` lets only one through.
"""

from __future__ import annotations

from . import cache

#: How long a used state is remembered: longer than any login takes.
USED_STATE_TTL = 60 * 60


def _key(state: str) -> str:
    return cache.cache_key("used-state", state)


def claim_state(state: str) -> bool:
    """Mark ``state`` as used; ``False`` if it was used already (a cache outage allows it)."""
    return cache.add(_key(state), 1, timeout=USED_STATE_TTL)


def forget_state(state: str) -> None:
    """Let a callback with ``state`` through again (for tests that fix the state)."""
    cache.delete([_key(state)])

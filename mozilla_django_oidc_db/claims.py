"""Reading values out of a claims object by claim path, and masking them for logs."""

from __future__ import annotations

import copy
from collections.abc import Collection
from typing import Any

from .typing import ClaimPath, JSONObject, JSONValue


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


def lookup_claim(claims: Any, path: ClaimPath, default: Any = MISSING) -> Any:
    """Follow ``path`` from ``claims``: each segment is one key (dots in it are literal).

    Mappings are indexed by key, lists by a numeric segment (``"0"``, ``"-1"``). Anything
    else, or an absent key, gives ``default``. An empty path gives ``default`` too: it
    names no claim.
    """
    if not path:
        return default
    value = claims
    for segment in path:
        if isinstance(value, dict):
            if segment not in value:
                return default
            value = value[segment]
        elif isinstance(value, list):
            try:
                value = value[int(segment)]
            except (ValueError, IndexError):
                return default
        else:
            return default
    return value


def obfuscate_claim_value(value: JSONValue) -> JSONValue:
    """Mask the first three quarters (and one more character) of a value's text.

    A dict is masked value by value, in place, and returned.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = obfuscate_claim_value(item)
        return value
    text = str(value)
    keep_from = int(len(text) * 0.75) + 1
    return "*" * min(keep_from, len(text)) + text[keep_from:]


def obfuscate_claims(claims: JSONObject, claims_to_obfuscate: Collection[ClaimPath]) -> JSONObject:
    """A deep copy of ``claims`` with the values at the given paths masked."""
    masked = copy.deepcopy(claims)
    for path in claims_to_obfuscate:
        if not path:
            continue
        parent = lookup_claim(masked, path[:-1]) if len(path) > 1 else masked
        if parent is MISSING:
            continue
        last = path[-1]
        if isinstance(parent, dict) and last in parent:
            parent[last] = obfuscate_claim_value(parent[last])
        elif isinstance(parent, list):
            try:
                index = int(last)
                parent[index] = obfuscate_claim_value(parent[index])
            except (ValueError, IndexError):
                continue
    return masked

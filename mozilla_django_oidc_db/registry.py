"""The registry of OIDC plugins, keyed by client identifier."""

from __future__ import annotations

from collections.abc import Callable, ItemsView, Iterator
from typing import TYPE_CHECKING, Generic, TypeVar

from .constants import UNIQUE_PLUGIN_ID_MAX_LENGTH

if TYPE_CHECKING:
    from .plugins import BaseOIDCPlugin

T = TypeVar("T", bound="type[BaseOIDCPlugin]")


class OIDCRegistry(Generic[T]):
    """Maps a unique identifier to one plugin *instance* (a stateless singleton)."""

    def __init__(self):
        self._registry: dict[str, BaseOIDCPlugin] = {}

    def __call__(self, unique_identifier: str) -> Callable[[T], T]:
        if len(unique_identifier) > UNIQUE_PLUGIN_ID_MAX_LENGTH:
            raise ValueError(
                f"The unique identifier '{unique_identifier}' is longer than "
                f"{UNIQUE_PLUGIN_ID_MAX_LENGTH} characters."
            )

        def decorator(plugin_cls: T) -> T:
            if unique_identifier in self._registry:
                raise ValueError(
                    f"The unique identifier '{unique_identifier}' is already present "
                    "in the registry."
                )
            self._registry[unique_identifier] = plugin_cls(identifier=unique_identifier)
            return plugin_cls

        return decorator

    def items(self) -> ItemsView[str, BaseOIDCPlugin]:
        return self._registry.items()

    def __iter__(self) -> Iterator[str]:
        return iter(self._registry)

    def __contains__(self, key: object) -> bool:
        return key in self._registry

    def __len__(self) -> int:
        return len(self._registry)

    def __getitem__(self, key: str) -> BaseOIDCPlugin:
        return self._registry[key]

    def get(self, key: str, default=None):
        return self._registry.get(key, default)


register = OIDCRegistry()

"""What an import changed: snapshots of the provider and client rows, and their difference.

Used by ``manage.py oidc_import_config`` to report (or, with ``--dry-run``, to preview)
the effect of a YAML file. Rows are identified by their ``identifier`` and compared
field by field; a client's provider is shown by its identifier, ``options`` key path by
key path, and client secrets never appear (only whether they change).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import models

from ..models import OIDCClient, OIDCProvider

__all__ = ["FieldChange", "RowChange", "Snapshot", "take_snapshot", "compare", "describe"]

#: Fields whose values are never shown.
SECRET_FIELDS = frozenset({"oidc_rp_client_secret"})

#: Marks a value that is not there (a new row's old values, a removed options key).
_ABSENT = type("Absent", (), {"__repr__": lambda self: "(absent)"})()

#: Row key: ``("provider" | "client", identifier)``.
RowKey = tuple[str, str]
Snapshot = dict[RowKey, dict[str, Any]]

MODELS: Mapping[str, type[models.Model]] = {"provider": OIDCProvider, "client": OIDCClient}


def _row(instance: models.Model) -> dict[str, Any]:
    values = {}
    for model_field in instance._meta.concrete_fields:
        if model_field.primary_key:
            continue
        if model_field.is_relation:
            related = getattr(instance, model_field.name)
            values[model_field.name] = related.identifier if related is not None else None
        else:
            values[model_field.name] = model_field.value_from_object(instance)
    return values


def take_snapshot() -> Snapshot:
    """Every provider and client row, by kind and identifier."""
    snapshot: Snapshot = {}
    for kind, model in MODELS.items():
        queryset = model.objects.all()
        if model is OIDCClient:
            queryset = queryset.select_related("oidc_provider")
        for instance in queryset:
            snapshot[(kind, instance.identifier)] = _row(instance)
    return snapshot


@dataclass(frozen=True)
class FieldChange:
    name: str  # a field name, or a dotted path into ``options``
    old: Any
    new: Any
    secret: bool = False

    def __str__(self) -> str:
        if self.secret:
            return f"{self.name}: {'(set)' if self.old in (_ABSENT, '') else '(changed)'}"
        if self.old is _ABSENT:
            return f"{self.name}: {self.new!r}"
        return f"{self.name}: {_show(self.old)} -> {_show(self.new)}"


@dataclass(frozen=True)
class RowChange:
    kind: str  # "provider" or "client"
    identifier: str
    action: Literal["created", "updated", "deleted"]
    fields: list[FieldChange] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{self.action.capitalize()} {self.kind} `{self.identifier}`"]
        lines.extend(f"    {change}" for change in self.fields)
        return "\n".join(lines)


def _show(value: Any) -> str:
    return "(removed)" if value is _ABSENT else repr(value)


def _flatten(value: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}.{key}")
    else:
        yield prefix, value


def _field_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[FieldChange]:
    changes = []
    for name in new.keys() | old.keys():
        before, after = old.get(name, _ABSENT), new.get(name, _ABSENT)
        if before == after:
            continue
        if isinstance(before, dict) or isinstance(after, dict):
            # an empty object is "no keys", not a value of its own
            flat_before = (
                dict(_flatten(before, name)) if isinstance(before, dict) and before else {}
            )
            flat_after = dict(_flatten(after, name)) if isinstance(after, dict) and after else {}
            changes.extend(
                FieldChange(path, flat_before.get(path, _ABSENT), flat_after.get(path, _ABSENT))
                for path in flat_before.keys() | flat_after.keys()
                if flat_before.get(path, _ABSENT) != flat_after.get(path, _ABSENT)
            )
        else:
            changes.append(FieldChange(name, before, after, secret=name in SECRET_FIELDS))
    return sorted(changes, key=lambda change: change.name)


def compare(before: Snapshot, after: Snapshot) -> list[RowChange]:
    """The rows created, updated and deleted between two snapshots (providers first)."""
    changes = []
    for key in sorted(before.keys() | after.keys()):
        kind, identifier = key
        if key not in before:
            values = {k: v for k, v in after[key].items() if k != "identifier"}
            changes.append(RowChange(kind, identifier, "created", _field_changes({}, values)))
        elif key not in after:
            changes.append(RowChange(kind, identifier, "deleted"))
        elif fields := _field_changes(before[key], after[key]):
            changes.append(RowChange(kind, identifier, "updated", fields))
    order = {"provider": 0, "client": 1}
    return sorted(changes, key=lambda change: (order[change.kind], change.identifier))


def describe(changes: list[RowChange]) -> str:
    """A readable report; secrets are masked."""
    if not changes:
        return "No changes."
    return "\n".join(str(change) for change in changes)

"""Validation of ``OIDCClient.options`` against what its plugin needs.

Two layers, both reported as one ``ValidationError`` whose messages name the path of the
offending value (``user_settings.claim_mappings.username: 'sub' is not of type 'array'``):

1. the plugin's JSON schema (``plugin.get_schema()``), with a real JSON Schema
   implementation (``jsonschema``). django-jsonform's own validator is an editor helper:
   it insists that every property named in the schema is present and reports type
   mismatches without a path, so it cannot judge options written by code or by
   setup-configuration;
2. what the plugin reads at login time beyond the schema
   (:meth:`BaseOIDCPlugin.check_options`; for the admin plugin: a non-empty username
   claim path).

Used by the client admin form; usable by anything else that writes options.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeAlias

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from jsonschema import Draft202012Validator
from jsonschema.validators import validator_for

from .plugins import BaseOIDCPlugin
from .registry import register as registry
from .typing import JSONObject

#: ``(path, message)``; the path is a list of keys/indexes from the root of the options.
OptionsProblem: TypeAlias = tuple[Sequence[str | int], str]


def format_path(path: Iterable[str | int]) -> str:
    """``["user_settings", "claim_mappings", 0]`` -> ``"user_settings.claim_mappings.0"``."""
    return ".".join(str(bit) for bit in path)


def schema_problems(schema: JSONObject, options: Any) -> list[OptionsProblem]:
    """The places where ``options`` do not match the JSON ``schema``, in path order."""
    validator_cls = validator_for(schema, default=Draft202012Validator)
    validator = validator_cls(schema)
    problems = [
        (list(error.absolute_path), error.message) for error in validator.iter_errors(options)
    ]
    return sorted(problems, key=lambda problem: [str(bit) for bit in problem[0]])


def options_problems(plugin: BaseOIDCPlugin, options: Any) -> list[OptionsProblem]:
    """Schema problems first; the runtime requirements only for options that fit the schema."""
    problems = schema_problems(plugin.get_schema(), options)
    if problems:
        return problems
    return list(plugin.check_options(options))


def problems_to_error(problems: Sequence[OptionsProblem]) -> ValidationError:
    return ValidationError(
        [
            ValidationError(
                "%(path)s: %(message)s",
                code="invalid_options",
                params={"path": format_path(path) or _("(options)"), "message": message},
            )
            for path, message in problems
        ]
    )


def validate_options(identifier: str, options: Any) -> None:
    """Raise ``ValidationError`` unless ``options`` suit the plugin ``identifier``."""
    plugin = registry.get(identifier)
    if plugin is None:
        raise ValidationError(
            _("No OIDC plugin is registered under the identifier '%(identifier)s'."),
            code="unknown_plugin",
            params={"identifier": identifier},
        )
    problems = options_problems(plugin, options)
    if problems:
        raise problems_to_error(problems)

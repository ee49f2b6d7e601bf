"""Reference tables generated from the code, so the docs cannot drift from it.

Directives:

``.. oidcdb-setting-sources::``
    The resolver's table, :data:`mozilla_django_oidc_db.config.SETTING_SOURCES`: every
    upstream setting name and where its value comes from (provider field, client field,
    or Django setting with its default).

``.. oidcdb-app-settings::``
    The package's own ``OIDCDB_*`` settings, from
    :data:`mozilla_django_oidc_db.app_settings.DEFAULTS` and ``DESCRIPTIONS``.

``.. oidcdb-model-fields:: OIDCProvider``
    A summary table of a model's concrete fields (type, default, required).

``.. oidcdb-field:: OIDCProvider.oidc_op_issuer``
    One documented field: generated facts (label, type, default, help text) followed by
    the directive's content. Every concrete field of ``OIDCProvider`` and ``OIDCClient``
    must be documented this way somewhere: a missing (or stale) one is a build warning.

``.. oidcdb-check:: mozilla_django_oidc_db.W003``
    One documented system check. Every check ID that appears in the package's source
    must be documented: a missing (or stale) one is a build warning.

``.. oidcdb-options-schema:: admin-oidc``
    The properties of a plugin's ``options`` JSON schema, with their descriptions.

``.. oidcdb-yaml-keys:: mozilla_django_oidc_db.setup_configuration.models.OIDCConfigProviderModel``
    The keys of one setup-configuration (pydantic) model: type, default, description.
    Content lines ``key = text`` replace the description of ``key``.

Cross-reference roles: ``:setting:`NAME``` and ``:modelfield:`Model.field```, ``:check:`ID```.

The project's Django settings must be configured (``conf.py`` calls ``django.setup()``).
"""

from __future__ import annotations

import enum
import importlib
import json
import re
import types
import typing
from pathlib import Path
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

logger = logging.getLogger(__name__)

PACKAGE = "mozilla_django_oidc_db"
DOCUMENTED_MODELS = ("OIDCProvider", "OIDCClient")
CHECK_ID_PATTERN = re.compile(r"""id\s*=\s*["'](mozilla_django_oidc_db\.[A-Z]\d+)["']""")


# -- helpers -----------------------------------------------------------------------------


def literal(value: Any) -> str:
    """``value`` as an inline literal (repr for anything but a plain name)."""
    if value == "":
        return '``""``'
    text = value if isinstance(value, str) and value.isidentifier() else repr(value)
    return "``" + text.replace("`", "'") + "``"


def escape(text: str) -> str:
    """Plain text for reST: backticks and asterisks lose their meaning."""
    return str(text).replace("\\", "\\\\").replace("*", "\\*").replace("`", "\\`")


def markdownish(text: str) -> str:
    """Help texts use ``single backticks`` for code: make them reST literals."""
    return re.sub(r"`([^`]+)`", r"``\1``", str(text).replace("*", "\\*"))


def cell(text: str) -> list[str]:
    """The lines of one list-table cell (``list_table`` indents them)."""
    return str(text).splitlines() or [""]


def list_table(header: list[str], rows: list[list[str]], widths: str = "auto") -> list[str]:
    out = [".. list-table::", "   :header-rows: 1", f"   :widths: {widths}", ""]
    for row in [header, *rows]:
        for index, value in enumerate(row):
            first, *rest = cell(value)
            out.append(("   * - " if index == 0 else "     - ") + first)
            out.extend("       " + line if line else "" for line in rest)
    out.append("")
    return out


class GeneratedDirective(SphinxDirective):
    """A directive that writes reST and parses it in place."""

    def parse(self, lines: list[str]) -> list[nodes.Node]:
        container = nodes.container()
        nested_parse_with_titles(self.state, StringList(lines, source="<generated>"), container)
        return container.children


# -- settings ----------------------------------------------------------------------------


class SettingSourcesDirective(GeneratedDirective):
    """The upstream setting names and where each value comes from."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from mozilla_django_oidc_db.config import (
            SETTING_SOURCES,
            ClientField,
            DjangoSetting,
            ProviderField,
        )

        rows = []
        for name, source in SETTING_SOURCES.items():
            if isinstance(source, ProviderField):
                where, default = _model_source("OIDCProvider", source.field)
            elif isinstance(source, ClientField):
                where, default = _model_source("OIDCClient", source.field)
            elif isinstance(source, DjangoSetting):
                where = "Django setting (the same for every client)"
                default = literal(source.default) if _has_default(source) else "required"
            else:  # pragma: no cover - a new kind of source
                logger.warning("oidcdb-setting-sources: unknown source %r for %s", source, name)
                continue
            rows.append([f".. setting:: {name}\n\n``{name}``", where, default])
        return self.parse(
            list_table(["Setting name", "Value comes from", "Default"], rows, "30 40 30")
        )


def _model_source(model_name: str, name: str) -> tuple[str, str]:
    """(where the value comes from, its default) for a provider or client attribute."""
    kind = "provider" if model_name == "OIDCProvider" else "client"
    try:
        field = _model(model_name)._meta.get_field(name)
    except FieldDoesNotExist:
        return f"{kind} property ``{name}``", "derived"
    default = _field_default(field)
    return f"{kind} field :modelfield:`{model_name}.{name}`", default


def _has_default(source: Any) -> bool:
    from mozilla_django_oidc_db import config

    return source.default is not getattr(config, "_NO_DEFAULT", object())


class AppSettingsDirective(GeneratedDirective):
    """The package's own ``OIDCDB_*`` settings."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from mozilla_django_oidc_db import app_settings

        descriptions = getattr(app_settings, "DESCRIPTIONS", {})
        rows = []
        for name, default in app_settings.DEFAULTS.items():
            description = descriptions.get(name)
            if not description:
                logger.warning(
                    "%s has no description in mozilla_django_oidc_db.app_settings.DESCRIPTIONS",
                    name,
                    location=self.get_location(),
                )
                description = ""
            rows.append(
                [f".. setting:: {name}\n\n``{name}``", literal(default), escape(description)]
            )
        for name in set(descriptions) - set(app_settings.DEFAULTS):
            logger.warning(
                "app_settings.DESCRIPTIONS describes %s, which is not in DEFAULTS",
                name,
                location=self.get_location(),
            )
        return self.parse(list_table(["Setting", "Default", "Meaning"], rows, "30 15 55"))


# -- model fields ------------------------------------------------------------------------


def _model(name: str):
    from django.apps import apps

    return apps.get_model(PACKAGE, name)


def _field_type(field) -> str:
    from django.db import models

    kind = type(field).__name__
    details = []
    if isinstance(field, models.ForeignKey):
        details.append(field.related_model.__name__)
        details.append(f"on_delete={field.remote_field.on_delete.__name__}")
    base = getattr(field, "base_field", None)
    if base is not None:
        details.append(f"{type(base).__name__}(max_length={base.max_length})")
    elif getattr(field, "max_length", None) and not isinstance(field, models.ForeignKey):
        details.append(f"max_length={field.max_length}")
    if field.unique and not field.primary_key:
        details.append("unique")
    return f"{kind}({', '.join(details)})" if details else kind


def _field_default(field) -> str:
    if not field.has_default():
        if field.null:
            return "``None``"
        return '``""``' if field.blank and field.empty_strings_allowed else "none (required)"
    default = field.get_default()
    if isinstance(default, enum.Enum):
        default = default.value
    return literal(default)


def _field_required(field) -> str:
    if field.null:
        return "optional (may be empty)"
    return "optional" if field.blank else "required"


def concrete_fields(model_name: str) -> list:
    return [f for f in _model(model_name)._meta.concrete_fields if not f.primary_key]


class ModelFieldsDirective(GeneratedDirective):
    """A summary table of a model's fields."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        rows = [
            [
                f":modelfield:`{field.name} <{self.arguments[0]}.{field.name}>`",
                str(field.verbose_name),
                f"``{_field_type(field)}``",
                _field_default(field),
            ]
            for field in concrete_fields(self.arguments[0])
        ]
        return self.parse(list_table(["Field", "Label", "Type", "Default"], rows, "30 25 30 15"))


class FieldDirective(GeneratedDirective):
    """One model field: facts from the model, then the hand-written content."""

    required_arguments = 1
    has_content = True

    def run(self) -> list[nodes.Node]:
        target = self.arguments[0]
        model_name, _, field_name = target.partition(".")
        try:
            field = _model(model_name)._meta.get_field(field_name)
        except (LookupError, FieldDoesNotExist):
            logger.warning(
                "oidcdb-field: %s is not a model field", target, location=self.get_location()
            )
            return []
        documented = self.env.__dict__.setdefault("oidcdb_fields", {})
        documented[target] = self.env.docname
        facts = [
            f"**{escape(str(field.verbose_name).capitalize())}**",
            f"``{_field_type(field)}``",
            _field_required(field),
        ]
        if field.has_default() or field.null or field.blank:
            facts.append(f"default {_field_default(field)}")
        lines = [
            f".. modelfield:: {target}",
            "",
            f"``{field.name}``",
            "   " + " · ".join(facts),
            "",
        ]
        if field.help_text:
            lines += [f"   *Help text:* {markdownish(field.help_text)}", ""]
        lines += ["   " + line if line else "" for line in self.content]
        return self.parse(lines)


# -- checks ------------------------------------------------------------------------------


def check_ids_in_source() -> set[str]:
    import mozilla_django_oidc_db

    root = Path(mozilla_django_oidc_db.__file__).parent
    found = set()
    for path in root.rglob("*.py"):
        if "migrations" in path.parts or "tests" in path.parts:
            continue
        found.update(CHECK_ID_PATTERN.findall(path.read_text(encoding="utf-8")))
    return found


class CheckDirective(GeneratedDirective):
    """One system check ID with its explanation."""

    required_arguments = 1
    has_content = True

    def run(self) -> list[nodes.Node]:
        check_id = self.arguments[0]
        self.env.__dict__.setdefault("oidcdb_checks", {})[check_id] = self.env.docname
        lines = [f".. check:: {check_id}", "", f"``{check_id}``"]
        lines += ["   " + line if line else "" for line in self.content]
        return self.parse(lines)


# -- plugin options ----------------------------------------------------------------------


def _schema_rows(schema: dict, path: str = "") -> list[list[str]]:
    rows = []
    for name, prop in (schema.get("properties") or {}).items():
        key = f"{path}.{name}" if path else name
        kind = prop.get("type", "")
        if kind == "array":
            items = prop.get("items", {})
            inner = items.get("type", "")
            if inner == "array":
                inner = f"list of {items.get('items', {}).get('type', '')}"
            kind = f"list of {inner}"
        required = name in (schema.get("required") or [])
        rows.append(
            [
                f"``{key}``",
                escape(kind) + (" (required)" if required else ""),
                markdownish(str(prop.get("description", ""))),
            ]
        )
        if prop.get("type") == "object":
            rows.extend(_schema_rows(prop, key))
    return rows


class OptionsSchemaDirective(GeneratedDirective):
    """The properties of a registered plugin's ``options`` schema."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        from mozilla_django_oidc_db.registry import register

        plugin = register.get(self.arguments[0])
        if plugin is None:
            logger.warning(
                "No plugin %s is registered", self.arguments[0], location=self.get_location()
            )
            return []
        rows = _schema_rows(plugin.get_schema())
        return self.parse(list_table(["Key", "Type", "Meaning"], rows, "35 20 45"))


# -- setup-configuration -----------------------------------------------------------------


def _type_text(annotation: Any) -> str:
    """A short, readable name for a pydantic field annotation."""
    from pydantic import AnyUrl, BaseModel

    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_text(args[0])
    if origin in (typing.Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        literals = [a for a in members if typing.get_origin(a) is typing.Literal]
        if all(
            typing.get_origin(a) is typing.Annotated
            and isinstance(typing.get_args(a)[0], type)
            and issubclass(typing.get_args(a)[0], BaseModel)
            for a in members
        ):
            text = "endpoint configuration (see below)"
        elif literals and len(members) == 2 and typing.get_args(literals[0]) == ("",):
            other = next(a for a in members if a not in literals)
            text = f"{_type_text(other)} or empty"
        else:
            text = " or ".join(_type_text(a) for a in members)
        return text + (" or null" if type(None) in args else "")
    if origin is typing.Literal:
        return "one of " + ", ".join(literal(a) for a in args)
    if origin in (list, tuple):
        return f"list of {_type_text(args[0])}" if args else "list"
    if origin is dict:
        return "mapping" if not args else f"mapping of {_type_text(args[1])}"
    if annotation is Any:
        return "any"
    if isinstance(annotation, type):
        if issubclass(annotation, AnyUrl):
            return "URL"
        if issubclass(annotation, BaseModel):
            return "mapping (see below)"
        return {"str": "string", "bool": "boolean", "int": "integer", "dict": "mapping"}.get(
            annotation.__name__, annotation.__name__
        )
    return str(annotation)


def _yaml_default(field_info) -> str:
    """The default as YAML would write it (``true``, ``[a, b]``, ``""``)."""
    if field_info.is_required():
        return "required"
    default = field_info.get_default(call_default_factory=True)
    if isinstance(default, enum.Enum):
        default = default.value
    if default is None:
        return "absent"
    return "``" + json.dumps(default, ensure_ascii=False) + "``"


class YamlKeysDirective(GeneratedDirective):
    """The keys of a setup-configuration model."""

    required_arguments = 1
    has_content = True

    def run(self) -> list[nodes.Node]:
        module_name, _, class_name = self.arguments[0].rpartition(".")
        try:
            model = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError) as exc:
            logger.warning(
                "oidcdb-yaml-keys: cannot import %s (%s); install the setup-configuration extra",
                self.arguments[0],
                exc,
                location=self.get_location(),
            )
            return []
        overrides = {}
        for line in self.content:
            key, sep, text = line.partition(" = ")
            if sep:
                overrides[key.strip()] = text.strip()
        rows = []
        for name, info in model.model_fields.items():
            description = overrides.get(name) or markdownish(info.description or "")
            if info.deprecated:
                rest = description.removeprefix("Deprecated: ")
                description = "**Deprecated.** " + rest[:1].upper() + rest[1:]
            rows.append(
                [f"``{name}``", _type_text(info.annotation), _yaml_default(info), description]
            )
        for key in set(overrides) - set(model.model_fields):
            logger.warning(
                "oidcdb-yaml-keys: %s has no key %s", class_name, key, location=self.get_location()
            )
        return self.parse(list_table(["Key", "Type", "Default", "Meaning"], rows, "25 20 15 40"))


# -- completeness ------------------------------------------------------------------------


def _purge(app, env, docname) -> None:
    for attr in ("oidcdb_fields", "oidcdb_checks"):
        documented = env.__dict__.get(attr, {})
        for key in [k for k, doc in documented.items() if doc == docname]:
            del documented[key]


def _merge(app, env, docnames, other) -> None:
    for attr in ("oidcdb_fields", "oidcdb_checks"):
        env.__dict__.setdefault(attr, {}).update(other.__dict__.get(attr, {}))


def _check_consistency(app, env) -> None:
    fields = env.__dict__.get("oidcdb_fields", {})
    expected = {f"{model}.{f.name}" for model in DOCUMENTED_MODELS for f in concrete_fields(model)}
    for name in sorted(expected - set(fields)):
        logger.warning("The model field %s is not documented (add an oidcdb-field directive)", name)
    checks = env.__dict__.get("oidcdb_checks", {})
    in_source = check_ids_in_source()
    for check_id in sorted(in_source - set(checks)):
        logger.warning(
            "The system check %s is not documented (add an oidcdb-check directive)", check_id
        )
    for check_id in sorted(set(checks) - in_source):
        logger.warning("The documented system check %s is not in the code any more", check_id)


def setup(app):
    app.add_crossref_type("setting", "setting", indextemplate="pair: %s; setting")
    app.add_crossref_type("modelfield", "modelfield", indextemplate="pair: %s; model field")
    app.add_crossref_type("check", "check", indextemplate="pair: %s; system check")
    app.add_directive("oidcdb-setting-sources", SettingSourcesDirective)
    app.add_directive("oidcdb-app-settings", AppSettingsDirective)
    app.add_directive("oidcdb-model-fields", ModelFieldsDirective)
    app.add_directive("oidcdb-field", FieldDirective)
    app.add_directive("oidcdb-check", CheckDirective)
    app.add_directive("oidcdb-options-schema", OptionsSchemaDirective)
    app.add_directive("oidcdb-yaml-keys", YamlKeysDirective)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-check-consistency", _check_consistency)
    return {
        "version": "1",
        "parallel_read_safe": True,
        "parallel_write_safe": True,
        "env_version": 1,
    }

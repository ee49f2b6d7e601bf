"""The django-setup-configuration step that writes providers and clients from YAML.

Add it to ``SETUP_CONFIGURATION_STEPS`` and run ``manage.py setup_configuration
--yaml-file FILE``, or use ``manage.py oidc_import_config FILE`` (which also has a dry
run). The YAML format is described in :mod:`.models`.
"""

from __future__ import annotations

import copy
import functools
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from django_setup_configuration.configuration import BaseConfigurationStep
from django_setup_configuration.exceptions import ConfigurationRunFailed

from ..forms import OIDCProviderForm
from ..models import OIDCClient, OIDCProvider
from ..plugins import BaseOIDCPlugin, OIDCAdminPlugin
from ..registry import register as registry
from ..typing import JSONObject
from ..utils import get_registry_identifiers
from ..validators import format_path, options_problems
from .models import (
    DEPRECATED_OPTIONS_KEYS,
    DEPRECATED_PROVIDER_KEYS,
    PROVIDER_SETTINGS,
    AdminOIDCConfigurationModel,
    AdminOIDCConfigurationModelItem,
    OIDCConfigProviderModel,
    OIDCDiscoveryProviderConfig,
    OIDCFullProviderConfig,
)

__all__ = ["AdminOIDCConfigurationStep"]

NAMESPACE = "oidc_db_config_admin_auth"

#: Provider form fields that come from an item's ``endpoint_config``.
ENDPOINT_CONFIG_FIELDS = frozenset(
    {
        "oidc_op_discovery_endpoint",
        "oidc_op_issuer",
        *OIDCFullProviderConfig.model_fields,
    }
)

#: Client fields written from the item key of the same name.
CLIENT_FIELDS = (
    "enabled",
    "oidc_rp_client_id",
    "oidc_rp_client_secret",
    "oidc_rp_scopes_list",
    "oidc_rp_sign_algo",
    "oidc_rp_idp_sign_key",
    "oidc_keycloak_idp_hint",
    "userinfo_claims_source",
)

LEGACY_GROUPS_KEY = "group_settings"
GROUPS_KEY = "groups_settings"


def yaml_location(*bits: str | int) -> str:
    """``yaml_location("items", 0, "options")`` -> ``"oidc_db_config_admin_auth.items.0.options"``.

    The same notation as the errors of pydantic (and so of the runner), so that every
    message names the YAML key to fix.
    """
    return format_path((NAMESPACE, *bits))


def _fail(problems: Iterable[tuple[str, Any]], summary: str) -> ConfigurationRunFailed:
    lines = [f"  {where}: {message}" for where, message in problems]
    return ConfigurationRunFailed("\n".join([summary, *lines]))


def _validation_messages(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            name: [str(m) for e in errors for m in e.messages]
            for name, errors in error.error_dict.items()
        }
    return {"__all__": [str(m) for m in error.messages]}


@dataclass(frozen=True)
class PreparedItem:
    """What an item resolves to, checked before anything is written."""

    plugin: BaseOIDCPlugin
    options: JSONObject
    location: str


class AdminOIDCConfigurationStep(BaseConfigurationStep[AdminOIDCConfigurationModel]):
    """Create or update OIDC providers and clients from the ``oidc_db_config_admin_auth`` section.

    * Providers (``providers``) are matched by ``identifier``; with a discovery URL, the
      endpoints and the issuer are read from the provider's discovery document (so the
      provider must be reachable when the configuration is loaded).
    * Clients (``items``) are matched by ``identifier``, which must be a registered
      plugin. ``options`` are checked against the plugin's JSON schema and what the
      plugin needs at login time; they replace the stored options. The old spelling
      ``group_settings`` and the deprecated flat claim/group keys are stored as
      ``groups_settings``. ``check_op_availability`` is left alone when absent.
    * All or nothing: the items are checked before anything is written, and the step
      runs in a transaction (the runner adds its own), so any failure leaves the
      database as it was. Every error names the YAML key at fault.
    * Idempotent: running the same YAML again leaves the rows as they are.
    """

    verbose_name = "Configuration for admin login via OpenID Connect"
    config_model = AdminOIDCConfigurationModel
    namespace = NAMESPACE
    enable_setting = "oidc_db_config_enable"

    def execute(self, model: AdminOIDCConfigurationModel) -> None:
        with transaction.atomic():
            declared = {entry.identifier for entry in model.providers}
            prepared = [
                self._prepare_item(item, yaml_location("items", index), declared)
                for index, item in enumerate(model.items)
            ]
            for index, entry in enumerate(model.providers):
                self._create_or_update_providers(entry, location=yaml_location("providers", index))
            for item, item_prepared in zip(model.items, prepared, strict=True):
                self._save_client(item, item_prepared)

    # -- providers ---------------------------------------------------------------------

    @staticmethod
    def _get_endpoints(
        endpoint_config: OIDCFullProviderConfig | OIDCDiscoveryProviderConfig | None,
    ) -> dict[str, str]:
        """The provider form fields of an ``endpoint_config``."""
        if endpoint_config is None:
            raise ConfigurationRunFailed("No endpoint configuration was given for the provider.")
        if isinstance(endpoint_config, OIDCDiscoveryProviderConfig):
            return {"oidc_op_discovery_endpoint": str(endpoint_config.oidc_op_discovery_endpoint)}
        return {
            name: str(value) if value else ""
            for name, value in endpoint_config.model_dump().items()
        }

    def _create_or_update_providers(
        self, entry: OIDCConfigProviderModel, *, location: str = yaml_location("providers")
    ) -> OIDCProvider:
        data = {
            **{key: getattr(entry, key) for key in (*PROVIDER_SETTINGS, "oidc_use_pkce")},
            "identifier": entry.identifier,
            **self._get_endpoints(entry.endpoint_config),
        }
        return self._save_provider(data, location)

    def _create_or_update_provider_deprecated(
        self, item: AdminOIDCConfigurationModelItem, *, location: str = yaml_location("items")
    ) -> OIDCProvider:
        """The provider described by the deprecated keys of a client entry.

        Its identifier is ``<client identifier>-provider``. PKCE, which these keys
        cannot express, keeps its stored value (on for a new provider).
        """
        warnings.warn(
            f"{location}: provider settings in a client entry are deprecated; move them "
            "to an entry in `providers` and refer to it with `oidc_provider_identifier`.",
            DeprecationWarning,
            stacklevel=2,
        )
        identifier = f"{item.identifier}-provider"
        endpoint_config = _deprecated_value(item, "endpoint_config")
        if endpoint_config is None:
            raise ConfigurationRunFailed(
                f"{location}: the client has no provider: set `oidc_provider_identifier` to a "
                "provider from `providers` (or one already in the database)."
            )
        existing = OIDCProvider.objects.filter(identifier=identifier).first()
        data = {
            **{key: _deprecated_value(item, key) for key in PROVIDER_SETTINGS},
            "identifier": identifier,
            "oidc_use_pkce": existing.oidc_use_pkce if existing else True,
            **self._get_endpoints(endpoint_config),
        }
        return self._save_provider(data, location)

    @staticmethod
    def _save_provider(data: dict[str, Any], location: str) -> OIDCProvider:
        instance = OIDCProvider.objects.filter(identifier=data["identifier"]).first()
        form = OIDCProviderForm(instance=instance, data=data)
        if not form.is_valid():
            problems = []
            for field, messages in form.errors.items():
                if field == "__all__":
                    where = location
                elif field in ENDPOINT_CONFIG_FIELDS:
                    where = f"{location}.endpoint_config.{field}"
                else:
                    where = f"{location}.{field}"
                problems.extend((where, message) for message in messages)
            raise _fail(
                problems,
                f"Admin OIDC configuration field validation failed for the provider "
                f"`{data['identifier']}`:",
            )
        return form.save()

    # -- clients -------------------------------------------------------------------------

    def _create_or_update_configuration(
        self, item: AdminOIDCConfigurationModelItem, *, location: str = yaml_location("items")
    ) -> OIDCClient:
        """Check one client entry and write it (its provider must exist by now)."""
        return self._save_client(item, self._prepare_item(item, location, set()))

    def _prepare_item(
        self, item: AdminOIDCConfigurationModelItem, location: str, declared_providers: set[str]
    ) -> PreparedItem:
        plugin = registry.get(item.identifier)
        if plugin is None:
            raise ConfigurationRunFailed(
                f"{location}.identifier: no OIDC plugin exists with the identifier "
                f"`{item.identifier}`. Available identifiers: {get_registry_identifiers()!r}"
            )
        self._check_provider_reference(item, location, declared_providers)
        return PreparedItem(
            plugin=plugin, options=self._options(item, plugin, location), location=location
        )

    @staticmethod
    def _check_provider_reference(
        item: AdminOIDCConfigurationModelItem, location: str, declared_providers: set[str]
    ) -> None:
        if identifier := item.oidc_provider_identifier:
            if (
                identifier not in declared_providers
                and not OIDCProvider.objects.filter(identifier=identifier).exists()
            ):
                raise ConfigurationRunFailed(
                    f"{location}.oidc_provider_identifier: no OIDC provider with the "
                    f"identifier `{identifier}` is in `providers` or in the database."
                )
            if ignored := [key for key in DEPRECATED_PROVIDER_KEYS if key in item.model_fields_set]:
                _warn_ignored(location, ignored, "`oidc_provider_identifier` is given")
        elif _deprecated_value(item, "endpoint_config") is None:
            raise ConfigurationRunFailed(
                f"{location}: the client has no provider: set `oidc_provider_identifier` to a "
                "provider from `providers` (or one already in the database), or give the "
                "deprecated `endpoint_config`."
            )

    @staticmethod
    def _options(
        item: AdminOIDCConfigurationModelItem, plugin: BaseOIDCPlugin, location: str
    ) -> JSONObject:
        """The options to store: normalised, then checked like the admin form does."""
        flat_keys = [key for key in DEPRECATED_OPTIONS_KEYS if key in item.model_fields_set]
        if item.options:
            options = _normalise_groups_key(item.options, plugin, f"{location}.options")
            if flat_keys:
                _warn_ignored(location, flat_keys, "`options` is given")
        elif flat_keys or isinstance(plugin, OIDCAdminPlugin):
            warnings.warn(
                f"{location}: the claim and group keys of a client entry are deprecated; "
                "configure them in `options` (`user_settings` and `groups_settings`).",
                DeprecationWarning,
                stacklevel=3,
            )
            options = _options_from_deprecated_keys(item)
        else:
            options = {}
        problems = options_problems(plugin, options)
        if problems:
            raise _fail(
                (
                    (f"{location}.options.{format_path(path)}".rstrip("."), message)
                    for path, message in problems
                ),
                f"The options of the OIDC client `{item.identifier}` do not suit its plugin:",
            )
        return options

    def _save_client(
        self, item: AdminOIDCConfigurationModelItem, prepared: PreparedItem
    ) -> OIDCClient:
        where = prepared.location
        if item.oidc_provider_identifier:
            try:
                provider = OIDCProvider.objects.get(identifier=item.oidc_provider_identifier)
            except OIDCProvider.DoesNotExist:
                raise ConfigurationRunFailed(
                    f"{where}.oidc_provider_identifier: no OIDC provider with the identifier "
                    f"`{item.oidc_provider_identifier}` exists."
                )
        else:
            provider = self._create_or_update_provider_deprecated(item, location=where)
        client = OIDCClient.objects.filter(identifier=item.identifier).first() or OIDCClient(
            identifier=item.identifier
        )
        for name in CLIENT_FIELDS:
            setattr(client, name, getattr(item, name))
        if item.check_op_availability is not None:
            client.check_op_availability = item.check_op_availability
        client.oidc_provider = provider
        client.options = prepared.options
        try:
            # options are checked above (model validation would refuse an empty object)
            client.full_clean(exclude=["options", "oidc_provider"])
        except ValidationError as exc:
            raise _fail(
                (
                    (where if field == "__all__" else f"{where}.{field}", message)
                    for field, messages in _validation_messages(exc).items()
                    for message in messages
                ),
                f"Admin OIDC configuration field validation failed for the client "
                f"`{item.identifier}`:",
            )
        client.save()
        return client


def _warn_ignored(location: str, keys: list[str], reason: str) -> None:
    warnings.warn(
        f"{location}: {', '.join(f'`{key}`' for key in keys)} ignored because {reason}.",
        UserWarning,
        stacklevel=3,
    )


def _normalise_groups_key(
    options: Mapping[str, Any], plugin: BaseOIDCPlugin, where: str
) -> JSONObject:
    """Store ``group_settings`` (the spelling of the original's YAML import) as ``groups_settings``.

    Left alone for a plugin whose schema declares ``group_settings`` itself.
    """
    options = copy.deepcopy(dict(options))
    declared = plugin.get_schema().get("properties") or {}
    if LEGACY_GROUPS_KEY not in options or LEGACY_GROUPS_KEY in declared:
        return options
    legacy = options.pop(LEGACY_GROUPS_KEY)
    if GROUPS_KEY in options and options[GROUPS_KEY] != legacy:
        raise ConfigurationRunFailed(
            f"{where}: both `{GROUPS_KEY}` and `{LEGACY_GROUPS_KEY}` (an old spelling) are "
            f"given, with different values; keep only `{GROUPS_KEY}`."
        )
    options[GROUPS_KEY] = legacy
    return options


def _deprecated_value(item: AdminOIDCConfigurationModelItem, key: str) -> Any:
    """Read a deprecated key without pydantic's generic warning (ours is more precise)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return getattr(item, key)


def _options_from_deprecated_keys(item: AdminOIDCConfigurationModelItem) -> JSONObject:
    value = functools.partial(_deprecated_value, item)
    return {
        "user_settings": {
            "claim_mappings": {"username": value("username_claim"), **value("claim_mapping")},
        },
        GROUPS_KEY: {
            "claim_mapping": value("groups_claim"),
            "sync": value("sync_groups"),
            "sync_pattern": value("sync_groups_glob_pattern"),
            "make_users_staff": value("make_users_staff"),
            "superuser_group_names": value("superuser_group_names"),
            "default_groups": value("default_groups"),
        },
    }

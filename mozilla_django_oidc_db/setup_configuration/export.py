"""The stored providers and clients, in the YAML format of the setup-configuration step.

Used by ``manage.py oidc_export_config``. Importing the result (``setup_configuration``
or ``oidc_import_config``) recreates the same rows; with ``secrets="env"`` the client
secrets must then be in the environment variables named in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from ..models import OIDCClient, OIDCProvider
from ..registry import register as registry
from .models import PROVIDER_SETTINGS, OIDCFullProviderConfig
from .steps import CLIENT_FIELDS, AdminOIDCConfigurationStep

__all__ = ["Export", "export_configuration", "secret_env_var"]

SecretsMode = Literal["env", "include"]

#: Client fields written as item keys of the same name.
CLIENT_KEYS = (*CLIENT_FIELDS, "check_op_availability")


def secret_env_var(identifier: str) -> str:
    """``admin-oidc`` -> ``OIDC_ADMIN_OIDC_CLIENT_SECRET``."""
    return f"OIDC_{re.sub(r'[^A-Z0-9]+', '_', identifier.upper()).strip('_')}_CLIENT_SECRET"


@dataclass
class Export:
    """The YAML document as data, and what the reader should know about it."""

    data: dict[str, Any]
    #: client identifier -> environment variable its secret is read from
    secret_env_vars: dict[str, str] = field(default_factory=dict)
    #: clients that were left out, with the reason
    skipped: list[str] = field(default_factory=list)

    def to_yaml(self) -> str:
        header = [
            "Configuration of mozilla-django-oidc-db, written by `manage.py oidc_export_config`.",
            "Load it with `manage.py setup_configuration --yaml-file FILE` (with",
            "AdminOIDCConfigurationStep in SETUP_CONFIGURATION_STEPS) or with",
            "`manage.py oidc_import_config FILE` (add --dry-run to preview the changes).",
        ]
        if self.secret_env_vars:
            header += ["", "The client secrets are read from these environment variables:"]
            header += [
                f"  {name}  (client {identifier})"
                for identifier, name in self.secret_env_vars.items()
            ]
        if self.skipped:
            header += ["", "Not exported:"] + [f"  {reason}" for reason in self.skipped]
        body = yaml.safe_dump(self.data, sort_keys=False, allow_unicode=True, width=88)
        return "".join(f"# {line}".rstrip() + "\n" for line in header) + body


def _provider_entry(provider: OIDCProvider) -> dict[str, Any]:
    if provider.oidc_op_discovery_endpoint:
        endpoint_config = {"oidc_op_discovery_endpoint": provider.oidc_op_discovery_endpoint}
    else:
        endpoint_config = {
            name: getattr(provider, name) for name in OIDCFullProviderConfig.model_fields
        }
    return {
        "identifier": provider.identifier,
        **{name: getattr(provider, name) for name in (*PROVIDER_SETTINGS, "oidc_use_pkce")},
        "endpoint_config": endpoint_config,
    }


def export_configuration(*, secrets: SecretsMode = "env") -> Export:
    """Every provider, and every client with a provider, a client ID and a registered plugin.

    ``secrets="env"`` writes each client secret as a reference to an environment
    variable (django-setup-configuration's ``value_from``); ``secrets="include"``
    writes the secrets themselves.
    """
    export = Export(data={})
    providers = [_provider_entry(p) for p in OIDCProvider.objects.order_by("identifier")]
    items = []
    used_names: set[str] = set()
    clients = OIDCClient.objects.select_related("oidc_provider").order_by("identifier")
    for client in clients:
        if client.oidc_provider is None:
            export.skipped.append(f"client {client.identifier}: it has no provider")
            continue
        if not client.oidc_rp_client_id:
            export.skipped.append(f"client {client.identifier}: it has no client ID")
            continue
        if client.identifier not in registry:
            export.skipped.append(f"client {client.identifier}: no plugin is registered for it")
            continue
        item: dict[str, Any] = {"identifier": client.identifier}
        item.update((name, getattr(client, name)) for name in CLIENT_KEYS)
        item["userinfo_claims_source"] = str(client.userinfo_claims_source)
        if secrets == "env":
            name = secret_env_var(client.identifier)
            while name in used_names:  # identifiers differing only in punctuation
                name = name.replace("_CLIENT_SECRET", "_2_CLIENT_SECRET", 1)
            used_names.add(name)
            export.secret_env_vars[client.identifier] = name
            item["oidc_rp_client_secret"] = {"value_from": {"env": name}}
        item["oidc_provider_identifier"] = client.oidc_provider.identifier
        item["options"] = client.options
        items.append(item)
    step = AdminOIDCConfigurationStep
    export.data = {
        step.enable_setting: True,
        step.namespace: {"providers": providers, "items": items},
    }
    return export

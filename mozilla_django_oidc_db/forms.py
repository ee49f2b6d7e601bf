"""Admin forms for providers and clients, and the form fields they use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias
from urllib.parse import urlsplit

import django
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from django_jsonform.forms.fields import JSONFormField
from django_jsonform.utils import join_coords

from ._protocol.discovery import DiscoveryError, ProviderMetadata, fetch_provider_metadata
from .constants import OIDC_MAPPING
from .models import OIDCClient, OIDCProvider
from .registry import register as registry
from .typing import EndpointFieldNames
from .validators import options_problems, problems_to_error

EndpointsMapping: TypeAlias = Mapping[EndpointFieldNames, str]


class StringListFormField(JSONFormField):
    """A list of short strings, edited with django-jsonform's list widget."""

    def __init__(self, *, max_item_length: int | None = None, **kwargs):
        self.max_item_length = max_item_length
        item_schema: dict = {"type": "string"}
        if max_item_length:
            item_schema["maxLength"] = max_item_length
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        super().__init__(schema={"type": "array", "items": item_schema}, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ValidationError(_("Enter a list of strings."), code="invalid")
        if self.max_item_length and any(len(item) > self.max_item_length for item in value):
            raise ValidationError(
                _("Each item may have at most %(max)d characters."),
                code="max_length",
                params={"max": self.max_item_length},
            )
        return value


class OptionsFormField(JSONFormField):
    """``OIDCClient.options``: the plugin's schema drives the editor and the validation.

    The widget asks ``get_options_schema(widget.instance)`` for the schema; the form sets
    ``widget.instance``. Validation uses a JSON Schema implementation plus the plugin's
    runtime requirements (see :mod:`mozilla_django_oidc_db.validators`) instead of
    django-jsonform's editor-oriented checks. Problems are reported with their path, and
    handed to the editor so it marks the offending inputs.

    The editor submits ``null`` for an input nobody touched (a checkbox, a number). That
    means "not set", so such keys are left out: the plugin then applies its documented
    default instead of reading ``None``.
    """

    def to_python(self, value):
        return _without_nulls(super().to_python(value))

    def validate(self, value):
        # Django's JSONField checks (required); django-jsonform's own schema check is
        # replaced by the one below.
        super(JSONFormField, self).validate(value)
        instance = getattr(self.widget, "instance", None)
        plugin = registry.get(instance.identifier) if instance is not None else None
        if plugin is None:
            raise ValidationError(
                _("No OIDC plugin is registered for this client: its options cannot be checked."),
                code="unknown_plugin",
            )
        problems = options_problems(plugin, value)
        if problems:
            self.widget.add_error({join_coords(*path): [message] for path, message in problems})
            raise problems_to_error(problems)


def _without_nulls(value: Any) -> Any:
    """``value`` with the ``null`` members of its objects left out, at every depth."""
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


class SecretInput(forms.PasswordInput):
    """Never renders the value; asks browsers not to fill in a saved password."""

    def __init__(self, attrs=None):
        super().__init__(
            attrs={"autocomplete": "new-password", **(attrs or {})}, render_value=False
        )


class SecretField(forms.CharField):
    """A secret that is never sent back to the browser; empty input keeps the stored one."""

    widget = SecretInput

    def has_changed(self, initial, data) -> bool:
        return bool(data) and data != initial


class OIDCClientForm(forms.ModelForm):
    """Edits one client; ``identifier`` is fixed (it binds the client to its plugin)."""

    class Meta:
        model = OIDCClient
        fields = (
            "enabled",
            "oidc_provider",
            "check_op_availability",
            "oidc_rp_client_id",
            "oidc_rp_client_secret",
            "oidc_rp_scopes_list",
            "oidc_rp_sign_algo",
            "oidc_rp_idp_sign_key",
            "options",
            "userinfo_claims_source",
            "oidc_keycloak_idp_hint",
        )
        field_classes = {"oidc_rp_client_secret": SecretField, "options": OptionsFormField}
        # explicit, so that the admin's text input for CharFields does not replace it
        widgets = {"oidc_rp_client_secret": SecretInput(attrs={"class": "vTextField"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "options" in self.fields:
            self.fields["options"].widget.instance = self.instance
        secret = self.fields.get("oidc_rp_client_secret")
        if secret is not None:
            secret.required = False
            if self.instance.oidc_rp_client_secret:
                secret.widget.attrs["placeholder"] = _("(stored, not shown)")
                secret.help_text = _(
                    "A secret is stored. Leave this empty to keep it, or type a new "
                    "secret to replace it."
                )

    def clean_oidc_rp_client_secret(self) -> str:
        secret = self.cleaned_data.get("oidc_rp_client_secret") or ""
        if not secret:
            secret = self.instance.oidc_rp_client_secret or ""
        if not secret:
            raise ValidationError(
                self.fields["oidc_rp_client_secret"].error_messages["required"],
                code="required",
            )
        return secret


class ProviderURLField(forms.URLField):
    """Input without a scheme means https: Django 6's default, opted into now."""

    def __init__(self, **kwargs):
        if django.VERSION >= (5, 0):
            kwargs.setdefault("assume_scheme", "https")
        super().__init__(**kwargs)

    def to_python(self, value):
        url = super().to_python(value)
        # Django 4.2 has no assume_scheme and always adds http:// to a URL without one
        if django.VERSION < (5, 0) and url.startswith("http://"):
            if not urlsplit(str(value).strip()).scheme:
                url = "https://" + url.removeprefix("http://")
        return url


class OIDCProviderForm(forms.ModelForm):
    """Edits a provider; with a discovery URL the endpoints and issuer come from there.

    Discovered values replace what was typed; endpoints the document does not list keep
    the typed value. Subclasses can map more discovery members to model fields by
    extending :attr:`oidc_mapping` (extra keys end up in ``cleaned_data``).
    """

    required_endpoints = [
        "oidc_op_authorization_endpoint",
        "oidc_op_token_endpoint",
        "oidc_op_user_endpoint",
    ]
    oidc_mapping = OIDC_MAPPING

    class Meta:
        model = OIDCProvider
        fields = (
            "identifier",
            "oidc_op_discovery_endpoint",
            "oidc_op_issuer",
            "oidc_op_jwks_endpoint",
            "oidc_op_authorization_endpoint",
            "oidc_op_token_endpoint",
            "oidc_op_user_endpoint",
            "oidc_op_logout_endpoint",
            "oidc_token_use_basic_auth",
            "oidc_use_pkce",
            "oidc_use_nonce",
            "oidc_nonce_size",
            "oidc_state_size",
        )
        field_classes = {
            field.name: ProviderURLField
            for field in OIDCProvider._meta.concrete_fields
            if isinstance(field, models.URLField)
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # empty for read-only admin access
        for name in self.required_endpoints:
            if name in self.fields:
                self.fields[name].required = False

    @classmethod
    def get_endpoints_from_discovery(cls, base_url: str) -> EndpointsMapping:
        """Fetch the discovery document of ``base_url``; raises ``DiscoveryError``."""
        return cls.endpoints_from_metadata(fetch_provider_metadata(base_url))

    @classmethod
    def endpoints_from_metadata(cls, metadata: ProviderMetadata) -> dict[str, Any]:
        """Model field -> value, for each :attr:`oidc_mapping` member the document has."""
        return {
            model_attr: metadata.document[member]
            for model_attr, member in cls.oidc_mapping.items()
            if metadata.document.get(member)
        }

    #: Fewer random characters than this make state and nonce guessable.
    MIN_RANDOM_STRING_SIZE = 16

    def _default_when_blank(self, name: str) -> int:
        # The columns are NOT NULL: a cleared input means "the default" (A21).
        value = self.cleaned_data.get(name)
        if value is None:
            return self._meta.model._meta.get_field(name).get_default()
        if value < self.MIN_RANDOM_STRING_SIZE:
            raise ValidationError(
                _("Use at least %(min)d characters, so that the value cannot be guessed."),
                code="min_value",
                params={"min": self.MIN_RANDOM_STRING_SIZE},
            )
        return value

    def clean_oidc_nonce_size(self) -> int:
        return self._default_when_blank("oidc_nonce_size")

    def clean_oidc_state_size(self) -> int:
        return self._default_when_blank("oidc_state_size")

    def clean(self):
        cleaned_data = super().clean()
        if "oidc_op_discovery_endpoint" in self.errors:
            return cleaned_data
        base_url = cleaned_data.get("oidc_op_discovery_endpoint")
        if base_url:
            self._apply_discovery(base_url, cleaned_data)
        else:
            for name in self.required_endpoints:
                if name in self.fields and not cleaned_data.get(name):
                    self.add_error(name, _("This field is required."))
        return cleaned_data

    def _apply_discovery(self, base_url: str, cleaned_data: dict[str, Any]) -> None:
        try:
            metadata = fetch_provider_metadata(base_url)
        except DiscoveryError as exc:
            self.add_error(
                "oidc_op_discovery_endpoint",
                ValidationError(
                    _("Could not retrieve the provider configuration: %(reason)s"),
                    code="discovery",
                    params={"reason": str(exc)},
                ),
            )
            return
        cleaned_data.update(self.endpoints_from_metadata(metadata))
        cleaned_data["oidc_op_issuer"] = metadata.issuer
        missing = [
            name
            for name in self.required_endpoints
            if name in self.fields and not cleaned_data.get(name)
        ]
        if missing:
            self.add_error(
                "oidc_op_discovery_endpoint",
                ValidationError(
                    _(
                        "The discovery document does not list every endpoint that is "
                        "needed. Fill in: %(fields)s."
                    ),
                    code="discovery_incomplete",
                    params={"fields": ", ".join(str(self.fields[name].label) for name in missing)},
                ),
            )

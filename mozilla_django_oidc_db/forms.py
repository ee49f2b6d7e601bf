"""Admin forms."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from django_jsonform.forms.fields import JSONFormField

from .constants import OIDC_MAPPING
from .models import OIDCProvider
from .typing import EndpointFieldNames

EndpointsMapping = Mapping[EndpointFieldNames, str]


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


class OIDCProviderForm(forms.ModelForm):
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
            "oidc_op_jwks_endpoint",
            "oidc_op_authorization_endpoint",
            "oidc_op_token_endpoint",
            "oidc_op_user_endpoint",
            "oidc_op_logout_endpoint",
            "oidc_token_use_basic_auth",
            "oidc_use_nonce",
            "oidc_nonce_size",
            "oidc_state_size",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.required_endpoints:
            if name in self.fields:
                self.fields[name].required = False

    def clean(self):
        cleaned_data = super().clean()
        for name in self.required_endpoints:
            if name in self.fields and not cleaned_data.get(name):
                self.add_error(name, _("This field is required."))
        return cleaned_data

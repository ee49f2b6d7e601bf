from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .forms import OIDCClientForm, OIDCProviderForm
from .models import OIDCClient, OIDCProvider
from .registry import register as registry

SECRET_FIELD = "oidc_rp_client_secret"


@admin.register(OIDCProvider)
class OIDCProviderAdmin(admin.ModelAdmin):
    form = OIDCProviderForm
    list_display = ("identifier",)
    search_fields = ("identifier",)
    fieldsets = [
        (None, {"fields": ("identifier",)}),
        (
            _("Endpoints"),
            {
                "fields": (
                    "oidc_op_discovery_endpoint",
                    "oidc_op_issuer",
                    "oidc_op_authorization_endpoint",
                    "oidc_op_token_endpoint",
                    "oidc_op_user_endpoint",
                    "oidc_op_jwks_endpoint",
                    "oidc_op_logout_endpoint",
                ),
                "description": _(
                    "With a discovery endpoint, the issuer and the endpoints are read from "
                    "the provider's discovery document when you save, replacing what is "
                    "typed below."
                ),
            },
        ),
        (
            _("Protocol settings"),
            {
                "fields": (
                    "oidc_token_use_basic_auth",
                    "oidc_use_pkce",
                    "oidc_use_nonce",
                    "oidc_nonce_size",
                    "oidc_state_size",
                ),
            },
        ),
    ]


@admin.register(OIDCClient)
class OIDCClientAdmin(admin.ModelAdmin):
    """Clients are created by the post-migrate hook (one per plugin), so only edited here.

    A client whose plugin is no longer registered is shown read-only, with a note.
    """

    form = OIDCClientForm
    list_display = ("identifier", "oidc_rp_client_id", "enabled")
    search_fields = ("identifier", "oidc_provider__identifier", "oidc_rp_client_id")
    fieldsets = [
        (_("Activation"), {"fields": ("enabled",)}),
        (_("OIDC Provider"), {"fields": ("oidc_provider", "check_op_availability")}),
        (
            _("Relying Party settings"),
            {
                "fields": (
                    "oidc_rp_client_id",
                    SECRET_FIELD,
                    "oidc_rp_scopes_list",
                    "oidc_rp_sign_algo",
                    "oidc_rp_idp_sign_key",
                )
            },
        ),
        (_("Custom settings"), {"fields": ("options",)}),
        (
            _("Advanced settings"),
            {
                "fields": ("userinfo_claims_source", "oidc_keycloak_idp_hint"),
                "classes": ["collapse in"],
            },
        ),
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and not is_registered(obj):
            return False
        return super().has_change_permission(request, obj)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.has_change_permission(request, obj):
            return fieldsets
        # Read-only pages display field values as text: show whether a secret is
        # stored, never the secret.
        return [
            (
                title,
                {
                    **options,
                    "fields": tuple(
                        "client_secret_status" if name == SECRET_FIELD else name
                        for name in options["fields"]
                    ),
                },
            )
            for title, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if not self.has_change_permission(request, obj):
            readonly += ("client_secret_status",)
        return readonly

    @admin.display(description=_("Secret"))
    def client_secret_status(self, obj: OIDCClient) -> str:
        return _("(stored, not shown)") if obj.oidc_rp_client_secret else _("(not set)")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj=obj, change=change, **kwargs)
        if "options" in form.base_fields:
            form.base_fields["options"].widget.instance = obj
        return form

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and not is_registered(obj):
            self.message_user(
                request,
                _(
                    "No plugin is registered for the identifier '%(identifier)s' (was it "
                    "renamed or removed?). This client cannot be used to log in, and it is "
                    "shown read-only."
                )
                % {"identifier": obj.identifier},
                level=messages.WARNING,
            )
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )


def is_registered(client: OIDCClient) -> bool:
    return client.identifier in registry

"""A second plugin, of the anonymous-user kind: a "citizen" login that creates no user.

The person's identifier and name are kept in the session; tests use it to prove that
two clients work side by side, each callback routed to its own plugin.
"""

from django.contrib.auth.models import AnonymousUser

from mozilla_django_oidc_db.claims import lookup_claim
from mozilla_django_oidc_db.plugins import AnonymousUserOIDCPlugin
from mozilla_django_oidc_db.registry import register
from mozilla_django_oidc_db.views import AnonymousUserCallbackView

CITIZEN_IDENTIFIER = "citizen-oidc"
CITIZEN_SESSION_KEY = "citizen"

CITIZEN_OPTIONS_SCHEMA = {
    "type": "object",
    "properties": {
        "identifier_claim": {"type": "array", "items": {"type": "string"}},
        "name_claim": {"type": "array", "items": {"type": "string"}},
    },
}


class CitizenCallbackView(AnonymousUserCallbackView):
    @property
    def failure_url(self):
        return "/login-failed/"


citizen_callback_view = CitizenCallbackView.as_view()


@register(CITIZEN_IDENTIFIER)
class CitizenPlugin(AnonymousUserOIDCPlugin):
    def get_schema(self):
        return CITIZEN_OPTIONS_SCHEMA

    def validate_settings(self) -> None:
        from mozilla_django_oidc_db.plugins import validate_client_settings

        validate_client_settings(self.get_config())

    def handle_callback(self, request):
        return citizen_callback_view(request)

    def get_extra_params(self, request, extra_params):
        return {**extra_params, "ui_locales": "nl"}

    def get_setting(self, attr, *args):
        if attr == "LOGIN_REDIRECT_URL":
            return "/citizen/"
        return super().get_setting(attr, *args)

    def get_or_create_user(self, access_token, id_token, payload, request):
        options = self.get_config().options or {}
        identifier = lookup_claim(payload, options.get("identifier_claim") or ["sub"])
        if not isinstance(identifier, str) or not identifier:
            return None
        name = lookup_claim(payload, options.get("name_claim") or ["name"], default="")
        request.session[CITIZEN_SESSION_KEY] = {"id": identifier, "name": name}
        return AnonymousUser()

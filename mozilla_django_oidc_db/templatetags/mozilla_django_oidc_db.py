from __future__ import annotations

from django import template

from ..app_settings import oidcdb_settings
from ..constants import OIDC_ADMIN_CONFIG_IDENTIFIER
from ..models import OIDCClient

register = template.Library()

_RENDER_CACHE_KEY = "mozilla_django_oidc_db.admin_client"


@register.simple_tag(takes_context=True)
def get_oidc_admin_client(context: template.Context | None = None) -> OIDCClient | None:
    """The client of the admin login, or ``None``: ``{% get_oidc_admin_client as client %}``.

    One query per template render, however often the tag is used in it (the result is
    kept in the render context, which a template and the templates it extends share).
    """
    render_context = context.render_context if context is not None else None
    if render_context is not None and _RENDER_CACHE_KEY in render_context:
        return render_context[_RENDER_CACHE_KEY]
    client = OIDCClient.objects.filter(identifier=OIDC_ADMIN_CONFIG_IDENTIFIER).first()
    if render_context is not None:
        render_context[_RENDER_CACHE_KEY] = client
    return client


@register.inclusion_tag("admin/login_oidc_button.html", takes_context=True)
def oidc_admin_login_button(context: template.Context) -> dict:
    """A "Log in with OIDC" link for the admin login page, when the admin client is enabled.

    Hidden with the setting ``OIDCDB_ADMIN_LOGIN_BUTTON = False``. The link carries the
    page's ``next`` so the user lands where the admin login would have sent them.
    """
    client = get_oidc_admin_client(context) if oidcdb_settings.OIDCDB_ADMIN_LOGIN_BUTTON else None
    return {
        "show_oidc_login": bool(client and client.enabled),
        "next": context.get("next", ""),
    }

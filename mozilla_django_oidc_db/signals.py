from django.apps.registry import Apps
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .constants import CONFIG_IDENTIFIER_SESSION_KEY
from .registry import register as registry


@receiver([user_logged_in], dispatch_uid="oidcdb.set_config_identifier")
def set_oidcdb_config_identifier_on_session(sender, user, request, **kwargs):
    """Remember which client logged the user in (for session refresh and logout)."""
    identifier = getattr(user, "_oidcdb_config_identifier", None)
    if identifier is not None and request is not None:
        request.session[CONFIG_IDENTIFIER_SESSION_KEY] = identifier


def populate_oidc_config_models(sender, **kwargs) -> None:
    """After ``migrate``: make sure every registered plugin has its client row."""
    apps: Apps | None = kwargs.get("apps")
    if not apps:
        return
    try:
        OIDCClient = apps.get_model("mozilla_django_oidc_db", "OIDCClient")
    except LookupError:
        # migrated backwards to before the client model existed
        return
    for identifier in registry:
        OIDCClient.objects.get_or_create(identifier=identifier)


def invalidate_provider_caches(sender, instance, **kwargs) -> None:
    """After a provider is saved or deleted: forget its cached discovery document and keys.

    An administrator saves a provider to make a change at the OP take effect, so the next
    login must not use what the cache holds. Connected in ``AppConfig.ready()`` to
    ``post_save`` and ``post_delete`` of ``OIDCProvider``.
    """
    from ._protocol import discovery, jwks

    discovery.invalidate(instance)
    jwks.invalidate(instance.oidc_op_jwks_endpoint)

"""factory-boy factories for :class:`OIDCProvider` and :class:`OIDCClient`.

Needs ``factory-boy`` (``pip install mozilla-django-oidc-db[tests]``).

The provider's endpoints follow Keycloak's layout under its discovery URL, and its
issuer is the discovery URL without the final slash, so passing
``oidc_op_discovery_endpoint="http://keycloak.local:8080/realms/test/"`` gives a
provider whose tokens must come from ``http://keycloak.local:8080/realms/test``.

Both factories use ``django_get_or_create = ("identifier",)``: asking for a client whose
identifier already has a row (for example ``admin-oidc``, created by the post-migrate
hook) returns that row unchanged; :class:`~.mixins.OIDCMixin` deletes those rows first.
"""

try:
    import factory
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "mozilla_django_oidc_db.tests.factories needs factory-boy: install "
        "mozilla-django-oidc-db[tests] (or `pip install factory-boy`)."
    ) from exc

from ..models import OIDCClient, OIDCProvider

__all__ = ["OIDCProviderFactory", "OIDCClientFactory", "ADMIN_OPTIONS"]


def _under_discovery(path: str) -> factory.LazyAttribute:
    return factory.LazyAttribute(lambda provider: provider.oidc_op_discovery_endpoint + path)


class OIDCProviderFactory(factory.django.DjangoModelFactory):
    identifier = factory.Faker("word")
    oidc_op_discovery_endpoint = factory.Faker("url")  # ends with a slash
    oidc_op_jwks_endpoint = _under_discovery("protocol/openid-connect/certs")
    oidc_op_authorization_endpoint = _under_discovery("openid-connect/auth")
    oidc_op_token_endpoint = _under_discovery("protocol/openid-connect/token")
    oidc_op_user_endpoint = _under_discovery("protocol/openid-connect/userinfo")
    oidc_op_logout_endpoint = _under_discovery("protocol/openid-connect/logout")
    # what the discovery document of such a provider declares
    oidc_op_issuer = factory.LazyAttribute(
        lambda provider: provider.oidc_op_discovery_endpoint.rstrip("/")
    )
    oidc_use_pkce = True

    class Meta:
        model = OIDCProvider
        django_get_or_create = ("identifier",)


#: The options of the ``with_admin_options`` trait: username from ``sub``, e-mail mapped,
#: users made staff, no group synchronisation.
ADMIN_OPTIONS = {
    "user_settings": {
        "claim_mappings": {
            "username": ["sub"],
            "email": ["email"],
            "last_name": [],
            "first_name": [],
        },
        "username_case_sensitive": False,
        "sensitive_claims": [],
    },
    "groups_settings": {
        "make_users_staff": True,
        "sync": False,
        "default_groups": [],
        "claim_mapping": [],
        "superuser_group_names": [],
        "sync_pattern": "*",
    },
}


def _declaration(value):
    """Fresh dicts and lists for every instance; nested keys stay overridable
    (``options__groups_settings__sync=True``)."""
    if isinstance(value, dict):
        return factory.Dict({key: _declaration(item) for key, item in value.items()})
    if isinstance(value, list):
        return factory.List([_declaration(item) for item in value])
    return value


class OIDCClientFactory(factory.django.DjangoModelFactory):
    oidc_provider = factory.SubFactory(OIDCProviderFactory)
    identifier = factory.Faker("word")
    oidc_rp_client_id = factory.Faker("word")
    oidc_rp_client_secret = factory.Faker("word")
    options = factory.Dict({"bla": "bla"})

    class Meta:
        model = OIDCClient
        django_get_or_create = ("identifier",)

    class Params:
        with_admin_options = factory.Trait(options=_declaration(ADMIN_OPTIONS))

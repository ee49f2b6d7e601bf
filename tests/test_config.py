"""The settings resolver: one table from upstream setting names to their source."""

import threading

from django.core.exceptions import ImproperlyConfigured

import pytest

from mozilla_django_oidc_db.config import (
    SETTING_SOURCES,
    ClientField,
    DjangoSetting,
    ProviderField,
    client_scope,
    dynamic_setting,
    get_setting_from_config,
    recall_client,
    remember_client,
)
from mozilla_django_oidc_db.models import OIDCClient, OIDCProvider


def make_client(**client_fields) -> OIDCClient:
    provider = OIDCProvider(
        identifier="op",
        oidc_op_discovery_endpoint="https://op.example/",
        oidc_op_jwks_endpoint="",
        oidc_op_authorization_endpoint="https://op.example/auth",
        oidc_op_token_endpoint="https://op.example/token",
        oidc_op_user_endpoint="https://op.example/userinfo",
        oidc_op_logout_endpoint="https://op.example/logout",
        oidc_nonce_size=48,
        oidc_state_size=40,
        oidc_use_nonce=False,
    )
    defaults = dict(
        identifier="admin-oidc",
        oidc_provider=provider,
        oidc_rp_client_id="client-id",
        oidc_rp_client_secret="secret",
        oidc_rp_scopes_list=["openid", "email"],
        oidc_rp_idp_sign_key="",
        options={"user_settings": {}},
    )
    defaults.update(client_fields)
    return OIDCClient(**defaults)


@pytest.mark.parametrize(
    "name,expected",
    [
        ("OIDC_OP_AUTHORIZATION_ENDPOINT", "https://op.example/auth"),
        ("OIDC_OP_AUTH_ENDPOINT", "https://op.example/auth"),
        ("OIDC_OP_TOKEN_ENDPOINT", "https://op.example/token"),
        ("OIDC_OP_USER_ENDPOINT", "https://op.example/userinfo"),
        ("OIDC_OP_LOGOUT_ENDPOINT", "https://op.example/logout"),
        ("OIDC_OP_DISCOVERY_ENDPOINT", "https://op.example/"),
        ("OIDC_OP_JWKS_ENDPOINT", ""),  # provider values are returned as they are
        ("OIDC_USE_NONCE", False),
        ("OIDC_NONCE_SIZE", 48),
        ("OIDC_STATE_SIZE", 40),
        ("OIDC_TOKEN_USE_BASIC_AUTH", False),
        ("OIDC_RP_CLIENT_ID", "client-id"),
        ("oidc_rp_client_id", "client-id"),  # case-insensitive
        ("OIDC_RP_CLIENT_SECRET", "secret"),
        ("OIDC_RP_SCOPES", "openid email"),
        ("OIDC_RP_SCOPES_LIST", ["openid", "email"]),
        ("OIDC_RP_SIGN_ALGO", "RS256"),
        ("OIDC_RP_IDP_SIGN_KEY", None),  # empty client strings read as None
        ("ENABLED", False),
        ("enabled", False),
        ("IDENTIFIER", "admin-oidc"),
        ("USERINFO_CLAIMS_SOURCE", "userinfo_endpoint"),
    ],
)
def test_model_backed_names(name, expected):
    assert get_setting_from_config(make_client(), name) == expected


def test_model_backed_names_ignore_django_settings(settings):
    settings.OIDC_RP_CLIENT_ID = "from-settings"
    settings.OIDC_USE_NONCE = True

    client = make_client()

    assert get_setting_from_config(client, "OIDC_RP_CLIENT_ID") == "client-id"
    assert get_setting_from_config(client, "OIDC_USE_NONCE") is False


def test_django_settings_with_defaults(settings):
    client = make_client()
    settings.OIDC_STORE_ID_TOKEN = True

    assert get_setting_from_config(client, "OIDC_STORE_ID_TOKEN") is True
    # the caller's default wins over the table's
    assert get_setting_from_config(client, "OIDC_EXEMPT_URLS", ["x"]) == ["x"]
    # the table's default applies when the caller gives none
    assert get_setting_from_config(client, "OIDC_CREATE_USER") is True
    # OIDC_OP_LOGOUT_URL_METHOD starts like a provider endpoint but is a Django setting
    assert get_setting_from_config(client, "OIDC_OP_LOGOUT_URL_METHOD", "") == ""


def test_unknown_setting_without_default_is_improperly_configured():
    with pytest.raises(ImproperlyConfigured, match="OIDC_SOMETHING_ELSE"):
        get_setting_from_config(make_client(), "OIDC_SOMETHING_ELSE")


def test_provider_less_client(settings):
    client = make_client(oidc_provider=None)
    settings.OIDC_OP_TOKEN_ENDPOINT = "https://settings.example/token"

    # endpoint names fall back to Django settings, as they always did
    assert get_setting_from_config(client, "OIDC_OP_TOKEN_ENDPOINT") == (
        "https://settings.example/token"
    )
    # protocol knobs and the alias have nowhere to come from: a clear error
    with pytest.raises(ImproperlyConfigured, match="no provider"):
        get_setting_from_config(client, "OIDC_USE_NONCE")
    with pytest.raises(ImproperlyConfigured, match="no provider"):
        get_setting_from_config(client, "OIDC_OP_AUTH_ENDPOINT")


def test_the_table_only_names_real_fields():
    client = make_client()
    for name, source in SETTING_SOURCES.items():
        if isinstance(source, ProviderField):
            assert hasattr(client.oidc_provider, source.field), name
        elif isinstance(source, ClientField):
            assert hasattr(client, source.field), name
        else:
            assert isinstance(source, DjangoSetting), name


class Holder:
    PLAIN = dynamic_setting[str]()
    WITH_DEFAULT = dynamic_setting[int](default=123)
    NONE_DEFAULT = dynamic_setting[str](default=None)
    FALSY_DEFAULT = dynamic_setting[list](default=[])

    def __init__(self):
        self.calls = []

    def get_settings(self, attr, *args):
        self.calls.append((attr, args))
        return f"value of {attr}"


def test_dynamic_setting_resolves_on_every_access():
    holder = Holder()

    assert holder.PLAIN == "value of PLAIN"
    assert holder.PLAIN == "value of PLAIN"
    assert holder.WITH_DEFAULT == "value of WITH_DEFAULT"
    assert holder.NONE_DEFAULT == "value of NONE_DEFAULT"
    assert holder.FALSY_DEFAULT == "value of FALSY_DEFAULT"

    assert holder.calls == [
        ("PLAIN", ()),
        ("PLAIN", ()),
        ("WITH_DEFAULT", (123,)),
        ("NONE_DEFAULT", ()),
        ("FALSY_DEFAULT", ([],)),
    ]


def test_dynamic_setting_is_read_only_and_has_a_repr():
    holder = Holder()

    with pytest.raises(AttributeError, match="PLAIN"):
        holder.PLAIN = "x"
    assert repr(Holder.PLAIN) == "<dynamic_setting PLAIN>"
    assert repr(Holder.WITH_DEFAULT) == "<dynamic_setting WITH_DEFAULT (default: 123)>"


def test_client_scope_is_per_thread_and_forgotten_afterwards():
    client = make_client()
    seen_in_other_thread = []

    with client_scope():
        remember_client(client)
        assert recall_client("admin-oidc") is client
        with client_scope():  # nested scopes share the outer one
            assert recall_client("admin-oidc") is client

        thread = threading.Thread(
            target=lambda: seen_in_other_thread.append(recall_client("admin-oidc"))
        )
        thread.start()
        thread.join()

    assert seen_in_other_thread == [None]
    assert recall_client("admin-oidc") is None
    remember_client(client)  # outside a scope nothing is kept
    assert recall_client("admin-oidc") is None

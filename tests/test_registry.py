import pytest

from mozilla_django_oidc_db.plugins import BaseOIDCPlugin, OIDCAdminPlugin
from mozilla_django_oidc_db.registry import OIDCRegistry, register


class _Plugin(BaseOIDCPlugin):
    def get_schema(self):
        return {}

    def validate_settings(self):
        pass

    def handle_callback(self, request):  # pragma: no cover - not called
        raise NotImplementedError


def test_register_stores_an_instance_and_returns_the_class():
    registry = OIDCRegistry()

    decorated = registry("some-client")(_Plugin)

    assert decorated is _Plugin
    assert isinstance(registry["some-client"], _Plugin)
    assert registry["some-client"].identifier == "some-client"
    assert list(registry) == ["some-client"]
    assert "some-client" in registry
    assert len(registry) == 1


def test_identifier_longer_than_255_characters_is_refused_by_name():
    registry = OIDCRegistry()
    identifier = "x" * 256

    with pytest.raises(ValueError, match="x{256}"):
        registry(identifier)

    registry("y" * 255)(_Plugin)  # exactly the limit is fine


def test_registering_twice_is_refused_by_name():
    registry = OIDCRegistry()
    registry("twice")(_Plugin)

    with pytest.raises(ValueError, match="twice"):
        registry("twice")(_Plugin)


def test_abstract_plugin_fails_at_registration():
    registry = OIDCRegistry()

    class Incomplete(BaseOIDCPlugin):
        pass

    with pytest.raises(TypeError):
        registry("incomplete")(Incomplete)


def test_unknown_identifier_is_a_key_error():
    with pytest.raises(KeyError):
        OIDCRegistry()["nope"]


def test_builtin_admin_plugin_is_registered():
    assert isinstance(register["admin-oidc"], OIDCAdminPlugin)
    assert list(register.items())[0][0] == "admin-oidc"

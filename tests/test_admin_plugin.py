"""The admin-oidc plugin: usernames, claim mappings, staff, superuser and groups."""

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

import pytest

from mozilla_django_oidc_db.config import client_scope
from mozilla_django_oidc_db.exceptions import MissingIdentifierClaim, OIDCLoginFailed
from mozilla_django_oidc_db.models import OIDCClient
from mozilla_django_oidc_db.registry import register

User = get_user_model()

ADMIN_OPTIONS = {
    "user_settings": {
        "claim_mappings": {
            "username": ["sub"],
            "email": ["email"],
            "first_name": ["given_name"],
            "last_name": ["family_name"],
        },
        "username_case_sensitive": False,
        "sensitive_claims": [["email"]],
    },
    "groups_settings": {
        "claim_mapping": ["roles"],
        "sync": True,
        "sync_pattern": "*",
        "default_groups": ["everyone"],
        "make_users_staff": True,
        "superuser_group_names": ["superuser"],
    },
}

CLAIMS = {
    "sub": "jdoe",
    "email": "jdoe@example.com",
    "given_name": "Jane",
    "family_name": "Doe",
    "roles": ["editors"],
}


@pytest.fixture
def plugin():
    return register["admin-oidc"]


@pytest.fixture
def set_options(db):
    def _set(options):
        OIDCClient.objects.filter(identifier="admin-oidc").update(options=options)

    _set(ADMIN_OPTIONS)
    return _set


@pytest.mark.django_db
def test_create_user_maps_fields_staff_and_groups(plugin, set_options):
    user = plugin.create_user(CLAIMS)

    user.refresh_from_db()
    assert user.username == "jdoe"
    assert (user.email, user.first_name, user.last_name) == ("jdoe@example.com", "Jane", "Doe")
    assert user.is_staff and not user.is_superuser
    assert set(user.groups.values_list("name", flat=True)) == {"everyone", "editors"}
    assert not user.has_usable_password()


@pytest.mark.django_db
def test_superuser_granted_then_revoked(plugin, set_options):
    user = plugin.create_user({**CLAIMS, "roles": ["superuser"]})
    assert User.objects.get(pk=user.pk).is_superuser

    plugin.update_user(user, {**CLAIMS, "roles": ["editors"]})
    assert not User.objects.get(pk=user.pk).is_superuser

    plugin.update_user(user, {**CLAIMS, "roles": ["superuser"]})
    # a missing groups claim means "no groups": superuser status is revoked too
    plugin.update_user(user, {k: v for k, v in CLAIMS.items() if k != "roles"})
    user = User.objects.get(pk=user.pk)
    assert not user.is_superuser
    assert set(user.groups.values_list("name", flat=True)) == {"everyone"}


@pytest.mark.django_db
def test_groups_glob_limits_creation_not_assignment(plugin, set_options):
    Group.objects.create(name="existing")
    options = {**ADMIN_OPTIONS, "groups_settings": {**ADMIN_OPTIONS["groups_settings"]}}
    options["groups_settings"]["sync_pattern"] = "team-*"
    set_options(options)

    user = plugin.create_user({**CLAIMS, "roles": ["team-a", "other", "existing"]})

    assert set(user.groups.values_list("name", flat=True)) == {"team-a", "existing", "everyone"}
    assert not Group.objects.filter(name="other").exists()


@pytest.mark.django_db
def test_sync_off_ignores_unknown_groups(plugin, set_options):
    options = {**ADMIN_OPTIONS, "groups_settings": {**ADMIN_OPTIONS["groups_settings"]}}
    options["groups_settings"]["sync"] = False
    set_options(options)

    user = plugin.create_user({**CLAIMS, "roles": ["nope"]})

    assert list(user.groups.all()) == []
    assert not Group.objects.filter(name__in=["nope", "everyone"]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("bad_groups", [12, True, {"editors": True}, ["ok", 3]])
def test_groups_claim_of_the_wrong_shape_leaves_memberships_alone(
    plugin, set_options, bad_groups, caplog
):
    user = plugin.create_user({**CLAIMS, "roles": ["superuser", "editors"]})

    with caplog.at_level(logging.WARNING, logger="mozilla_django_oidc_db.plugins"):
        plugin.update_user(user, {**CLAIMS, "roles": bad_groups})

    user = User.objects.get(pk=user.pk)
    assert set(user.groups.values_list("name", flat=True)) == {"everyone", "editors", "superuser"}
    assert user.is_superuser
    assert "not a list of strings" in caplog.text


@pytest.mark.django_db
def test_null_groups_claim_means_no_groups(plugin, set_options):
    user = plugin.create_user({**CLAIMS, "roles": None})

    assert set(user.groups.values_list("name", flat=True)) == {"everyone"}


@pytest.mark.django_db
def test_string_groups_claim_is_one_group(plugin, set_options):
    user = plugin.create_user({**CLAIMS, "roles": "editors"})

    assert set(user.groups.values_list("name", flat=True)) == {"everyone", "editors"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"user_settings": {"claim_mappings": {"username": ["sub"]}}},
        {"user_settings": {"claim_mappings": {"username": ["sub"]}}, "groups_settings": {}},
    ],
)
def test_sparse_options_do_not_crash(plugin, set_options, options):
    set_options(options)

    user = plugin.create_user(CLAIMS)

    assert user.username == "jdoe"
    assert not user.is_staff
    assert list(user.groups.all()) == []


@pytest.mark.django_db
def test_group_settings_spelling_is_read(plugin, set_options):
    set_options(
        {
            "user_settings": ADMIN_OPTIONS["user_settings"],
            "group_settings": ADMIN_OPTIONS["groups_settings"],
        }
    )

    user = plugin.create_user(CLAIMS)

    assert user.is_staff
    assert set(user.groups.values_list("name", flat=True)) == {"everyone", "editors"}


@pytest.mark.django_db
def test_mappings_cannot_grant_privileges_or_touch_unknown_fields(plugin, set_options, caplog):
    options = {**ADMIN_OPTIONS, "user_settings": {**ADMIN_OPTIONS["user_settings"]}}
    options["user_settings"]["claim_mappings"] = {
        "username": ["sub"],
        "is_superuser": ["admin"],
        "password": ["sub"],
        "id": ["number"],
        "no_such_field": ["email"],
    }
    set_options(options)

    with caplog.at_level(logging.WARNING, logger="mozilla_django_oidc_db.plugins"):
        user = plugin.create_user({**CLAIMS, "admin": True, "number": 999, "roles": []})

    user = User.objects.get(pk=user.pk)
    assert not user.is_superuser
    assert not user.has_usable_password()
    assert user.pk != 999
    assert "no_such_field" in caplog.text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "claims,reason",
    [
        ({**CLAIMS, "given_name": "x" * 151}, "more than the 150"),
        ({**CLAIMS, "given_name": {"nested": 1}}, "not text"),
        ({**CLAIMS, "email": "not-an-email"}, "not an e-mail address"),
    ],
)
def test_values_that_do_not_fit_refuse_the_login(plugin, set_options, claims, reason):
    user = User.objects.create_user(username="jdoe")

    with pytest.raises(OIDCLoginFailed, match=reason):
        plugin.update_user(user, claims)


@pytest.mark.django_db
def test_username_lookup_case_insensitive_and_coerced(plugin, set_options):
    User.objects.create_user(username="JDOE")

    assert plugin.filter_users_by_claims({"sub": "jdoe"}).count() == 1
    assert plugin.get_username({"sub": 1234}) == "1234"
    assert plugin.get_username({"sub": {"x": 1}}) == ""
    with pytest.raises(MissingIdentifierClaim):
        plugin.get_username({"sub": ""}, raise_on_empty=True)


@pytest.mark.django_db
def test_verify_claims(plugin, set_options, caplog):
    with caplog.at_level(logging.DEBUG, logger="mozilla_django_oidc_db.plugins"):
        assert plugin.verify_claims(CLAIMS)
        assert not plugin.verify_claims({"email": "x@example.com"})
        assert not plugin.verify_claims({"sub": "x" * 151})
        assert not plugin.verify_claims({})

    # the username and the sensitive claims are masked in the log
    assert "jdoe@example.com" not in caplog.text
    assert "'sub': '****'" in caplog.text
    # and the stored options were not changed by masking
    assert OIDCClient.objects.get(identifier="admin-oidc").options == ADMIN_OPTIONS


@pytest.mark.django_db
def test_the_plugin_resolves_its_client_once_per_request(
    plugin, set_options, django_assert_num_queries
):
    with client_scope():
        with django_assert_num_queries(1):
            for _ in range(10):
                plugin.get_setting("OIDC_RP_CLIENT_ID")
                plugin.get_username(CLAIMS)
                plugin.verify_claims(CLAIMS)

    # a new request sees the current row: nothing is cached between requests
    OIDCClient.objects.filter(identifier="admin-oidc").update(oidc_rp_client_id="changed")
    with client_scope():
        assert plugin.get_setting("OIDC_RP_CLIENT_ID") == "changed"

import pytest

from mozilla_django_oidc_db.claims import MISSING, lookup_claim
from mozilla_django_oidc_db.utils import obfuscate_claim_value, obfuscate_claims

CLAIMS = {
    "sub": "123456782",
    "attributes.email": "dotted@example.com",
    "user": {"groups.names": ["a", "b"], "name": "Jane"},
    "roles": ["admin", "staff"],
}


@pytest.mark.parametrize(
    "path,expected",
    [
        (["sub"], "123456782"),
        (["attributes.email"], "dotted@example.com"),
        (["user", "groups.names"], ["a", "b"]),
        (["roles", "0"], "admin"),
        (["roles", "-1"], "staff"),
        (["roles", "2"], MISSING),
        (["roles", "x"], MISSING),
        (["sub", "upper"], MISSING),  # no attribute access on values
        (["absent"], MISSING),
        ([], MISSING),  # an empty path names no claim
    ],
)
def test_lookup_claim(path, expected):
    assert lookup_claim(CLAIMS, path) == expected


@pytest.mark.parametrize(
    "value,expected",
    [
        ("123456782", "*******82"),
        (12345, "****5"),
        ("obfuscated", "********ed"),
        ("abcd", "****"),
        ("a", "*"),
        ("", ""),
        (True, "****"),
    ],
)
def test_obfuscate_claim_value(value, expected):
    assert obfuscate_claim_value(value) == expected


def test_obfuscate_claims_masks_paths_without_touching_the_input():
    claims = {"sub": "123456782", "nested": {"a": "secretvalue", "b": 1234}, "keep": "visible"}

    masked = obfuscate_claims(claims, [["sub"], ["nested"], ["absent"], ["keep", "deeper"], []])

    assert masked == {
        "sub": "*******82",
        "nested": {"a": "*********ue", "b": "****"},
        "keep": "visible",
    }
    assert claims["sub"] == "123456782"
    assert claims["nested"]["a"] == "secretvalue"

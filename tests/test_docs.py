"""The documentation builds without a warning, and its generated reference is complete.

The reference pages are generated from the code (``docs/_ext/oidcdb_docs.py``): the
settings table from ``config.SETTING_SOURCES`` and ``app_settings.DEFAULTS``, the model
fields and check IDs from the package. A setting, field or check without documentation
is a Sphinx warning, which ``-W`` turns into a failed build here.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

import mozilla_django_oidc_db
from mozilla_django_oidc_db.app_settings import DEFAULTS, DESCRIPTIONS
from mozilla_django_oidc_db.config import SETTING_SOURCES
from mozilla_django_oidc_db.models import OIDCClient, OIDCProvider

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

needs_sphinx = pytest.mark.skipif(
    importlib.util.find_spec("sphinx") is None
    or importlib.util.find_spec("django_setup_configuration") is None,
    reason="building the docs needs Sphinx and django-setup-configuration "
    "(pip install -e '.[docs,setup-configuration]')",
)


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> Path:
    """Build the docs once, as ``make docs`` does (warnings are errors)."""
    out = tmp_path_factory.mktemp("docs-html")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-d",
            str(out / ".doctrees"),
            str(DOCS),
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"sphinx-build failed:\n{result.stdout}\n{result.stderr}"
    return out


def page_text(html: Path, page: str) -> str:
    """The text of a built page, without tags (names are split by markup otherwise)."""
    return re.sub(r"<[^>]+>", "", (html / page).read_text(encoding="utf-8"))


def test_every_package_setting_has_a_description():
    """The configuration reference renders these; the docs build refuses a gap."""
    assert DESCRIPTIONS.keys() == DEFAULTS.keys()
    assert all(text.strip() for text in DESCRIPTIONS.values())


@needs_sphinx
def test_docs_build_without_warnings(html):
    pages = [
        "index",
        "quickstart",
        "architecture",
        "plugins",
        "security",
        "deployment",
        "setup_configuration",
        "testing",
        "upgrading",
        "changelog",
        "reference/settings",
        "reference/models",
        "reference/checks",
    ]
    for page in pages:
        assert (html / f"{page}.html").is_file(), page


@needs_sphinx
def test_configuration_reference_lists_every_setting(html):
    text = page_text(html, "reference/settings.html")

    assert "OIDC_RP_CLIENT_ID" in text
    assert "OIDCDB_HTTP_TIMEOUT" in text
    for name in [*SETTING_SOURCES, *DEFAULTS]:
        assert name in text, name
    # where a value comes from, and a default
    assert "oidc_rp_client_id" in text
    assert "oidc_authentication_callback" in text


@needs_sphinx
def test_model_reference_lists_every_field(html):
    text = page_text(html, "reference/models.html")

    for model in (OIDCProvider, OIDCClient):
        for field in model._meta.concrete_fields:
            if not field.primary_key:
                assert field.name in text, f"{model.__name__}.{field.name}"


@needs_sphinx
def test_checks_reference_lists_every_check_id(html):
    text = page_text(html, "reference/checks.html")
    package = Path(mozilla_django_oidc_db.__file__).parent  # the package under test
    check_ids = {
        check_id
        for path in package.rglob("*.py")
        if "migrations" not in path.parts
        for check_id in re.findall(
            r"""id\s*=\s*["'](mozilla_django_oidc_db\.[A-Z]\d+)["']""", path.read_text()
        )
    }

    assert "mozilla_django_oidc_db.W003" in check_ids
    for check_id in check_ids:
        assert check_id in text, check_id

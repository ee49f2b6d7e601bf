"""Sphinx configuration.

The reference pages are generated from the code (``_ext/oidcdb_docs.py``), so the build
imports the package with the settings of the test project (``testapp.settings``). No
database is needed.
"""

import os
import sys
import tomllib
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path[:0] = [str(ROOT), str(DOCS / "_ext")]

os.environ["DJANGO_SETTINGS_MODULE"] = "testapp.settings"

import django  # noqa: E402

django.setup()

with open(ROOT / "pyproject.toml", "rb") as pyproject:
    release = tomllib.load(pyproject)["project"]["version"]

project = "mozilla-django-oidc-db"
author = "the mozilla-django-oidc-db contributors"
copyright = "the mozilla-django-oidc-db contributors, MIT License"
version = ".".join(release.split(".")[:2])

extensions = [
    "oidcdb_docs",
    # validates the YAML examples of the setup-configuration page against the step's model
    "django_setup_configuration.documentation.validate_config_example",
]

root_doc = "index"
exclude_patterns = ["_build"]
templates_path: list[str] = []
nitpicky = False
default_role = "literal"
highlight_language = "python"

html_theme = "alabaster"
html_theme_options = {
    "description": "OpenID Connect login configured in the Django admin",
    "fixed_sidebar": True,
    # the reference tables are wide
    "page_width": "1240px",
    "body_max_width": "none",
}
html_static_path: list[str] = []
html_title = f"{project} {release}"

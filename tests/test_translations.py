"""The Dutch catalogue: complete, compiled, in step with the source, and seen by users.

The original shipped ``django.po`` without ``django.mo``, so Dutch users saw English
(API.md §23). These tests render the pages in Dutch and guard the catalogue: a string
added to the code without a Dutch translation fails here with the list of msgids.

Update the catalogue from the package directory (``mozilla_django_oidc_db/``)::

    ../.venv/bin/django-admin makemessages -l nl --add-location file --no-obsolete
    # translate the new (empty or fuzzy) entries of locale/nl/LC_MESSAGES/django.po
    ../.venv/bin/django-admin compilemessages
"""

from __future__ import annotations

import gettext
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

import pytest
from pyquery import PyQuery

import mozilla_django_oidc_db
from mozilla_django_oidc_db.forms import OIDCProviderForm
from mozilla_django_oidc_db.models import OIDCClient
from mozilla_django_oidc_db.views import _OIDC_ERROR_SESSION_KEY

PACKAGE_DIR = Path(mozilla_django_oidc_db.__file__).resolve().parent
MESSAGES_DIR = PACKAGE_DIR / "locale" / "nl" / "LC_MESSAGES"
PO_FILE = MESSAGES_DIR / "django.po"
MO_FILE = MESSAGES_DIR / "django.mo"

UPDATE_HINT = (
    "update the catalogue: cd mozilla_django_oidc_db && ../.venv/bin/django-admin "
    "makemessages -l nl --add-location file --no-obsolete, translate, then "
    "../.venv/bin/django-admin compilemessages"
)

CLIENT_CHANGE = "admin:mozilla_django_oidc_db_oidcclient_change"
PROVIDER_CHANGE = "admin:mozilla_django_oidc_db_oidcprovider_change"


# -- a tiny .po reader (polib is not a dependency) --------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values()) and "fuzzy" not in self.flags

    @property
    def catalog_key(self) -> str:
        """The key ``gettext.GNUTranslations`` uses for the singular form."""
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda match: _ESCAPES.get(match[1], match[0]), text[1:-1])


def read_po(path: Path) -> tuple[Entry, list[Entry]]:
    """(header entry, the other non-obsolete entries) of a .po file."""
    entries: list[Entry] = []
    entry = Entry()
    current: tuple[str, int] | None = None  # (keyword, plural index) being continued

    def finish():
        nonlocal entry, current
        if current is not None:
            entries.append(entry)
        entry, current = Entry(), None

    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            finish()
        elif line.startswith("#~"):
            continue  # obsolete: not part of the catalogue
        elif line.startswith("#,"):
            if current is not None:
                finish()
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            if current is not None:
                finish()
        elif line.startswith('"'):
            keyword, index = current
            text = _unquote(line)
            if keyword == "msgstr":
                entry.msgstr[index] += text
            else:
                setattr(entry, keyword, (getattr(entry, keyword) or "") + text)
        else:
            keyword, _, rest = line.partition(" ")
            if keyword == "msgctxt" and current is not None:
                finish()
            if match := re.fullmatch(r"msgstr\[(\d+)\]", keyword):
                current = ("msgstr", int(match[1]))
                entry.msgstr[current[1]] = _unquote(rest)
            elif keyword == "msgstr":
                current = ("msgstr", 0)
                entry.msgstr[0] = _unquote(rest)
            elif keyword in ("msgid", "msgid_plural", "msgctxt"):
                if keyword == "msgid" and current is not None and current[0] == "msgstr":
                    finish()
                current = (keyword, 0)
                setattr(entry, keyword, _unquote(rest))
            else:
                raise AssertionError(f"{path}: cannot read the line {line!r}")
    finish()
    header = next(entry for entry in entries if entry.msgid == "" and entry.msgctxt is None)
    return header, [entry for entry in entries if entry is not header]


def _keys(entries: list[Entry]) -> set[tuple[str | None, str]]:
    return {(entry.msgctxt, entry.msgid) for entry in entries}


def _show(keys) -> str:
    return "\n".join(
        f"  {msgid!r}" + (f" (context {context!r})" if context else "")
        for context, msgid in sorted(keys, key=lambda key: (key[1], key[0] or ""))
    )


# -- the catalogue ----------------------------------------------------------------------


class TestCatalogue:
    def test_header_names_the_language_and_its_plural_forms(self):
        header, _ = read_po(PO_FILE)
        metadata = dict(
            line.split(": ", 1) for line in header.msgstr[0].splitlines() if ": " in line
        )

        assert metadata["Language"] == "nl"
        assert metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
        assert metadata["Content-Type"] == "text/plain; charset=UTF-8"
        assert "fuzzy" not in header.flags

    def test_every_msgid_has_a_dutch_translation(self):
        _, entries = read_po(PO_FILE)
        untranslated = {(e.msgctxt, e.msgid) for e in entries if not e.translated}

        assert entries
        assert not untranslated, (
            f"{len(untranslated)} msgid(s) of {PO_FILE.name} lack a (non-fuzzy) Dutch "
            f"translation:\n{_show(untranslated)}"
        )

    def test_translations_keep_the_placeholders(self):
        placeholder = re.compile(r"%\(\w+\)[sdr]|%[sd]|\{\w*\}")
        _, entries = read_po(PO_FILE)
        broken = {
            (e.msgctxt, e.msgid)
            for e in entries
            for text in e.msgstr.values()
            if sorted(placeholder.findall(text)) != sorted(placeholder.findall(e.msgid))
        }

        assert not broken, f"translations that change the placeholders:\n{_show(broken)}"

    def test_the_compiled_catalogue_matches_the_po_file(self):
        """``django.mo`` is shipped, and holds exactly the translations of ``django.po``."""
        assert MO_FILE.is_file(), f"{MO_FILE} is missing: {UPDATE_HINT}"
        _, entries = read_po(PO_FILE)
        with MO_FILE.open("rb") as mo:
            compiled = dict(gettext.GNUTranslations(mo)._catalog)
        compiled.pop("", None)  # the header
        expected = {}
        for entry in entries:
            if not entry.translated:
                continue  # msgfmt leaves out untranslated and fuzzy entries
            if entry.msgid_plural:
                for index, text in entry.msgstr.items():
                    expected[(entry.catalog_key, index)] = text
            else:
                expected[entry.catalog_key] = entry.msgstr[0]

        stale = {
            key
            for key in expected.keys() | compiled.keys()
            if expected.get(key) != compiled.get(key)
        }
        assert not stale, (
            f"django.mo is out of date with django.po for {len(stale)} message(s), e.g. "
            f"{sorted(map(str, stale))[:5]}: {UPDATE_HINT}"
        )

    @pytest.mark.skipif(
        not (shutil.which("xgettext") and shutil.which("msgmerge")),
        reason="makemessages needs the GNU gettext tools (apt-get install gettext)",
    )
    def test_the_catalogue_has_every_translatable_string_of_the_source(self, tmp_path, monkeypatch):
        """Run makemessages on a copy of the package and compare the msgids."""
        copy = tmp_path / "mozilla_django_oidc_db"
        shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        monkeypatch.chdir(copy)

        call_command("makemessages", locale=["nl"], add_location="file", verbosity=0)

        _, committed = read_po(PO_FILE)
        _, extracted = read_po(copy / "locale" / "nl" / "LC_MESSAGES" / "django.po")
        missing = _keys(extracted) - _keys(committed)
        gone = _keys(committed) - _keys(extracted)
        assert not missing, (
            f"{len(missing)} translatable string(s) of the source are not in {PO_FILE.name} "
            f"({UPDATE_HINT}):\n{_show(missing)}"
        )
        assert not gone, (
            f"{PO_FILE.name} has msgid(s) the source no longer uses ({UPDATE_HINT}):\n{_show(gone)}"
        )


# -- what Dutch-speaking users see --------------------------------------------------------


@pytest.fixture(autouse=True)
def _restore_the_language():
    """LocaleMiddleware activates the language of a request for the whole thread and
    leaves it active: put the previous one back, or later tests run in Dutch."""
    with translation.override(translation.get_language()):
        yield


@pytest.fixture
def superuser_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(user)
    return client


def test_the_failure_page_is_dutch(client, db):
    session = client.session
    session[_OIDC_ERROR_SESSION_KEY] = "Something broke"
    session.save()

    response = client.get(reverse("admin-oidc-error"), HTTP_ACCEPT_LANGUAGE="nl")

    assert response.status_code == 200
    page = PyQuery(response.content)
    assert page(".errornote").text() == (
        "Er is iets misgegaan bij het inloggen met uw organisatieaccount."
    )
    assert "neem contact op met uw beheerder" in page("#content-main").text()
    assert page("#content-main a").text() == "Terug naar inloggen"
    assert page("code").text() == "Something broke"


def test_a_login_refused_at_the_start_is_explained_in_dutch(client, db):
    """The message the view stores for the failure page is translated too."""
    assert not OIDCClient.objects.get(identifier="admin-oidc").enabled

    start = client.get(reverse("oidc_authentication_init"), HTTP_ACCEPT_LANGUAGE="nl")
    failure = client.get(start["Location"], HTTP_ACCEPT_LANGUAGE="nl")

    assert start["Location"] == reverse("admin-oidc-error")
    assert PyQuery(failure.content)("code").text() == (
        "Inloggen via deze identiteitsprovider is momenteel uitgeschakeld."
    )


def test_the_invalid_callback_page_is_dutch(client, db):
    response = client.get(
        reverse("oidc_authentication_callback"),
        {"state": "not-a-state-of-this-browser", "code": "x"},
        HTTP_ACCEPT_LANGUAGE="nl",
    )

    assert response.status_code == 400
    page = PyQuery(response.content)
    assert page("h1").text() == "Inloglink niet meer geldig"
    assert "Ga terug en begin opnieuw met inloggen." in page("p").text()


def test_the_admin_login_link_is_dutch(client, manual_admin_client):
    manual_admin_client.enabled = True
    manual_admin_client.save()

    response = client.get(reverse("admin:login"), HTTP_ACCEPT_LANGUAGE="nl")

    assert PyQuery(response.content)("#oidc-login-link").text() == (
        "Inloggen met uw organisatieaccount"
    )


def test_the_client_change_form_is_dutch(superuser_client, manual_admin_client):
    response = superuser_client.get(
        reverse(CLIENT_CHANGE, args=[manual_admin_client.pk]), HTTP_ACCEPT_LANGUAGE="nl"
    )

    assert response.status_code == 200
    page = PyQuery(response.content)
    assert page('label[for="id_oidc_rp_client_id"]').text().rstrip(":") == "Client-ID"
    assert "Client-ID, verstrekt door de OIDC-provider" in page(".field-oidc_rp_client_id").text()
    assert page('label[for="id_oidc_provider"]').text().rstrip(":") == "OIDC-provider"
    titles = {PyQuery(h2).text() for h2 in page("fieldset h2")}
    assert {"Activering", "Relying Party-instellingen", "Geavanceerde instellingen"} <= titles
    # the stored secret is described, not shown
    assert page('input[name="oidc_rp_client_secret"]').attr("placeholder") == (
        "(opgeslagen, niet getoond)"
    )
    # the options editor gets the schema's descriptions in Dutch
    editor = json.loads(page(".field-options [data-django-jsonform]").attr("data-django-jsonform"))
    schema = editor["schema"]
    assert (schema["title"], schema["description"]) == ("Opties", "OIDC-configuratieopties")
    assert schema["properties"]["user_settings"]["description"] == (
        "Instellingen voor het beheer van lokale Django-gebruikers"
    )


def test_the_provider_change_form_is_dutch(superuser_client, manual_provider):
    response = superuser_client.get(
        reverse(PROVIDER_CHANGE, args=[manual_provider.pk]), HTTP_ACCEPT_LANGUAGE="nl"
    )

    assert response.status_code == 200
    page = PyQuery(response.content)
    label = page('label[for="id_oidc_op_discovery_endpoint"]').text().rstrip(":")
    assert label == "Discovery-endpoint"
    titles = {PyQuery(h2).text() for h2 in page("fieldset h2")}
    assert {"Endpoints", "Protocolinstellingen"} <= titles
    # the model's __str__ and verbose name, in Django's "Change %s" title
    assert page("title").text().startswith("OIDC-provider test-op | OIDC-provider wijzigen")


def test_form_errors_are_dutch(db):
    with translation.override("nl"):
        form = OIDCProviderForm(
            data={
                "identifier": "op",
                "oidc_nonce_size": 8,
                "oidc_state_size": 32,
            }
        )

        assert not form.is_valid()
        assert form.errors["oidc_nonce_size"] == [
            "Gebruik minstens 16 tekens, zodat de waarde niet te raden is."
        ]
        assert form.errors["oidc_op_authorization_endpoint"] == ["Dit veld is verplicht."]

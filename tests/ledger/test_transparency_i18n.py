"""The public pages in English and Spanish: Accept-Language, the language switch, and a
catalogue with every public string translated."""

import gettext
import re
from pathlib import Path

import pytest
from django.test import Client

from tests.ledger import fund_life as life

pytestmark = pytest.mark.django_db

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "es" / "LC_MESSAGES"


@pytest.mark.parametrize(
    ("path", "spanish"),
    [
        ("/", "Pagamos la fianza de personas que no pueden pagarla"),
        ("/transparency/", "A dónde va el dinero"),
        ("/transparency/", "Aún en poder de los tribunales"),
        ("/donate/", "Continuar al pago seguro"),
        ("/donate/", "Monto"),
    ],
)
def test_accept_language_es_renders_spanish(client, path, spanish):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9,en;q=0.5")

    body = response.content.decode()
    assert spanish in body
    assert '<html lang="es">' in body
    assert response["Content-Language"] == "es"
    assert "Accept-Language" in response["Vary"]


def test_english_is_the_default(client):
    body = client.get("/transparency/").content.decode()

    assert "Where the money goes" in body
    assert '<html lang="en">' in body


def test_the_language_switch_is_a_form_that_sticks():
    client = Client(enforce_csrf_checks=True)
    page = client.get("/transparency/").content.decode()
    assert 'action="/i18n/setlang/"' in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    refused = client.post("/i18n/setlang/", {"language": "es", "next": "/transparency/"})
    switched = client.post(
        "/i18n/setlang/",
        {"language": "es", "next": "/transparency/", "csrfmiddlewaretoken": token},
    )

    assert refused.status_code == 403

    assert switched.status_code == 302
    assert switched["Location"] == "/transparency/"
    body = client.get("/transparency/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "A dónde va el dinero" in body


def test_each_visitor_gets_their_own_token_in_the_cached_page():
    first, second = Client(), Client()
    pages = [c.get("/transparency/").content.decode() for c in (first, second)]
    tokens = [re.search(r'csrfmiddlewaretoken" value="([^"]+)"', p).group(1) for p in pages]

    assert tokens[0] != tokens[1]
    assert pages[0].replace(tokens[0], "") == pages[1].replace(tokens[1], "")
    assert first.cookies["csrftoken"].value and second.cookies["csrftoken"].value


def test_the_switch_refuses_to_send_anyone_elsewhere(client):
    switched = client.post(
        "/i18n/setlang/", {"language": "es", "next": "https://phishing.example.org/"}
    )

    assert "phishing" not in switched.get("Location", "")


def test_spanish_number_formatting_leaves_the_charts_intact(client, settings):
    from cryptography.fernet import Fernet

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    import datetime as dt

    for n in range(3):
        life.donation(12345 + n, 388, dt.date(2025, 1 + n, 5))
    body = client.get("/transparency/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    coordinates = re.findall(r'<rect x="([^"]+)" y="([^"]+)" width="([^"]+)"', body)
    assert coordinates
    assert all(re.fullmatch(r"-?\d+(\.\d+)?", v) for triple in coordinates for v in triple)


def test_every_public_string_has_a_spanish_translation():
    po = (LOCALE / "django.po").read_text(encoding="utf-8")
    entries = re.findall(
        r'\nmsgid "(.+)"\n(?:msgid_plural "(?:.+)"\n)?((?:msgstr(?:\[\d\])? ".*"\n)+)', po
    )

    assert len(entries) > 100
    untranslated = [msgid for msgid, strs in entries if re.search(r'msgstr(\[\d\])? ""\n', strs)]
    assert untranslated == []
    assert "#, fuzzy" not in po


def test_the_compiled_catalogue_matches_the_source():
    po = (LOCALE / "django.po").read_text(encoding="utf-8")
    msgids = set(re.findall(r'\nmsgid "(.+)"\n', po))
    with (LOCALE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    singular = {key for key in compiled._catalog if isinstance(key, str) and key}
    plural = {key[0] for key in compiled._catalog if isinstance(key, tuple)}
    assert singular | plural == msgids
    for msgid in msgids - plural:
        assert compiled.gettext(msgid) != msgid or msgid in {"Total", "Hash"}, msgid

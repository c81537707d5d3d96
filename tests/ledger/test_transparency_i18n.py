"""The public pages in English and Spanish: the language cookie and Accept-Language, the
language switch (which needs no CSRF token), and a catalogue with every public string
translated."""

import gettext
import re
from pathlib import Path

import pytest
from django.test import Client

from donations.models import Donation
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


def _thanks_page() -> str:
    donation = Donation.objects.create(
        frequency="once",
        status="pending",
        currency="usd",
        gift_amount=2500,
        amount=2500,
        checkout_idempotency_key="checkout:switch",
    )
    return f"/donate/thanks/{donation.public_id}/"


@pytest.mark.parametrize("page", ["/", "/donate/", "/transparency/", "thanks"])
def test_the_language_switch_on_every_public_page_needs_no_token_and_sticks(page):
    client = Client(enforce_csrf_checks=True)
    path = _thanks_page() if page == "thanks" else page
    form = re.search(
        r'<form class="language-switch"(.*?)</form>', client.get(path).content.decode(), re.S
    ).group(0)
    assert 'action="/i18n/setlang/"' in form and 'method="post"' in form
    assert "csrfmiddlewaretoken" not in form
    back_to = re.search(r'name="next" type="hidden" value="([^"]+)"', form).group(1)

    switched = client.post("/i18n/setlang/", {"language": "es", "next": back_to})

    assert switched.status_code == 302
    assert switched["Location"] == path
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="es">' in response.content.decode()
    assert response["Content-Language"] == "es"


def test_the_donate_form_still_needs_its_token():
    client = Client(enforce_csrf_checks=True)

    refused = client.post("/donate/", {"amount_choice": "2500", "frequency": "once"})

    assert refused.status_code == 403
    assert "csrfmiddlewaretoken" in client.get("/donate/").content.decode()


def test_the_language_cookie_wins_over_accept_language(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    spanish = client.get("/transparency/", HTTP_ACCEPT_LANGUAGE="en")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"  # not ours: Accept-Language decides
    english = client.get("/transparency/", HTTP_ACCEPT_LANGUAGE="en")

    assert "A dónde va el dinero" in spanish.content.decode()
    assert spanish["Content-Language"] == "es"
    assert "Where the money goes" in english.content.decode()
    assert english["Content-Language"] == "en"
    for response in (spanish, english):
        assert {"Accept-Language", "Cookie"} <= {v.strip() for v in response["Vary"].split(",")}


def test_the_cached_page_holds_nothing_of_the_visitor(staff_client):
    visitors = [Client(), Client(), staff_client("viewer")]
    responses = [c.get("/transparency/", HTTP_ACCEPT_LANGUAGE="es") for c in visitors]
    pages = [r.content for r in responses]

    assert pages[0] == pages[1] == pages[2]
    assert b"csrfmiddlewaretoken" not in pages[0]
    assert all(not r.cookies for r in responses)  # no CSRF cookie, no session


def test_the_switch_refuses_to_send_anyone_elsewhere(client):
    switched = client.post(
        "/i18n/setlang/", {"language": "es", "next": "https://phishing.example.org/"}
    )

    assert switched.status_code == 302
    assert "phishing" not in switched["Location"]


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

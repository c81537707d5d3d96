"""The public pages in English and Spanish: the language cookie and Accept-Language, the
language switch (which needs no CSRF token), amounts in each language's number format, and
a catalogue with every public string translated."""

import datetime as dt
import gettext
import re
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.test import Client
from django.utils import translation

from donations.models import Donation
from ledger.books.money import format_money
from ledger.public import releases, transparency
from tests.ledger import fund_life as life

pytestmark = pytest.mark.django_db

LOCALE = Path(__file__).resolve().parents[3] / "locale" / "es" / "LC_MESSAGES"
# Words that read the same in both languages.
SAME_IN_BOTH = {"Total", "Hash", "Error"}


@pytest.mark.parametrize(
    ("path", "spanish"),
    [
        ("/", "Pagamos la fianza de personas que no pueden pagarla"),
        ("/transparency/", "A dónde va el dinero"),
        ("/transparency/", "Lo que nunca publicamos"),
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


@pytest.fixture
def released(settings):
    """Gifts in January; bail for six people and support for one in February; both months
    released."""
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.TRANSPARENCY_MIN_CELL = 5
    settings.TRANSPARENCY_RELEASE_LAG_DAYS = 10
    by = life.team()
    for n in range(3):
        life.donation(1_234_567 + n, 36_000, dt.date(2025, 1, 5 + n))
    life.offline_gift(2_000_000, dt.date(2025, 1, 20))
    cases = [life.case("Kings", by=by) for _ in range(6)]
    for n, case in enumerate(cases):
        life.pay(case, 250_000 + 1_000 * n, dt.date(2025, 2, 3), by=by)
    life.pay(cases[0], 4_500, dt.date(2025, 2, 4), by=by, purpose="support")  # one person
    made = releases.releases_publish_due(today=dt.date(2025, 3, 10))
    assert [r.status for r in made] == ["published", "published"]
    transparency.forget()
    return made[-1].content


# An amount in English format: "$25,418.51", "$50.00".
ENGLISH_AMOUNT = re.compile(r"\$\d{1,3}(?:,\d{3})*\.\d{2}(?!\d)")


def test_the_spanish_pages_write_amounts_the_spanish_way(client, released):
    raised = released["money_in"]["total"]["donations_gross"]
    bail = released["people"]["total"]["bail_paid"]
    with translation.override("es"):
        spanish = [format_money(raised, "usd"), format_money(bail, "usd")]
    pages = {
        path: client.get(path, HTTP_ACCEPT_LANGUAGE="es").content.decode()
        for path in ("/", "/transparency/")
    }

    assert spanish == ["$57.037,04".replace(".", "\xa0"), "$15.150,00".replace(".", "\xa0")]
    for path, body in pages.items():
        assert spanish[0] in body, path  # raised so far (home, live) and in the release
        assert spanish[1] in body, path  # bail paid, from the release
        assert not ENGLISH_AMOUNT.findall(body), (path, ENGLISH_AMOUNT.findall(body)[:3])
    english = client.get("/transparency/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "$57,037.04" in english and "$15,150.00" in english
    assert ENGLISH_AMOUNT.findall(english)


def test_the_spanish_page_labels_its_figures_in_spanish(client, released):
    body = client.get("/transparency/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    home = client.get("/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    for label in (
        "Fianzas pagadas",
        "Devuelto por los tribunales",
        "Aún en poder de los tribunales",
        "Personas ayudadas",
        "Recaudado, neto",
        "Por condado",
        "Fianza penal",
        "oculto",  # a suppressed figure
    ):
        assert f">{label}<" in body, label
    for label in (
        "Bail paid",
        "Still held by courts",
        "People helped",
        "suppressed",
        "Criminal bail",
    ):
        assert f">{label}<" not in body, label
    assert ">Fianzas pagadas<" in home and ">Bail paid<" not in home


def test_spanish_number_formatting_leaves_the_charts_intact(client, released):
    body = client.get("/transparency/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    coordinates = re.findall(r'<rect x="([^"]+)" y="([^"]+)" width="([^"]+)"', body)
    assert body.count("<svg") == 2
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
    # A msgid with a context is stored as "context\x04msgid" in the compiled file.
    found = re.findall(r'\n(?:msgctxt "(.+)"\n)?msgid "(.+)"\n', po)
    msgids = {f"{context}\x04{msgid}" if context else msgid for context, msgid in found}
    with (LOCALE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    singular = {key for key in compiled._catalog if isinstance(key, str) and key}
    plural = {key[0] for key in compiled._catalog if isinstance(key, tuple)}
    assert singular | plural == msgids
    for msgid in msgids - plural:
        assert compiled.gettext(msgid) != msgid or msgid in SAME_IN_BOTH, msgid

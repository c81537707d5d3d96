"""The staff pages in Spanish: chosen by Accept-Language or the language switch as on the
public pages, English by default, every text of every staff template marked, and every
string translated in the compiled catalogue."""

import gettext
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from ledger.reports.catalogue import STATEMENTS

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
LOCALE = ROOT / "locale" / "es" / "LC_MESSAGES"
# Every staff template; the statement file (``reports/file.html``) is a document written
# in English whatever the page's language, as the CSVs are.
STAFF_TEMPLATES = sorted(
    path
    for pattern in ("ledger/staff/*.html", "donations/staff/*.html", "ledger/reports/*.html")
    for path in (ROOT / "templates").glob(pattern)
    if path.name != "file.html"
)
# Words a staff page shows as they are in both languages.
SAME_IN_BOTH = {"CSV", "PDF", "UTC"}

PAGES = [
    ("reports:index", "<h1>Estados financieros</h1>", "Desde"),
    ("reports:trial_balance", "<h1>Balance de comprobación</h1>", "Saldo inicial"),
    ("reports:financial_position", "<h1>Estado de situación financiera</h1>", "Activos netos"),
    ("reports:activities", "<h1>Estado de actividades</h1>", "Total de ingresos"),
    ("reports:bail_roll_forward", "<h1>Evolución de fianzas</h1>", "Fianzas pagadas"),
    ("reports:activity_by_court", "<h1>Actividad de fianzas por tribunal</h1>", "Tribunal"),
    ("casework:periods", "<h1>Períodos cerrados</h1>", "Historial"),
    ("casework:opening_balances", "<h1>Saldos iniciales</h1>", "El día en que rigen los saldos"),
    (
        "casework:liquidity",
        "<h1>Fianzas que se espera recuperar: una estimación</h1>",
        "Disponible",
    ),
    ("releases:list", "<h1>Publicaciones públicas</h1>", "Hash del contenido"),
    ("donations:staff_statement_runs", "<h1>Certificados de fin de año</h1>", "certificados"),
    (
        "donations:staff_bank_import",
        "<h1>Importar un extracto bancario</h1>",
        "Archivo del extracto",
    ),
    ("staff_auth:recovery_codes", "<h1>Códigos de recuperación</h1>", "Generar nuevos códigos"),
    ("staff_auth:reverify", "<h1>Escribe un código de nuevo</h1>", "Confirmar"),
    ("donations:staff_home", "<h1>Personal</h1>", "Cerrar sesión"),
    ("donations:staff_wall", "<h1>Muro de donantes</h1>", "En el muro ahora"),
    ("casework:outstanding", "<h1>Fianzas pendientes por antigüedad</h1>", "Condado del caso"),
    ("casework:audit", "<h1>Historial de auditoría</h1>", "La acción empieza por"),
    ("casework:case_new", "<h1>Abrir un caso</h1>", "Número de expediente"),
    ("casework:journal", "Transferencia al banco", "Donación fuera de línea"),
    ("casework:disbursements", "Cheque de caja", "Solicitado"),
    (
        "donations:staff_gift_new",
        "<h1>Registrar una donación en cheque o efectivo</h1>",
        "Número de cheque o de recibo",
    ),
    ("donations:staff_bank_mappings", "<h1>Mapeos CSV de bancos</h1>", "Columna de saldo"),
    ("donations:staff_discrepancies", "Discrepancias entre los libros y Stripe", "Filtrar"),
]


@pytest.fixture
def admin(staff_client):
    return staff_client("admin")


@pytest.mark.parametrize(("name", "heading", "label"), PAGES)
def test_accept_language_es_renders_the_staff_page_in_spanish(admin, name, heading, label):
    response = admin.get(reverse(name), HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9")

    body = response.content.decode()
    assert response.status_code == 200, name
    assert heading in body and label in body
    assert '<html lang="es">' in body
    assert response["Content-Language"] == "es"


@pytest.mark.parametrize(("name", "heading", "label"), PAGES)
def test_english_stays_the_default(admin, name, heading, label):
    body = admin.get(reverse(name)).content.decode()

    assert '<html lang="en">' in body
    assert heading not in body


def test_the_login_pages_follow_the_language_cookie(settings, staff_user):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    login = client.get(reverse("staff_auth:login")).content.decode()
    staff_user("viewer", username="ana", password="a long enough passphrase")
    refused = client.post(
        reverse("staff_auth:login"), {"username": "ana", "password": "wrong"}
    ).content.decode()

    assert "<h1>Acceso del personal</h1>" in login
    assert ">Usuario:</label>" in login and ">Contraseña:</label>" in login
    assert "Usuario o contraseña incorrectos" in refused


def test_a_staff_member_switches_to_spanish_with_the_footer_form(admin):
    page = reverse("reports:index")
    form = re.search(
        r'<form class="language-switch"(.*?)</form>', admin.get(page).content.decode(), re.S
    ).group(0)
    assert 'action="/i18n/setlang/"' in form

    switched = admin.post("/i18n/setlang/", {"language": "es", "next": page})
    body = admin.get(page, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert switched["Location"] == page
    assert "<h1>Estados financieros</h1>" in body


def test_the_csv_stays_in_english_on_the_spanish_page(admin):
    url = reverse("reports:financial_position") + "?from=2025-01-01&to=2025-12-31&format=csv"

    csv_text = admin.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()

    header = csv_text.splitlines()[0]
    assert header.startswith("from,to,row,section,account,line,")
    assert "Net assets" in csv_text and "Activos" not in csv_text


def test_the_account_types_of_a_file_stay_english_too(admin):
    url = reverse("reports:trial_balance") + "?from=2025-01-01&to=2025-12-31&format=csv"

    text = admin.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "Asset" in text and "Activo" not in text


def test_the_statements_titles_follow_the_language():
    from django.utils import translation

    with translation.override("es"):
        spanish = [str(statement.title) for statement in STATEMENTS]
    english = [str(statement.title) for statement in STATEMENTS]

    assert "Estado de actividades" in spanish
    assert "Statement of activities" in english


def _as_msgid(body: str) -> str:
    return " ".join(re.sub(r"{{ (\w+) }}", r"%(\1)s", body.replace("%", "%%")).split())


def _bare_words(text: str) -> list[str]:
    """The words of a template that no translate tag holds: what a page would show in
    English whatever the language."""
    for pattern in (
        r"{% comment %}.*?{% endcomment %}",
        r"{#.*?#}",
        r"{% blocktranslate.*?{% endblocktranslate %}",
        r"{%.*?%}",
        r"{{.*?}}",
        r"<style.*?</style>",
        r"<[^>]*>",
        r"\w+=\"[^\"]*\"",
        r"&#?\w+;",
    ):
        text = re.sub(pattern, " ", text, flags=re.S)
    return [w for w in re.findall(r"[A-Za-z][A-Za-z']+", text) if w not in SAME_IN_BOTH]


@pytest.mark.parametrize("template", STAFF_TEMPLATES, ids=lambda path: path.name)
def test_every_text_of_a_staff_template_is_marked_for_translation(template):
    assert _bare_words(template.read_text(encoding="utf-8")) == []


def _batch_msgids() -> tuple[set[str], set[tuple[str, str]]]:
    """Every string the batch's templates mark, as makemessages writes it: singular ones,
    and (singular, plural) pairs."""
    singular, plural = set(), set()
    for template in STAFF_TEMPLATES:
        text = template.read_text(encoding="utf-8")
        singular |= set(re.findall(r'{% translate "([^"]+)"', text))
        for body in re.findall(r"{% blocktranslate[^%]*%}(.*?){% endblocktranslate %}", text, re.S):
            parts = [_as_msgid(part) for part in body.split("{% plural %}")]
            if len(parts) == 2:
                plural.add((parts[0], parts[1]))
            else:
                singular.add(parts[0])
    return singular, plural


def test_every_string_of_the_staff_templates_is_translated():
    with (LOCALE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    singular, plural = _batch_msgids()

    assert len(singular) > 250 and len(plural) >= 8
    untranslated = [m for m in singular if compiled.gettext(m) == m and m != "Total"]
    untranslated += [one for one, many in plural if compiled.ngettext(one, many, 2) in (one, many)]
    assert untranslated == []
    po = (LOCALE / "django.po").read_text(encoding="utf-8")
    assert "#, fuzzy" not in po

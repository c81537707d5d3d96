"""The case and disbursement pages in Spanish, with the services' refusals and the status
words from the models; what is data (a CSV, an audit entry) stays in English."""

import csv
import io

import pytest
from django.urls import reverse

from ledger.models import AuditEvent
from tests.ledger.casework.conftest import PERSON
from tests.ledger.conftest import deposit, open_case, request_disbursement

pytestmark = pytest.mark.django_db

ES = {"HTTP_ACCEPT_LANGUAGE": "es-MX,es;q=0.9"}


@pytest.fixture
def requested(staff_user, field_keys):
    """A bail request of $500, by someone who is both case manager and approver."""
    deposit(100_000)
    requester = staff_user("case_manager", "approver")
    case = open_case(requester, PERSON, court="Fourth District")
    return request_disbursement(requester, case, 50_000)


def test_the_case_and_disbursement_pages_in_spanish(staff_client, requested):
    admin = staff_client("admin")

    case = admin.get(reverse("casework:case", args=[requested.case.public_id]), **ES)
    page = admin.get(reverse("casework:disbursement", args=[requested.pk]), **ES)

    case_body, body = case.content.decode(), page.content.decode()
    assert f"<h1>Caso {str(requested.case.public_id)[:8]}</h1>" in case_body
    assert "Historial de auditoría de este caso" in case_body
    assert "<dt>Pagado a</dt>" in body and "solicitado" in body
    assert "Historial de auditoría de este desembolso" in body
    assert "Audit history" not in case_body + body


def test_a_refusal_of_the_service_reads_in_spanish_and_is_audited_in_english(
    staff_client, requested, settings
):
    settings.DISBURSEMENT_TWO_PERSON_MIN = 10_000
    requester = staff_client(user=requested.requested_by)

    response = requester.post(
        reverse("casework:approve", args=[requested.pk]), {"confirm": "yes"}, **ES
    )

    assert response.status_code == 400
    assert "Debe aprobarlo una persona distinta de quien lo solicitó." in response.content.decode()
    requested.refresh_from_db()
    assert requested.status == "requested"
    refusals = AuditEvent.objects.filter(object_id=str(requested.pk)).values_list("details")
    assert "Debe" not in str(list(refusals))


def test_a_wrong_period_is_refused_in_spanish(staff_client):
    admin = staff_client("admin")

    response = admin.get(
        reverse("reports:activities"), {"from": "2025-12-31", "to": "2025-01-01"}, **ES
    )

    assert response.status_code == 400
    assert (
        "La fecha «Desde» (2025-12-31) es posterior a la fecha «Hasta» (2025-01-01)."
        in response.content.decode()
    )


def test_a_staff_list_csv_stays_english_on_the_spanish_page(staff_client, requested):
    admin = staff_client("admin")

    response = admin.get(reverse("casework:disbursements"), {"_export": "csv"}, **ES)

    body = b"".join(response.streaming_content) if response.streaming else response.content
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert "Amount (USD)" in rows[0] and "Status" in rows[0]
    assert rows[1][rows[0].index("Status")] == "Requested"
    assert "Solicitado" not in body.decode()

"""The donations side's staff lists (offline gifts, Stripe events, reconciliation runs,
discrepancies, bank statements and mappings): pages, totals over every filtered row, a
search that never finds a donor by name, and CSVs written by the one convention."""

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from donations.models import (
    BankCsvMapping,
    Discrepancy,
    EventStatus,
    ReconciliationRun,
    RunStatus,
    StripeEvent,
)
from donations.offline.services import offline_gift_record
from tests.donations.conftest import open_discrepancy

pytestmark = pytest.mark.django_db


def _csv(response) -> list[dict]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode())))


def _footer(page: str) -> str:
    return re.search(r"<tfoot>(.*?)</tfoot>", page, re.S).group(1)


@pytest.fixture
def gifts(staff_user):
    bookkeeper = staff_user("bookkeeper")
    return [
        offline_gift_record(
            actor=bookkeeper,
            method=method,
            amount=amount,
            received_on=dt.date(2026, 3, day),
            token=f"gift-{day}",
            reference=reference,
            donor_name=name,
        )
        for day, method, amount, reference, name in (
            (1, "check", 50_000, "1001", "Ana Donor"),
            (2, "cash", 2_500, "R-7", ""),
            (3, "check", 125_050, "=1+2", "Ben Giver"),
        )
    ]


def test_gifts_page_with_a_total_over_every_filtered_gift(staff_client, gifts):
    client = staff_client("bookkeeper")
    url = reverse("donations:staff_gifts")

    first = client.get(url, {"per_page": 1}).content.decode()
    second = client.get(url, {"per_page": 1, "page": 2}).content.decode()
    checks = client.get(url, {"per_page": 1, "method": "check"}).content.decode()

    assert "Rows 1–1 of 3" in first and "Rows 2–2 of 3" in second
    assert "$1,775.50" in _footer(first) and "Total, 3 rows" in _footer(first)
    assert "$1,750.50" in _footer(checks) and "Total, 2 rows" in _footer(checks)


def test_gifts_are_found_by_reference_or_ledger_number_never_by_donor(staff_client, gifts):
    client = staff_client("bookkeeper")
    url = reverse("donations:staff_gifts")

    def references(q):
        return {row["Reference"] for row in _csv(client.get(url, {"q": q, "_export": "csv"}))}

    assert references("1001") == {"1001"}
    assert references("r-7") == {"R-7"}
    assert references(str(gifts[2].transaction.sequence)) == {"'=1+2"}
    assert references("Ana Donor") == set() and references("Giver") == set()


def test_the_gifts_csv_follows_the_convention(staff_client, gifts):
    rows = _csv(staff_client("bookkeeper").get(reverse("donations:staff_gifts") + "?_export=csv"))

    assert [row["Amount (USD)"] for row in rows] == ["1250.50", "25.00", "500.00"]
    assert [row["Received on"] for row in rows] == ["2026-03-03", "2026-03-02", "2026-03-01"]
    assert all(
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", row["Recorded at"])
        for row in rows
    )
    assert rows[0]["Reference"] == "'=1+2"  # the formula guard still holds
    assert "Amount" not in rows[0] and "Bounced" not in rows[0]


def test_each_date_input_on_the_gifts_page_has_its_own_label(staff_client, gifts):
    page = staff_client("bookkeeper").get(reverse("donations:staff_gifts")).content.decode()

    ids = re.findall(r'<input type="date"[^>]* id="([^"]+)"', page)
    assert ids == ["id_received_on_after", "id_received_on_before"]
    assert '<label for="id_received_on_after">From</label>' in page
    assert '<label for="id_received_on_before">To</label>' in page


def test_events_page_search_and_count(staff_client):
    for n, type_ in enumerate(("charge.succeeded", "payout.paid", "charge.refunded")):
        StripeEvent.objects.create(
            event_id=f"evt_{n}",
            type=type_,
            stripe_created=timezone.now(),
            payload={},
            status=EventStatus.PROCESSED,
        )
    client = staff_client("bookkeeper")
    url = reverse("donations:staff_events")

    page = client.get(url, {"per_page": 2}).content.decode()
    charges = _csv(client.get(url, {"q": "charge", "_export": "csv"}))

    assert "Rows 1–2 of 3" in page and "3 rows" in _footer(page)
    assert {row["Event"] for row in charges} == {"evt_0", "evt_2"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", charges[0]["Received at"])
    assert charges[0]["Last error"] == ""


def test_runs_and_discrepancies_search_and_totals(staff_client):
    run = ReconciliationRun.objects.create(
        kind="payouts", status=RunStatus.FAILED, error="Stripe timed out", finished_at=None
    )
    open_discrepancy(run)
    Discrepancy.objects.create(
        kind="payout_sum",
        stripe_object="po_1",
        expected=-2_000,
        found=None,
        description="A payout Stripe has and the books do not",
        first_seen_run=run,
        last_seen_at=timezone.now(),
    )
    client = staff_client("bookkeeper")

    runs = _csv(client.get(reverse("donations:staff_runs"), {"q": "timed out", "_export": "csv"}))
    page = client.get(reverse("donations:staff_discrepancies")).content.decode()
    payout = _csv(
        client.get(reverse("donations:staff_discrepancies"), {"q": "po_1", "_export": "csv"})
    )

    assert len(runs) == 1 and runs[0]["Finished at"] == ""
    assert "-$10.00" in _footer(page) and "$9.50" in _footer(page)
    assert [(r["Expected (USD)"], r["Found (USD)"]) for r in payout] == [("-20.00", "")]


def test_mappings_are_searched_by_name_or_bank(staff_client):
    for name, bank in (("Chase checking", "JPMorgan Chase"), ("Savings", "Credit Union")):
        BankCsvMapping.objects.create(
            name=name,
            bank_name=bank,
            date_column="Date",
            description_column="Memo",
            amount_column="Amount",
        )
    client = staff_client("bookkeeper")

    found = _csv(
        client.get(reverse("donations:staff_bank_mappings"), {"q": "union", "_export": "csv"})
    )

    assert [row["Name"] for row in found] == ["Savings"]

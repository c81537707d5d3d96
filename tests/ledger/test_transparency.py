"""The public transparency page and its open data: the figures equal the books, the cache
follows the books, the responses carry validators and CORS, and the cost does not grow
with the journal."""

import csv
import datetime as dt
import io
import json
import threading

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from ledger import transparency
from ledger.models import BailCase, Posting
from ledger.money import format_money
from ledger.services import Entry, checkpoint_create, transaction_post, transactions_post_batch
from tests.ledger import fund_life as life

pytestmark = pytest.mark.django_db

MONEY_TOTALS = (
    "donations_gross",
    "refunds",
    "disputes",
    "processing_fees",
    "donations_net",
    "opening_balance",
    "bail_paid",
    "bail_returned",
    "court_fees",
    "bail_forfeited",
    "bail_outstanding",
    "direct_support",
    "bank_and_cash",
    "approved_unpaid",
    "available",
    "stripe_balance",
)


@pytest.fixture(autouse=True)
def _case_keys(settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.TRANSPARENCY_MIN_CELL = 5


@pytest.fixture
def fund_year():
    """A scripted year: gifts, a refund, a dispute, a payout, offline gifts, eleven people
    bailed out over two months, support, returns with court fees, a forfeiture, and bail
    approved but not yet paid."""
    by = life.team()
    transaction_post(
        kind="opening",
        date=dt.date(2025, 1, 1),
        legs=[("assets:bank", 100_000), ("net_assets:opening_balance", -100_000)],
        idempotency_key="opening",
    )
    for gross, fee in ((10000, 320), (5000, 175), (2500, 103)):
        life.donation(gross, fee, dt.date(2025, 1, 12))
    for gross, fee in ((20000, 610), (4000, 146)):
        life.donation(gross, fee, dt.date(2025, 2, 3))
    life.refund(5000, dt.date(2025, 2, 9))
    life.dispute(3000, dt.date(2025, 2, 11))
    life.payout(25000, dt.date(2025, 2, 20))
    life.offline_gift(300_000, dt.date(2025, 1, 20))
    life.offline_gift(4000, dt.date(2025, 1, 21), account="assets:cash")
    cases = [
        life.case(
            "Kings" if n < 6 else "Queens",
            bail_type="criminal_bail" if n < 8 else "immigration_bond",
            by=by,
        )
        for n in range(11)
    ]
    paid = [
        life.pay(case, 15000 + 100 * n, dt.date(2025, 3 if n < 6 else 4, 10), by=by)
        for n, case in enumerate(cases)
    ]
    life.pay(cases[7], 2500, dt.date(2025, 4, 12), by=by, purpose="support")
    for n, disbursement in enumerate(paid[:5]):
        life.bail_returned(disbursement, disbursement.amount - 300 * (n % 2), 300 * (n % 2),
                           dt.date(2025, 6, 15), by=by)  # fmt: skip
    life.bail_forfeited(paid[6], paid[6].amount, dt.date(2025, 7, 1), by=by)
    life.approved(cases[10], 7000, by=by)
    return cases


def books() -> dict[str, int]:
    """The figures recomputed from the postings themselves, not from any stored total."""
    sums = dict(
        Posting.objects.values_list("account__code").annotate(total=Sum("amount")).order_by()
    )
    bail_paid = (
        Posting.objects.filter(account__code="assets:bail_outstanding", amount__gt=0).aggregate(
            total=Sum("amount")
        )["total"]
        or 0
    )

    def of(code):
        return sums.get(code, 0)

    gross = -of("income:donations")
    net = gross - of("income:donations_refunded") - of("expenses:dispute_losses")
    net -= of("expenses:processing_fees")
    return {
        "donations_gross": gross,
        "refunds": of("income:donations_refunded"),
        "disputes": of("expenses:dispute_losses"),
        "processing_fees": of("expenses:processing_fees"),
        "donations_net": net,
        "opening_balance": -of("net_assets:opening_balance"),
        "bail_paid": bail_paid,
        "bail_returned": bail_paid
        - of("assets:bail_outstanding")
        - of("expenses:court_fees")
        - of("expenses:bail_forfeited"),
        "court_fees": of("expenses:court_fees"),
        "bail_forfeited": of("expenses:bail_forfeited"),
        "bail_outstanding": of("assets:bail_outstanding"),
        "direct_support": of("expenses:direct_support"),
        "bank_and_cash": of("assets:bank") + of("assets:cash"),
        "approved_unpaid": 7000,
        "available": of("assets:bank") + of("assets:cash") - 7000,
        "stripe_balance": of("assets:stripe"),
    }


def test_the_json_totals_equal_the_books_after_a_fund_year(fund_year, client):
    figures = client.get("/transparency.json").json()
    expected = books()

    assert {name: figures["totals"][name] for name in MONEY_TOTALS} == expected
    # The arithmetic a journalist would do, worked by hand:
    assert expected["donations_gross"] == 41500 + 304_000
    assert expected["donations_net"] == 345_500 - 5000 - 3000 - (320 + 175 + 103 + 610 + 146)
    assert expected["bail_paid"] == sum(15000 + 100 * n for n in range(11))
    assert expected["court_fees"] == 600
    assert figures["totals"]["people_helped"] == 11
    assert figures["totals"]["bail_payments"] == 11
    assert figures["totals"]["donations_count"] == 7
    assert figures["ratios"]["average_bail"] == round(expected["bail_paid"] / 11)
    assert figures["ratios"]["recycling_multiple"] == round(
        expected["bail_paid"] / expected["donations_net"], 2
    )


def test_every_dollar_is_accounted_for(fund_year, client):
    totals = client.get("/transparency.json").json()["totals"]

    assert totals["donations_net"] + totals["opening_balance"] == (
        totals["available"]
        + totals["approved_unpaid"]
        + totals["stripe_balance"]
        + totals["bail_outstanding"]
        + totals["court_fees"]
        + totals["bail_forfeited"]
        + totals["direct_support"]
    )
    assert totals["bail_paid"] == (
        totals["bail_returned"]
        + totals["court_fees"]
        + totals["bail_forfeited"]
        + totals["bail_outstanding"]
    )


def test_the_page_shows_the_totals_of_the_books(fund_year, client):
    body = client.get("/transparency/").content.decode()
    expected = books()

    for name in MONEY_TOTALS:
        if name != "bank_and_cash":  # in the open data; the page shows what is available
            assert format_money(expected[name], "usd") in body, name
    assert "held by courts" in body
    assert "comes back" in body or "returns it" in body
    assert ">11<" in body  # people helped


def test_the_monthly_csv_adds_up_to_the_books(fund_year, client):
    response = client.get("/transparency/monthly.csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    expected = books()

    assert response["Content-Type"].startswith("text/csv")
    assert [row["month"] for row in rows] == [f"2025-{m:02d}" for m in range(1, 8)]
    for name in (
        "donations_gross",
        "refunds",
        "disputes",
        "processing_fees",
        "donations_net",
        "bail_paid",
        "bail_returned",
    ):
        assert sum(int(row[name]) for row in rows) == expected[name], name
    # Court fees (two people), the forfeiture and support (one each) are suppressed in
    # every month; their totals are in the JSON.
    for name in ("court_fees", "bail_forfeited", "direct_support"):
        assert {row[name] for row in rows} == {""}, name


def test_the_json_has_the_documented_shape(fund_year, client):
    figures = client.get("/transparency.json").json()

    assert figures["currency"] == "usd"
    assert figures["as_of"].endswith("Z")
    for name in (*MONEY_TOTALS, "people_helped", "donations_count"):
        assert isinstance(figures["totals"][name], int), name
    assert set(figures["monthly"][0]) == {"month", *transparency.MONTHLY_FIELDS}
    assert figures["ledger"]["sequence"] > 0
    assert len(figures["ledger"]["head_hash"]) == 64
    assert set(figures["breakdowns"]) == {"county", "bail_type"}
    assert figures["privacy"] == {"min_cell": 5}


def test_open_data_carries_an_etag_cache_control_and_cors(fund_year, client):
    for path in (
        "/transparency.json",
        "/transparency/monthly.csv",
        "/transparency/checkpoints.json",
    ):
        response = client.get(path, HTTP_ORIGIN="https://news.example.org")

        assert response.status_code == 200
        assert response["ETag"].startswith(('"', 'W/"'))
        assert "public" in response["Cache-Control"] and "max-age=60" in response["Cache-Control"]
        assert response["Access-Control-Allow-Origin"] == "*"
        again = client.get(path, HTTP_IF_NONE_MATCH=response["ETag"])
        assert again.status_code == 304
        assert again.content == b""
        preflight = client.options(path, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
        assert preflight.status_code == 204
        assert "GET" in preflight["Access-Control-Allow-Methods"]
        assert client.post(path).status_code == 405


def test_the_figures_follow_the_books_when_they_change(fund_year, client):
    before = client.get("/transparency.json")

    life.donation(10000, 320, dt.date(2025, 8, 1))
    after = client.get("/transparency.json")

    assert after["ETag"] != before["ETag"]
    assert (
        after.json()["totals"]["donations_gross"]
        == before.json()["totals"]["donations_gross"] + 10000
    )
    assert client.get("/transparency.json", HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 200
    assert "$10,000" not in before.content.decode()
    assert after.json()["ledger"]["sequence"] == before.json()["ledger"]["sequence"] + 1


def test_figures_computed_again_keep_their_etag(fund_year, client):
    first = client.get("/transparency.json")
    from django.core.cache import cache

    cache.clear()  # as if the cached figures had expired, or another process answered
    again = client.get("/transparency.json", HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304


def test_a_new_checkpoint_is_published_at_once(fund_year, client):
    assert client.get("/transparency/checkpoints.json").json()["checkpoints"] == []

    checkpoint = checkpoint_create()
    published = client.get("/transparency/checkpoints.json").json()

    assert published["checkpoints"][0]["sequence"] == checkpoint.sequence
    assert published["checkpoints"][0]["hash"] == checkpoint.hash
    assert published["head"] == {"sequence": checkpoint.sequence, "hash": checkpoint.hash}
    assert checkpoint.hash in client.get("/transparency/").content.decode()


def test_approving_bail_changes_what_is_available_now(fund_year, client):
    before = client.get("/transparency.json").json()["totals"]

    life.approved(fund_year[9], 1234, by=life.team())
    after = client.get("/transparency.json").json()["totals"]

    assert after["approved_unpaid"] == before["approved_unpaid"] + 1234
    assert after["available"] == before["available"] - 1234


def test_a_corrected_county_shows_once_committed(
    fund_year, client, django_capture_on_commit_callbacks
):
    assert "Brooklyn" not in client.get("/transparency.json").content.decode()

    case = BailCase.objects.get(pk=fund_year[0].pk)
    case.county = "Brooklyn"
    with django_capture_on_commit_callbacks(execute=True):
        case.save()  # every save of a case tells the public figures, after commit

    counties = client.get("/transparency.json").json()["breakdowns"]["county"]
    assert "Brooklyn" not in {cell["label"] for cell in counties}  # one case: folded
    assert [cell["people"] for cell in counties if cell["label"] == "Kings"] == [None]


def test_the_json_costs_the_same_queries_at_10_and_10000_transactions(client):
    def post(first, count):
        entries = [
            Entry(
                kind="donation",
                date=dt.date(2024 + n // 5000, 1 + n % 12, 1 + n % 28),
                legs=(
                    ("assets:stripe", 970),
                    ("expenses:processing_fees", 30),
                    ("income:donations", -1000),
                ),
                idempotency_key=f"scale:{n}",
            )
            for n in range(first, first + count)
        ]
        for start in range(0, len(entries), 2000):
            transactions_post_batch(entries=entries[start : start + 2000])

    def queries_for_a_fresh_json() -> int:
        from django.core.cache import cache

        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/transparency.json").status_code == 200
        return len(captured)

    post(0, 10)
    small = queries_for_a_fresh_json()
    post(10, 9_990)
    large = queries_for_a_fresh_json()
    with CaptureQueriesContext(connection) as cached:
        figures = client.get("/transparency.json").json()

    assert figures["ledger"]["sequence"] == 10_000
    assert figures["totals"]["donations_gross"] == 10_000 * 1000
    assert small == large
    assert len(cached) == 1  # the version of the books; the rest comes from the cache


def test_while_one_thread_recomputes_the_others_serve_the_previous_figures(fund_year, client):
    first = client.get("/transparency.json")
    life.donation(10000, 320, dt.date(2025, 8, 1))
    holding = threading.Event()
    release = threading.Event()

    def recomputing():
        with transparency._filling:
            holding.set()
            release.wait(5)

    worker = threading.Thread(target=recomputing)
    worker.start()
    holding.wait(5)
    try:
        during = client.get("/transparency.json")
    finally:
        release.set()
        worker.join()
    after = client.get("/transparency.json")

    assert during.content == first.content
    assert (
        after.json()["totals"]["donations_gross"]
        == first.json()["totals"]["donations_gross"] + 10000
    )


def test_a_refresh_interval_lets_the_figures_lag_the_books_by_that_much(
    fund_year, client, settings
):
    settings.TRANSPARENCY_REFRESH_SECONDS = 300
    first = client.get("/transparency.json")

    life.donation(10000, 320, dt.date(2025, 8, 1))

    assert client.get("/transparency.json").content == first.content
    settings.TRANSPARENCY_REFRESH_SECONDS = 0
    assert client.get("/transparency.json").content != first.content


def test_each_process_asks_the_books_at_most_once_per_interval(
    fund_year, client, settings, monkeypatch
):
    settings.TRANSPARENCY_REFRESH_SECONDS = 1  # the production default
    clock = [1000.0]
    monkeypatch.setattr(transparency.time, "monotonic", lambda: clock[0])
    first = client.get("/transparency.json").content
    clock[0] += 1.5
    with CaptureQueriesContext(connection) as asked:
        assert client.get("/transparency.json").content == first  # books unchanged
    assert len(asked) == 1  # the version, once the interval had passed

    life.donation(10000, 320, dt.date(2025, 8, 1))
    clock[0] += 0.9  # within a second of the last check, not of the computation
    with CaptureQueriesContext(connection) as asked:
        assert client.get("/transparency.json").content == first
    assert len(asked) == 0

    clock[0] += 0.2
    assert client.get("/transparency.json").json()["totals"]["donations_gross"] == (
        json.loads(first)["totals"]["donations_gross"] + 10000
    )


def test_the_home_page_reads_the_same_figures(fund_year, client):
    body = client.get("/").content.decode()
    expected = books()

    assert format_money(expected["donations_gross"], "usd") in body
    assert format_money(expected["available"], "usd") in body
    assert format_money(expected["bail_outstanding"], "usd") in body
    assert 'href="/transparency/"' in body


def test_the_page_works_with_empty_books(client):
    assert client.get("/transparency/").status_code == 200
    figures = client.get("/transparency.json").json()
    assert figures["monthly"] == []
    assert figures["totals"]["people_helped"] == 0
    assert figures["ratios"] == {"recycling_multiple": None, "average_bail": None}
    assert client.get("/transparency/monthly.csv").content.decode().startswith("month,")


def test_the_charts_are_svg_with_a_text_alternative(fund_year, client):
    body = client.get("/transparency/").content.decode()

    assert body.count("<svg") == 2
    assert 'role="img"' in body and "<desc" in body
    assert "The table below lists every month" in body
    assert "<script" not in body


def test_the_open_data_skip_the_middlewares_only_pages_need(fund_year, client, settings):
    response = client.get("/transparency.json")

    assert "Accept-Language" not in response.get("Vary", "")  # one representation for all
    assert "Cookie" not in response.get("Vary", "")
    assert "csrftoken" not in response.cookies and "sessionid" not in response.cookies
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in response
    settings.ALLOWED_HOSTS = ["fund.example.org"]
    assert client.get("/transparency.json").status_code == 400  # the host is still checked


def test_the_page_skips_the_middlewares_only_visitors_pages_need(fund_year, client, settings):
    response = client.get("/transparency/")

    assert response.status_code == 200
    request = response.wsgi_request
    assert not hasattr(request, "session") and not hasattr(request, "user")
    assert not response.cookies
    assert response["Content-Language"] == "en"
    assert response["Content-Length"] == str(len(response.content))
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in response
    assert response["X-Request-ID"]
    assert client.post("/transparency/").status_code == 405
    settings.ALLOWED_HOSTS = ["fund.example.org"]
    assert client.get("/transparency/").status_code == 400  # the host is still checked

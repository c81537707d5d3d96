"""The public transparency page and its open data, served from the published releases:
each release states the books at the end of its month, the documents have the shape the
data dictionary describes, the responses carry validators and CORS, a process keeps its
copy for the refresh interval, and the cost does not grow with the journal."""

import csv
import datetime as dt
import io
import json

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from ledger.books.chart import AT_STRIPE
from ledger.books.money import format_money
from ledger.books.posting import Entry, transactions_post_batch
from ledger.books.tree_heads import checkpoint_create
from ledger.models import BailCase, Disbursement, Posting, ReleaseStatus
from ledger.public import releases, transparency
from ledger.public.release_content import MONEY_IN, PEOPLE_TOTALS, SUPPRESSED
from ledger.public.release_model import MEASURES
from tests.ledger import fund_life as life
from tests.ledger.public.conftest import OPEN_DATA_PATHS, PERIODS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("case_keys")]


def books(through: dt.date) -> dict[str, int]:
    """The figures recomputed from the postings themselves, not from any stored total, as
    they stood at the end of ``through``."""
    postings = Posting.objects.filter(transaction__date__lte=through)
    sums = dict(postings.values_list("account__code").annotate(total=Sum("amount")).order_by())
    bail_paid = (
        postings.filter(account__code="assets:bail_outstanding", amount__gt=0).aggregate(
            total=Sum("amount")
        )["total"]
        or 0
    )

    def of(code):
        return sums.get(code, 0)

    gross = -of("income:donations")
    net = gross - of("income:donations_refunded") - of("expenses:dispute_losses")
    net -= of("expenses:processing_fees")
    kept = of("expenses:court_fees") + of("expenses:bail_forfeited")
    return {
        "donations_gross": gross,
        "refunds": of("income:donations_refunded"),
        "disputes": of("expenses:dispute_losses"),
        "processing_fees": of("expenses:processing_fees"),
        "donations_net": net,
        "opening_balance": -of("net_assets:opening_balance"),
        "bail_paid": bail_paid,
        "bail_returned": bail_paid - of("assets:bail_outstanding") - kept,
        "court_fees": of("expenses:court_fees"),
        "bail_forfeited": of("expenses:bail_forfeited"),
        "kept_by_courts": kept,
        "bail_outstanding": of("assets:bail_outstanding"),
        "direct_support": of("expenses:direct_support"),
        "bank_and_cash": of("assets:bank") + of("assets:cash"),
        # At Stripe, held back, or on its way to the bank (a payout in transit at a month's end).
        "stripe_balance": sum(of(code) for code in AT_STRIPE),
    }


def month_end(period: str) -> dt.date:
    year, month = int(period[:4]), int(period[5:])
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def document(client) -> dict:
    return client.get("/transparency.json").json()


def test_each_release_states_the_books_at_the_end_of_its_month(released, client):
    for release in document(client)["releases"]:
        expected = books(month_end(release["release"]))
        money, people, cash = (
            release["money_in"]["total"],
            release["people"]["total"],
            release["cash"],
        )

        assert {f: money[f] for f in MONEY_IN if f != "donations_count"} == {
            f: expected[f] for f in MONEY_IN if f != "donations_count"
        }, release["release"]
        assert cash["opening_balance"] == expected["opening_balance"]
        assert cash["stripe_balance"] == expected["stripe_balance"]
        assert cash["bank_and_cash"] in (expected["bank_and_cash"], SUPPRESSED)
        for field, value in people.items():
            if field != "people_helped":
                assert value in (expected[field], SUPPRESSED), (release["release"], field)
        helped = (
            Disbursement.objects.filter(paid_on__lte=month_end(release["release"]))
            .values("case")
            .distinct()
            .count()
        )
        assert people["people_helped"] in (helped, SUPPRESSED)

    latest = document(client)["releases"][-1]
    # The arithmetic a journalist would do, worked by hand:
    assert latest["money_in"]["total"]["donations_gross"] == 41500 + 304_000
    assert latest["money_in"]["total"]["donations_net"] == 345_500 - 5000 - 3000 - (
        320 + 175 + 103 + 610 + 146
    )
    assert latest["money_in"]["total"]["donations_count"] == 7
    assert latest["people"]["total"]["bail_paid"] == sum(15000 + 100 * n for n in range(11))
    assert latest["people"]["total"]["people_helped"] == 11
    # Bail approved but not paid is not money that left the fund, and is not public.
    assert "approved" not in json.dumps(latest)


def test_the_month_and_correction_lines_add_up_to_the_totals(released, client):
    by = life.team()
    life.donation(7000, 233, dt.date(2025, 3, 2))  # recorded late, in a released month
    life.pay(released[9], 1800, dt.date(2025, 8, 20), by=by, purpose="support")
    releases.releases_publish_due(today=dt.date(2025, 9, 10))
    transparency.forget()
    found = document(client)["releases"]

    assert found[-1]["release"] == "2025-08"
    assert found[-1]["money_in"]["correction"]["donations_gross"] == 7000
    for field in MONEY_IN:
        lines = sum(r["money_in"][line][field] for r in found for line in ("month", "correction"))
        assert lines == found[-1]["money_in"]["total"][field], field
    # Bail paid was published in every line, so its lines add up in public too.
    assert sum(r["people"]["month"]["bail_paid"] for r in found) == 170_500
    assert found[-1]["people"]["total"]["bail_paid"] == 170_500


def test_the_identities_hold_in_every_release_that_publishes_their_terms(released, client):
    bail_identity, accounted = [], []
    for release in document(client)["releases"]:
        total, cash = release["people"]["total"], release["cash"]
        terms = ("bail_paid", "bail_returned", "kept_by_courts", "bail_outstanding")
        if SUPPRESSED not in [total[f] for f in terms]:
            bail_identity.append(release["release"])
            assert (
                total["bail_paid"] - total["bail_returned"] - total["kept_by_courts"]
                == total["bail_outstanding"]
            )
        if SUPPRESSED not in (
            total["court_fees"],
            total["bail_forfeited"],
            total["kept_by_courts"],
        ):
            assert total["court_fees"] + total["bail_forfeited"] == total["kept_by_courts"]
        uses = [cash["bank_and_cash"], total["bail_outstanding"], total["kept_by_courts"]]
        if SUPPRESSED not in [*uses, total["direct_support"]]:
            accounted.append(release["release"])
            assert release["money_in"]["total"]["donations_net"] + cash["opening_balance"] == (
                sum(uses) + cash["stripe_balance"] + total["direct_support"]
            )

    assert bail_identity == ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05"]
    assert accounted == ["2025-01", "2025-02", "2025-03"]


def test_the_page_shows_the_latest_release_and_the_last_published_figures(released, client):
    body = client.get("/transparency/").content.decode()
    july = books(dt.date(2025, 7, 31))
    may = books(dt.date(2025, 5, 31))

    assert "Figures of the release for 2025-07" in body
    assert "The release for 2025-08 is due on 2025-09-10." in body
    for name in ("donations_gross", "refunds", "disputes", "processing_fees", "donations_net"):
        assert format_money(july[name], "usd") in body, name
    assert format_money(july["bail_paid"], "usd") in body
    assert format_money(july["bail_outstanding"], "usd") in body
    assert ">11<" in body  # people helped
    assert "suppressed" in body
    # Bail returned is suppressed since June; the page says when it was last published,
    # and shows the bail identity from the newest release that published all four terms.
    assert "(2025-05)" in body
    assert "As of 2025-05:" in body
    assert f"{format_money(may['bail_paid'], 'usd')} paid" in body
    assert "At the end of the release for 2025-03" in body
    assert "held by courts" in body and "returns it" in body


def test_the_monthly_csv_has_a_month_and_a_correction_line_per_release(released, client):
    response = client.get("/transparency/monthly.csv")
    text = response.content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    found = document(client)["releases"]

    assert response["Content-Type"].startswith("text/csv")
    assert text.splitlines()[0] == ",".join(
        [
            "release",
            "line",
            *(f"{f}_usd_minor_units" for f in MONEY_IN if f != "donations_count"),
            "donations_count_gifts",
            *(f"{f}_usd_minor_units" for f in MEASURES),
        ]
    )
    assert [(row["release"], row["line"]) for row in rows] == [
        (period, line) for period in PERIODS for line in ("month", "correction")
    ]
    for row in rows:
        release = next(r for r in found if r["release"] == row["release"])
        assert (
            int(row["donations_gross_usd_minor_units"])
            == (release["money_in"][row["line"]]["donations_gross"])
        )
        for measure in MEASURES:
            assert row[f"{measure}_usd_minor_units"] == str(release["people"][row["line"]][measure])
        assert "" not in row.values()  # suppressed says so; nothing is left blank
    assert {
        row["bail_forfeited_usd_minor_units"] for row in rows if row["release"] == "2025-07"
    } == {
        SUPPRESSED,
        "0",
    }


def test_the_data_dictionary_explains_every_published_field(released, client):
    response = client.get("/transparency/data-dictionary.csv")
    rows = {row["field"]: row for row in csv.DictReader(io.StringIO(response.content.decode()))}
    header = client.get("/transparency/monthly.csv").content.decode().splitlines()[0]
    latest = document(client)["releases"][-1]

    assert response["Content-Type"].startswith("text/csv")
    for column in header.split(","):
        field = column.removesuffix("_usd_minor_units").removesuffix("_gifts")
        assert field in rows, column
    fields = [*latest["money_in"]["total"], *latest["people"]["total"], *latest["cash"]]
    fields += [f for row in latest["breakdowns"]["county"] for f in row if f != "other"]
    for field in fields:
        if field not in ("key", "label"):
            assert field in rows, field
    assert rows["bail_paid"]["unit"].startswith("minor units")
    assert "TRANSPARENCY_MIN_CELL" in rows["bail_paid"]["suppression"]
    assert rows["donations_gross"]["suppression"].startswith("never suppressed")
    for field in PEOPLE_TOTALS:
        assert "TRANSPARENCY_MIN_CELL" in rows[field]["suppression"], field


def test_the_json_has_the_documented_shape(released, client):
    figures = document(client)

    assert set(figures) == {
        "fund",
        "currency",
        "latest_release",
        "next_release",
        "releases",
        "bail_paid_by_period",
        "bail_returned_by_period",
        "data_dictionary_url",
        "checkpoints_url",
    }
    assert figures["currency"] == "usd"
    assert figures["latest_release"] == "2025-07"
    assert figures["next_release"] == {"release": "2025-08", "due": "2025-09-10"}
    assert [r["release"] for r in figures["releases"]] == PERIODS
    previous = None
    for release in figures["releases"]:
        content = {key: value for key, value in release.items() if key != "hash"}
        assert release["hash"] == releases.content_hash(content)
        assert release["previous_release_hash"] == previous
        previous = release["hash"]
        assert release["period"] == {
            "start": f"{release['release']}-01",
            "end": month_end(release["release"]).isoformat(),
        }
        assert release["made_at"].endswith("Z")
        assert set(release["breakdowns"]) == {"county", "bail_type"}
        assert release["privacy"]["min_cell"] == 5

    def leaves(value):
        if isinstance(value, dict):
            for item in value.values():
                yield from leaves(item)
        elif isinstance(value, list):
            for item in value:
                yield from leaves(item)
        else:
            yield value

    for release in figures["releases"]:
        for part in ("money_in", "people", "cash", "breakdowns"):
            for value in leaves(release[part]):
                assert value is not None
                assert isinstance(value, (int, bool)) or value == SUPPRESSED or part == "breakdowns"
    assert client.get(figures["data_dictionary_url"]).status_code == 200
    assert client.get(figures["checkpoints_url"]).status_code == 200


def test_bail_by_period_groups_months_until_a_release_publishes_the_total(released, client):
    figures = document(client)

    assert figures["bail_paid_by_period"][2:4] == [
        {"from": "2025-03", "to": "2025-03", "bail_paid": 91_500},
        {"from": "2025-04", "to": "2025-04", "bail_paid": 79_000},
    ]
    assert sum(p["bail_paid"] for p in figures["bail_paid_by_period"]) == 170_500
    # Bail returned is suppressed from June on: no period ends there.
    assert figures["bail_returned_by_period"][-1]["to"] == "2025-05"

    last = transparency.latest_published(figures["releases"], "people", "total", "bail_returned")
    assert last == {"release": "2025-05", "value": 0}
    assert sum(p["bail_returned"] for p in figures["bail_returned_by_period"]) == last["value"]

    # One person in August (the total is suppressed), five in September: one period.
    by = life.team()
    life.bail_paid("Kings", 10_000, dt.date(2025, 8, 4), by=by)
    for n in range(5):
        life.bail_paid("Queens", 11_000 + 100 * n, dt.date(2025, 9, 4), by=by)
    releases.releases_publish_due(today=dt.date(2025, 10, 10))
    transparency.forget()
    figures = document(client)

    assert figures["releases"][-2]["people"]["total"]["bail_paid"] == SUPPRESSED
    assert figures["bail_paid_by_period"][-1] == {
        "from": "2025-08",
        "to": "2025-09",
        "bail_paid": 10_000 + 5 * 11_000 + 1_000,
    }
    body = client.get("/transparency/").content.decode()
    assert "2025-08–2025-09" in body and format_money(66_000, "usd") in body


def test_open_data_carries_an_etag_cache_control_and_cors(released, client):
    for path in OPEN_DATA_PATHS:
        response = client.get(path, HTTP_ORIGIN="https://news.example.org")

        assert response.status_code == 200
        assert response["ETag"].startswith(('"', 'W/"'))
        assert "public" in response["Cache-Control"] and "max-age=60" in response["Cache-Control"]
        assert response["Access-Control-Allow-Origin"] == "*"
        again = client.get(path, HTTP_IF_NONE_MATCH=response["ETag"])
        assert again.status_code == 304
        assert again.content == b""
        head = client.head(path)
        assert head.status_code == 200 and head.content == b""
        assert head["ETag"] == response["ETag"]
        preflight = client.options(path, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
        assert preflight.status_code == 204
        assert "GET" in preflight["Access-Control-Allow-Methods"]
        assert client.post(path).status_code == 405


@pytest.mark.parametrize("path", ["/transparency.json", "/transparency/"])
def test_a_client_that_accepts_gzip_gets_the_same_bytes_compressed(released, client, path):
    import gzip

    plain = client.get(path)
    packed = client.get(path, HTTP_ACCEPT_ENCODING="gzip, deflate, br")

    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) < len(plain.content) / 3
    assert packed["ETag"] != plain["ETag"]
    assert "Accept-Encoding" in packed["Vary"] and "Accept-Encoding" in plain["Vary"]
    again = client.get(path, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=packed["ETag"])
    assert again.status_code == 304


def test_figures_about_people_wait_for_the_next_release(released, client):
    urls = ["/transparency.json", "/transparency/monthly.csv", "/transparency/"]
    before = {url: client.get(url) for url in urls}
    home = client.get("/").content.decode()

    by = life.team()
    life.bail_paid("Queens", 198_765, dt.date(2025, 8, 5), by=by)
    life.donation(10000, 320, dt.date(2025, 8, 1))
    transparency.forget()  # as if the refresh interval had passed

    for url in urls:
        assert client.get(url).content == before[url].content, url
    assert (
        client.get("/transparency.json", HTTP_IF_NONE_MATCH=before[urls[0]]["ETag"]).status_code
        == 304
    )
    # Money raised is live on the home page; the bail figures there are the release's.
    after = client.get("/").content.decode()
    assert format_money(345_500, "usd") in home and format_money(355_500, "usd") in after
    assert after.replace(format_money(355_500, "usd"), format_money(345_500, "usd")) == home

    releases.releases_publish_due(today=dt.date(2025, 9, 10))
    transparency.forget()
    august = document(client)["releases"][-1]
    assert august["release"] == "2025-08"
    assert august["money_in"]["month"]["donations_gross"] == 10000
    # One person's payment: neither the month nor the running total's change may show it.
    assert august["people"]["month"]["bail_paid"] == SUPPRESSED
    assert august["people"]["total"]["bail_paid"] == SUPPRESSED
    assert "198765" not in client.get("/transparency.json").content.decode()


def test_a_release_and_a_checkpoint_are_listed_with_the_release_hash(released, client):
    published = client.get("/transparency/checkpoints.json").json()
    hashes = [r["hash"] for r in document(client)["releases"]]

    assert [c["release_hash"] for c in published["checkpoints"]] == list(reversed(hashes))
    assert "verify_export.py" in published["verify"]
    assert "head" not in published  # only dated checkpoints: no live head of the books

    checkpoint = checkpoint_create()
    published = client.get("/transparency/checkpoints.json").json()

    assert published["checkpoints"][0] == {
        "sequence": checkpoint.sequence,
        "hash": checkpoint.hash,
        "created_at": published["checkpoints"][0]["created_at"],
        "release_hash": None,
    }
    assert checkpoint.hash in client.get("/transparency/").content.decode()


def test_serving_costs_the_same_queries_at_10_and_10000_transactions(client, settings):
    def post(first, count, month):
        entries = [
            Entry(
                kind="donation",
                date=dt.date(2024, month, 1 + n % 28),
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

    def queries(call) -> int:
        with CaptureQueriesContext(connection) as captured:
            call()
        return len(captured)

    def fresh_json():
        transparency.forget()
        assert client.get("/transparency.json").status_code == 200

    post(0, 10, 1)
    releases.releases_publish_due(today=dt.date(2024, 2, 15))
    post(10, 10, 2)
    release_small = queries(lambda: releases.releases_publish_due(today=dt.date(2024, 3, 15)))
    small = queries(fresh_json)
    post(20, 9_980, 3)
    release_large = queries(lambda: releases.releases_publish_due(today=dt.date(2024, 4, 15)))
    large = queries(fresh_json)
    settings.TRANSPARENCY_REFRESH_SECONDS = 60
    client.get("/transparency.json")
    kept = queries(lambda: client.get("/transparency.json"))
    figures = client.get("/transparency.json").json()

    assert figures["releases"][-1]["money_in"]["total"]["donations_gross"] == 10_000 * 1000
    assert release_large == release_small  # a release reads monthly totals, not postings
    assert large == small
    assert kept == 0


def test_the_page_before_anything_is_released(client, fund_year):
    body = client.get("/transparency/").content.decode()
    figures = document(client)

    assert "Nothing has been released yet. The first release, for 2025-01, is due on" in body
    assert figures["releases"] == [] and figures["latest_release"] is None
    assert figures["next_release"] == {"release": "2025-01", "due": "2025-02-10"}
    assert figures["bail_paid_by_period"] == []
    assert client.get("/transparency/monthly.csv").content.decode().startswith("release,line,")
    assert len(client.get("/transparency/monthly.csv").content.decode().splitlines()) == 1


def test_the_page_works_with_empty_books(client):
    response = client.get("/transparency/")
    figures = document(client)

    assert response.status_code == 200
    assert "Nothing is in the books yet." in response.content.decode()
    assert figures["releases"] == [] and figures["next_release"] is None
    assert client.get("/transparency/checkpoints.json").json()["checkpoints"] == []
    assert client.get("/").status_code == 200


def test_a_held_release_is_not_public_and_later_months_wait(client):
    by = life.team()
    life.offline_gift(10_000_000, dt.date(2026, 1, 2))
    for county, count in (("Dakota", 5), ("Hennepin", 6)):
        for n in range(count):
            life.bail_paid(county, 50_000 + 100 * n, dt.date(2026, 1, 10), by=by)
    life.bail_paid("Rice", 345_600, dt.date(2026, 1, 10), by=by)

    held = releases.release_publish(releases.release_build("2026-01", complementary=False))
    figures = document(client)

    assert held.status == ReleaseStatus.HELD
    assert figures["releases"] == []
    assert figures["next_release"]["release"] == "2026-01"
    assert held.content_hash not in client.get("/transparency/checkpoints.json").content.decode()
    assert "Nothing has been released yet" in client.get("/transparency/").content.decode()


def test_the_charts_are_svg_with_a_text_alternative(released, client):
    body = client.get("/transparency/").content.decode()

    assert body.count("<svg") == 2  # money raised by month, bail by period
    assert 'role="img"' in body and "<desc" in body
    assert "The table below lists every month" in body
    assert "The table below lists every period" in body
    assert "<script" not in body


def test_a_corrected_county_shows_in_the_next_release_only(
    released, client, django_capture_on_commit_callbacks
):
    before = client.get("/transparency.json").content

    case = BailCase.objects.get(pk=released[0].pk)
    case.county = "Brooklyn"
    with django_capture_on_commit_callbacks(execute=True):
        case.save()
    transparency.forget()

    assert client.get("/transparency.json").content == before
    releases.releases_publish_due(today=dt.date(2025, 9, 10))
    transparency.forget()
    counties = document(client)["releases"][-1]["breakdowns"]["county"]
    assert "Brooklyn" not in client.get("/transparency.json").content.decode()  # one case
    assert [row["label"] for row in counties] == ["Kings", "Queens", "Other counties"]
    # Kings went from six people to five: a change of one person, which is not published.
    assert [row["people"] for row in counties if row["label"] == "Kings"] == [SUPPRESSED]

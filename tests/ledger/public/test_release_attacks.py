"""The attacker who keeps every publication (docs/open-data.md, "What an attacker can and
cannot learn"), replayed against the releases.

Each attack that worked on the live figures is run again: two snapshots around a bail
payment, a forfeiture and an approval; a complementary suppression that moves between two
publications; one person's amount in a column. Then the attacker's own tool: a linear
program over every published figure of every release, which must leave each unsafe figure
at least TRANSPARENCY_PROTECTION_PERCENT either side of its value.
"""

import datetime as dt
import json

import pytest

from ledger.models import ReleaseStatus, TransparencyRelease
from ledger.public import privacy, releases
from ledger.public.release_model import History, Program, requirements
from tests.ledger import fund_life as life

JAN, FEB, MAR = dt.date(2026, 1, 10), dt.date(2026, 2, 10), dt.date(2026, 3, 10)
LATER = dt.date(2026, 4, 15)  # January to March are due


@pytest.fixture
def by(db, field_keys):
    return life.team()


@pytest.fixture
def funded(by):
    """Money in the bank for the payments below."""
    life.offline_gift(10_000_000, dt.date(2026, 1, 2))
    return by


def publish_all(today=LATER):
    made = releases.releases_publish_due(today=today)
    assert all(r.status == ReleaseStatus.PUBLISHED for r in made), [r.held_reason for r in made]
    return made


def released(period: str) -> dict:
    """What the public reads of the release of ``period``."""
    return TransparencyRelease.objects.get(period=period).content


def published_truths():
    return [r.truth for r in TransparencyRelease.objects.filter(status=ReleaseStatus.PUBLISHED)]


def attacker_bounds(scope, selector, measure, *, release=-1):
    """The tightest bounds an attacker holding every published release can put on a
    figure, from the published values."""
    truths = published_truths()
    history = History(truths)
    program = Program(history)
    for index, truth in enumerate(truths):
        for cell in truth["cells"]:
            if cell["published"]:
                program.publish(
                    index,
                    cell["scope"],
                    (cell["selector"][0], tuple(cell["selector"][1])),
                    cell["measure"],
                    cell["value"],
                )
    index = release % len(truths)
    return program.model.interval(program.form(index, scope, selector, measure))


def assert_protected(bounds, value):
    margin = privacy.protection() * value
    lower, upper = bounds
    assert lower <= value - margin and upper >= value + margin, (bounds, value)


def people(county, count, amount, on, *, by, bail_type="criminal_bail"):
    cases = [life.case(county, by=by, bail_type=bail_type) for _ in range(count)]
    return [life.pay(case, amount + n * 100, on, by=by) for n, case in enumerate(cases)]


# Two snapshots around one event ----------------------------------------------------------------


@pytest.mark.parametrize("event", ["payment", "forfeiture", "approval"])
def test_two_snapshots_around_a_payment_forfeiture_or_approval_are_identical(client, funded, event):
    people("Dakota", 6, 50_000, JAN, by=funded)
    paid = life.bail_paid("Dakota", 80_000, JAN, by=funded)
    publish_all()
    urls = ["/transparency.json", "/transparency/monthly.csv", "/transparency/", "/"]
    before = {url: client.get(url).content for url in urls}

    if event == "payment":
        life.bail_paid("Dakota", 900_000, dt.date(2026, 2, 3), by=funded)
    elif event == "forfeiture":
        life.bail_forfeited(paid, 80_000, dt.date(2026, 2, 3), by=funded)
    else:
        life.approved(life.case("Dakota", by=funded), 900_000, by=funded)

    releases_module_forget()
    after = {url: client.get(url).content for url in urls}
    assert after == before


def releases_module_forget():
    from ledger.public import transparency

    transparency.forget()  # as if the refresh interval had passed


def test_the_month_of_a_single_9000_payment_never_shows_its_amount(funded):
    people("Dakota", 6, 50_000, JAN, by=funded)
    life.bail_paid("Hennepin", 900_000, FEB, by=funded)
    publish_all()

    february = released("2026-02")
    assert february["people"]["month"]["bail_paid"] == "suppressed"
    assert february["people"]["total"]["bail_paid"] == "suppressed"  # its change is one person
    assert "900000" not in json.dumps(february)
    assert_protected(attacker_bounds("month", ("all", ()), "bail_paid", release=1), 900_000)
    assert_protected(
        attacker_bounds("delta", ("county", ("hennepin",)), "bail_paid", release=1), 900_000
    )


def test_approved_unpaid_bail_is_never_public(client, funded):
    people("Dakota", 6, 50_000, JAN, by=funded)
    life.approved(life.case("Dakota", by=funded), 777_700, by=funded)
    publish_all()

    body = client.get("/transparency.json").content.decode()
    assert "approved_unpaid" not in body and "777700" not in body


# The moving complementary cell -----------------------------------------------------------------


def test_a_complementary_suppression_that_moves_gives_nothing_away(funded):
    """Dakota 5 people, Hennepin 6, Rice 1 (bail $3,456); then one more in Dakota. With
    suppression chosen afresh each time, two publications gave Rice's bail exactly."""
    people("Dakota", 5, 50_000, JAN, by=funded)
    people("Hennepin", 6, 60_000, JAN, by=funded)
    life.bail_paid("Rice", 345_600, JAN, by=funded)
    people("Dakota", 1, 55_000, FEB, by=funded)
    publish_all()

    assert releases.audit(published_truths()) == []
    for release in (0, 1, 2):
        assert_protected(
            attacker_bounds("cumulative", ("county", ("rice",)), "bail_paid", release=release),
            345_600,
        )
    people_bounds = attacker_bounds("cumulative", ("county", ("rice",)), "people")
    assert people_bounds[0] <= 0 or people_bounds[1] >= privacy.min_cell()


# One person's amount in a column ---------------------------------------------------------------


def test_one_persons_support_is_not_shown_in_a_county_of_seven(funded):
    cases = [life.case("Dakota", by=funded) for _ in range(7)]
    for n, case in enumerate(cases):
        life.pay(case, 40_000 + n * 1_000, JAN, by=funded)
    life.pay(cases[0], 27_500, JAN, by=funded, purpose="support")
    publish_all()

    county = released("2026-01")["breakdowns"]["county"]
    dakota = next(row for row in county if row["key"] == "dakota")
    assert dakota["people"] == 7 and dakota["bail_paid"] != "suppressed"
    assert dakota["direct_support"] == "suppressed"
    assert_protected(
        attacker_bounds("cumulative", ("county", ("dakota",)), "direct_support"), 27_500
    )


def test_outstanding_bail_of_the_last_person_still_out_is_not_shown(funded):
    paid = people("Dakota", 6, 50_000, JAN, by=funded)
    for d in paid[1:]:
        life.bail_returned(d, d.amount, 0, FEB, by=funded)
    publish_all()

    assert released("2026-02")["people"]["total"]["bail_outstanding"] == "suppressed"
    assert_protected(attacker_bounds("cumulative", ("all", ()), "bail_outstanding"), 50_000)


def test_a_dominated_amount_is_suppressed_even_over_enough_people(funded):
    people("Dakota", 5, 10_000, JAN, by=funded)
    life.bail_paid("Dakota", 2_000_000, JAN, by=funded)
    publish_all()

    assert released("2026-01")["people"]["month"]["bail_paid"] == "suppressed"
    assert "2 people make up over 80%" in privacy.unsafe_amount([2_000_000, 10_000] + [10_100] * 4)


# The attacker's audit over a whole fund life ---------------------------------------------------


def test_over_a_year_of_releases_no_unsafe_figure_can_be_pinned(funded):
    counties = ["Dakota", "Hennepin", "Ramsey", "Rice", "Anoka", "Scott"]
    ledger_dates = [dt.date(2026, month, 12) for month in range(1, 7)]
    paid = []
    for month, on in enumerate(ledger_dates):
        for n in range(2 + month % 3):
            county = counties[(month * 3 + n) % len(counties)]
            bail_type = "immigration_bond" if n == 2 else "criminal_bail"
            paid.append(
                life.pay(
                    life.case(county, by=funded, bail_type=bail_type),
                    30_000 + 7_919 * n,
                    on,
                    by=funded,
                )
            )
        if month >= 2:
            life.bail_returned(paid[month], paid[month].amount - 5_000, 5_000, on, by=funded)
    life.bail_forfeited(paid[1], paid[1].amount, ledger_dates[4], by=funded)
    publish_all(today=dt.date(2026, 7, 15))

    truths = published_truths()
    assert len(truths) == 6
    assert releases.audit(truths) == []


def test_the_audits_published_figures_are_exactly_the_public_ones(client, funded):
    people("Dakota", 6, 50_000, JAN, by=funded)
    people("Hennepin", 2, 70_000, FEB, by=funded)
    publish_all()

    public = json.loads(client.get("/transparency.json").content)["releases"]
    for release, truth in zip(public, published_truths(), strict=True):
        cells = {cell["id"]: cell for cell in truth["cells"]}
        for measure, value in release["people"]["month"].items():
            cell = cells[f"month.{measure}"]
            assert value == (cell["value"] if cell["published"] else "suppressed")
        for measure, value in release["people"]["total"].items():
            cell = cells["total.people" if measure == "people_helped" else f"total.{measure}"]
            assert value == (cell["value"] if cell["published"] else "suppressed")


def test_the_audit_bounds_changes_over_spans_of_several_releases(funded):
    """Rice's two payments in February and March: each month is one person, and the two
    months together two; the audit bounds the change over the span as well."""
    people("Dakota", 6, 50_000, JAN, by=funded)
    life.bail_paid("Rice", 30_000, FEB, by=funded)
    life.bail_paid("Rice", 40_000, MAR, by=funded)
    publish_all()

    history = History(published_truths())
    (span,) = [
        r
        for r in requirements(history, Program(history))
        if r.label.startswith("2026-02..2026-03 change")
        and "rice" in r.label
        and r.label.endswith(" bail_paid")
    ]
    assert span.value == 70_000 and span.why == "fewer than 5 people"
    assert releases.audit(published_truths()) == []


def test_a_zero_is_not_published_for_a_group_of_fewer_than_the_minimum(funded):
    """ "Other counties: bail still held 0" over one person would say that person's case
    is over."""
    people("Dakota", 6, 50_000, JAN, by=funded)
    (rice,) = people("Rice", 1, 40_000, JAN, by=funded)
    life.bail_returned(rice, 40_000, 0, FEB, by=funded)
    publish_all()

    for release in TransparencyRelease.objects.all():
        other = next(
            row for row in release.content["breakdowns"]["county"] if row["key"] == "other"
        )
        fields = ("people", "bail_paid", "direct_support", "bail_outstanding")
        assert [other[field] for field in fields] == ["suppressed"] * 4


def test_a_small_groups_zero_cannot_be_worked_out_from_the_other_figures(funded):
    """With two named counties and the total published, "Other counties: bail still held"
    would be their difference: 0, over one person."""
    people("Dakota", 6, 50_000, JAN, by=funded)
    people("Hennepin", 6, 60_000, JAN, by=funded)
    (rice,) = people("Rice", 1, 40_000, JAN, by=funded)
    life.bail_returned(rice, 40_000, 0, FEB, by=funded)
    people("Dakota", 5, 45_000, MAR, by=funded)  # enough change for the totals to move
    publish_all()

    for release in (1, 2):
        lower, upper = attacker_bounds(
            "cumulative", ("county", ("rice",)), "bail_outstanding", release=release
        )
        assert upper - lower >= 1, (release, lower, upper)
    assert releases.audit(published_truths()) == []

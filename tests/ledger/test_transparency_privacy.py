"""The privacy rules of the public figures (ledger.privacy; docs/open-data.md).

First the rules on their own, including adversarial tables; then the whole public side
(home page, transparency page, JSON, CSV, checkpoints) after seeding identifying data that
must never appear in any of it.
"""

import datetime as dt
import itertools
import json
import re

import pytest
from cryptography.fernet import Fernet
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import privacy
from tests.ledger import fund_life as life

MIN = 5


def group(key, people, amount=None, other=False):
    """A group of ``people`` (a count, or the case ids themselves) with a bail sum."""
    ids = set(people) if not isinstance(people, int) else {hash((key, n)) for n in range(people)}
    amount = sum(1000 + i for i in range(len(ids))) if amount is None else amount
    return privacy.Group(key, key.title(), ids, {"bail_paid": amount}, other=other)


def published(groups, *, fold=True):
    return privacy.breakdown(
        groups, amount_names=["bail_paid"], fold_into_other=fold, other_label="Other", minimum=MIN
    )


def visible(cells):
    return {cell.key: cell.people for cell in cells if not cell.suppressed}


# The rules on their own ----------------------------------------------------------------------


def test_a_county_with_one_case_is_folded_into_other_and_never_named():
    cells = published([group("kings", 9), group("queens", 7), group("loving", 1)])

    assert [cell.key for cell in cells] == ["kings", "queens", "other"]
    assert "loving" not in {cell.key for cell in cells}
    assert "Loving" not in {cell.label for cell in cells}


def test_other_below_the_minimum_is_suppressed_with_the_next_smallest_cell():
    cells = published([group("kings", 9), group("queens", 7), group("loving", 1)])

    assert visible(cells) == {"kings": 9}
    hidden = [cell for cell in cells if cell.suppressed]
    assert {cell.key for cell in hidden} == {"queens", "other"}
    assert all(cell.people is None and cell.amounts == {"bail_paid": None} for cell in hidden)


def test_a_county_with_exactly_the_minimum_is_published():
    cells = published([group("kings", 9), group("bronx", MIN)])

    assert visible(cells) == {"kings": 9, "bronx": MIN}


def test_a_county_one_below_the_minimum_is_folded():
    cells = published([group("kings", 9), group("bronx", MIN - 1), group("queens", 6)])

    assert "bronx" not in {cell.key for cell in cells}
    assert visible(cells) == {"kings": 9}  # other (4) hidden, and queens to protect it


def test_several_small_counties_that_together_reach_the_minimum_are_shown_as_other():
    cells = published([group("kings", 9), group("a", 2), group("b", 2), group("c", 1)])

    assert visible(cells) == {"kings": 9, "other": 5}
    assert cells[-1].other and cells[-1].label == "Other"


def test_a_dimension_that_is_not_folded_suppresses_its_small_cells_and_a_complement():
    cells = published(
        [group("criminal_bail", 20), group("immigration_bond", 2), group("other_support", 8)],
        fold=False,
    )

    assert visible(cells) == {"criminal_bail": 20}


def test_empty_cells_are_shown_as_zero_and_never_used_as_a_complement():
    cells = published(
        [group("criminal_bail", 20), group("immigration_bond", 0, 0), group("other_support", 3)],
        fold=False,
    )

    assert visible(cells) == {"immigration_bond": 0}
    assert [cell.suppressed for cell in cells] == [True, False, True]


def test_a_dimension_with_fewer_people_than_the_minimum_shows_nothing_not_even_zeros():
    cells = published(
        [group("criminal_bail", 3), group("immigration_bond", 0, 0), group("other_support", 0, 0)],
        fold=False,
    )

    assert all(cell.suppressed for cell in cells)


def test_a_person_in_two_hidden_cells_is_counted_once_for_the_complement():
    # One person paid twice, in two months: the hidden pair is one person, not two.
    months = ["2025-01", "2025-02", "2025-03", "2025-04"]
    people = {
        "2025-01": {1},
        "2025-02": {1},
        "2025-03": {2, 3, 4, 5, 6},
        "2025-04": set(range(7, 20)),
    }
    amounts = {"2025-01": 100, "2025-02": 200, "2025-03": 5000, "2025-04": 90000}

    values = privacy.series(months, people, amounts, minimum=MIN)

    assert values == {"2025-01": None, "2025-02": None, "2025-03": None, "2025-04": 90000}


def test_a_month_with_a_single_bail_payment_is_not_published():
    months = ["2025-03", "2025-04", "2025-05"]
    people = {"2025-03": set(range(1, 7)), "2025-04": set(range(7, 12)), "2025-05": {12}}
    amounts = {"2025-03": 60000, "2025-04": 50000, "2025-05": 12345}

    values = privacy.series(months, people, amounts, minimum=MIN)

    assert values == {"2025-03": 60000, "2025-04": None, "2025-05": None}


def test_the_minimum_comes_from_settings_and_is_never_below_two(settings):
    settings.TRANSPARENCY_MIN_CELL = 10
    assert privacy.min_cell() == 10
    settings.TRANSPARENCY_MIN_CELL = 1
    assert privacy.min_cell() == 2


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=8),
    st.integers(min_value=2, max_value=6),
    st.booleans(),
)
def test_no_hidden_cell_can_be_recovered_from_the_total(sizes, minimum, fold):
    ids = itertools.count()
    groups = [
        privacy.Group(f"k{i}", f"K{i}", {next(ids) for _ in range(size)}, {"n": size})
        for i, size in enumerate(sizes)
    ]
    cells = privacy.breakdown(
        groups, amount_names=["n"], fold_into_other=fold, other_label="Other", minimum=minimum
    )
    shown = [cell for cell in cells if not cell.suppressed]
    hidden = [cell for cell in cells if cell.suppressed]
    total = sum(sizes)

    # Every published count is at least the minimum, or an empty cell when that is safe.
    assert all(cell.people >= minimum or cell.people == 0 for cell in shown)
    if hidden:
        # What can be recovered (total minus the visible cells) covers enough people and,
        # unless everything is hidden, more than one cell.
        recovered = total - sum(cell.people for cell in shown)
        assert recovered >= minimum or not shown
        assert len(hidden) >= 2 or not shown
    if total < minimum and total > 0:
        assert not shown


# The whole public side, after seeding identifying data --------------------------------------

NAMES = ["Aurelia Quintanilla-Voss", "Marguerite Oyelaran", "Tobias Fenwick-Ruiz"]
DOCKETS = ["CR-2025-0047731", "IMM-A-208-331-907", "CR-2025-0099512"]
BOOKINGS = ["BK-88231907", "BK-77100235"]
BIRTH_DATES = ["1994-07-23", "1988-11-02"]
NOTES = ["Sleeping at the Ninth Street shelter", "Call sister before court"]
LONE_COUNTY = "Loving"
# Amounts no aggregate can equal by chance: each person's bail is distinctive.
ODD_AMOUNTS = [123457, 98761, 77713, 65537, 43219, 31337, 27183, 16183, 14142, 17321, 22367]
LONE_AMOUNT = 1234567
# Six people paid in March, five in April, and the lone case alone in May.
PAID_ON = [dt.date(2025, 3 if n < 6 else 4, 3 + n) for n in range(11)]
LONE_PAID_ON = dt.date(2025, 5, 17)
RETURNS = [(120000, 3457, dt.date(2025, 6, 9)), (95000, 3761, dt.date(2025, 6, 23))]
FORFEITED_ON = dt.date(2025, 7, 21)


@pytest.fixture
def seeded(settings, db):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.TRANSPARENCY_MIN_CELL = MIN
    by = life.team()
    life.offline_gift(5_000_000, dt.date(2025, 1, 10))
    cases = [
        life.case(
            "Kings" if n < 6 else "Queens",
            bail_type="criminal_bail" if n % 4 else "immigration_bond",
            name=NAMES[n % len(NAMES)],
            docket=DOCKETS[n % len(DOCKETS)] + f"-{n}",
            booking=BOOKINGS[n % len(BOOKINGS)],
            born=BIRTH_DATES[n % len(BIRTH_DATES)],
            notes=NOTES[n % len(NOTES)],
            court="Kings County Criminal Court" if n < 6 else "Queens Immigration Court",
            by=by,
        )
        for n in range(11)
    ]
    paid = [
        life.pay(case, amount, on, by=by)
        for case, amount, on in zip(cases, ODD_AMOUNTS, PAID_ON, strict=True)
    ]
    lone = life.case(LONE_COUNTY, name="Solitary Person", docket="CR-LONE-1", by=by)
    lone_paid = life.pay(lone, LONE_AMOUNT, LONE_PAID_ON, by=by)
    for disbursement, (returned, fees, on) in zip(paid, RETURNS, strict=False):
        life.bail_returned(disbursement, returned, fees, on, by=by)
    # Two forfeitures, so that no all-time total is one person's amount.
    life.bail_forfeited(lone_paid, LONE_AMOUNT, FORFEITED_ON, by=by)
    life.bail_forfeited(paid[2], ODD_AMOUNTS[2], FORFEITED_ON, by=by)
    return {"cases": cases, "lone": lone}


def _public_responses(client):
    paths = [
        "/",
        "/transparency/",
        "/transparency.json",
        "/transparency/monthly.csv",
        "/transparency/checkpoints.json",
    ]
    bodies = {}
    for path in paths:
        for language in ("en", "es"):
            response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, path
            bodies[(path, language)] = response.content.decode()
    return bodies


def _money_forms(amount: int) -> list[str]:
    whole, cents = divmod(amount, 100)
    return [f"{whole:,}.{cents:02d}", f"{whole}.{cents:02d}", f"{whole:.0f},{cents:02d}"]


def test_no_identifying_string_ever_appears_in_a_public_response(seeded, client):
    bodies = _public_responses(client)
    forbidden = [*NAMES, "Solitary Person", *DOCKETS, "CR-LONE-1", *BOOKINGS, *NOTES]
    forbidden += BIRTH_DATES + [LONE_COUNTY, "Kings County Criminal Court", "Immigration Court"]
    forbidden += [str(case.public_id) for case in seeded["cases"]]

    for (path, language), body in bodies.items():
        for text in forbidden:
            assert text not in body, f"{text!r} in {path} ({language})"


def test_no_exact_per_person_date_or_amount_ever_appears(seeded, client):
    bodies = _public_responses(client)

    for (path, language), body in bodies.items():
        per_person = [*ODD_AMOUNTS, LONE_AMOUNT, *(n for r in RETURNS for n in r[:2])]
        for amount in per_person:
            assert not re.search(rf"(?<![\w.,]){amount}(?!\w)", body), (amount, path)
            for form in _money_forms(amount):
                assert form not in body, (form, path, language)
        for day in [*PAID_ON, LONE_PAID_ON, FORFEITED_ON, *(r[2] for r in RETURNS)]:
            assert day.isoformat() not in body, (day, path)
            assert day.strftime("%d/%m/%Y") not in body and day.strftime("%m/%d/%Y") not in body


def test_the_lone_payment_and_the_rare_outcomes_are_in_no_published_month(seeded, client):
    figures = client.get("/transparency.json").json()
    months = {row["month"]: row for row in figures["monthly"]}

    assert months["2025-03"]["bail_paid"] == sum(ODD_AMOUNTS[:6])  # six people
    assert months["2025-05"]["bail_paid"] is None  # the lone payment
    assert months["2025-04"]["bail_paid"] is None  # its complement
    # Two forfeitures and two returns ever: every month of those series is hidden, zeros
    # included, so the zeros cannot say which month they were in.
    for series in ("bail_forfeited", "bail_returned", "court_fees"):
        assert all(row[series] is None for row in figures["monthly"]), series
    # The totals stay exact.
    assert figures["totals"]["bail_paid"] == sum(ODD_AMOUNTS) + LONE_AMOUNT
    assert figures["totals"]["bail_forfeited"] == LONE_AMOUNT + ODD_AMOUNTS[2]


def test_every_breakdown_respects_the_minimum_and_complementary_suppression(seeded, client):
    figures = client.get("/transparency.json").json()
    total = figures["totals"]["people_helped"]

    for name, cells in figures["breakdowns"].items():
        shown = [cell for cell in cells if not cell["suppressed"]]
        hidden = [cell for cell in cells if cell["suppressed"]]
        assert all(cell["people"] >= MIN or cell["people"] == 0 for cell in shown), name
        assert all(cell["people"] is None and cell["bail_paid"] is None for cell in hidden), name
        if hidden:
            assert len(hidden) >= 2, name
            assert total - sum(cell["people"] for cell in shown) >= MIN, name
    counties = {cell["label"]: cell for cell in figures["breakdowns"]["county"]}
    assert set(counties) == {"Kings", "Queens", "Other counties"}
    assert counties["Kings"]["people"] == 6
    # "Other" holds the lone case and is hidden, and so is the next smallest county.
    assert counties["Other counties"]["suppressed"] and counties["Queens"]["suppressed"]


def test_the_open_data_holds_no_key_that_could_carry_a_case(seeded, client):
    def keys(value):
        if isinstance(value, dict):
            for key, item in value.items():
                yield key
                yield from keys(item)
        elif isinstance(value, list):
            for item in value:
                yield from keys(item)

    document = client.get("/transparency.json").json()
    found = set(keys(document)) | set(keys(client.get("/transparency/checkpoints.json").json()))

    for word in ("name", "docket", "booking", "birth", "note", "case", "public_id", "day", "date"):
        assert not [key for key in found if word in key], word
    assert json.dumps(document).count('"month"') == len(document["monthly"])

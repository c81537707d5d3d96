"""The privacy rules of the public figures (ledger.public.privacy; docs/open-data.md, "Privacy
rules").

First the rules on their own: the minimum number of people behind a figure, the dominance
rule, small counts, and the folding of small counties into "Other counties". Then the whole
public side (home page, transparency page, JSON, CSV, data dictionary, checkpoints), after
releases of a fund whose cases carry names, dockets and courts that must never appear in
any of it.
"""

import datetime as dt
import json
import re

import pytest
from cryptography.fernet import Fernet
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ledger.models import ReleaseStatus, TransparencyRelease
from ledger.public import privacy, releases, transparency
from ledger.public.release_content import SUPPRESSED
from tests.ledger import fund_life as life
from tests.ledger.public.conftest import PUBLIC_PATHS

MIN = 5


@pytest.fixture(autouse=True)
def _rules(settings):
    settings.TRANSPARENCY_MIN_CELL = MIN
    settings.TRANSPARENCY_DOMINANCE_PEOPLE = 2
    settings.TRANSPARENCY_DOMINANCE_PERCENT = 80
    settings.TRANSPARENCY_PROTECTION_PERCENT = 20


# The rules on their own ----------------------------------------------------------------------


def test_an_amount_from_fewer_than_the_minimum_of_people_is_unsafe():
    assert privacy.unsafe_amount([10_000, 11_000, 12_000, 13_000]) == "fewer than 5 people"
    assert privacy.unsafe_amount([10_000, 11_000, 12_000, 13_000, 14_000]) is None
    assert privacy.unsafe_amount([123_456]) == "fewer than 5 people"


def test_nothing_at_all_is_a_safe_zero_and_zeros_are_nobody():
    assert privacy.unsafe_amount([]) is None
    assert privacy.unsafe_amount([0, 0, 0]) is None
    # Four people and six zeros: still four people behind the amount.
    assert privacy.unsafe_amount([0] * 6 + [10_000, 11_000, 12_000, 13_000]) is not None


def test_an_amount_two_people_dominate_is_unsafe_even_over_enough_people():
    dominated = [400_000, 400_000, 50_000, 50_000, 50_000]  # the two: 84%
    assert privacy.unsafe_amount(dominated) == "2 people make up over 80%"
    # Exactly 80% is allowed: the rule is "over".
    assert privacy.unsafe_amount([40_000, 40_000, 10_000, 5_000, 5_000]) is None
    assert privacy.unsafe_amount([40_000, 40_001, 10_000, 5_000, 5_000]) is not None


def test_the_dominance_rule_weighs_corrections_of_either_sign():
    # A correction: one person's bail cut by 90,000, small changes for four others. The
    # size of each change is what could single someone out, whatever its sign.
    assert privacy.unsafe_amount([-90_000, 1_000, 1_000, 1_000, 1_000]) is not None
    assert privacy.unsafe_amount([-10_000, 9_000, -11_000, 10_500, 9_500]) is None


def test_the_thresholds_come_from_settings(settings):
    amounts = [30_000, 20_000, 10_000, 10_000, 10_000, 10_000]
    assert privacy.unsafe_amount(amounts) is None

    settings.TRANSPARENCY_MIN_CELL = 7
    assert privacy.unsafe_amount(amounts) == "fewer than 7 people"
    assert privacy.unsafe_count(6) == "fewer than 7 people"

    settings.TRANSPARENCY_MIN_CELL = 5
    settings.TRANSPARENCY_DOMINANCE_PEOPLE, settings.TRANSPARENCY_DOMINANCE_PERCENT = 1, 30
    assert privacy.unsafe_amount(amounts) == "1 people make up over 30%"
    assert privacy.dominance() == (1, 30)

    settings.TRANSPARENCY_PROTECTION_PERCENT = 35
    assert privacy.protection() == pytest.approx(0.35)


def test_the_minimum_is_never_below_two(settings):
    settings.TRANSPARENCY_MIN_CELL = 10
    assert privacy.min_cell() == 10
    settings.TRANSPARENCY_MIN_CELL = 1
    assert privacy.min_cell() == 2
    assert privacy.unsafe_amount([50_000]) == "fewer than 2 people"
    assert privacy.unsafe_count(1) == "fewer than 2 people"


def test_a_count_of_one_to_four_people_is_unsafe_and_zero_is_not():
    assert privacy.unsafe_count(0) is None
    assert [privacy.unsafe_count(n) is not None for n in range(1, 8)] == [True] * 4 + [False] * 3


def test_counties_with_fewer_than_the_minimum_are_folded_and_never_named():
    named, folded = privacy.fold_counties({"kings": 9, "queens": 7, "loving": 1, "bronx": 5})

    assert named == ["kings", "queens", "bronx"]  # largest first
    assert folded == ["loving"]


def test_a_county_one_below_the_minimum_is_folded_and_an_empty_one_is_dropped():
    named, folded = privacy.fold_counties({"kings": 9, "bronx": MIN - 1, "richmond": 0})

    assert named == ["kings"]
    assert folded == ["bronx"]


def test_counties_with_as_many_people_are_named_in_a_fixed_order():
    named, _ = privacy.fold_counties({"queens": 6, "kings": 6, "bronx": 8})

    assert named == ["bronx", "kings", "queens"]


def test_county_spellings_that_differ_in_case_or_spaces_are_one_county():
    assert privacy.county_key("  Kings ") == ("kings", "Kings")
    assert privacy.county_key("st.  LAWRENCE")[0] == privacy.county_key("St. Lawrence")[0]
    assert privacy.county_key("St.  Lawrence")[1] == "St. Lawrence"


contributions = st.lists(st.integers(min_value=-500_000, max_value=500_000), max_size=12)


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    contributions,
    st.integers(min_value=2, max_value=8),
    st.integers(min_value=1, max_value=3),
    st.integers(min_value=50, max_value=95),
)
def test_a_safe_amount_rests_on_enough_people_and_none_of_them_dominate(
    parts, minimum, people, percent
):
    from django.test import override_settings

    with override_settings(
        TRANSPARENCY_MIN_CELL=minimum,
        TRANSPARENCY_DOMINANCE_PEOPLE=people,
        TRANSPARENCY_DOMINANCE_PERCENT=percent,
    ):
        verdict = privacy.unsafe_amount(parts)
        reordered = privacy.unsafe_amount([-value for value in reversed(parts)])
        scaled = privacy.unsafe_amount([value * 3 for value in parts])

    sizes = sorted((abs(value) for value in parts if value), reverse=True)
    if verdict is None and sizes:
        assert len(sizes) >= minimum
        assert sum(sizes[:people]) * 100 <= percent * sum(sizes)
        assert sizes[0] * 100 <= percent * sum(sizes)  # one person never dominates either
    if verdict is not None:
        assert sizes  # nothing at all is always safe
    # Who is behind an amount decides, not the order, the signs or the currency unit.
    assert (verdict is None) == (reordered is None) == (scaled is None)


@hypothesis_settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.text("abcdefgh", min_size=1, max_size=3), st.integers(min_value=0, max_value=12)
    ),
    st.integers(min_value=2, max_value=8),
)
def test_every_county_with_people_is_named_or_folded_never_both(people_by_county, minimum):
    from django.test import override_settings

    with override_settings(TRANSPARENCY_MIN_CELL=minimum):
        named, folded = privacy.fold_counties(people_by_county)

    assert set(named).isdisjoint(folded)
    assert set(named) | set(folded) == {k for k, n in people_by_county.items() if n > 0}
    assert all(people_by_county[key] >= minimum for key in named)
    assert all(0 < people_by_county[key] < minimum for key in folded)
    sizes = [people_by_county[key] for key in named]
    assert sizes == sorted(sizes, reverse=True)


# The whole public side, after releases of a fund with identifying data ----------------------

NAMES = ["Aurelia Quintanilla-Voss", "Marguerite Oyelaran", "Tobias Fenwick-Ruiz"]
DOCKETS = ["CR-2025-0047731", "IMM-A-208-331-907", "CR-2025-0099512"]
BOOKINGS = ["BK-88231907", "BK-77100235"]
BIRTH_DATES = ["1994-07-23", "1988-11-02"]
NOTES = ["Sleeping at the Ninth Street shelter", "Call sister before court"]
COURTS = ["Kings County Criminal Court", "Queens Immigration Court"]
LONE_COUNTY = "Loving"
# Amounts no aggregate can equal by chance: each person's bail is distinctive.
ODD_AMOUNTS = [123457, 98761, 77713, 65537, 43219, 31337, 27183, 16183, 14142, 17321, 22367]
LONE_AMOUNT = 1234567
# Six people paid in March, five in April, and the lone case alone in May.
PAID_ON = [dt.date(2025, 3 if n < 6 else 4, 3 + n) for n in range(11)]
LONE_PAID_ON = dt.date(2025, 5, 17)
RETURNS = [(120000, 3457, dt.date(2025, 6, 9)), (95000, 3761, dt.date(2025, 6, 23))]
FORFEITED_ON = dt.date(2025, 7, 21)
THROUGH_AUGUST = dt.date(2025, 9, 10)


@pytest.fixture
def seeded(settings, db):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.TRANSPARENCY_RELEASE_LAG_DAYS = 10
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
            court=COURTS[0] if n < 6 else COURTS[1],
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
    made = releases.releases_publish_due(today=THROUGH_AUGUST)
    assert [r.status for r in made] == [ReleaseStatus.PUBLISHED] * 8, [r.held_reason for r in made]
    transparency.forget()
    return {"cases": cases, "lone": lone}


def _public_responses(client):
    bodies = {}
    for path in PUBLIC_PATHS:
        for language in ("en", "es"):
            response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, path
            bodies[(path, language)] = response.content.decode()
    return bodies


def _money_forms(amount: int) -> list[str]:
    """How an amount in cents could be written on a page or in a file, in English or in
    Spanish (Django's Spanish format groups thousands with a no-break space)."""
    whole, cents = divmod(amount, 100)
    grouped = f"{whole:,}"
    forms = [f"{grouped}.{cents:02d}", f"{whole}.{cents:02d}", f"{whole},{cents:02d}"]
    for separator in (".", "\xa0", " ", "&nbsp;", "&#160;"):
        forms.append(f"{grouped.replace(',', separator)},{cents:02d}")
    return forms


def test_no_identifying_string_ever_appears_in_a_public_response(seeded, client):
    bodies = _public_responses(client)
    forbidden = [*NAMES, "Solitary Person", *DOCKETS, "CR-LONE-1", *BOOKINGS, *NOTES]
    forbidden += [*BIRTH_DATES, LONE_COUNTY, *COURTS, "Criminal Court", "Immigration Court"]
    forbidden += [str(case.public_id) for case in (*seeded["cases"], seeded["lone"])]

    assert "Kings" in bodies[("/transparency.json", "en")]  # the counties of five or more
    for (path, language), body in bodies.items():
        for text in forbidden:
            assert text not in body, f"{text!r} in {path} ({language})"


def test_no_exact_per_person_date_or_amount_ever_appears(seeded, client):
    bodies = _public_responses(client)
    per_person = [*ODD_AMOUNTS, LONE_AMOUNT, *(n for r in RETURNS for n in r[:2])]

    for (path, language), body in bodies.items():
        for amount in per_person:
            assert not re.search(rf"(?<![\w.,]){amount}(?!\w)", body), (amount, path)
            for form in _money_forms(amount):
                assert form not in body, (form, path, language)
        for day in [*PAID_ON, LONE_PAID_ON, FORFEITED_ON, *(r[2] for r in RETURNS)]:
            for form in (day.isoformat(), day.strftime("%d/%m/%Y"), day.strftime("%m/%d/%Y")):
                assert form not in body, (form, path, language)


def test_the_lone_payment_and_the_rare_outcomes_are_in_no_published_figure(seeded, client):
    found = {r["release"]: r for r in client.get("/transparency.json").json()["releases"]}

    assert found["2025-03"]["people"]["month"]["bail_paid"] == sum(ODD_AMOUNTS[:6])  # six
    assert found["2025-05"]["people"]["month"]["bail_paid"] == SUPPRESSED  # the lone payment
    # Nor the running total: its change since April is that one person.
    assert found["2025-05"]["people"]["total"]["bail_paid"] == SUPPRESSED
    # Two returns and two forfeitures ever: no month, correction or total shows them.
    for release in found.values():
        for measure in ("bail_returned", "court_fees", "bail_forfeited"):
            assert release["people"]["month"][measure] in (0, SUPPRESSED), measure
            assert release["people"]["total"][measure] in (0, SUPPRESSED), measure
    for period in ("2025-06", "2025-07", "2025-08"):
        assert found[period]["people"]["total"]["bail_forfeited"] in (0, SUPPRESSED)
    assert found["2025-07"]["people"]["month"]["bail_forfeited"] == SUPPRESSED
    assert found["2025-06"]["people"]["month"]["bail_returned"] == SUPPRESSED

    # No two published bail totals, nor a published month, differ by one person's bail.
    totals = [r["people"]["total"]["bail_paid"] for r in found.values()]
    shown = [value for value in totals if value != SUPPRESSED]
    differences = {b - a for a in shown for b in shown}
    months = {r["people"]["month"]["bail_paid"] for r in found.values()}
    for amount in [*ODD_AMOUNTS, LONE_AMOUNT]:
        assert amount not in differences and amount not in months, amount


def test_an_attacker_holding_every_release_pins_down_no_unsafe_figure(seeded):
    truths = [
        release.truth
        for release in TransparencyRelease.objects.filter(status=ReleaseStatus.PUBLISHED)
    ]

    assert len(truths) == 8
    assert releases.audit(truths) == []


def test_every_breakdown_names_only_counties_of_five_people_or_more(seeded, client):
    for release in client.get("/transparency.json").json()["releases"]:
        for rows in release["breakdowns"].values():
            for row in rows:
                assert row["people"] == SUPPRESSED or row["people"] == 0 or row["people"] >= MIN
                assert row["label"] != LONE_COUNTY
        counties = {row["label"]: row for row in release["breakdowns"]["county"]}
        if release["release"] >= "2025-05":
            # The lone case is in "Other counties", alone: neither it nor its bail is shown.
            assert set(counties) == {"Kings", "Queens", "Other counties"}
            other = counties["Other counties"]
            assert other["other"] is True
            assert (other["people"], other["bail_paid"]) == (SUPPRESSED, SUPPRESSED)
    latest = client.get("/transparency.json").json()["releases"][-1]
    counties = {row["label"]: row for row in latest["breakdowns"]["county"]}
    assert counties["Kings"]["people"] == 6


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

    for word in ("name", "docket", "booking", "birth", "note", "case", "public_id", "day"):
        assert not [key for key in found if word in key], word
    # What the audit keeps beside each release is never published.
    for word in ("truth", "persons", "cells", "held", "why"):
        assert word not in found, word
    # The only dates are the months' first and last days and when the next one is due.
    for release in document["releases"]:
        assert release["period"]["start"].endswith("-01")
        assert release["period"]["start"][:7] == release["period"]["end"][:7] == release["release"]
    text = json.dumps(document)
    dates = set(re.findall(r"\d{4}-\d{2}-\d{2}", text))
    starts_and_ends = {r["period"][k] for r in document["releases"] for k in ("start", "end")}
    made = {r["made_at"][:10] for r in document["releases"]}
    assert dates <= starts_and_ends | made | {document["next_release"]["due"]}

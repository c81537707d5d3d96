"""A published release of a closed month is never rewritten: a correction made later is
posted in the open period and shows on the next release's correction line, and books of a
closed month changed behind the triggers no longer agree with what their release said,
which ``verify_ledger`` names."""

import datetime as dt

import pytest

from ledger.books.periods import period_close
from ledger.books.verification import verify_ledger
from ledger.casework.corrections import correction_apply, correction_propose
from ledger.models import MonthlyTotal, TransparencyRelease
from ledger.public import releases
from tests.ledger import fund_life as life

JAN = dt.date(2026, 1, 10)


@pytest.fixture
def january_released(db, field_keys):
    """January: a gift and six people's bail, the month closed and its release published."""
    team = life.team()
    life.offline_gift(10_000_000, dt.date(2026, 1, 2))
    paid = [life.bail_paid("Dakota", 50_000 + n * 100, JAN, by=team) for n in range(6)]
    period_close(through=dt.date(2026, 1, 31), actor=team.approver)
    releases.releases_publish_due(today=dt.date(2026, 2, 15))
    return team, paid


def test_a_void_after_the_release_is_a_correction_line_of_the_next_release(january_released):
    team, paid = january_released
    january = TransparencyRelease.objects.get(period="2026-01")
    before = (january.content, january.content_hash)
    voided = paid[0]
    proposal = correction_propose(
        actor=team.requester,
        disbursement=voided,
        kind="void",
        reason="Never cashed.",
        token="void-jan",
        new_date=dt.date(2026, 2, 3),
    )
    correction_apply(actor=team.approver, correction=proposal)

    releases.releases_publish_due(today=dt.date(2026, 3, 15))

    january.refresh_from_db()
    assert (january.content, january.content_hash) == before
    february = TransparencyRelease.objects.get(period="2026-02")
    # What February's release was computed from no longer counts the voided payment; its
    # correction line carries the change (here suppressed: it is one person's).
    assert str(voided.case_id) not in february.truth["persons"]
    assert len(february.truth["persons"]) == 5
    assert february.content["people"]["correction"]["bail_paid"] in (-50_000, "suppressed")
    assert verify_ledger().ok


def test_closed_books_changed_behind_the_triggers_disagree_with_their_release(january_released):
    # An insider lowers January's donations in the monthly totals the release was read from.
    MonthlyTotal.objects.filter(account__code="income:donations", month=dt.date(2026, 1, 1)).update(
        credits=9_000_000
    )

    report = verify_ledger()

    named = [p for p in report.problems if p.startswith("release 2026-01 (a closed month)")]
    assert named and "month donations_gross was published as 10000000" in named[0]
    assert "the books now give 9000000" in named[0]

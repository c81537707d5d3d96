"""Releases: when a month is released, that a release never changes, how a late record is
published, how a release is tied to the books, and that one failing the audit is held."""

import datetime as dt
import hashlib
import json
import math

import pytest
from django.db import DatabaseError, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.models import Checkpoint, ReleaseStatus, TransparencyRelease
from ledger.public import releases
from ledger.public.disclosure import AuditError, LinearModel
from tests.ledger import fund_life as life

JAN, FEB = dt.date(2026, 1, 10), dt.date(2026, 2, 10)


@pytest.fixture
def funded(db, field_keys):
    life.offline_gift(10_000_000, dt.date(2026, 1, 2))
    return life.team()


def people(county, count, amount, on, *, by):
    return [life.bail_paid(county, amount + n * 100, on, by=by) for n in range(count)]


def test_a_month_is_released_only_once_the_lag_after_it_has_passed(funded, settings):
    settings.TRANSPARENCY_RELEASE_LAG_DAYS = 10
    people("Dakota", 5, 50_000, JAN, by=funded)

    assert releases.releases_publish_due(today=dt.date(2026, 2, 9)) == []
    made = releases.releases_publish_due(today=dt.date(2026, 2, 10))

    assert [(r.period, r.status) for r in made] == [("2026-01", "published")]
    assert releases.next_period() == "2026-02"
    assert releases.due_on("2026-02") == dt.date(2026, 3, 10)


def test_a_release_out_of_order_is_refused(funded):
    people("Dakota", 5, 50_000, JAN, by=funded)

    with pytest.raises(releases.ReleaseNotDue):
        releases.release_build("2026-02")
    assert TransparencyRelease.objects.count() == 0


def test_a_release_is_never_recomputed_and_a_late_record_is_a_correction_line(funded):
    people("Dakota", 6, 50_000, JAN, by=funded)
    releases.releases_publish_due(today=dt.date(2026, 2, 15))
    january = TransparencyRelease.objects.get(period="2026-01")
    before = (january.content, january.content_hash)

    people("Dakota", 5, 40_000, JAN, by=funded)  # recorded late, dated in January
    releases.releases_publish_due(today=dt.date(2026, 3, 15))

    january.refresh_from_db()
    assert (january.content, january.content_hash) == before
    february = TransparencyRelease.objects.get(period="2026-02").content
    assert february["people"]["correction"]["bail_paid"] == 5 * 40_000 + 1_000
    assert february["people"]["month"]["bail_paid"] == 0
    assert february["people"]["total"]["bail_paid"] == 6 * 50_000 + 1_500 + 5 * 40_000 + 1_000


def test_release_rows_cannot_be_changed_or_deleted(funded):
    people("Dakota", 5, 50_000, JAN, by=funded)
    releases.releases_publish_due(today=dt.date(2026, 2, 15))

    with pytest.raises(DatabaseError), transaction.atomic():
        TransparencyRelease.objects.update(content={"rewritten": True})
    with pytest.raises(DatabaseError), transaction.atomic():
        TransparencyRelease.objects.all().delete()


def test_each_release_hash_covers_its_content_chains_and_sits_in_a_checkpoint(funded):
    people("Dakota", 5, 50_000, JAN, by=funded)
    people("Dakota", 5, 50_000, FEB, by=funded)
    releases.releases_publish_due(today=dt.date(2026, 3, 15))

    january, february = TransparencyRelease.objects.order_by("period")
    for release in (january, february):
        canonical = json.dumps(
            release.content, sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
        assert hashlib.sha256(canonical.encode()).hexdigest() == release.content_hash
        assert Checkpoint.objects.get(pk=release.checkpoint_id).release_hash == release.content_hash
    assert february.content["previous_release_hash"] == january.content_hash
    assert january.content["previous_release_hash"] is None


def unsafe_by_primary_rules_alone():
    """Two named counties and one person folded into "Other": the exact total minus the
    two named counties would give the one person's bail."""
    return releases.release_build("2026-01", complementary=False)


def test_a_release_that_fails_the_audit_is_held_with_the_reason(funded):
    people("Dakota", 5, 50_000, JAN, by=funded)
    people("Hennepin", 6, 60_000, JAN, by=funded)
    life.bail_paid("Rice", 345_600, JAN, by=funded)

    held = releases.release_publish(unsafe_by_primary_rules_alone())

    assert held.status == ReleaseStatus.HELD
    assert held.checkpoint is None
    assert "county:rice" in held.held_reason and "bounded to" in held.held_reason
    assert releases.next_period() == "2026-01"  # nothing published; later months wait
    assert not TransparencyRelease.objects.filter(status=ReleaseStatus.PUBLISHED).exists()

    made = releases.releases_publish_due(today=dt.date(2026, 2, 15))
    assert [(r.period, r.status) for r in made] == [("2026-01", "published")]
    other = next(row for row in made[0].content["breakdowns"]["county"] if row["key"] == "other")
    assert other["bail_paid"] == "suppressed"


def test_the_publish_command_lists_and_dry_runs(funded, capsys):
    from django.core.management import call_command

    people("Dakota", 5, 50_000, JAN, by=funded)
    call_command("publish_releases", "--dry-run")
    assert "2026-01 total.bail_paid: published" in capsys.readouterr().out
    assert TransparencyRelease.objects.count() == 0


# The solver seam ---------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(st.integers(-3, 3), min_size=4, max_size=4), st.integers(0, 40)),
        min_size=1,
        max_size=4,
    ),
    st.lists(st.integers(-2, 2), min_size=4, max_size=4),
)
def test_the_solver_gives_what_scipys_linprog_gives(equalities, objective):
    """The audit's reused HiGHS solver against a fresh scipy.optimize.linprog per bound."""
    from scipy.optimize import linprog

    truth = [3, 1, 4, 1]  # every model below has this solution, as the audit's do
    model = LinearModel()
    for _ in truth:
        model.variable(0.0, 50.0)
    rows = [(row, sum(c * v for c, v in zip(row, truth, strict=True))) for row, _ in equalities]
    for row, value in rows:
        model.equal({i: float(c) for i, c in enumerate(row) if c}, value)
    model.at_least({0: 1.0, 1: 1.0}, 1.0)

    terms = {i: float(c) for i, c in enumerate(objective) if c}
    lower, upper = model.interval(terms)

    a_eq = [row for row, _ in rows]
    b_eq = [value for _, value in rows]
    expected = []
    for sign in (1, -1):
        result = linprog(
            [sign * c for c in objective],
            A_ub=[[-1, -1, 0, 0]],
            b_ub=[-1],
            A_eq=a_eq,
            b_eq=b_eq,
            bounds=[(0, 50)] * 4,
            method="highs",
        )
        assert result.status == 0
        expected.append(sign * result.fun)
    assert lower == pytest.approx(expected[0], abs=1e-6)
    assert upper == pytest.approx(expected[1], abs=1e-6)


def test_staff_see_why_a_release_was_held(funded, staff_client, client):
    people("Dakota", 5, 50_000, JAN, by=funded)
    people("Hennepin", 6, 60_000, JAN, by=funded)
    life.bail_paid("Rice", 345_600, JAN, by=funded)
    releases.release_publish(unsafe_by_primary_rules_alone())

    page = staff_client("viewer").get("/staff/releases/")

    assert page.status_code == 200
    assert "county:rice" in page.content.decode() and "held" in page.content.decode()
    assert client.get("/staff/releases/").status_code == 302  # to the staff login


def test_skipping_solves_for_figures_known_solutions_already_spread_changes_no_finding(funded):
    """The audit skips the program of a figure whose spread over solutions already found
    is wide enough; solving every program instead finds exactly the same failures."""
    from ledger.public import privacy
    from ledger.public.disclosure import findings, is_protected
    from ledger.public.release_model import History, Program, requirements

    people("Dakota", 5, 50_000, JAN, by=funded)
    people("Hennepin", 6, 60_000, JAN, by=funded)
    life.bail_paid("Rice", 345_600, JAN, by=funded)
    people("Dakota", 1, 55_000, FEB, by=funded)
    truth = unsafe_by_primary_rules_alone().truth
    history = History([truth])
    program = Program(history)
    for cell in truth["cells"]:
        if cell["published"]:
            selector = (cell["selector"][0], tuple(cell["selector"][1]))
            program.publish(0, cell["scope"], selector, cell["measure"], cell["value"])
    wanted = requirements(history, program)
    options = {"margin": privacy.protection(), "minimum": privacy.min_cell()}

    fast = [position for position, _ in findings(program.model, wanted, **options)]
    plain = [
        position
        for position, requirement in enumerate(wanted)
        if not is_protected(requirement, *program.model.interval(requirement.terms), **options)
    ]
    assert fast == plain and plain  # and the scenario does fail somewhere


@pytest.mark.parametrize(("objective", "unbounded"), [({0: 1.0}, True), ({1: 1.0}, False)])
def test_a_program_the_simplex_wrongly_calls_infeasible_is_settled_by_a_checked_ray(
    monkeypatch, objective, unbounded
):
    """On a large model of cents, HiGHS can call a feasible program whose objective has no
    limit "infeasible" (a release audit stopped there at its thirtieth month). The audit
    then asks for a ray and checks it against every constraint itself: an unbounded
    figure is proven so, and a bounded one is never taken for unbounded."""
    import highspy

    model = LinearModel()
    model.variable(0.0, None)  # x: no upper limit
    model.variable(0.0, 5.0)  # y
    model.equal({1: 1.0}, 3.0)
    real_status = highspy.Highs.getModelStatus
    told = []

    def simplex_gone_wrong(solver):
        status = real_status(solver)
        told.append(status)
        # The two solves of the maximisation report infeasible, as seen.
        return highspy.HighsModelStatus.kInfeasible if len(told) in (2, 3) else status

    model.interval(objective)  # builds the model: feasible
    monkeypatch.setattr(highspy.Highs, "getModelStatus", simplex_gone_wrong)

    if unbounded:
        assert model.interval(objective) == (0.0, math.inf)
    else:  # no ray to prove it: nothing is concluded, and nothing is published
        with pytest.raises(AuditError, match="the linear program failed"):
            model.interval(objective)

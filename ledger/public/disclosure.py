"""The attacker's audit: how tightly can someone who keeps every release bound a hidden
figure?

Each published figure is a linear function of unknowns (what each county and kind of help
received in each released month); together with what is always true (money paid in a month
is not negative, bail still held is not negative) they form a linear program. For every
figure the rules call unsafe (``ledger.public.privacy``) the audit asks the HiGHS solver
(``highspy``) for the smallest and largest value the published figures allow,
as the statistical offices' audits do (τ-ARGUS, sdcTable). A hidden amount is protected when
those bounds reach ``TRANSPARENCY_PROTECTION_PERCENT`` either side of its true value; a
hidden count when they either reach ``TRANSPARENCY_MIN_CELL`` or still allow zero (the
attacker cannot tell "one to four people" from "nobody"). This is the continuous relaxation:
an attacker may also use that counts are whole numbers, which the protection margin covers
in practice but not in theory (docs/open-data.md says so).

This module knows nothing about the fund: ``ledger.public.release_model`` builds the program.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass

import highspy
import numpy as np

Terms = dict[int, float]  # variable index -> coefficient

# Money is whole cents; bounds within half a cent of a limit are at that limit. Counts
# are whole people: a lower bound of 0.5 already means "at least one".
TOLERANCE = 0.5
COUNT_TOLERANCE = 1e-6


# HiGHS's default feasibility tolerance, and how far from zero a ray's step may be.
PRIMAL_TOLERANCE = 1e-7
RAY_TOLERANCE = 1e-9


class AuditError(Exception):
    """The published figures contradict what the audit knows to be true, or the solver
    failed: nothing can be concluded, so nothing may be published."""


@dataclass(frozen=True)
class Requirement:
    """A figure the rules call unsafe, which the published figures must not pin down."""

    label: str
    terms: Terms
    value: float
    kind: str  # "amount", "people", or "zero" (a small group's zero amount)
    why: str


@dataclass(frozen=True)
class Finding:
    """An unsafe figure that the published figures bound too tightly."""

    label: str
    value: float
    lower: float
    upper: float
    why: str

    def describe(self) -> str:
        return f"{self.label} ({self.why}) is bounded to [{_show(self.lower)}, {_show(self.upper)}]"


def _show(bound: float) -> str:
    return str(round(bound)) if math.isfinite(bound) else ("-inf" if bound < 0 else "inf")


class LinearModel:
    """Unknowns with bounds, equalities (the published figures) and lower limits."""

    def __init__(self) -> None:
        self.bounds: list[tuple[float | None, float | None]] = []
        self._equal: dict[int, tuple[Terms, float]] = {}
        self._keys = itertools.count()
        self._at_least: list[tuple[Terms, float]] = []
        self._solver = None
        self._rows: dict[int, int] = {}  # equality key -> its row in the solver
        self._points: list[np.ndarray] = []  # solutions found so far; all feasible
        self._stacked: np.ndarray | None = None  # the same, one row each

    def variable(self, lower: float | None = 0.0, upper: float | None = None) -> int:
        self.bounds.append((lower, upper))
        self._reset(points=True)
        return len(self.bounds) - 1

    def equal(self, terms: Terms, value: float) -> int:
        """Add an equality; returns its key, for :meth:`relax`."""
        key = next(self._keys)
        self._equal[key] = (terms, value)
        self._reset(points=True)
        return key

    def relax(self, key: int) -> None:
        """Drop an equality (a figure no longer published). Every solution found so far
        stays a solution, so they are kept."""
        del self._equal[key]
        if self._solver is not None:
            row = self._rows.pop(key)
            self._solver.changeRowBounds(row, -highspy.kHighsInf, highspy.kHighsInf)

    def at_least(self, terms: Terms, value: float) -> None:
        self._at_least.append((terms, value))
        self._reset(points=True)

    def _reset(self, *, points: bool) -> None:
        self._solver = None
        if points:
            self._points, self._stacked = [], None

    def rows(self) -> list[tuple[Terms, float, float]]:
        """Every constraint as (terms, lower, upper); None for no limit."""
        return [(t, v, v) for t, v in self._equal.values()] + [
            (t, v, None) for t, v in self._at_least
        ]

    def _highs(self) -> highspy.Highs:
        """One solver per set of constraints, reused for every objective: each solve
        starts from the last one's basis instead of from scratch (a test checks its answers
        against scipy's linprog)."""
        if self._solver is not None:
            return self._solver
        infinity = highspy.kHighsInf
        starts, indices, values, lower, upper = [0], [], [], [], []
        for terms, low, high in self.rows():
            for index, coefficient in terms.items():
                indices.append(index)
                values.append(coefficient)
            starts.append(len(indices))
            lower.append(-infinity if low is None else low)
            upper.append(infinity if high is None else high)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(self.bounds), len(lower)
        lp.col_cost_ = np.zeros(len(self.bounds))
        lp.col_lower_ = np.array([-infinity if low is None else low for low, _ in self.bounds])
        lp.col_upper_ = np.array([infinity if high is None else high for _, high in self.bounds])
        lp.row_lower_, lp.row_upper_ = np.array(lower), np.array(upper)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(indices, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(values, dtype=float)
        solver = highspy.Highs()
        solver.setOptionValue("output_flag", False)
        solver.passModel(lp)
        solver.run()  # with no objective: is there any solution at all?
        if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise AuditError(
                f"the published figures contradict each other: {solver.getModelStatus()}"
            )
        self._solver = solver
        self._rows = {key: row for row, key in enumerate(self._equal)}
        return solver

    def _solve(self, solver: highspy.Highs, cost: np.ndarray):
        columns = np.arange(len(cost), dtype=np.int32)
        solver.changeColsCost(len(cost), columns, cost)
        for attempt in range(2):
            solver.run()
            status = solver.getModelStatus()
            if status == highspy.HighsModelStatus.kOptimal:
                self._points.append(np.array(solver.getSolution().col_value))
                return solver.getInfo().objective_function_value
            if status in (
                highspy.HighsModelStatus.kUnbounded,
                highspy.HighsModelStatus.kUnboundedOrInfeasible,  # feasible: checked above
            ):
                return -math.inf
            if attempt == 0:
                solver.clearSolver()  # a warm start gone wrong: once more from scratch
        if self._proven_unbounded(solver, cost):
            return -math.inf
        raise AuditError(f"the linear program failed: {status}")

    def _proven_unbounded(self, solver: highspy.Highs, cost: np.ndarray) -> bool:
        """Whether ``cost`` falls without limit over the model, proven by a ray checked
        here against every bound and constraint rather than taken on the solver's word.
        On thousands of rows in cents, the simplex can call this feasible (checked when
        the model was built) and unbounded program infeasible; a looser tolerance lets it
        find the ray, and the exact check below keeps the conclusion sound."""
        solver.setOptionValue("primal_feasibility_tolerance", 1e-6)
        try:
            solver.clearSolver()
            solver.run()
            if solver.getModelStatus() != highspy.HighsModelStatus.kUnbounded:
                return False
            _status, has_ray, ray = solver.getPrimalRay()
        finally:
            solver.setOptionValue("primal_feasibility_tolerance", PRIMAL_TOLERANCE)
            solver.clearSolver()
        ray = np.asarray(ray, dtype=float)
        if not has_ray or len(ray) != len(cost) or float(cost @ ray) >= -RAY_TOLERANCE:
            return False
        for (low, high), step in zip(self.bounds, ray, strict=True):
            if (low is not None and step < -RAY_TOLERANCE) or (
                high is not None and step > RAY_TOLERANCE
            ):
                return False
        for terms, low, high in self.rows():
            moved = sum(coefficient * ray[index] for index, coefficient in terms.items())
            if (low is not None and moved < -RAY_TOLERANCE) or (
                high is not None and moved > RAY_TOLERANCE
            ):
                return False
        return True

    def interval(self, terms: Terms) -> tuple[float, float]:
        """The smallest and largest value of ``terms`` the model allows."""
        solver = self._highs()
        objective = np.zeros(len(self.bounds))
        for index, coefficient in terms.items():
            objective[index] = coefficient
        lower = self._solve(solver, objective)
        upper = -self._solve(solver, -objective)
        return lower, upper

    def witnessed(self, terms: Terms) -> tuple[float, float] | None:
        """The smallest and largest value of ``terms`` over the solutions found so far:
        the true bounds are at least this wide. None before any solution."""
        if not self._points:
            return None
        if self._stacked is None or len(self._stacked) != len(self._points):
            self._stacked = np.vstack(self._points)
        indices = np.fromiter(terms, dtype=np.int64, count=len(terms))
        coefficients = np.fromiter(terms.values(), dtype=float, count=len(terms))
        values = self._stacked[:, indices] @ coefficients
        return float(values.min()), float(values.max())


def is_protected(
    requirement: Requirement, lower: float, upper: float, *, margin: float, minimum: int
) -> bool:
    if requirement.kind == "people":
        # A small count is disclosed when the attacker can tell it is not zero and below
        # the minimum: "one to four people"; either side open protects it.
        return lower <= COUNT_TOLERANCE or upper >= minimum - COUNT_TOLERANCE
    if requirement.kind == "zero":
        # A small group's zero ("none of them has bail still held") must not be pinned.
        return upper - lower >= 1 - TOLERANCE
    reach = margin * abs(requirement.value)
    return (
        lower <= requirement.value - reach + TOLERANCE
        and upper >= requirement.value + reach - TOLERANCE
    )


def findings(
    model: LinearModel,
    requirements: list[Requirement],
    *,
    margin: float,
    minimum: int,
    start: int = 0,
) -> Iterator[tuple[int, Finding]]:
    """Each requirement from ``start`` on that the model does not protect, with its
    position. Publishing less only widens bounds, so a caller that hides more after a
    finding may go on from that position."""
    for position in range(start, len(requirements)):
        requirement = requirements[position]
        # Solutions already found are feasible: if they spread the figure wide enough,
        # the exact bounds do too, and no program needs solving (the same findings, far
        # fewer solves; a test compares both).
        seen = model.witnessed(requirement.terms)
        if seen is not None and is_protected(requirement, *seen, margin=margin, minimum=minimum):
            continue
        lower, upper = model.interval(requirement.terms)
        if lower > requirement.value + TOLERANCE or upper < requirement.value - TOLERANCE:
            raise AuditError(f"{requirement.label}: its true value is outside the model")
        if not is_protected(requirement, lower, upper, margin=margin, minimum=minimum):
            yield (
                position,
                Finding(requirement.label, requirement.value, lower, upper, requirement.why),
            )

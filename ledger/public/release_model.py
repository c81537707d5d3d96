"""What every release ever made says about people, as the audit sees it.

A release (``ledger.public.releases``) stores, besides its public content, the truth behind it:
for each person with a payment, their county and kind of help, what they received in
the released month, and what they had received in all through its end. From those
truths this module computes any figure a release could publish, the per-person
contributions behind it (for the rules in ``ledger.public.privacy``), and the linear program of
``ledger.public.disclosure`` that an attacker holding every release could solve.

Figures are named by where they sit in a release:

* ``scope``: ``month`` (the released month), ``correction`` (changes recorded since the
  last release to months already released), ``delta`` (both), ``cumulative`` (everything
  through the end of the released month);
* ``selector``: ``("all", ())``, ``("county", keys)``, ``("bail_type", types)`` or
  ``("combo", (county, type))``;
* ``measure``: one of :data:`MEASURES`, ``bail_outstanding``, ``kept_by_courts`` (court
  fees and forfeitures together), ``net_paid_out`` (money that
  left the bank for people: bail paid, less bail returned, plus support; the bank balance
  published beside donations reveals it), or ``people``.

The unknowns are, per release and per county and kind of help, the month's amount of
each measure (not negative), the correction (any sign, and only where there was one) and
the number of people helped so far.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from ledger.public import privacy
from ledger.public.disclosure import LinearModel, Requirement, Terms

MEASURES = ("bail_paid", "bail_returned", "court_fees", "bail_forfeited", "direct_support")
_COEFFICIENTS = {
    **{name: tuple(int(i == j) for j in range(5)) for i, name in enumerate(MEASURES)},
    "bail_outstanding": (1, -1, -1, -1, 0),
    "kept_by_courts": (0, 0, 1, 1, 0),
    "net_paid_out": (1, -1, 0, 0, 1),
}
SCOPES = ("month", "correction", "delta", "cumulative")
Selector = tuple[str, tuple]
ALL: Selector = ("all", ())


def _dot(coefficients: tuple, values: Iterable[int]) -> int:
    return sum(c * v for c, v in zip(coefficients, values, strict=True))


def matches(selector: Selector, county: str, bail_type: str) -> bool:
    dimension, members = selector
    if dimension == "all":
        return True
    if dimension == "county":
        return county in members
    if dimension == "bail_type":
        return bail_type in members
    return (county, bail_type) == tuple(members)


class History:
    """The truths of a run of consecutive releases, oldest first.

    Held as arrays over everyone ever helped (one row a person, the same row in every
    release), so that each figure's per-person parts are a few vector operations: the
    audit asks for tens of thousands of them."""

    def __init__(self, truths: list[dict]) -> None:
        self.truths = truths
        # persons[r][person] = (county, bail_type, cumulative amounts, month amounts)
        self.persons: list[dict[str, tuple[str, str, tuple, tuple]]] = [
            {
                person: (p["c"], p["b"], tuple(p["cum"]), tuple(p["month"]))
                for person, p in truth["persons"].items()
            }
            for truth in truths
        ]
        self.combos = sorted(
            {(c, b) for persons in self.persons for c, b, _, _ in persons.values()}
        )
        rows = {
            person: row for row, person in enumerate(sorted({p for r in self.persons for p in r}))
        }
        size = len(rows)
        self._cumulative = np.zeros((len(truths), size, 5), dtype=np.int64)
        self._month = np.zeros((len(truths), size, 5), dtype=np.int64)
        self._present = np.zeros((len(truths), size), dtype=bool)
        self._county = np.full((len(truths), size), "", dtype=object)
        self._kind = np.full((len(truths), size), "", dtype=object)
        for release, persons in enumerate(self.persons):
            for person, (county, kind, cumulative, month) in persons.items():
                row = rows[person]
                self._present[release, row] = True
                self._county[release, row], self._kind[release, row] = county, kind
                self._cumulative[release, row] = cumulative
                self._month[release, row] = month
        self._masks: dict[tuple, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.truths)

    def _mask(self, release: int, selector: Selector) -> np.ndarray:
        """Who a selector takes in a release (nobody before the first release)."""
        if release < 0:
            return np.zeros(self._present.shape[1], dtype=bool)
        key = (release, selector)
        mask = self._masks.get(key)
        if mask is None:
            dimension, members = selector
            mask = self._present[release].copy()
            if dimension == "county":
                mask &= np.isin(self._county[release], list(members))
            elif dimension == "bail_type":
                mask &= np.isin(self._kind[release], list(members))
            elif dimension == "combo":
                mask &= (self._county[release] == members[0]) & (self._kind[release] == members[1])
            self._masks[key] = mask
        return mask

    def contributions(
        self, release: int, scope: str, selector: Selector, measure: str, since: int | None = None
    ) -> list[int]:
        """Each person's part of the figure (zeros left out). ``since``: for a cumulative
        figure, the parts of its change since that release instead."""
        before = release - 1 if since is None and scope != "cumulative" else since
        now = self._mask(release, selector)
        then = self._mask(before, selector) if before is not None else None
        if measure == "people":
            if then is None:
                return [1] * int(now.sum())
            return [1] * int((now & ~then).sum()) + [-1] * int((then & ~now).sum())
        coefficients = np.array(_COEFFICIENTS[measure], dtype=np.int64)
        total = np.where(now, self._cumulative[release] @ coefficients, 0)
        month = np.where(now, self._month[release] @ coefficients, 0)
        if then is not None and before >= 0:
            total = total - np.where(then, self._cumulative[before] @ coefficients, 0)
        if scope == "month":
            parts = month
        elif scope == "correction":
            parts = total - month
        else:
            parts = total
        return parts[parts != 0].tolist()


class Program:
    """The attacker's linear program over a history, with the published figures added by
    :meth:`publish`."""

    def __init__(self, history: History) -> None:
        self.history = history
        self.model = LinearModel()
        self.month: dict[tuple, int] = {}
        self.correction: dict[tuple, int] = {}
        self.helped: dict[tuple, int] = {}
        self._add_unknowns()

    def _aggregate(self, release: int, combo: tuple) -> tuple[list[int], list[int], int]:
        cumulative, month, people = [0] * 5, [0] * 5, 0
        for c, b, total, in_month in self.history.persons[release].values():
            if (c, b) == combo:
                people += 1
                for i in range(5):
                    cumulative[i] += total[i]
                    month[i] += in_month[i]
        return cumulative, month, people

    def _add_unknowns(self) -> None:
        model, previous = self.model, {}
        for release in range(len(self.history)):
            for combo in self.history.combos:
                cumulative, month, people = self._aggregate(release, combo)
                before, people_before = previous.get(combo, ([0] * 5, 0))
                for i in range(5):
                    self.month[release, combo, i] = model.variable(0.0, None)
                    if cumulative[i] - before[i] - month[i]:
                        self.correction[release, combo, i] = model.variable(None, None)
                self.helped[release, combo] = model.variable(0.0, None)
                # What an attacker knows without being told: totals so far are not
                # negative, courts hold no negative bail, and people once helped stay so
                # (each added only where it holds, so the true figures always fit).
                for i in range(5):
                    if any((r, combo, i) in self.correction for r in range(release + 1)):
                        self.model.at_least(self._form(release, "cumulative", combo, i), 0)
                if all(v >= 0 for v in [_dot(_COEFFICIENTS["bail_outstanding"], cumulative)]):
                    self.model.at_least(
                        self.form(release, "cumulative", ("combo", combo), "bail_outstanding"), 0
                    )
                if release and people >= people_before:
                    self.model.at_least(
                        {self.helped[release, combo]: 1, self.helped[release - 1, combo]: -1}, 0
                    )
                previous[combo] = (cumulative, people)

    def _form(self, release: int, scope: str, combo: tuple, index: int) -> Terms:
        terms: Terms = {}
        releases = range(release + 1) if scope == "cumulative" else (release,)
        for r in releases:
            if scope != "correction":
                terms[self.month[r, combo, index]] = 1.0
            if scope != "month" and (r, combo, index) in self.correction:
                terms[self.correction[r, combo, index]] = 1.0
        return terms

    def form(self, release: int, scope: str, selector: Selector, measure: str) -> Terms:
        """The figure as a linear function of the unknowns."""
        terms: Terms = defaultdict(float)
        for combo in self.history.combos:
            if not matches(selector, *combo):
                continue
            if measure == "people":
                terms[self.helped[release, combo]] += 1.0
                if scope == "delta" and release:
                    terms[self.helped[release - 1, combo]] -= 1.0
                continue
            for index, coefficient in enumerate(_COEFFICIENTS[measure]):
                if coefficient:
                    for variable, one in self._form(release, scope, combo, index).items():
                        terms[variable] += coefficient * one
        return {variable: c for variable, c in terms.items() if c}

    def publish(self, release: int, scope: str, selector: Selector, measure: str, value) -> int:
        """Add a published figure; returns its key in the model (to relax it later)."""
        return self.model.equal(self.form(release, scope, selector, measure), value)


def _levels(history: History, release: int) -> list[Selector]:
    persons = history.persons[release]
    counties = sorted({c for c, _, _, _ in persons.values()})
    types = sorted({b for _, b, _, _ in persons.values()})
    return (
        [ALL]
        + [("county", (c,)) for c in counties]
        + [("bail_type", (b,)) for b in types]
        + [("combo", combo) for combo in sorted({(c, b) for c, b, _, _ in persons.values()})]
    )


def _figures(history: History):
    """(release, scope, selector, measure, since) of every figure the audit looks at: each
    release's month, correction, change and running total at every level of detail, and
    the change of each running total over every longer span of releases ("span", from the
    end of release ``since``)."""
    amounts = (*MEASURES, "bail_outstanding", "kept_by_courts", "net_paid_out")
    for release in range(len(history)):
        levels = _levels(history, release)
        for selector in levels:
            for scope in ("month", "correction"):
                for measure in MEASURES:
                    yield release, scope, selector, measure, None
            for scope in ("delta", "cumulative"):
                for measure in (*amounts, "people"):
                    yield release, scope, selector, measure, None
        for since in range(release - 1):
            for selector in sorted(set(levels) | set(_levels(history, since))):
                for measure in (*amounts, "people"):
                    yield release, "span", selector, measure, since


def requirements(history: History, program: Program) -> list[Requirement]:
    """Every figure of every release, at every level of detail and over every span of
    releases, that the rules call unsafe: what the attacker must not be able to pin down.
    One per distinct linear form."""
    found: list[Requirement] = []
    seen: set[frozenset] = set()
    for release, scope, selector, measure, since in _figures(history):
        if scope == "span":
            parts = history.contributions(release, "cumulative", selector, measure, since=since)
        else:
            parts = history.contributions(release, scope, selector, measure)
        kind = "people" if measure == "people" else "amount"
        if measure == "people":
            count = sum(parts) if scope == "cumulative" else len(parts)
            why = privacy.unsafe_count(count)
        else:
            why = privacy.unsafe_amount(parts)
            if (
                why is None
                and not parts
                and scope == "cumulative"
                and history.contributions(release, scope, ALL, measure)
            ):
                # A zero speaks for everyone in a small group: it must not be pinned, unless
                # the whole fund's figure is zero too (then it says nothing of the group).
                group = len(history.contributions(release, scope, selector, "people"))
                why = privacy.unsafe_count(group) and f"a zero over {privacy.unsafe_count(group)}"
                kind = "zero"
        if why is None:
            continue
        if scope == "span":
            terms = dict(program.form(release, "cumulative", selector, measure))
            for variable, coefficient in program.form(
                since, "cumulative", selector, measure
            ).items():
                terms[variable] = terms.get(variable, 0.0) - coefficient
            terms = {variable: c for variable, c in terms.items() if c}
        else:
            terms = program.form(release, scope, selector, measure)
        key = frozenset(terms.items())
        if not terms or key in seen:
            continue
        seen.add(key)
        where = f"{selector[0]}:{'+'.join(map(str, selector[1]))}"
        period = history.truths[release]["period"]
        if scope == "span":
            label = f"{history.truths[since + 1]['period']}..{period} change {where} {measure}"
        else:
            label = f"{period} {scope} {where} {measure}"
        found.append(Requirement(label, terms, sum(parts), kind, why))
    return found

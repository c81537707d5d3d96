"""The rules that keep the people the fund helps out of its public figures.

Every public table that counts people (breakdowns by county and bail type, the monthly
disbursement series) goes through this module, so the rules live in one place and are
tested in one place (docs/open-data.md, "Privacy rules"):

1. **Only aggregates leave.** A cell carries how many people it counts and sums of money;
   never a name, a docket or booking number, a date of birth, a note, a case id or a date
   finer than a month. Callers pass case ids in so that people are counted exactly (one
   person with two payments is one person); the ids never leave this module.
2. **Small categories fold into "other".** In a dimension whose category names could
   identify someone (counties), every category with fewer than the minimum number of
   people is merged into one "other" cell before anything is published, so the name of a
   county where the fund helped one person never appears.
3. **Primary suppression.** A cell counting fewer than ``TRANSPARENCY_MIN_CELL`` people
   (default 5) is published without its count or amounts.
4. **Complementary suppression.** The dimension's total is published too, so one hidden
   cell could be recovered by subtracting the visible cells from it. Whenever anything is
   hidden, further cells (the smallest first) are hidden until at least two are hidden
   and together they hold at least the minimum number of people. All that can then be
   recovered is one sum over at least that many people.
5. **Empty cells are not secrets**, with one exception. A cell with no people and no money
   is shown as zero, unless the whole dimension counts fewer than the minimum number of
   people: then every cell is suppressed, because zeros around one hidden cell would say
   where its people are (the only forfeiture ever, in the one month not shown as zero).

What these rules cannot hide is the difference between two publications at different
times (docs/open-data.md says more).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings

OTHER_KEY = "other"


def min_cell() -> int:
    """The smallest number of people a published cell may count; never below two."""
    return max(int(settings.TRANSPARENCY_MIN_CELL), 2)


@dataclass
class Group:
    """The people and money behind one cell, before the rules are applied."""

    key: str
    label: str
    people: set[int] = field(default_factory=set)  # case ids: counted here, never published
    amounts: dict[str, int] = field(default_factory=dict)
    other: bool = False  # the cell that small categories were folded into

    def add(self, case_id: int | None, **amounts: int) -> None:
        if case_id is not None:
            self.people.add(case_id)
        for name, amount in amounts.items():
            self.amounts[name] = self.amounts.get(name, 0) + amount

    @property
    def empty(self) -> bool:
        return not self.people and not any(self.amounts.values())


@dataclass(frozen=True)
class Cell:
    """One published cell: counts and sums, or nothing but its label when suppressed."""

    key: str
    label: str
    people: int | None
    amounts: dict[str, int | None]
    suppressed: bool
    other: bool = False

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "people": self.people,
            **self.amounts,
            "suppressed": self.suppressed,
            "other": self.other,
        }


def fold_small(groups: Iterable[Group], *, minimum: int, other_label: str) -> list[Group]:
    """Merge every non-empty group of fewer than ``minimum`` people into one "other"
    group (last), largest groups first; empty groups are dropped."""
    kept: list[Group] = []
    other = Group(OTHER_KEY, other_label, other=True)
    for group in groups:
        if group.empty:
            continue
        if len(group.people) >= minimum and not group.other:
            kept.append(group)
        else:
            other.people |= group.people
            for name, amount in group.amounts.items():
                other.amounts[name] = other.amounts.get(name, 0) + amount
    kept.sort(key=lambda g: (-len(g.people), g.label.casefold(), g.key))
    if not other.empty:
        kept.append(other)
    return kept


def hidden_cells(groups: Sequence[Group], *, minimum: int) -> set[int]:
    """The positions of the cells of one dimension (whose total is published) that must be
    suppressed."""
    candidates = [i for i, g in enumerate(groups) if not g.empty]
    hidden = {i for i in candidates if len(groups[i].people) < minimum}
    if not hidden:
        return hidden
    visible = sorted(
        (i for i in candidates if i not in hidden),
        key=lambda i: (
            len(groups[i].people),
            sum(abs(v) for v in groups[i].amounts.values()),
            groups[i].key,
        ),
    )
    people = set().union(*(groups[i].people for i in hidden))
    while visible and (len(hidden) < 2 or len(people) < minimum):
        extra = visible.pop(0)
        hidden.add(extra)
        people |= groups[extra].people
    if len(people) < minimum:
        # The whole dimension counts fewer people than the minimum: published zeros would
        # show where the hidden ones are (all the court fees ever withheld, in one month).
        return set(range(len(groups)))
    return hidden


def publish(groups: Sequence[Group], *, minimum: int, amount_names: Sequence[str]) -> list[Cell]:
    """Apply primary and complementary suppression to one dimension, in the given order."""
    hidden = hidden_cells(groups, minimum=minimum)
    cells = []
    for position, group in enumerate(groups):
        suppressed = position in hidden
        cells.append(
            Cell(
                key=group.key,
                label=group.label,
                people=None if suppressed else len(group.people),
                amounts={
                    name: None if suppressed else group.amounts.get(name, 0)
                    for name in amount_names
                },
                suppressed=suppressed,
                other=group.other,
            )
        )
    return cells


def breakdown(
    groups: Iterable[Group],
    *,
    amount_names: Sequence[str],
    fold_into_other: bool,
    other_label: str = "Other",
    minimum: int | None = None,
) -> list[Cell]:
    """A published breakdown of people by one category: rules 2 (when the category names
    could identify someone), 3, 4 and 5."""
    minimum = min_cell() if minimum is None else minimum
    groups = list(groups)
    if fold_into_other:
        groups = fold_small(groups, minimum=minimum, other_label=other_label)
    return publish(groups, minimum=minimum, amount_names=amount_names)


def series(
    months: Sequence[str], people: dict[str, set[int]], amounts: dict[str, int], *, minimum=None
) -> dict[str, int | None]:
    """One monthly series of money paid to or for people: month → amount, or None where
    the month's figure is suppressed (rules 3, 4 and 5, with months as the cells and the
    all-time total as the published total)."""
    minimum = min_cell() if minimum is None else minimum
    groups = [
        Group(month, month, set(people.get(month, ())), {"amount": amounts.get(month, 0)})
        for month in months
    ]
    hidden = hidden_cells(groups, minimum=minimum)
    return {
        g.key: None if position in hidden else g.amounts["amount"]
        for position, g in enumerate(groups)
    }

"""The rules that decide whether a figure about the people the fund helps may be published.

Every public figure about people or bail (docs/open-data.md, "Privacy rules") is a sum over
people: each person contributes an amount of money, or 1 to a count. A figure is *unsafe*
when the people behind it are too few or one or two of them make up most of it. The
release builder (``ledger.public.releases``) asks these rules about each figure it would publish
and about the change of each figure since it was last published; the audit
(``ledger.public.disclosure``) asks them which figures it must prove an attacker cannot pin down.

The thresholds are settings, named in the docs:

* ``TRANSPARENCY_MIN_CELL`` (5): the fewest people a published figure, or its change
  since its last publication, may rest on. Never below 2.
* ``TRANSPARENCY_DOMINANCE_PEOPLE`` (2) and ``TRANSPARENCY_DOMINANCE_PERCENT`` (80): an
  amount is unsafe when its largest that-many contributions make up more than that
  percentage of it (the (n, k) dominance rule of the statistical offices).
* ``TRANSPARENCY_PROTECTION_PERCENT`` (20): how far, either side of its true value, an
  attacker's bounds on a hidden unsafe amount must reach.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

OTHER_KEY = "other"


def min_cell() -> int:
    """The smallest number of people a published figure may rest on; never below two."""
    return max(int(settings.TRANSPARENCY_MIN_CELL), 2)


def dominance() -> tuple[int, int]:
    """(people, percent): an amount whose largest ``people`` contributions exceed
    ``percent`` of it is dominated."""
    return int(settings.TRANSPARENCY_DOMINANCE_PEOPLE), int(settings.TRANSPARENCY_DOMINANCE_PERCENT)


def protection() -> float:
    """The fraction either side of a hidden unsafe amount that must stay uncertain."""
    return float(settings.TRANSPARENCY_PROTECTION_PERCENT) / 100


def unsafe_amount(contributions: Iterable[int]) -> str | None:
    """Why an amount summed from these per-person contributions may not be published, or
    None when it may. No contribution at all (nothing happened) is safe: a zero."""
    sizes = sorted((abs(value) for value in contributions if value), reverse=True)
    if not sizes:
        return None
    minimum = min_cell()
    if len(sizes) < minimum:
        return f"fewer than {minimum} people"
    people, percent = dominance()
    if sum(sizes[:people]) * 100 > percent * sum(sizes):
        return f"{people} people make up over {percent}%"
    return None


def unsafe_count(people: int) -> str | None:
    """Why a count of people may not be published (zero is safe), or None."""
    minimum = min_cell()
    return f"fewer than {minimum} people" if 0 < people < minimum else None


def county_key(county: str) -> tuple[str, str]:
    """(grouping key, label): spaces and case are ignored when counties are grouped."""
    label = " ".join(county.split())
    return label.casefold(), label


def fold_counties(people_by_county: dict[str, int]) -> tuple[list[str], list[str]]:
    """(counties named on their own, largest first; counties folded into "Other
    counties"). A county where the fund helped fewer than the minimum number of people is
    never named, so its name cannot point at the one person it would stand for."""
    minimum = min_cell()
    named = sorted(
        (key for key, people in people_by_county.items() if people >= minimum),
        key=lambda key: (-people_by_county[key], key),
    )
    folded = sorted(key for key, people in people_by_county.items() if 0 < people < minimum)
    return named, folded

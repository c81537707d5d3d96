"""Published releases of closed months against the books: a release is never recomputed,
and the books of a closed month cannot change (``ledger.books.periods``), so the money a
release of a closed month published must still be what the books give for that month and
for all time to its end. A difference means the closed books were rewritten behind the
triggers; ``verify_ledger`` names the release and the figure.

Months released while still open may differ: what was recorded later shows on the next
release's correction line, which is how a release never rewrites what it published.
"""

from __future__ import annotations

from ledger.books.periods import closed_through
from ledger.books.subledgers import Findings
from ledger.models import ReleaseStatus, TransparencyRelease
from ledger.public.release_content import MONEY_IN, money_in_now, month_bounds


def check_closed_releases(findings: Findings) -> None:
    closed = closed_through()
    if closed is None:
        return
    published = TransparencyRelease.objects.filter(status=ReleaseStatus.PUBLISHED)
    for release in published.order_by("period"):
        if month_bounds(release.period)[1] > closed:
            break
        findings.records += 1
        now = money_in_now(release.period)
        said = release.content["money_in"]
        clauses = [
            (
                f"{scope} {figure} was published as {said[scope][figure]}, the books now give "
                f"{now[scope][figure]}",
                None,
            )
            for scope in ("month", "total")
            for figure in MONEY_IN
            if said[scope][figure] != now[scope][figure]
        ]
        findings.mismatch(f"release {release.period} (a closed month)", clauses)

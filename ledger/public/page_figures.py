"""What the transparency page and the home page show, from the published releases.

A figure a release suppressed is never filled in: the page shows the newest release that
did publish it, and says which. The identities (bail paid − returned − kept by courts =
still held; every dollar raised = where it is now) are shown from the newest release in
which all their terms were published, so they always add up exactly.
"""

from __future__ import annotations

from django.utils.translation import gettext

from ledger.books.money import format_money
from ledger.public import charts
from ledger.public import transparency as figures
from ledger.public.release_content import SUPPRESSED

PEOPLE_TOTALS = (
    "bail_paid",
    "bail_returned",
    "court_fees",
    "bail_forfeited",
    "kept_by_courts",
    "bail_outstanding",
    "direct_support",
    "people_helped",
)
IDENTITY = ("bail_paid", "bail_returned", "kept_by_courts", "bail_outstanding")


def _all_published(release: dict, fields) -> bool:
    return all(release["people"]["total"][f] != SUPPRESSED for f in fields)


def bail_identity(releases: list[dict]) -> dict | None:
    """paid − returned − kept by courts = still held, from the newest release that
    published all four; None before one has."""
    for release in reversed(releases):
        if _all_published(release, IDENTITY):
            return {
                "release": release["release"],
                **{f: release["people"]["total"][f] for f in IDENTITY},
            }
    return None


def _every_dollar(releases: list[dict]) -> dict | None:
    for release in reversed(releases):
        cash = release["cash"]
        if cash["bank_and_cash"] == SUPPRESSED or not _all_published(
            release, ("bail_outstanding", "kept_by_courts", "direct_support")
        ):
            continue
        totals = release["people"]["total"]
        sources = release["money_in"]["total"]["donations_net"] + cash["opening_balance"]
        uses = (
            cash["bank_and_cash"]
            + cash["stripe_balance"]
            + totals["bail_outstanding"]
            + totals["kept_by_courts"]
            + totals["direct_support"]
        )
        return {
            "release": release["release"],
            "sources": sources,
            "uses": uses,
            **cash,
            **{f: totals[f] for f in ("bail_outstanding", "kept_by_courts", "direct_support")},
            "donations_net": release["money_in"]["total"]["donations_net"],
        }
    return None


def _period_label(period: dict) -> str:
    return period["to"] if period["from"] == period["to"] else f"{period['from']}–{period['to']}"


def _bail_chart(document: dict) -> dict:
    paid = document["bail_paid_by_period"]
    returned = {
        (p["from"], p["to"]): p["bail_returned"] for p in document["bail_returned_by_period"]
    }
    labels = [_period_label(p) for p in paid]
    values = [p["bail_paid"] for p in paid]
    currency = document["currency"]
    if not paid:
        return {"chart": None, "periods": []}
    high = max(zip(values, labels, strict=True))
    description = gettext(
        "Bail paid in each period between two releases that published it, %(first)s to "
        "%(last)s. The most was %(amount)s, in %(period)s. The table below lists every period."
    ) % {
        "first": labels[0],
        "last": labels[-1],
        "amount": format_money(high[0], currency),
        "period": high[1],
    }
    return {
        "chart": charts.monthly_bars(labels, [values], currency=currency),
        "description": description,
        "periods": [
            {
                "label": label,
                "bail_paid": value,
                "bail_returned": returned.get((p["from"], p["to"])),
            }
            for label, value, p in zip(labels, values, paid, strict=True)
        ],
    }


def context(document: dict) -> dict:
    """The transparency page's template context."""
    releases = document["releases"]
    latest = releases[-1] if releases else None
    currency = document["currency"]
    totals = []
    if latest:
        for field in PEOPLE_TOTALS:
            value = latest["people"]["total"][field]
            last = figures.latest_published(releases, "people", "total", field)
            totals.append(
                {"field": field, "value": value, "suppressed": value == SUPPRESSED, "last": last}
            )
    months = [r["release"] for r in releases]
    net = [r["money_in"]["month"]["donations_net"] for r in releases]
    checkpoints = figures.checkpoints_document()["checkpoints"][: figures.RECENT_CHECKPOINTS]
    return {
        "document": document,
        "latest": latest,
        "totals": totals,
        "identity": bail_identity(releases),
        "every_dollar": _every_dollar(releases),
        "money_in_chart": charts.monthly_bars(months, [net], currency=currency) if months else None,
        "money_in_description": gettext(
            "Money raised, net, in each released month, %(first)s to %(last)s. The table "
            "below lists every month."
        )
        % {"first": months[0], "last": months[-1]}
        if months
        else "",
        "bail": _bail_chart(document),
        "releases_newest_first": list(reversed(releases)),
        "recent_checkpoints": [
            {**c, "recorded": c["created_at"][:16].replace("T", " ") + " UTC"} for c in checkpoints
        ],
        "min_cell": latest["privacy"]["min_cell"] if latest else None,
        "privacy": latest["privacy"] if latest else None,
    }

"""What one release says in public, and the data dictionary that explains every field.

``build`` turns the cells chosen by ``ledger.public.releases`` (figures about people, each
published or "suppressed") and the books' monthly totals through the released month
(money in, which never identifies a person the fund helped) into the release's public
content. Amounts are integers in minor units; a suppressed figure is the string
``"suppressed"``, never null or blank.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_noop

from ledger.books.chart import (
    AT_STRIPE,
    BANK,
    CASH,
    DISPUTE_LOSSES,
    DONATIONS,
    DONATIONS_REFUNDED,
    OPENING_BALANCE,
    PROCESSING_FEES,
)
from ledger.models import BailType, MonthlyTotal
from ledger.public import privacy
from ledger.public.release_model import MEASURES

SUPPRESSED = "suppressed"
OTHER_COUNTIES = gettext_noop("Other counties")
BAIL_TYPE_LABELS = {
    BailType.CRIMINAL_BAIL: gettext_noop("Criminal bail"),
    BailType.IMMIGRATION_BOND: gettext_noop("Immigration bond"),
    BailType.OTHER_SUPPORT: gettext_noop("Other support"),
}
MONEY_IN = (
    "donations_gross",
    "refunds",
    "disputes",
    "processing_fees",
    "donations_net",
    "donations_count",
)
PEOPLE_TOTALS = (*MEASURES, "bail_outstanding", "kept_by_courts", "people_helped")
BREAKDOWN_FIELDS = ("people", "bail_paid", "direct_support", "bail_outstanding")

# (field, unit, meaning, rule): published beside the open data as data-dictionary.csv.
MONEY, COUNT = "minor units of the currency (cents)", "people"
PEOPLE_RULE = (
    "suppressed unless at least TRANSPARENCY_MIN_CELL people are behind it and no "
    "TRANSPARENCY_DOMINANCE_PEOPLE of them make up over TRANSPARENCY_DOMINANCE_PERCENT% of "
    "it; a running total also needs that of its change since it was last published; more "
    "figures are suppressed until the audit over every release passes"
)
NEVER = "never suppressed: money in does not identify anyone the fund helped"
DICTIONARY = (
    ("release", "YYYY-MM", "the month this release covers", "-"),
    (
        "line",
        "month | correction",
        "the month itself, or what was recorded since the previous "
        "release about months already released",
        "-",
    ),
    ("donations_gross", MONEY, "gifts received, before fees", NEVER),
    ("refunds", MONEY, "gifts returned to donors", NEVER),
    ("disputes", MONEY, "card disputes lost, with their fees, less disputes won", NEVER),
    ("processing_fees", MONEY, "payment processing fees", NEVER),
    ("donations_net", MONEY, "donations_gross - refunds - disputes - processing_fees", NEVER),
    ("donations_count", "gifts", "gifts recorded (a reversal counts again)", NEVER),
    ("bail_paid", MONEY, "bail and bonds paid to courts, jails and bond agents", PEOPLE_RULE),
    ("bail_returned", MONEY, "bail that came back to the fund", PEOPLE_RULE),
    ("court_fees", MONEY, "fees courts kept from returned bail", PEOPLE_RULE),
    ("bail_forfeited", MONEY, "bail the courts kept", PEOPLE_RULE),
    ("direct_support", MONEY, "non-returnable help: bond fees, transport", PEOPLE_RULE),
    (
        "bail_outstanding",
        MONEY,
        "bail courts still hold: bail_paid - bail_returned - court_fees - bail_forfeited",
        PEOPLE_RULE,
    ),
    (
        "kept_by_courts",
        MONEY,
        "court_fees + bail_forfeited: bail the courts did not give back",
        PEOPLE_RULE,
    ),
    ("people_helped", COUNT, "people with at least one payment so far", PEOPLE_RULE),
    ("people", COUNT, "people helped so far in a county or kind of help", PEOPLE_RULE),
    (
        "bank_and_cash",
        MONEY,
        "the fund's bank and cash at the month's end; it moves with "
        "money paid out for people, so it follows their rule",
        PEOPLE_RULE,
    ),
    (
        "stripe_balance",
        MONEY,
        "card gifts at Stripe, held back by Stripe or on their way to the bank: "
        "not yet in the bank",
        NEVER,
    ),
    ("opening_balance", MONEY, "money the fund had when these books started", NEVER),
)


def month_bounds(period: str) -> tuple[dt.date, dt.date]:
    """The first and last day of the month ``YYYY-MM``."""
    start = dt.date(int(period[:4]), int(period[5:7]), 1)
    following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start, following - dt.timedelta(days=1)


def utc_text(moment: dt.datetime) -> str:
    """2026-11-25T16:01:17Z"""
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _books(end: dt.date, start: dt.date) -> tuple[dict, dict]:
    """(account -> (net, count) through ``end``, account -> (net, count) in the month)."""
    total: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    month: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    rows = MonthlyTotal.objects.filter(month__lte=end).values_list(
        "account__code", "month", "debits", "credits", "postings_count"
    )
    for code, first_day, debits, credits, count in rows:
        for target in (total, month) if first_day >= start else (total,):
            target[code][0] += debits - credits
            target[code][1] += count
    return total, month


def _money_in(flows: dict) -> dict:
    def net(code: str) -> int:
        return flows.get(code, (0, 0))[0]

    gross, refunds = -net(DONATIONS), net(DONATIONS_REFUNDED)
    disputes, fees = net(DISPUTE_LOSSES), net(PROCESSING_FEES)
    return {
        "donations_gross": gross,
        "refunds": refunds,
        "disputes": disputes,
        "processing_fees": fees,
        "donations_net": gross - refunds - disputes - fees,
        "donations_count": flows.get(DONATIONS, (0, 0))[1],
    }


def money_in_now(period: str) -> dict:
    """The money-in figures of ``period`` (month and total) as the books give them now."""
    start, end = month_bounds(period)
    total, month = _books(end, start)
    return {"month": _money_in(month), "total": _money_in(total)}


def _shown(cell: dict):
    return cell["value"] if cell["published"] else SUPPRESSED


def build(period: str, cells: list[dict], previous) -> dict:
    """The public content of the release of ``period``; ``previous`` is the last published
    release (for the correction line and the hash chain)."""
    start, end = month_bounds(period)
    total, month = _books(end, start)
    money_total = _money_in(total)
    if previous is None:
        correction = dict.fromkeys(MONEY_IN, 0)
    else:
        before = previous.content["money_in"]["total"]
        this_month = _money_in(month)
        correction = {f: money_total[f] - before[f] - this_month[f] for f in MONEY_IN}
    by_id = {cell["id"]: cell for cell in cells}
    totals = {m: _shown(by_id[f"total.{m}"]) for m in PEOPLE_TOTALS[:-1]}
    totals["people_helped"] = _shown(by_id["total.people"])
    net_paid_out = by_id["total.net_paid_out"]
    bank_and_cash = total.get(BANK, (0, 0))[0] + total.get(CASH, (0, 0))[0]
    breakdowns: dict[str, list] = {"county": [], "bail_type": []}
    rows: dict[tuple, dict] = {}
    for cell in cells:
        if cell["table"] not in breakdowns:
            continue
        label = BAIL_TYPE_LABELS.get(cell["label"], cell["label"])
        row = rows.get((cell["table"], cell["key"]))
        if row is None:
            row = {"key": cell["key"], "label": label}
            if cell["table"] == "county":
                row["other"] = cell["key"] == privacy.OTHER_KEY
            rows[cell["table"], cell["key"]] = row
            breakdowns[cell["table"]].append(row)
        row[cell["measure"]] = _shown(cell)
    return {
        "release": period,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "made_at": utc_text(timezone.now()),
        "previous_release_hash": previous.content_hash if previous else None,
        "fund": settings.FUND_NAME,
        "currency": settings.FUND_CURRENCY,
        "money_in": {"month": _money_in(month), "correction": correction, "total": money_total},
        "people": {
            "month": {m: _shown(by_id[f"month.{m}"]) for m in MEASURES},
            "correction": {m: _shown(by_id[f"correction.{m}"]) for m in MEASURES},
            "total": totals,
        },
        "cash": {
            "bank_and_cash": bank_and_cash if net_paid_out["published"] else SUPPRESSED,
            "stripe_balance": sum(total.get(code, (0, 0))[0] for code in AT_STRIPE),
            "opening_balance": -total.get(OPENING_BALANCE, (0, 0))[0],
        },
        "breakdowns": breakdowns,
        "privacy": {
            "min_cell": privacy.min_cell(),
            "dominance_people": privacy.dominance()[0],
            "dominance_percent": privacy.dominance()[1],
            "protection_percent": settings.TRANSPARENCY_PROTECTION_PERCENT,
        },
    }

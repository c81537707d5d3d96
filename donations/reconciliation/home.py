"""What the staff home page says needs doing, and where the money is: counts with their
links, the oldest request waiting, and the cash position from the books as they stand."""

from __future__ import annotations

import datetime as dt

from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from donations.bank.models import BankStatementLine, MatchStatus
from donations.checkout.services import donations_pause_state
from donations.models import (
    Discrepancy,
    DiscrepancyStatus,
    Donation,
    EventStatus,
    StripeEvent,
)
from donations.wall import WAITING
from ledger.books.fund_time import fund_today
from ledger.books.selectors import account_balances, approved_unpaid_total
from ledger.casework.correction_records import Correction, CorrectionStatus
from ledger.models import BailCase, Disbursement, DisbursementStatus

CASH_POSITION = (
    (_("bank"), "assets:bank"),
    (_("cash"), "assets:cash"),
    (_("at Stripe"), "assets:stripe"),
    (_("on its way from Stripe to the bank"), "assets:payouts_in_transit"),
    (_("held by courts as bail"), "assets:bail_outstanding"),
)


# How far ahead the home page looks for open cases' court dates.
COURT_DATES_AHEAD = dt.timedelta(days=7)


def to_do() -> dict:
    today = fund_today()
    waiting = Disbursement.objects.filter(status=DisbursementStatus.REQUESTED)
    unmatched = BankStatementLine.objects.exclude(matches__status=MatchStatus.CONFIRMED).distinct()
    return {
        "approvals": waiting.count(),
        "corrections": Correction.objects.filter(status=CorrectionStatus.PROPOSED).count(),
        "oldest_request": waiting.aggregate(at=Min("requested_at"))["at"],
        "failed_events": StripeEvent.objects.filter(status=EventStatus.FAILED).count(),
        "open_discrepancies": Discrepancy.objects.filter(status=DiscrepancyStatus.OPEN).count(),
        "unmatched_bank_lines": unmatched.count(),
        "wall_waiting": Donation.objects.filter(WAITING).count(),
        "court_dates_soon": BailCase.objects.filter(
            closed_on__isnull=True,
            next_court_date__gte=today,
            next_court_date__lt=today + COURT_DATES_AHEAD,
        ).count(),
        "paused": donations_pause_state()[0],
    }


def cash_position() -> dict:
    """The books' balances now, by where the money is, and what approval has promised."""
    balances = account_balances()
    rows = [(label, balances.get(code, 0)) for label, code in CASH_POSITION]
    return {"as_of": timezone.now(), "rows": rows, "promised": approved_unpaid_total()}

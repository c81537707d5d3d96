"""The chart of accounts of a bail fund (see docs/ledger.md, "Accounts").

Used by the data migration that creates the accounts and by ``ensure_chart`` for a
database that was emptied (tests that truncate tables, a fresh demo).
"""

from __future__ import annotations

from django.conf import settings

# The accounts, by the code they are kept under. Code names an account through these.
STRIPE = "assets:stripe"
PAYOUTS_IN_TRANSIT = "assets:payouts_in_transit"
STRIPE_HELD = "assets:stripe_held"
STRIPE_SUSPENSE = "assets:stripe_suspense"
BANK = "assets:bank"
CASH = "assets:cash"
BAIL_OUTSTANDING = "assets:bail_outstanding"
DONATIONS = "income:donations"
DONATIONS_REFUNDED = "income:donations_refunded"
PROCESSING_FEES = "expenses:processing_fees"
DISPUTE_LOSSES = "expenses:dispute_losses"
COURT_FEES = "expenses:court_fees"
BAIL_FORFEITED = "expenses:bail_forfeited"
DIRECT_SUPPORT = "expenses:direct_support"
OPENING_BALANCE = "net_assets:opening_balance"

# The fund's card money not yet in its bank: at Stripe, held back, or on its way.
AT_STRIPE = (STRIPE, STRIPE_HELD, STRIPE_SUSPENSE, PAYOUTS_IN_TRANSIT)

# (code, name, type, description)
CHART: tuple[tuple[str, str, str, str], ...] = (
    (STRIPE, "Balance held at Stripe", "asset", "Card donations not yet paid out."),
    (
        PAYOUTS_IN_TRANSIT,
        "Payouts in transit",
        "asset",
        "Paid out by Stripe, not yet arrived in the bank; back to Stripe if a payout fails.",
    ),
    (
        STRIPE_HELD,
        "Held by Stripe",
        "asset",
        "The fund's money Stripe holds back: reserves and minimum-balance holds.",
    ),
    (
        STRIPE_SUSPENSE,
        "Stripe movements to classify",
        "asset",
        "Balance transactions of a type the books have no recipe for; each is a discrepancy.",
    ),
    (BANK, "Bank account", "asset", "The fund's bank account."),
    (CASH, "Cash", "asset", "Cash on hand."),
    (
        BAIL_OUTSTANDING,
        "Bail held by courts",
        "asset",
        "Bail paid and still held by courts; expected back when cases close.",
    ),
    (DONATIONS, "Donations", "income", "Gifts received, gross of fees."),
    (
        DONATIONS_REFUNDED,
        "Donations refunded",
        "income",
        "Contra-income: gifts returned to donors.",
    ),
    (PROCESSING_FEES, "Processing fees", "expense", "Payment processor fees."),
    (DISPUTE_LOSSES, "Dispute losses", "expense", "Card disputes lost, with fees."),
    (COURT_FEES, "Court fees", "expense", "Fees courts withheld from returned bail."),
    (BAIL_FORFEITED, "Bail forfeited", "expense", "Bail the courts kept."),
    (
        DIRECT_SUPPORT,
        "Direct support",
        "expense",
        "Non-returnable help: immigration bond fees, transport.",
    ),
    (
        OPENING_BALANCE,
        "Opening balance",
        "net_assets",
        "Net assets brought in when the books started.",
    ),
)


def ensure_chart(account_model=None, currency: str | None = None, using: str = "default") -> int:
    """Create any missing account of the chart; returns how many were created."""
    if account_model is None:
        from ledger.models import Account as account_model  # noqa: N813

    currency = (currency or settings.FUND_CURRENCY).lower()
    existing = set(account_model.objects.using(using).values_list("code", flat=True))
    missing = [
        account_model(code=code, name=name, type=type_, currency=currency, description=desc)
        for code, name, type_, desc in CHART
        if code not in existing
    ]
    account_model.objects.using(using).bulk_create(missing)
    return len(missing)

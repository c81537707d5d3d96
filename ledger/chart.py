"""The chart of accounts of a bail fund (see docs/ledger.md, "Accounts").

Used by the data migration that creates the accounts and by ``ensure_chart`` for a
database that was emptied (tests that truncate tables, a fresh demo).
"""

from __future__ import annotations

from django.conf import settings

# (code, name, type, description)
CHART: tuple[tuple[str, str, str, str], ...] = (
    ("assets:stripe", "Balance held at Stripe", "asset", "Card donations not yet paid out."),
    ("assets:bank", "Bank account", "asset", "The fund's bank account."),
    ("assets:cash", "Cash", "asset", "Cash on hand."),
    (
        "assets:bail_outstanding",
        "Bail held by courts",
        "asset",
        "Bail paid and still held by courts; expected back when cases close.",
    ),
    ("income:donations", "Donations", "income", "Gifts received, gross of fees."),
    (
        "income:donations_refunded",
        "Donations refunded",
        "income",
        "Contra-income: gifts returned to donors.",
    ),
    ("expenses:processing_fees", "Processing fees", "expense", "Payment processor fees."),
    ("expenses:dispute_losses", "Dispute losses", "expense", "Card disputes lost, with fees."),
    ("expenses:court_fees", "Court fees", "expense", "Fees courts withheld from returned bail."),
    ("expenses:bail_forfeited", "Bail forfeited", "expense", "Bail the courts kept."),
    (
        "expenses:direct_support",
        "Direct support",
        "expense",
        "Non-returnable help: immigration bond fees, transport.",
    ),
    (
        "net_assets:opening_balance",
        "Opening balance",
        "net_assets",
        "Net assets brought in when the books started.",
    ),
)


def ensure_chart(account_model=None, currency: str | None = None) -> int:
    """Create any missing account of the chart; returns how many were created."""
    if account_model is None:
        from ledger.models import Account as account_model  # noqa: N813

    currency = (currency or settings.FUND_CURRENCY).lower()
    existing = set(account_model.objects.values_list("code", flat=True))
    missing = [
        account_model(code=code, name=name, type=type_, currency=currency, description=desc)
        for code, name, type_, desc in CHART
        if code not in existing
    ]
    account_model.objects.bulk_create(missing)
    return len(missing)

"""Fee arithmetic, kept in one place so tests and docs can point at it.

All amounts are integers in the currency's minor unit (cents). The sandbox uses Stripe's
standard US card pricing for every currency: 2.9% rounded half up, plus 30 cents (ACH Direct
Debit: 0.8% rounded half up, at most 5.00). Refunds
do not return the processing fee. A dispute costs a flat 15.00 fee when the funds are
withdrawn, and the fee is not returned if the dispute is won.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CARD_FEE_PER_MILLE = 29  # 2.9%
CARD_FEE_FIXED = 30
DISPUTE_FEE = 1500
MINIMUM_CHARGE = 50  # Stripe's minimum for USD (0.50)
SETTLEMENT_DAYS = 2
DAY = 86_400


ACH_FEE_PER_MILLE = 8  # 0.8%
ACH_FEE_CAP = 500


def ach_fee(amount: int) -> int:
    """ACH Direct Debit: round_half_up(amount * 0.8%), at most 5.00
    (Stripe's standard US pricing, https://stripe.com/pricing)."""
    return min((amount * ACH_FEE_PER_MILLE + 500) // 1000, ACH_FEE_CAP)


def card_fee(amount: int) -> int:
    """round_half_up(amount * 2.9%) + 30, in integer arithmetic."""
    return (amount * CARD_FEE_PER_MILLE + 500) // 1000 + CARD_FEE_FIXED


#: The account's default currency: what charges in the currencies below settle in.
SETTLEMENT_CURRENCY = "usd"

#: Fixed rates, units of the settlement currency per unit of each currency, so tests are
#: exact. Only two-decimal currencies: amounts convert minor unit for minor unit. A charge in
#: any other currency settles in its own currency, as before.
EXCHANGE_RATES: dict[str, Decimal] = {
    "eur": Decimal("1.10"),
    "gbp": Decimal("1.25"),
    "cad": Decimal("0.75"),
    "aud": Decimal("0.65"),
}


def settle(amount: int, currency: str) -> tuple[int, str, Decimal | None]:
    """``amount`` of ``currency`` in the currency the balance holds it in: ``(amount,
    currency, exchange_rate)``, the rate None when nothing was converted. Rounded half up
    to the minor unit."""
    rate = EXCHANGE_RATES.get(currency)
    if rate is None:
        return amount, currency, None
    converted = int((Decimal(amount) * rate).quantize(Decimal(1), ROUND_HALF_UP))
    return converted, SETTLEMENT_CURRENCY, rate

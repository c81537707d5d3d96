"""Fee arithmetic, kept in one place so tests and docs can point at it.

All amounts are integers in the currency's minor unit (cents). The sandbox uses Stripe's
standard US card pricing for every currency: 2.9% rounded half up, plus 30 cents. Refunds
do not return the processing fee. A dispute costs a flat 15.00 fee when the funds are
withdrawn, and the fee is not returned if the dispute is won.
"""

from __future__ import annotations

CARD_FEE_PER_MILLE = 29  # 2.9%
CARD_FEE_FIXED = 30
DISPUTE_FEE = 1500
MINIMUM_CHARGE = 50  # Stripe's minimum for USD (0.50)
SETTLEMENT_DAYS = 2
DAY = 86_400


def card_fee(amount: int) -> int:
    """round_half_up(amount * 2.9%) + 30, in integer arithmetic."""
    return (amount * CARD_FEE_PER_MILLE + 500) // 1000 + CARD_FEE_FIXED

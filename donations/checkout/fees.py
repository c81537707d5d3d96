"""What Stripe charges for each way of paying the fund offers, and a gift grossed up so the
fund keeps all of it whichever way the donor pays.

The rates are the fund's own (``STRIPE_FEE_RATES``, read by ``config/payment_settings.py``):
Stripe's standard US pricing is 2.9% + 30¢ for cards and 0.8% capped at $5 for ACH Direct
Debit (https://stripe.com/pricing), but a fund's account may have others. Checkout offers
exactly the methods that have a rate (``payment_method_types``), so a donor never pays by a
method whose fee the cover did not allow for. The fee Stripe really took is the balance
transaction's, recorded on each charge; this arithmetic only sets what a donor is asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.conf import settings


@dataclass(frozen=True)
class FeeRate:
    method: str
    percent: Decimal
    fixed: int  # minor units
    cap: int | None = None  # minor units; the fee never exceeds it

    def fee(self, amount: int) -> int:
        """The fee on a payment of ``amount``: the percentage rounded half up to the minor
        unit, plus the fixed part, at most the cap."""
        share = (Decimal(amount) * self.percent / 100).quantize(Decimal(1), ROUND_HALF_UP)
        fee = int(share) + self.fixed
        return fee if self.cap is None else min(fee, self.cap)

    def covering(self, gift: int) -> int:
        """A payment that leaves at least ``gift`` after this method's fee: the gift plus
        the fixed part, divided by what the percentage leaves, rounded up; at most the
        gift plus the cap."""
        if self.percent >= 100:
            raise ValueError(f"a fee of {self.percent}% leaves nothing")
        # (gift + fixed) / (1 - percent), rounded up to the minor unit.
        exact = Decimal(gift + self.fixed) * 100 / (100 - self.percent)
        amount = int(exact.to_integral_value(ROUND_CEILING))
        if self.cap is not None:
            amount = min(amount, gift + self.cap)
        while amount - self.fee(amount) < gift:  # rounding half up can take one cent more
            amount += 1
        return amount


def fee_rates() -> tuple[FeeRate, ...]:
    return tuple(
        FeeRate(method, Decimal(percent), fixed, cap)
        for method, percent, fixed, cap in settings.STRIPE_FEE_RATES
    )


def payment_method_types() -> list[str]:
    """The ways to pay Checkout offers: those the fund knows the fee of."""
    return [rate.method for rate in fee_rates()]


def fee_covering_amount(gift: int) -> int:
    """What to charge so the fund keeps ``gift`` by any method it offers: the costliest
    method's gross-up (a donor who pays by a cheaper one gives the difference too)."""
    return max(rate.covering(gift) for rate in fee_rates())

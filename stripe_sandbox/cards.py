"""Test card numbers and what each does.

The hosted checkout page and the control API accept card numbers and behave according to
this table. Numbers that follow Stripe's own test cards behave like Stripe's where the
sandbox models that behaviour; ``4000000000000341`` has a sandbox meaning (marked below).
``4000000000000077``, as on Stripe, "succeeds and funds will be added directly to your
available balance, bypassing your pending balance" (https://docs.stripe.com/testing#available-balance).
Delayed settlement is a bank debit's, not a card's (``banks.py``).
``4000002760003184`` follows Stripe's "always authenticate" card, which "requires
authentication on all transactions, regardless of how the card is set up"
(https://docs.stripe.com/testing#authentication-and-setup): on the hosted page the donor is
present and completes 3-D Secure, so it succeeds; off-session (a renewal) nobody can
authenticate, so the payment waits in ``requires_action``.
Any other number that passes the Luhn check succeeds as a generic card; numbers that fail it
are declined with ``incorrect_number``.
"""

from __future__ import annotations

from dataclasses import dataclass

SUCCEED = "succeed"
DECLINE = "decline"
AVAILABLE = "available"
FAIL_RENEWALS = "fail_renewals"
DISPUTE = "dispute"
AUTHENTICATE = "authenticate"


@dataclass(frozen=True)
class TestCard:
    number: str
    brand: str
    behaviour: str
    summary: str
    decline_code: str | None = None
    error_code: str | None = None
    message: str | None = None
    funding: str = "credit"

    __test__ = False  # not a pytest test class

    @property
    def last4(self) -> str:
        return self.number[-4:]


_DECLINED = "Your card was declined."

#: The card used where none is named (outside charges, renewals that must succeed).
DEFAULT_CARD = "4242424242424242"
#: The card that stands in for a forced decline (``fail=True`` renewals).
DECLINE_CARD = "4000000000000002"

TEST_CARDS: dict[str, TestCard] = {
    card.number: card
    for card in [
        TestCard("4242424242424242", "visa", SUCCEED, "Succeeds."),
        TestCard("5555555555554444", "mastercard", SUCCEED, "Succeeds (Mastercard)."),
        TestCard(
            "4000000000000002",
            "visa",
            DECLINE,
            "Declined (generic_decline).",
            decline_code="generic_decline",
            error_code="card_declined",
            message=_DECLINED,
        ),
        TestCard(
            "4000000000009995",
            "visa",
            DECLINE,
            "Declined (insufficient_funds).",
            decline_code="insufficient_funds",
            error_code="card_declined",
            message="Your card has insufficient funds.",
        ),
        TestCard(
            "4000000000000069",
            "visa",
            DECLINE,
            "Declined (expired_card).",
            decline_code="expired_card",
            error_code="expired_card",
            message="Your card has expired.",
        ),
        TestCard(
            "4000000000000077",
            "visa",
            AVAILABLE,
            "Succeeds; the funds are available at once, bypassing the pending balance.",
        ),
        TestCard(
            "4000000000000341",
            "visa",
            FAIL_RENEWALS,
            "Sandbox meaning: the first payment succeeds, every renewal is declined.",
        ),
        TestCard(
            "4000002760003184",
            "visa",
            AUTHENTICATE,
            "Requires 3-D Secure on every payment: succeeds on the checkout page, "
            "renewals wait for the donor (requires_action).",
        ),
        TestCard(
            "4000000000000259",
            "visa",
            DISPUTE,
            "Succeeds, then the charge is disputed as fraudulent at once.",
        ),
    ]
}

INCORRECT_NUMBER = TestCard(
    "0000000000000000",
    "unknown",
    DECLINE,
    "Fails the Luhn check.",
    error_code="incorrect_number",
    message="Your card number is incorrect.",
)


def normalize(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())


def luhn_ok(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def _brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or number[:1] == "2":
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    if number.startswith("6"):
        return "discover"
    return "unknown"


def lookup(number: str) -> TestCard:
    """The behaviour of a card number typed by a donor."""
    digits = normalize(number)
    if digits in TEST_CARDS:
        return TEST_CARDS[digits]
    if luhn_ok(digits):
        return TestCard(digits, _brand(digits), SUCCEED, "Succeeds.")
    return INCORRECT_NUMBER

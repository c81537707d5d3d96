"""Test US bank accounts for ACH Direct Debit (``us_bank_account``), and what each does.

ACH Direct Debit is a delayed-notification payment method: a debit is ``processing`` when
the payer submits it and succeeds or fails days later
(https://docs.stripe.com/payments/ach-direct-debit/accept-a-payment). The sandbox keeps it
``processing`` until ``settle_payment`` finishes it; without an explicit outcome the account
number decides, following Stripe's test account numbers (routing number ``110000000``,
https://docs.stripe.com/payments/ach-direct-debit/accept-a-payment#test-integration).
Any other number of 4 to 17 digits succeeds; anything else is refused as incorrect.
"""

from __future__ import annotations

from dataclasses import dataclass

ROUTING_NUMBER = "110000000"
BANK_NAME = "STRIPE TEST BANK"


@dataclass(frozen=True)
class TestBankAccount:
    number: str
    summary: str
    failure_code: str | None = None
    message: str | None = None

    __test__ = False  # not a pytest test class

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def succeeds(self) -> bool:
        return self.failure_code is None


TEST_BANK_ACCOUNTS: dict[str, TestBankAccount] = {
    account.number: account
    for account in [
        TestBankAccount("000123456789", "The payment succeeds."),
        TestBankAccount(
            "000111111113",
            "The payment fails because the account is closed.",
            "account_closed",
            "The customer's bank account has been closed.",
        ),
        TestBankAccount(
            "000111111116",
            "The payment fails because no account is found.",
            "no_account",
            "The customer's bank account could not be located.",
        ),
        TestBankAccount(
            "000222222227",
            "The payment fails due to insufficient funds.",
            "insufficient_funds",
            "The customer's account has insufficient funds to cover this payment.",
        ),
        TestBankAccount(
            "000333333335",
            "The payment fails because debits aren't authorized.",
            "debit_not_authorized",
            "The customer has notified their bank that this payment was unauthorized.",
        ),
        TestBankAccount(
            "000444444440",
            "The payment fails because of an invalid currency.",
            "invalid_currency",
            "The bank was unable to process this payment because of its currency.",
        ),
    ]
}

#: The failure of a debit forced to fail whose account would have succeeded.
DEFAULT_FAILURE = TEST_BANK_ACCOUNTS["000222222227"]


def normalize(number: str) -> str:
    return "".join(ch for ch in number if not ch.isspace())


def lookup(number: str) -> TestBankAccount | None:
    """The behaviour of an account number typed by a payer (None: not a valid number)."""
    digits = normalize(number)
    if digits in TEST_BANK_ACCOUNTS:
        return TEST_BANK_ACCOUNTS[digits]
    if digits.isdigit() and 4 <= len(digits) <= 17:
        return TestBankAccount(digits, "The payment succeeds.")
    return None

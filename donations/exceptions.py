"""Typed errors of the donations side. Each docstring states the rule it protects."""


class DonationError(Exception):
    """Base class: nothing was changed."""


class InvalidDonation(DonationError):
    """A donation has an amount within the fund's limits and a known frequency."""


class DonationsPaused(DonationError):
    """While the fund has paused donations, no checkout is started."""


class RateLimited(DonationError):
    """A client may start only so many checkouts in a window (card-testing protection)."""


class WebhookRejected(DonationError):
    """Only signed, fresh, well-formed events of bounded size are accepted."""


class StripeGatewayError(DonationError):
    """Stripe refused a request: the request itself was wrong; retrying will not help."""


class StripeUnavailable(StripeGatewayError):
    """Stripe did not answer usefully (rate limit, server error, timeout): retry later."""


class StripeObjectMissing(StripeGatewayError):
    """The object does not exist at Stripe."""


class UnprocessableEvent(DonationError):
    """An event's object cannot be reconciled with what we know yet (retry later)."""


class InvalidOfflineGift(DonationError):
    """An offline gift has a positive amount, a method (check or cash) and a past date."""


class InvalidBankStatement(DonationError):
    """A bank statement is imported whole or not at all: a file that cannot be read, or a
    line that does not make sense, refuses the whole file, naming the line."""


class InvalidBankMatch(DonationError):
    """A statement line and an entry in the books are matched at most once each."""

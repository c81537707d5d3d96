"""A local, stateful stand-in for the parts of Stripe's REST API the project uses.

Development and tests point the official ``stripe`` SDK at it (``STRIPE_API_BASE``) instead of
at Stripe: Checkout Sessions with a hosted test page, charges, refunds, disputes, payouts,
subscriptions and their invoices, balance transactions with Stripe's fee arithmetic, events,
and signed webhooks delivered at least once, with switches for the faults Stripe exhibits in
production (duplicates, reordering, loss, rate limits, errors, latency).

It uses only the standard library and never imports ``stripe``: only
``donations/stripe_gateway.py`` talks to Stripe's SDK, and the sandbox must stay importable
without Django. See ``docs/stripe-sandbox.md``.
"""

from .cards import TEST_CARDS
from .client import SandboxControl, SandboxControlError
from .objects import API_VERSION
from .server import DEFAULT_PORT, DEFAULT_WEBHOOK_SECRET, DEFAULT_WEBHOOK_URL, SandboxServer
from .state import SandboxState
from .switches import Switches
from .webhooks import signature_header

__all__ = [
    "API_VERSION",
    "DEFAULT_PORT",
    "DEFAULT_WEBHOOK_SECRET",
    "DEFAULT_WEBHOOK_URL",
    "TEST_CARDS",
    "SandboxControl",
    "SandboxControlError",
    "SandboxServer",
    "SandboxState",
    "Switches",
    "signature_header",
]

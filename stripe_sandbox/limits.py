"""Stripe's request rate limits, and a count of the API requests served.

Stripe limits requests per second per account, and separately per endpoint, where "each
named API operation" is one endpoint (``GET /v1/charges/{id}`` for every charge id is one,
``POST /v1/checkout/sessions`` another). Live mode allows 100 requests a second per account
and 25 per endpoint unless stated otherwise; a request over either limit is answered 429
with code ``rate_limit`` and says which limit in ``Stripe-Rate-Limited-Reason``
(https://docs.stripe.com/rate-limits). The switches ``account_rate_limit`` and
``endpoint_rate_limit`` set the two limits (0: unlimited, the default).

Each limit is a token bucket holding one second of requests: a burst up to the limit
passes, then requests pass at the limit's rate. A refused request uses no token.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from .errors import SandboxError

RATE_LIMIT_MESSAGE = (
    "Request rate limit exceeded. You can learn more about rate limits here "
    "https://stripe.com/docs/rate-limits."
)


class _Bucket:
    __slots__ = ("tokens", "updated")

    def __init__(self, capacity: float, now: float) -> None:
        self.tokens = capacity
        self.updated = now

    def refill(self, rate: float, now: float) -> None:
        self.tokens = min(rate, self.tokens + (now - self.updated) * rate)
        self.updated = now


class RateLimits:
    """The account's and each endpoint's bucket, and the requests served per endpoint."""

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}
        self.served: Counter = Counter()
        self.refused: Counter = Counter()

    def admit(self, endpoint: str, *, account_limit: int, endpoint_limit: int) -> None:
        """Count one request to ``endpoint``; raise Stripe's 429 if it is over a limit."""
        with self._lock:
            now = self._clock()
            limits = [("global-rate", "account", account_limit)]
            limits.append(("endpoint-rate", endpoint, endpoint_limit))
            buckets = []
            for reason, key, limit in limits:
                if limit <= 0:
                    continue
                bucket = self._buckets.get(key)
                if bucket is None:
                    bucket = self._buckets[key] = _Bucket(limit, now)
                bucket.refill(limit, now)
                if bucket.tokens < 1:
                    self.refused[endpoint] += 1
                    raise SandboxError(
                        429,
                        RATE_LIMIT_MESSAGE,
                        code="rate_limit",
                        headers={"Stripe-Rate-Limited-Reason": reason},
                    )
                buckets.append(bucket)
            for bucket in buckets:
                bucket.tokens -= 1
            self.served[endpoint] += 1

    def stats(self) -> dict[str, dict[str, int]]:
        """``{endpoint: {"served": n, "rate_limited": m}}``."""
        with self._lock:
            return {
                endpoint: {"served": self.served[endpoint], "rate_limited": self.refused[endpoint]}
                for endpoint in sorted(set(self.served) | set(self.refused))
            }

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
            self.served.clear()
            self.refused.clear()

"""Fault and behaviour switches.

The project must survive what Stripe does in production: webhooks that arrive twice, out of
order, late or never, and API calls that are rate limited, fail or hang. Each of those is a
switch here. Random decisions come from RNGs derived from ``seed``, one for the API and one
for webhook delivery, so a fault test that sets a seed sees the same faults on every run
(as long as its own requests are made in a fixed order).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any

from .errors import invalid


@dataclass
class Switches:
    # Webhook delivery.
    duplicate_rate: float = 0.0  # chance that an event is delivered one extra time
    duplicates: int = 1  # deliver every event this many times
    reorder: bool = False  # shuffle deliveries within a window
    reorder_window: int = 10
    delay_ms: int = 0  # hold each delivery this long before the first attempt
    drop_rate: float = 0.0  # chance an event is never delivered (still listed in /v1/events)
    max_attempts: int = 8  # attempts per delivery before giving up
    retry_base_ms: int = 50  # first retry backoff; doubles each attempt
    retry_max_ms: int = 5_000
    delivery_timeout_s: float = 10.0
    # API limits and faults (only /v1/ routes).
    account_rate_limit: int = 0  # requests/s for the account (Stripe live: 100); 0 = none
    endpoint_rate_limit: int = 0  # requests/s per endpoint (Stripe live: 25); 0 = none
    rate_limit_rate: float = 0.0  # answer 429
    server_error_rate: float = 0.0  # answer 500
    slow_ms: int = 0  # sleep before answering
    slow_rate: float = 1.0  # share of API requests that are slow (timeouts for some only)
    # Behaviour.
    late_balance_transaction: bool = False  # charge.succeeded without balance_transaction,
    # then charge.updated adding it (as Stripe does for some payment methods)
    auto_renew: bool = True  # renew/cancel subscriptions when the clock passes period end
    settlement_days: int = 2  # days until charge funds become available
    seed: int | None = None

    _api_rng: random.Random = field(
        default_factory=random.Random, init=False, repr=False, compare=False
    )
    _webhook_rng: random.Random = field(
        default_factory=random.Random, init=False, repr=False, compare=False
    )
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )
    # How many API requests got each injected fault, for tests to see what was served.
    faults_served: Counter = field(default_factory=Counter, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._reseed()

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls) if f.init]

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.names()}

    def _reseed(self) -> None:
        self._api_rng.seed(f"{self.seed}:api" if self.seed is not None else None)
        self._webhook_rng.seed(f"{self.seed}:webhooks" if self.seed is not None else None)

    def update(self, values: dict[str, Any]) -> None:
        """Validate and apply switch values (unknown names are an error)."""
        known = {f.name: f for f in fields(self) if f.init}
        cleaned: dict[str, Any] = {}
        for name, value in values.items():
            if name not in known:
                raise invalid(f"Unknown sandbox switch: {name}", param=name)
            cleaned[name] = _coerce(name, value, getattr(self, name))
        with self._lock:
            for name, value in cleaned.items():
                setattr(self, name, value)
            if "seed" in cleaned:
                self._reseed()

    # Random decisions -------------------------------------------------------------------

    def api_fault(self) -> str | None:
        """``"rate_limit"``, ``"server_error"`` or ``None`` for one API request."""
        with self._lock:
            fault = None
            if self.rate_limit_rate and self._api_rng.random() < self.rate_limit_rate:
                fault = "rate_limit"
            elif self.server_error_rate and self._api_rng.random() < self.server_error_rate:
                fault = "server_error"
            if fault:
                self.faults_served[fault] += 1
        return fault

    def is_slow(self) -> bool:
        """Whether this API request is one of the slow ones."""
        with self._lock:
            return self.slow_rate >= 1.0 or self._api_rng.random() < self.slow_rate

    def delivery_copies(self) -> int:
        """How many times one event should be delivered (0 = dropped)."""
        with self._lock:
            if self.drop_rate and self._webhook_rng.random() < self.drop_rate:
                return 0
            copies = max(1, self.duplicates)
            if self.duplicate_rate and self._webhook_rng.random() < self.duplicate_rate:
                copies += 1
            return copies

    def pick(self, count: int) -> int:
        """Index of the next delivery among ``count`` ready ones."""
        with self._lock:
            if not self.reorder or count <= 1:
                return 0
            return self._webhook_rng.randrange(min(count, max(1, self.reorder_window)))


_RATES = {"duplicate_rate", "drop_rate", "rate_limit_rate", "server_error_rate", "slow_rate"}


def _coerce(name: str, value: Any, current: Any) -> Any:
    if name == "seed":
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise invalid("seed must be an integer or null", param=name)
        return int(value)
    if isinstance(current, bool):
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return value == "true"
        raise invalid(f"{name} must be a boolean", param=name)
    if isinstance(value, bool):
        raise invalid(f"{name} must be a number", param=name)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise invalid(f"{name} must be a number", param=name)
    if not isinstance(current, float):
        if not number.is_integer():
            raise invalid(f"{name} must be an integer", param=name)
        number = int(number)
    if name in _RATES and not 0.0 <= number <= 1.0:
        raise invalid(f"{name} must be between 0 and 1", param=name)
    if number < 0:
        raise invalid(f"{name} must not be negative", param=name)
    if name in {"duplicates", "max_attempts", "reorder_window"} and number < 1:
        raise invalid(f"{name} must be at least 1", param=name)
    return number

"""The sandbox clock, and what happens when it moves.

Stripe's behaviour depends on time: funds become available two days after a charge,
subscriptions renew monthly, Checkout Sessions expire. Tests cannot wait for that, so every
timestamp the sandbox writes comes from this clock, which follows wall time plus an offset
that the control API can push forward (``/_sandbox/clock/advance``). It can also be frozen
at a fixed instant so runs are reproducible. It never goes backwards, so ``created`` values
are non-decreasing in creation order, which the store relies on for range queries.

Advancing it (:meth:`TimeMixin.advance_clock`) runs what became due: open sessions past
``expires_at`` expire, and subscriptions whose period ended renew or, with
``cancel_at_period_end``, end.
"""

from __future__ import annotations

import threading
import time

from .errors import invalid
from .store import Record


class SandboxClock:
    def __init__(self, frozen_at: int | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = 0
        self._frozen_at = frozen_at
        self._last = 0

    def now(self) -> int:
        with self._lock:
            if self._frozen_at is not None:
                current = self._frozen_at
            else:
                current = int(time.time()) + self._offset
            self._last = max(self._last, current)
            return self._last

    def advance(self, seconds: int) -> int:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += seconds
            else:
                self._offset += seconds
        return self.now()

    def freeze(self, at: int | None = None) -> int:
        """Stop following wall time; stay at ``at`` (default: now) until advanced."""
        current = self.now()
        with self._lock:
            self._frozen_at = max(at if at is not None else current, current)
        return self.now()

    def unfreeze(self) -> int:
        current = self.now()
        with self._lock:
            self._frozen_at = None
            self._offset = current - int(time.time())
        return self.now()

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    @property
    def offset(self) -> int:
        return self.now() - int(time.time())


class TimeMixin:
    """Part of ``SandboxState``; uses ``_expire`` (checkout) and ``_renew``/``_cancel``
    (subscriptions)."""

    def advance_clock(self, seconds: int) -> int:
        """Move the sandbox clock forward and run what became due (expiry, renewals)."""
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
            raise invalid("seconds must be a non-negative integer", param="seconds")
        with self.operation():
            now = self.clock.advance(seconds)
            for session in list(self.store.all("checkout.session")):
                if session["status"] == "open" and session["expires_at"] <= now:
                    self._expire(session)
            if self.switches.auto_renew:
                for subscription in list(self.store.all("subscription")):
                    self._catch_up(subscription, now)
            return now

    def _catch_up(self, subscription: Record, now: int) -> None:
        for _ in range(600):  # bounded: at most 50 years of monthly renewals per advance
            if subscription["status"] not in {"active", "past_due"}:
                return
            period_end = subscription["item"]["current_period_end"]
            if period_end > now:
                return
            if subscription["cancel_at_period_end"]:
                self._cancel(subscription, "cancellation_requested", at=period_end)
                return
            self._renew(subscription, None)

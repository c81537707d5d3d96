"""Webhook signing and at-least-once delivery.

Signing is Stripe's scheme, implemented with ``hmac`` so the sandbox does not depend on the
``stripe`` package: ``Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret,
"<t>.<payload>")>``. The timestamp is wall-clock time, not the sandbox clock, because the
receiving SDK checks it against its own clock (five minutes' tolerance by default).

Delivery runs in one background thread. Each event is POSTed to the webhook URL and retried
with exponential backoff on a non-2xx answer or a connection error, up to ``max_attempts``.
The fault switches decide, per event, whether it is dropped (it stays listable in
``/v1/events``, which is how the project recovers lost events) or delivered more than once,
and the ``reorder`` switch makes the worker pick among the first ``reorder_window`` ready
deliveries at random instead of in order. ``flush()`` waits until nothing is queued or in
flight, which is what tests call before asserting on what their receiver saw.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .switches import Switches

logger = logging.getLogger(__name__)

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


def compute_signature(payload: str, secret: str, timestamp: int) -> str:
    signed = f"{timestamp}.{payload}".encode()
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def signature_header(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header value for ``payload``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={compute_signature(payload, secret, timestamp)}"


@dataclass
class _Payload:
    """One event's body, rendered once and shared by its duplicate deliveries."""

    event_id: str
    event_type: str
    body: str | None = None


@dataclass
class Delivery:
    payload: _Payload
    attempt: int = 0
    copy: int = 1
    seq: int = 0
    due: float = 0.0


@dataclass
class _Log:
    entries: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=50_000))
    delivered: int = 0
    failed_attempts: int = 0
    abandoned: int = 0
    dropped: int = 0


class WebhookDispatcher:
    def __init__(
        self,
        switches: Switches,
        render: Callable[[str], dict[str, Any] | None],
        *,
        secret: str,
        url: str | None = None,
        on_delivered: Callable[[str], None] | None = None,
    ) -> None:
        self.switches = switches
        self.url = url
        self.secret = secret
        self._render = render
        self._on_delivered = on_delivered
        self._cv = threading.Condition()
        self._ready: deque[Delivery] = deque()
        self._waiting: list[tuple[float, int, Delivery]] = []  # heap by due time
        self._in_flight = 0
        self._seq = itertools.count()
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._log = _Log()

    # --- Lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._stopped = False
            self._thread = threading.Thread(
                target=self._run, name="stripe-sandbox-webhooks", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        with self._cv:
            self._stopped = True
            self._cv.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def configure(self, *, url: str | None | bool = False, secret: str | None = None) -> None:
        """Change the endpoint (``url=None`` disables delivery; ``False`` leaves it)."""
        with self._cv:
            if url is not False:
                self.url = url or None
            if secret:
                self.secret = secret

    def clear(self) -> None:
        """Forget queued deliveries and the log (used by reset)."""
        with self._cv:
            self._ready.clear()
            self._waiting.clear()
            self._log = _Log()
            self._cv.notify_all()

    # --- Queueing -----------------------------------------------------------------------

    def enqueue(self, events: list[tuple[str, str]]) -> None:
        """Queue freshly emitted ``(event_id, type)`` pairs, applying the fault switches."""
        if self.url is None:
            return
        delay = self.switches.delay_ms / 1000
        with self._cv:
            now = time.monotonic()
            for event_id, event_type in events:
                copies = self.switches.delivery_copies()
                if copies == 0:
                    self._log.dropped += 1
                    self._log.entries.append(
                        {"event": event_id, "type": event_type, "dropped": True, "at": time.time()}
                    )
                    continue
                payload = _Payload(event_id, event_type)
                for copy in range(1, copies + 1):
                    delivery = Delivery(payload, copy=copy, seq=next(self._seq))
                    self._schedule(delivery, now + delay)
            self._cv.notify_all()

    def resend(self, event_id: str, event_type: str) -> None:
        """Deliver an event again (like "Resend" in Stripe's Dashboard); no fault switches."""
        with self._cv:
            delivery = Delivery(_Payload(event_id, event_type), seq=next(self._seq))
            self._schedule(delivery, time.monotonic())
            self._cv.notify_all()

    def _schedule(self, delivery: Delivery, due: float) -> None:
        delivery.due = due
        if due <= time.monotonic():
            self._ready.append(delivery)
        else:
            heapq.heappush(self._waiting, (due, delivery.seq, delivery))

    # --- Waiting ------------------------------------------------------------------------

    def pending(self) -> int:
        with self._cv:
            return len(self._ready) + len(self._waiting) + self._in_flight

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued delivery has succeeded or given up. False on timeout."""
        with self._cv:
            return self._cv.wait_for(
                lambda: not self._ready and not self._waiting and not self._in_flight, timeout
            )

    def stats(self) -> dict[str, Any]:
        with self._cv:
            return {
                "url": self.url,
                "queued": len(self._ready) + len(self._waiting),
                "in_flight": self._in_flight,
                "delivered": self._log.delivered,
                "failed_attempts": self._log.failed_attempts,
                "abandoned": self._log.abandoned,
                "dropped": self._log.dropped,
            }

    def deliveries(self) -> list[dict[str, Any]]:
        with self._cv:
            return list(self._log.entries)

    # --- Worker -------------------------------------------------------------------------

    def _next(self) -> Delivery | None:
        with self._cv:
            while not self._stopped:
                now = time.monotonic()
                while self._waiting and self._waiting[0][0] <= now:
                    self._ready.append(heapq.heappop(self._waiting)[2])
                if self._ready:
                    index = self.switches.pick(len(self._ready))
                    delivery = self._ready[index]
                    del self._ready[index]
                    self._in_flight += 1
                    return delivery
                timeout = self._waiting[0][0] - now if self._waiting else None
                self._cv.wait(timeout)
            return None

    def _run(self) -> None:
        while True:
            delivery = self._next()
            if delivery is None:
                return
            try:
                self._attempt(delivery)
            except Exception:  # never let one bad delivery kill the worker
                logger.exception("webhook delivery crashed")
            finally:
                with self._cv:
                    self._in_flight -= 1
                    self._cv.notify_all()

    def _attempt(self, delivery: Delivery) -> None:
        payload = delivery.payload
        if payload.body is None:
            event = self._render(payload.event_id)
            if event is None:  # the state was reset meanwhile
                return
            payload.body = json.dumps(event, indent=2)
        url, secret = self.url, self.secret
        if url is None:
            return
        delivery.attempt += 1
        status: int | None = None
        error: str | None = None
        request = urllib.request.Request(  # noqa: S310 - the URL is the configured endpoint
            url,
            data=payload.body.encode("utf-8"),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": signature_header(payload.body, secret),
                "User-Agent": USER_AGENT,
            },
        )
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=self.switches.delivery_timeout_s
            ) as response:
                status = response.status
                response.read()
        except urllib.error.HTTPError as exc:
            status = exc.code
            error = f"HTTP {exc.code}"
        except (OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        ok = status is not None and 200 <= status < 300
        entry = {
            "event": payload.event_id,
            "type": payload.event_type,
            "attempt": delivery.attempt,
            "copy": delivery.copy,
            "status": status,
            "error": error,
            "ok": ok,
            "at": time.time(),
        }
        with self._cv:
            self._log.entries.append(entry)
            if ok:
                self._log.delivered += 1
            else:
                self._log.failed_attempts += 1
                if delivery.attempt < self.switches.max_attempts:
                    backoff = min(
                        self.switches.retry_base_ms * 2 ** (delivery.attempt - 1),
                        self.switches.retry_max_ms,
                    )
                    self._schedule(delivery, time.monotonic() + backoff / 1000)
                else:
                    self._log.abandoned += 1
        if ok and self._on_delivered is not None:
            self._on_delivered(payload.event_id)

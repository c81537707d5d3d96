"""The shared core of the sandbox's state: the store, operations, changes and events.

:class:`StateCore` holds what every resource needs: the object store and id factory, the
clock and switches, one re-entrant lock, and four primitives that the resource mixins
(``checkout.py``, ``payments.py``, ``refunds.py``, ``subscriptions.py``, ``payouts.py`` and
the clock's ``TimeMixin``) build on:

* :meth:`~StateCore.operation`: one atomic change under the lock; the events it emits are
  handed to the webhook dispatcher only after the lock is released, all at once, so delivery
  never blocks the API and a burst of related events can be reordered as a group;
* ``_add``: store a new record;
* ``_update``: change a record. Events keep a *snapshot* of their object: an event first
  points at the live record and is frozen to a copy the moment the record next changes. That
  keeps creation cheap while each event still shows the object as it was when it happened,
  so every change to a record goes through ``_update``;
* ``_emit``: record an event and queue it for delivery.

Reading (retrieve, render, list, an event's payload) lives here too, since it is the same for
every kind of object.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .clock import SandboxClock
from .ids import IdFactory
from .objects import RenderContext, expand, list_object
from .store import ObjectStore, Record
from .switches import Switches

EventSink = Callable[[list[tuple[str, str]]], None]


@dataclass(frozen=True)
class RequestInfo:
    """The API request that caused an event (``event.request``)."""

    request_id: str | None = None
    idempotency_key: str | None = None


def frozen_copy(record: Record) -> Record:
    """A copy of ``record`` as it is now, for an event to keep."""
    return {
        key: (value.copy() if isinstance(value, dict | list) else value)
        for key, value in record.items()
        if key != "_pins"
    }


class StateCore:
    def __init__(
        self,
        *,
        clock: SandboxClock | None = None,
        switches: Switches | None = None,
        public_url: str = "http://127.0.0.1:12111",
        sink: EventSink | None = None,
        webhooks_configured: Callable[[], bool] | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock or SandboxClock()
        self.switches = switches or Switches()
        self.public_url = public_url
        self._sink = sink
        self._webhooks_configured = webhooks_configured or (lambda: True)
        self._depth = 0
        self._outbox: list[tuple[str, str]] = []
        self._request: RequestInfo | None = None
        self._emit_events = True
        self.reset()

    def reset(self) -> None:
        """Forget every object and event (switches and the clock are kept)."""
        with self.lock:
            self.store = ObjectStore()
            self.ids = IdFactory()

    def now(self) -> int:
        return self.clock.now()

    @contextlib.contextmanager
    def operation(
        self, request: RequestInfo | None = None, *, emit_events: bool = True
    ) -> Iterator[None]:
        """One atomic change; emitted events are dispatched after the lock is released.

        ``emit_events=False`` records no events at all (the outermost operation decides).
        """
        self.lock.acquire()
        outer = self._depth == 0
        if outer:
            self._outbox, self._request, self._emit_events = [], request, emit_events
        self._depth += 1
        events: list[tuple[str, str]] = []
        try:
            yield
        finally:
            self._depth -= 1
            if outer:
                events, self._outbox, self._request = self._outbox, [], None
                self._emit_events = True
            self.lock.release()
            if events and self._sink is not None:
                self._sink(events)

    def _add(self, kind: str, prefix: str, **fields: Any) -> Record:
        record = {"id": self.ids.new(prefix), "object": kind, "created": self.now(), **fields}
        return self.store.add(record)

    def _update(self, record: Record, **changes: Any) -> dict[str, Any]:
        """Change a record, freezing events that still point at it; returns old values."""
        pins = record.pop("_pins", None)
        if pins:
            frozen = frozen_copy(record)
            for event in pins:
                event["snapshot"] = frozen
        previous = {}
        for key, value in changes.items():
            old = record.get(key)
            if old != value:
                previous[key] = old
            record[key] = value
        return previous

    def _emit(
        self,
        event_type: str,
        record: Record,
        previous: dict[str, Any] | None = None,
        snapshot: Record | None = None,
    ) -> Record | None:
        if not self._emit_events:
            return None
        request = self._request
        event = {
            "id": self.ids.new("evt"),
            "object": "event",
            "created": self.now(),
            "type": event_type,
            "snapshot": snapshot if snapshot is not None else record,
            "previous_attributes": previous,
            "request_id": request.request_id if request else None,
            "idempotency_key": request.idempotency_key if request else None,
            "pending_webhooks": 1 if self._webhooks_configured() else 0,
        }
        if snapshot is None:
            record.setdefault("_pins", []).append(event)
        self.store.add(event)
        self._outbox.append((event["id"], event_type))
        return event

    def _public_previous(self, record: Record, previous: dict[str, Any]) -> dict[str, Any]:
        """Old values of fields that exist in the rendered object (for previous_attributes)."""
        rendered = self.context().render(record)
        return {key: value for key, value in previous.items() if key in rendered}

    def context(self, as_of: int | None = None) -> RenderContext:
        return RenderContext(self.store, self.now() if as_of is None else as_of, self.public_url)

    # --- Reading ----------------------------------------------------------------------------

    def retrieve(self, kind: str, object_id: str, expand_paths: list[str] | None = None) -> dict:
        with self.lock:
            return self.render(self.store.require(object_id, kind), expand_paths)

    def render(self, record: Record, expand_paths: list[str] | None = None) -> dict[str, Any]:
        with self.lock:
            ctx = self.context()
            return expand(ctx.render(record), record, expand_paths or [], ctx)

    def list_objects(
        self, kind: str, url: str, *, expand_paths: list[str] | None = None, **query: Any
    ) -> dict[str, Any]:
        """One page of a list; ``query`` is :meth:`ObjectStore.query`'s (limit, cursors...)."""
        with self.lock:
            records, has_more = self.store.query(kind, **query)
            ctx = self.context()
            page = list_object([ctx.render(record) for record in records], url, has_more)
            return expand(page, None, expand_paths or [], ctx)

    def event_payload(self, event_id: str) -> dict[str, Any] | None:
        with self.lock:
            record = self.store.get(event_id, "event")
            return None if record is None else self.context().render(record)

    def mark_delivered(self, event_id: str) -> None:
        with self.lock:
            record = self.store.get(event_id, "event")
            if record is not None:
                record["_delivered"] = True

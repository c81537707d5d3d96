"""In-memory object storage with Stripe's list semantics.

Objects are stored as small *records* (plain dicts holding the facts the sandbox tracks);
``objects.py`` renders them into Stripe's full shapes only when they are read, which keeps
creating them cheap.

Each object type keeps its records in creation order, and every record carries ``_seq`` from
a single counter, so two objects created in the same second still have a stable order.
Lists are answered newest first, like Stripe's, with ``limit``, ``starting_after``,
``ending_before`` and ``created`` range filters (answered by bisection, since ``created`` never
decreases along a list). The store is not locked itself: ``SandboxState`` holds the lock.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from .errors import invalid, missing

Record = dict[str, Any]
Predicate = Callable[[Record], bool]


class ObjectStore:
    def __init__(self) -> None:
        self.by_id: dict[str, Record] = {}
        self.by_kind: dict[str, list[Record]] = defaultdict(list)
        self._position: dict[str, int] = {}
        self._seq = itertools.count(1)

    def add(self, record: Record) -> Record:
        kind = record["object"]
        records = self.by_kind[kind]
        record["_seq"] = next(self._seq)
        self._position[record["id"]] = len(records)
        records.append(record)
        self.by_id[record["id"]] = record
        return record

    def get(self, object_id: str, kind: str | None = None) -> Record | None:
        record = self.by_id.get(object_id)
        if record is None or (kind is not None and record["object"] != kind):
            return None
        return record

    def require(self, object_id: str, kind: str, param: str | None = "id") -> Record:
        record = self.get(object_id, kind)
        if record is None:
            raise missing(kind, object_id, param)
        return record

    def count(self, kind: str) -> int:
        return len(self.by_kind.get(kind, ()))

    def all(self, kind: str) -> list[Record]:
        return self.by_kind.get(kind, [])

    def query(
        self,
        kind: str,
        *,
        limit: int = 10,
        starting_after: str | None = None,
        ending_before: str | None = None,
        created: dict[str, int] | None = None,
        predicate: Predicate | None = None,
    ) -> tuple[list[Record], bool]:
        """One page, newest first, and whether more records lie beyond it."""
        records = self.by_kind.get(kind, [])
        low, high = self._created_bounds(records, created or {})
        if starting_after and ending_before:
            raise invalid(
                "You may only specify one of these parameters: starting_after, ending_before.",
                param="starting_after",
            )
        if starting_after:
            high = min(high, self._cursor(kind, starting_after, "starting_after"))
            return self._collect(range(high - 1, low - 1, -1), records, limit, predicate)
        if ending_before:
            start = max(low, self._cursor(kind, ending_before, "ending_before") + 1)
            page, more = self._collect(range(start, high), records, limit, predicate)
            page.reverse()
            return page, more
        return self._collect(range(high - 1, low - 1, -1), records, limit, predicate)

    def _cursor(self, kind: str, object_id: str, param: str) -> int:
        record = self.get(object_id, kind)
        if record is None:
            raise missing(kind, object_id, param)
        return self._position[object_id]

    @staticmethod
    def _collect(
        indexes: range, records: list[Record], limit: int, predicate: Predicate | None
    ) -> tuple[list[Record], bool]:
        page: list[Record] = []
        for index in indexes:
            record = records[index]
            if predicate is not None and not predicate(record):
                continue
            if len(page) == limit:
                return page, True
            page.append(record)
        return page, False

    @staticmethod
    def _created_bounds(records: list[Record], created: dict[str, int]) -> tuple[int, int]:
        low, high = 0, len(records)

        def key(record: Record) -> int:
            return record["created"]

        if "gte" in created:
            low = max(low, bisect.bisect_left(records, created["gte"], key=key))
        if "gt" in created:
            low = max(low, bisect.bisect_right(records, created["gt"], key=key))
        if "lte" in created:
            high = min(high, bisect.bisect_right(records, created["lte"], key=key))
        if "lt" in created:
            high = min(high, bisect.bisect_left(records, created["lt"], key=key))
        if "eq" in created:
            low = max(low, bisect.bisect_left(records, created["eq"], key=key))
            high = min(high, bisect.bisect_right(records, created["eq"], key=key))
        return low, max(low, high)

"""What every rendered object shares: Stripe's envelope, lists, metadata and addresses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..store import Record


def stripe_object(
    kind: str, r: Record, *, unmodelled: Iterable[str] = (), **fields: Any
) -> dict[str, Any]:
    """An object as Stripe sends it: ``id`` and ``object`` first, then the fields in
    alphabetical order. ``unmodelled`` names fields the sandbox does not model; they are
    present and null, as Stripe gives them for a plain card payment."""
    for name in unmodelled:
        fields.setdefault(name, None)
    return {"id": r["id"], "object": kind, **{name: fields[name] for name in sorted(fields)}}


def list_object(data: list[dict[str, Any]], url: str, has_more: bool = False) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def metadata(r: Record) -> dict[str, str]:
    return dict(r.get("metadata") or {})


def address() -> dict[str, None]:
    """An address with every field unknown."""
    return dict.fromkeys(["city", "country", "line1", "line2", "postal_code", "state"])

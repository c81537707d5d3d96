"""The Stripe sandbox as benchmarks use it: loaded with many charges at once.

* ``bulk_create_charges(state, count, ...)``: ``count`` succeeded outside charges, through the
  sandbox's ordinary payment flow, with the cyclic garbage collector paused meanwhile;
* ``BenchmarkSandbox``: a ``SandboxServer`` whose control API also answers
  ``POST /_sandbox/charges/bulk`` (``count``, ``amount``, ``currency``, ``emit_events``
  (default false), ``metadata``, ``description``; returns the totals);
* ``python -m benchmarks._sandbox [--port N ...]``: that server in the foreground, with the
  options of ``python -m stripe_sandbox``.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Any

# Imported by scripts run from benchmarks/ as well as run as ``-m benchmarks._sandbox``:
# the project must be on the path before the imitation is imported.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stripe_sandbox import SandboxServer, SandboxState  # noqa: E402
from stripe_sandbox.__main__ import main as serve  # noqa: E402
from stripe_sandbox.control import route  # noqa: E402
from stripe_sandbox.errors import invalid  # noqa: E402
from stripe_sandbox.money import card_fee
from stripe_sandbox.validation import (
    boolean,
    currency_code,
    positive_amount,
    reject_unknown,
    validate_metadata,
)


def bulk_create_charges(
    state: SandboxState,
    count: int,
    amount: int = 2500,
    currency: str = "usd",
    *,
    emit_events: bool = False,
    metadata: dict[str, str] | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    """``count`` succeeded charges of ``amount``; without events unless asked for."""
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 1_000_000:
        raise invalid("count must be an integer between 1 and 1000000", param="count")
    amount, currency = positive_amount(amount), currency_code(currency)
    # The cyclic garbage collector would rescan the growing store many times over while
    # hundreds of thousands of long-lived dicts are created; pause it meanwhile.
    collecting = gc.isenabled()
    gc.disable()
    try:
        charges = [
            state.create_charge(
                amount,
                currency,
                description=description,
                metadata=metadata,
                emit_events=emit_events,
            ).charge
            for _ in range(count)
        ]
    finally:
        if collecting:
            gc.enable()
    fee = card_fee(amount)
    return {
        "count": count,
        "amount": amount,
        "currency": currency,
        "gross": amount * count,
        "fees": fee * count,
        "net": (amount - fee) * count,
        "first_charge": charges[0],
        "last_charge": charges[-1],
    }


def _bulk_charges(server: SandboxServer, body: dict[str, Any], match: dict[str, str]):
    reject_unknown(body, {"count", "amount", "currency", "emit_events", "metadata", "description"})
    return 200, bulk_create_charges(
        server.state,
        body.get("count", 0),
        body.get("amount", 2500),
        body.get("currency", "usd"),
        emit_events=boolean(body.get("emit_events", False), "emit_events"),
        metadata=validate_metadata(body.get("metadata")),
        description=body.get("description"),
    )


class BenchmarkSandbox(SandboxServer):
    control_routes = [*SandboxServer.control_routes, route("POST", "/charges/bulk", _bulk_charges)]


if __name__ == "__main__":
    raise SystemExit(serve(server_class=BenchmarkSandbox))

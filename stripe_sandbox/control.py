"""The ``/_sandbox/`` test-control API (JSON in, JSON out).

Things that happen *to* a Stripe account rather than through its API (a donor pays, a bank
disputes a charge, Stripe pays out, a month passes) are triggered here, by tests, scripts and
people. Routes are documented in ``docs/stripe-sandbox.md``; :class:`SandboxControl` in
``client.py`` wraps them for Python callers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .cards import DEFAULT_CARD
from .errors import SandboxError, invalid
from .money import DAY
from .payments import charge_error
from .validation import boolean, reject_unknown, validate_metadata

if TYPE_CHECKING:
    from .server import SandboxServer

Body = dict[str, Any]
ControlHandler = Callable[["SandboxServer", Body, dict[str, str]], tuple[int, Any]]
Route = tuple[str, re.Pattern[str], ControlHandler]

_ID = r"(?P<id>[A-Za-z0-9_]+)"


def _opt_int(body: Body, name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(f"{name} must be an integer", param=name)
    return value


def _payment_response(server: SandboxServer, result) -> tuple[int, Any]:
    if result.outcome == "declined":
        raise charge_error(result)
    state = server.state
    charge = state.retrieve("charge", result.charge) if result.charge else None
    txn = None
    if charge and charge.get("balance_transaction"):
        txn = state.retrieve("balance_transaction", charge["balance_transaction"])
    return 200, {
        "outcome": result.outcome,
        "redirect_url": result.redirect_url,
        "payment_intent": state.retrieve("payment_intent", result.payment_intent)
        if result.payment_intent
        else None,
        "charge": charge,
        "balance_transaction": txn,
    }


def _index(server: SandboxServer, body: Body, match: dict[str, str]):
    return 200, {
        "sandbox": "stripe",
        "routes": [f"{method} {pattern.pattern}" for method, pattern, _ in server.control_routes],
    }


def _get_config(server: SandboxServer, body: Body, match: dict[str, str]):
    return 200, server.config()


def _set_config(server: SandboxServer, body: Body, match: dict[str, str]):
    server.configure(**body)
    return 200, server.config()


def _reset(server: SandboxServer, body: Body, match: dict[str, str]):
    reject_unknown(body, {"switches"})
    server.reset(reset_switches=boolean(body.get("switches", False), "switches"))
    return 200, {"reset": True}


def _clock(server: SandboxServer, body: Body, match: dict[str, str]):
    clock = server.state.clock
    return 200, {"now": clock.now(), "frozen": clock.frozen, "offset": clock.offset}


def _advance(server: SandboxServer, body: Body, match: dict[str, str]):
    reject_unknown(body, {"seconds", "days"})
    seconds = (_opt_int(body, "seconds") or 0) + (_opt_int(body, "days") or 0) * DAY
    now = server.state.advance_clock(seconds)
    return 200, {"now": now}


def _freeze(server: SandboxServer, body: Body, match: dict[str, str]):
    reject_unknown(body, {"at", "frozen"})
    if body.get("frozen", True):
        server.state.clock.freeze(_opt_int(body, "at"))
    else:
        server.state.clock.unfreeze()
    return _clock(server, {}, match)


def _create_charge(server: SandboxServer, body: Body, match: dict[str, str]):
    reject_unknown(
        body,
        {"amount", "currency", "card", "description", "metadata", "email", "name", "emit_events"},
    )
    result = server.state.create_charge(
        body.get("amount", 2500),
        body.get("currency", "usd"),
        card=str(body.get("card", DEFAULT_CARD)),
        description=body.get("description"),
        metadata=validate_metadata(body.get("metadata")),
        email=body.get("email"),
        name=body.get("name"),
        emit_events=boolean(body.get("emit_events", True), "emit_events"),
    )
    return _payment_response(server, result)


def _refund(server: SandboxServer, body: Body, match: dict[str, str]):
    reject_unknown(body, {"amount", "reason", "fail", "metadata"})
    return 200, server.state.create_refund(
        charge=match["id"],
        amount=_opt_int(body, "amount"),
        reason=body.get("reason"),
        metadata=validate_metadata(body.get("metadata")),
        fail=boolean(body.get("fail", False), "fail"),
    )


def _fail_refund(server: SandboxServer, body: Body, match: dict[str, str]):
    reject_unknown(body, {"reason"})
    return 200, server.state.fail_refund(
        match["id"], str(body.get("reason", "expired_or_canceled_card"))
    )


def _dispute(server: SandboxServer, body: Body, match: dict[str, str]):
    reject_unknown(body, {"amount", "reason"})
    return 200, server.state.create_dispute(
        match["id"], _opt_int(body, "amount"), str(body.get("reason", "fraudulent"))
    )


def _close_dispute(server: SandboxServer, body: Body, match: dict[str, str]):
    reject_unknown(body, {"outcome"})
    return 200, server.state.close_dispute(match["id"], str(body.get("outcome", "")))


def _renew(server: SandboxServer, body: Body, match: dict[str, str]):
    reject_unknown(body, {"fail"})
    fail = body.get("fail")
    return 200, server.state.renew_subscription(
        match["id"], None if fail is None else boolean(fail, "fail")
    )


def _settle(server: SandboxServer, body: Body, match: dict[str, str]):
    reject_unknown(body, {"outcome"})
    outcome = body.get("outcome")
    return 200, server.state.settle_payment(match["id"], None if outcome is None else str(outcome))


def _reverse(server: SandboxServer, body: Body, match: dict[str, str]):
    reject_unknown(body, {"failure_code"})
    code = body.get("failure_code")
    return 200, server.state.reverse_payment(match["id"], None if code is None else str(code))


def _pay_session(server: SandboxServer, body: Body, match: dict[str, str]):
    reject_unknown(body, {"card", "name", "email", "account_number"})
    account = body.get("account_number")
    result = server.state.pay_checkout_session(
        match["id"],
        str(body.get("card", DEFAULT_CARD)),
        name=body.get("name"),
        email=body.get("email"),
        account_number=None if account is None else str(account),
    )
    status, response = _payment_response(server, result)
    response["session"] = server.state.retrieve("checkout.session", match["id"])
    return status, response


def _portal_card(server: SandboxServer, body: Body, match: dict[str, str]):
    reject_unknown(body, {"card"})
    return 200, server.state.portal_update_card(match["id"], str(body.get("card", DEFAULT_CARD)))


def _portal_cancel(server: SandboxServer, body: Body, match: dict[str, str]):
    reject_unknown(body, {"subscription"})
    return 200, server.state.portal_cancel(match["id"], str(body.get("subscription", "")))


def _payout(server: SandboxServer, body: Body, match: dict[str, str]):
    reject_unknown(body, {"amount", "currency", "outcome", "metadata"})
    return 200, server.state.create_payout(
        _opt_int(body, "amount"),
        str(body.get("currency", "usd")),
        str(body.get("outcome", "paid")),
        metadata=validate_metadata(body.get("metadata")),
    )


def _adjust_balance(server: SandboxServer, body: Body, match: dict[str, str]):
    reject_unknown(body, {"amount", "type", "currency"})
    return 200, server.state.adjust_balance(
        _opt_int(body, "amount"),
        str(body.get("type", "reserve_hold")),
        str(body.get("currency", "usd")),
    )


def _pay_payout(server: SandboxServer, body: Body, match: dict[str, str]):
    return 200, server.state.pay_payout(match["id"])


def _fail_payout(server: SandboxServer, body: Body, match: dict[str, str]):
    return 200, server.state.fail_payout(match["id"])


def _summary(server: SandboxServer, body: Body, match: dict[str, str]):
    summary = server.state.summary()
    summary["webhooks"] = server.dispatcher.stats()
    summary["api_requests"] = server.limits.stats()
    return 200, summary


def _flush(server: SandboxServer, body: Body, match: dict[str, str]):
    reject_unknown(body, {"timeout"})
    timeout = float(body.get("timeout", 10))
    flushed = server.flush_webhooks(timeout)
    return 200, {"flushed": flushed, "pending": server.dispatcher.pending()}


def _deliveries(server: SandboxServer, body: Body, match: dict[str, str]):
    return 200, {"data": server.dispatcher.deliveries(), **server.dispatcher.stats()}


def _resend(server: SandboxServer, body: Body, match: dict[str, str]):
    event = server.state.retrieve("event", match["id"])
    server.dispatcher.resend(event["id"], event["type"])
    return 200, {"resent": event["id"]}


def route(method: str, path: str, handler: ControlHandler) -> Route:
    """A control route: ``path`` is a regular expression below ``/_sandbox``."""
    return method, re.compile(f"^/_sandbox{path}$"), handler


ROUTES: list[Route] = [
    route("GET", "/?", _index),
    route("GET", "/config", _get_config),
    route("POST", "/config", _set_config),
    route("POST", "/reset", _reset),
    route("GET", "/clock", _clock),
    route("POST", "/clock/advance", _advance),
    route("POST", "/clock/freeze", _freeze),
    route("POST", "/charges", _create_charge),
    route("POST", f"/charges/{_ID}/refund", _refund),
    route("POST", f"/charges/{_ID}/dispute", _dispute),
    route("POST", f"/refunds/{_ID}/fail", _fail_refund),
    route("POST", f"/disputes/{_ID}/close", _close_dispute),
    route("POST", f"/subscriptions/{_ID}/renew", _renew),
    route("POST", f"/payment_intents/{_ID}/settle", _settle),
    route("POST", f"/payment_intents/{_ID}/reverse", _reverse),
    route("POST", f"/checkout/sessions/{_ID}/pay", _pay_session),
    route("POST", f"/billing_portal/sessions/{_ID}/card", _portal_card),
    route("POST", f"/billing_portal/sessions/{_ID}/cancel", _portal_cancel),
    route("POST", "/payouts", _payout),
    route("POST", "/balance/adjustments", _adjust_balance),
    route("POST", f"/payouts/{_ID}/pay", _pay_payout),
    route("POST", f"/payouts/{_ID}/fail", _fail_payout),
    route("GET", "/summary", _summary),
    route("POST", "/webhooks/flush", _flush),
    route("GET", "/webhooks/deliveries", _deliveries),
    route("POST", f"/events/{_ID}/resend", _resend),
]


def handle(server: SandboxServer, method: str, path: str, body: Body) -> tuple[int, Any]:
    for route_method, pattern, handler in server.control_routes:
        match = pattern.match(path)
        if match is not None and route_method == method:
            return handler(server, body, match.groupdict())
    raise SandboxError(404, f"Unknown sandbox control route: {method} {path}")

"""The ``/v1/`` routes: the slice of Stripe's REST API the project calls.

Each route validates its parameters the way Stripe does (unknown parameters are rejected,
``limit`` must be 1..100, cursors must exist) and delegates to :class:`SandboxState`.
Authentication, fault injection and idempotency happen in ``server.py`` before a route runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .core import RequestInfo
from .errors import SandboxError, invalid
from .state import SandboxState
from .store import Record
from .validation import boolean, integer, positive_amount, reject_unknown, validate_metadata


@dataclass
class ApiRequest:
    method: str
    path: str
    params: dict[str, Any]
    request_id: str
    idempotency_key: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def info(self) -> RequestInfo:
        return RequestInfo(self.request_id, self.idempotency_key)


Handler = Callable[[SandboxState, ApiRequest, dict[str, str]], tuple[int, dict[str, Any]]]


# --- Parameter helpers --------------------------------------------------------------------


def expand_paths(params: dict[str, Any]) -> list[str]:
    value = params.get("expand")
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise invalid("Invalid array", param="expand")


def _created(value: Any, param: str = "created") -> dict[str, int] | None:
    if value in (None, ""):
        return None
    if isinstance(value, dict):
        bounds = {}
        for key, bound in value.items():
            if key not in {"gt", "gte", "lt", "lte"}:
                raise invalid(
                    f"Received unknown parameter: {param}[{key}]",
                    param=f"{param}[{key}]",
                    code="parameter_unknown",
                )
            bounds[key] = integer(bound, f"{param}[{key}]")
        return bounds
    return {"eq": integer(value, param)}


@dataclass(frozen=True)
class ListSpec:
    kind: str
    url: str
    filters: dict[str, Callable[[Any], Callable[[Record], bool]]]
    default: Callable[[Record], bool] | None = None


def _eq(field_name: str) -> Callable[[Any], Callable[[Record], bool]]:
    def make(value: Any) -> Callable[[Record], bool]:
        return lambda record: record.get(field_name) == value

    return make


def _event_types(value: Any) -> Callable[[Record], bool]:
    patterns = [value] if isinstance(value, str) else list(value)
    if not patterns or len(patterns) > 20:
        raise invalid("types must contain between 1 and 20 event types", param="types")
    exact = {p for p in patterns if not p.endswith("*")}
    prefixes = tuple(p[:-1] for p in patterns if p.endswith("*"))

    def match(record: Record) -> bool:
        return record["type"] in exact or (bool(prefixes) and record["type"].startswith(prefixes))

    return match


def _delivery_success(value: Any) -> Callable[[Record], bool]:
    wanted = boolean(value, "delivery_success")
    return lambda record: bool(record.get("_delivered")) == wanted


def _payout_filter(value: Any) -> Callable[[Record], bool]:
    return lambda record: (
        record.get("_payout") == value
        or (record["type"] == "payout" and record.get("source") == value)
    )


def _subscription_status(value: Any) -> Callable[[Record], bool]:
    if value == "all":
        return lambda record: True
    return lambda record: record["status"] == value


def _invoice_payment_filter(value: Any) -> Callable[[Record], bool]:
    if not isinstance(value, dict):
        raise invalid("Invalid object", param="payment")
    intent = value.get("payment_intent")
    return lambda record: intent is None or record.get("payment_intent") == intent


LISTS: dict[str, ListSpec] = {
    "/v1/balance_transactions": ListSpec(
        "balance_transaction",
        "/v1/balance_transactions",
        {
            "type": _eq("type"),
            "source": _eq("source"),
            "currency": _eq("currency"),
            "payout": _payout_filter,
        },
    ),
    "/v1/charges": ListSpec(
        "charge",
        "/v1/charges",
        {"customer": _eq("customer"), "payment_intent": _eq("payment_intent")},
    ),
    "/v1/checkout/sessions": ListSpec(
        "checkout.session",
        "/v1/checkout/sessions",
        {
            "customer": _eq("customer"),
            "payment_intent": _eq("payment_intent"),
            "subscription": _eq("subscription"),
            "status": _eq("status"),
        },
    ),
    "/v1/customers": ListSpec("customer", "/v1/customers", {"email": _eq("email")}),
    "/v1/disputes": ListSpec(
        "dispute",
        "/v1/disputes",
        {"charge": _eq("charge"), "payment_intent": _eq("payment_intent")},
    ),
    "/v1/events": ListSpec(
        "event",
        "/v1/events",
        {
            "type": _event_types,
            "types": _event_types,
            "delivery_success": _delivery_success,
        },
    ),
    "/v1/invoice_payments": ListSpec(
        "invoice_payment",
        "/v1/invoice_payments",
        {
            "invoice": _eq("invoice"),
            "status": _eq("status"),
            "payment": _invoice_payment_filter,
        },
    ),
    "/v1/invoices": ListSpec(
        "invoice",
        "/v1/invoices",
        {
            "customer": _eq("customer"),
            "subscription": _eq("subscription"),
            "status": _eq("status"),
            "collection_method": lambda v: lambda r: v == "charge_automatically",
        },
    ),
    "/v1/payment_intents": ListSpec(
        "payment_intent", "/v1/payment_intents", {"customer": _eq("customer")}
    ),
    "/v1/payouts": ListSpec("payout", "/v1/payouts", {"status": _eq("status")}),
    "/v1/prices": ListSpec("price", "/v1/prices", {"product": _eq("product")}),
    "/v1/products": ListSpec("product", "/v1/products", {}),
    "/v1/refunds": ListSpec(
        "refund",
        "/v1/refunds",
        {"charge": _eq("charge"), "payment_intent": _eq("payment_intent")},
    ),
    "/v1/subscriptions": ListSpec(
        "subscription",
        "/v1/subscriptions",
        {
            "customer": _eq("customer"),
            "status": _subscription_status,
            "price": lambda v: lambda r: r["item"]["price"] == v,
        },
        default=lambda record: record["status"] != "canceled",
    ),
}

RETRIEVABLE = {
    "balance_transactions": "balance_transaction",
    "charges": "charge",
    "checkout/sessions": "checkout.session",
    "customers": "customer",
    "disputes": "dispute",
    "events": "event",
    "invoice_payments": "invoice_payment",
    "invoices": "invoice",
    "payment_intents": "payment_intent",
    "payouts": "payout",
    "prices": "price",
    "products": "product",
    "radar/early_fraud_warnings": "radar.early_fraud_warning",
    "refunds": "refund",
    "subscriptions": "subscription",
}


def _refuse_a_manual_payout_filter(state: SandboxState, payout_id: Any) -> None:
    """Stripe lists a payout's balance transactions only for automatic payouts
    (https://docs.stripe.com/api/balance_transactions/list#balance_transaction_list-payout)
    and answers 400 for a manual one."""
    payout = state.store.get(str(payout_id), "payout")
    if payout is not None and not payout.get("automatic", True):
        raise invalid(
            "Balance transaction history can only be filtered on automatic transfers, not manual.",
            param="payout",
        )


def list_page(state: SandboxState, spec: ListSpec, params: dict[str, Any]) -> dict[str, Any]:
    reject_unknown(
        params,
        {"limit", "starting_after", "ending_before", "created", "expand"} | set(spec.filters),
    )
    limit = 10
    if params.get("limit") not in (None, ""):
        limit = integer(params["limit"], "limit")
        if not 1 <= limit <= 100:
            raise invalid(
                "This value must be between 1 and 100 (inclusive).",
                param="limit",
                code="parameter_invalid_integer",
            )
    if spec.kind == "balance_transaction" and params.get("payout"):
        _refuse_a_manual_payout_filter(state, params["payout"])
    predicates = [make(params[name]) for name, make in spec.filters.items() if name in params]
    if spec.default is not None and "status" not in params:
        predicates.append(spec.default)
    predicate = None
    if predicates:

        def predicate(record: Record) -> bool:
            return all(check(record) for check in predicates)

    return state.list_objects(
        spec.kind,
        spec.url,
        limit=limit,
        starting_after=params.get("starting_after") or None,
        ending_before=params.get("ending_before") or None,
        created=_created(params.get("created")),
        predicate=predicate,
        expand_paths=expand_paths(params),
    )


# --- Handlers -----------------------------------------------------------------------------


def _retrieve(kind: str) -> Handler:
    def handle(state: SandboxState, req: ApiRequest, match: dict[str, str]):
        reject_unknown(req.params, {"expand"})
        return 200, state.retrieve(kind, match["id"], expand_paths(req.params))

    return handle


def _list(spec: ListSpec) -> Handler:
    def handle(state: SandboxState, req: ApiRequest, match: dict[str, str]):
        return 200, list_page(state, spec, req.params)

    return handle


def _balance(state: SandboxState, req: ApiRequest, match: dict[str, str]):
    reject_unknown(req.params, {"expand"})
    return 200, state.balance()


def _create_session(state: SandboxState, req: ApiRequest, match: dict[str, str]):
    session = state.create_checkout_session(req.params, req.info)
    paths = expand_paths(req.params)
    if paths:
        session = state.retrieve("checkout.session", session["id"], paths)
    return 200, session


def _create_portal_session(state: SandboxState, req: ApiRequest, match: dict[str, str]):
    return 200, state.create_portal_session(req.params, request=req.info)


def _create_product(state: SandboxState, req: ApiRequest, match: dict[str, str]):
    product = state.create_product(req.params, req.info)
    paths = expand_paths(req.params)
    if paths:
        product = state.retrieve("product", product["id"], paths)
    return 200, product


def _expire_session(state: SandboxState, req: ApiRequest, match: dict[str, str]):
    reject_unknown(req.params, {"expand"})
    state.expire_checkout_session(match["id"], req.info)
    return 200, state.retrieve("checkout.session", match["id"], expand_paths(req.params))


def _session_line_items(state: SandboxState, req: ApiRequest, match: dict[str, str]):
    reject_unknown(req.params, {"expand", "limit", "starting_after", "ending_before"})
    session = state.retrieve("checkout.session", match["id"], ["line_items"])
    return 200, session["line_items"]


def _create_refund(state: SandboxState, req: ApiRequest, match: dict[str, str]):
    params = req.params
    reject_unknown(
        params,
        {"charge", "payment_intent", "amount", "reason", "metadata", "expand"}
        | {"instructions_email", "refund_application_fee", "reverse_transfer", "origin"}
        | {"currency", "customer"},
    )
    refund = state.create_refund(
        charge=params.get("charge") or None,
        payment_intent=params.get("payment_intent") or None,
        amount=positive_amount(params["amount"]) if params.get("amount") else None,
        reason=params.get("reason") or None,
        metadata=validate_metadata(params.get("metadata")),
        request=req.info,
    )
    paths = expand_paths(params)
    if paths:
        refund = state.retrieve("refund", refund["id"], paths)
    return 200, refund


def _update_subscription(state: SandboxState, req: ApiRequest, match: dict[str, str]):
    state.update_subscription(match["id"], req.params, req.info)
    return 200, state.retrieve("subscription", match["id"], expand_paths(req.params))


def _cancel_subscription(state: SandboxState, req: ApiRequest, match: dict[str, str]):
    reject_unknown(req.params, {"expand", "cancellation_details", "invoice_now", "prorate"})
    details = req.params.get("cancellation_details")
    details = details if isinstance(details, dict) else {}
    state.cancel_subscription(
        match["id"],
        req.info,
        comment=details.get("comment") or None,
        feedback=details.get("feedback") or None,
    )
    return 200, state.retrieve("subscription", match["id"], expand_paths(req.params))


_ID = r"(?P<id>[A-Za-z0-9_]+)"


def _build_routes() -> list[tuple[str, re.Pattern[str], Handler]]:
    routes: list[tuple[str, re.Pattern[str], Handler]] = [
        ("GET", re.compile(r"^/v1/balance$"), _balance),
        ("POST", re.compile(r"^/v1/checkout/sessions$"), _create_session),
        ("POST", re.compile(rf"^/v1/checkout/sessions/{_ID}/expire$"), _expire_session),
        ("GET", re.compile(rf"^/v1/checkout/sessions/{_ID}/line_items$"), _session_line_items),
        ("POST", re.compile(r"^/v1/refunds$"), _create_refund),
        # Create only: Stripe has no retrieve or list for portal sessions.
        ("POST", re.compile(r"^/v1/billing_portal/sessions$"), _create_portal_session),
        ("POST", re.compile(r"^/v1/products$"), _create_product),
        ("POST", re.compile(rf"^/v1/subscriptions/{_ID}$"), _update_subscription),
        ("DELETE", re.compile(rf"^/v1/subscriptions/{_ID}$"), _cancel_subscription),
    ]
    for path, spec in LISTS.items():
        routes.append(("GET", re.compile(f"^{re.escape(path)}$"), _list(spec)))
    for plural, kind in RETRIEVABLE.items():
        routes.append(("GET", re.compile(rf"^/v1/{plural}/{_ID}$"), _retrieve(kind)))
    return routes


ROUTES = _build_routes()


def endpoint(method: str, path: str) -> str:
    """The named API operation a request is for, as Stripe counts endpoints for its rate
    limits: ``GET /v1/charges/{id}`` for any charge id (https://docs.stripe.com/rate-limits)."""
    for route_method, pattern, _ in ROUTES:
        if route_method == method and pattern.match(path):
            return f"{method} {pattern.pattern[1:-1].replace(_ID, '{id}')}"
    return f"{method} {path}"


def handle(state: SandboxState, req: ApiRequest) -> tuple[int, dict[str, Any]]:
    """Route one authenticated API request."""
    path_matched = False
    for method, pattern, handler in ROUTES:
        match = pattern.match(req.path)
        if match is None:
            continue
        path_matched = True
        if method == req.method:
            return handler(state, req, match.groupdict())
    if path_matched:
        raise SandboxError(
            405 if req.method not in {"GET", "POST", "DELETE"} else 404,
            f"Unrecognized request URL ({req.method}: {req.path}). The sandbox does not "
            "emulate this method on this endpoint.",
        )
    raise SandboxError(
        404,
        f"Unrecognized request URL ({req.method}: {req.path}). The Stripe sandbox does not "
        "emulate this endpoint; see docs/stripe-sandbox.md.",
    )

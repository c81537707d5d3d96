"""Stripe-shaped API errors.

Every failure the sandbox reports travels as a :class:`SandboxError`, which knows its HTTP
status and renders the same ``{"error": {...}}`` body Stripe sends. The official SDK picks
its exception class (``InvalidRequestError``, ``CardError``, ``IdempotencyError``,
``RateLimitError``...) from the status code and ``error.type``, so getting both right is what
lets the project's error handling be exercised against the sandbox.
"""

from __future__ import annotations

from typing import Any

#: Human labels used in ``No such ...`` messages, keyed by object type.
_LABELS = {
    "balance_transaction": "balance transaction",
    "checkout.session": "checkout.session",
    "invoice_payment": "invoice payment",
    "payment_intent": "payment_intent",
}


class SandboxError(Exception):
    """An error answered to a client in Stripe's shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "type": self.type,
            "code": self.code,
            "message": self.message,
            "param": self.param,
        }
        error.update(self.extra)
        return {"error": error}


def invalid(message: str, param: str | None = None, code: str | None = None) -> SandboxError:
    """A 400 ``invalid_request_error``."""
    return SandboxError(400, message, param=param, code=code)


def missing(kind: str, object_id: str, param: str | None = "id") -> SandboxError:
    """A 404 ``resource_missing`` error, worded like Stripe's."""
    label = _LABELS.get(kind, kind)
    return SandboxError(
        404, f"No such {label}: '{object_id}'", code="resource_missing", param=param
    )

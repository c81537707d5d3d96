"""Small parameter validators shared by the API, the control API and the state.

They raise Stripe-shaped 400 errors naming the parameter, as Stripe does.
"""

from __future__ import annotations

from typing import Any

from .errors import invalid


def reject_unknown(params: dict[str, Any], allowed: set[str], prefix: str = "") -> None:
    """Stripe rejects parameters it does not know, naming the first one."""
    for key in params:
        if key not in allowed:
            name = f"{prefix}[{key}]" if prefix else key
            raise invalid(
                f"Received unknown parameter: {name}", param=name, code="parameter_unknown"
            )


def integer(value: Any, param: str, minimum: int | None = None) -> int:
    """A form value that must be a whole number (at least ``minimum``, if given)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise invalid(f"Invalid integer: {value}", param=param, code="parameter_invalid_integer")
    if minimum is not None and number < minimum:
        raise invalid(
            f"This value must be greater than or equal to {minimum}.",
            param=param,
            code="parameter_invalid_integer",
        )
    return number


def positive_amount(value: Any, param: str = "amount") -> int:
    try:
        amount = int(value)
    except (TypeError, ValueError):
        raise invalid(f"Invalid integer: {value}", param=param)
    if isinstance(value, bool) or isinstance(value, float) and value != amount or amount <= 0:
        raise invalid(f"Invalid positive integer: {value}", param=param)
    return amount


def currency_code(value: Any) -> str:
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha():
        raise invalid(f"Invalid currency: {value}", param="currency")
    return value.lower()


def boolean(value: Any, param: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise invalid(f"Invalid boolean: {value}", param=param)


def merge_metadata(current: dict | None, params: dict[str, Any]) -> dict[str, str]:
    update = params.get("metadata")
    if update == "":
        return {}
    if not isinstance(update, dict):
        raise invalid("Invalid object", param="metadata")
    merged = dict(current or {})
    for key, value in update.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    return validate_metadata(merged)


def validate_metadata(metadata: Any, param: str = "metadata") -> dict[str, str]:
    if metadata in (None, ""):
        return {}
    if not isinstance(metadata, dict):
        raise invalid("Invalid object", param=param)
    if len(metadata) > 50:
        raise invalid("Metadata can have at most 50 keys.", param=param)
    cleaned = {}
    for key, value in metadata.items():
        if len(key) > 40:
            raise invalid(f"Metadata keys must be at most 40 characters ({key}).", param=param)
        if isinstance(value, dict | list):
            raise invalid(f"Invalid value for metadata[{key}]", param=f"{param}[{key}]")
        text = "" if value is None else str(value)
        if len(text) > 500:
            raise invalid(f"Metadata values must be at most 500 characters ({key}).", param=param)
        if text != "":
            cleaned[key] = text
    return cleaned

"""Validation of ``POST /v1/checkout/sessions`` parameters.

Stripe rejects unknown parameters and inconsistent combinations with a 400 naming the
offending ``param``; the sandbox does the same so mistakes in the project's Checkout calls
fail in development instead of in production. Parameters that Stripe accepts but the sandbox
does not model (tax, promotion codes, custom fields...) are accepted and ignored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .descriptors import statement_descriptor, statement_descriptor_suffix
from .errors import SandboxError, invalid
from .money import MINIMUM_CHARGE
from .store import Record
from .validation import integer, reject_unknown, validate_metadata

if TYPE_CHECKING:
    from .state import SandboxState

MODELLED = {
    "billing_address_collection",
    "cancel_url",
    "client_reference_id",
    "currency",
    "customer",
    "customer_creation",
    "customer_email",
    "expand",
    "expires_at",
    "line_items",
    "locale",
    "metadata",
    "mode",
    "payment_intent_data",
    "payment_method_types",
    "submit_type",
    "subscription_data",
    "success_url",
}
ACCEPTED_IGNORED = {
    "adaptive_pricing",
    "after_expiration",
    "allow_promotion_codes",
    "allowed_payment_method_types",
    "automatic_tax",
    "branding_settings",
    "consent_collection",
    "custom_fields",
    "custom_text",
    "customer_account",
    "customer_update",
    "discounts",
    "excluded_payment_method_types",
    "integration_identifier",
    "invoice_creation",
    "managed_payments",
    "name_collection",
    "optional_items",
    "origin_context",
    "payment_method_collection",
    "payment_method_configuration",
    "payment_method_data",
    "payment_method_options",
    "permissions",
    "phone_number_collection",
    "redirect_on_completion",
    "return_url",
    "saved_payment_method_options",
    "setup_intent_data",
    "shipping_address_collection",
    "shipping_options",
    "tax_id_collection",
    "ui_mode",
    "wallet_options",
}
LINE_ITEM_FIELDS = {"price", "price_data", "quantity", "adjustable_quantity", "dynamic_tax_rates"}
LINE_ITEM_FIELDS |= {"tax_rates", "metadata"}
PRICE_DATA_FIELDS = {"currency", "product", "product_data", "recurring", "tax_behavior"}
PRICE_DATA_FIELDS |= {"unit_amount", "unit_amount_decimal"}
SUBMIT_TYPES = {"auto", "book", "donate", "pay", "subscribe"}
INTERVALS = {"day", "week", "month", "year"}


def _missing(param: str) -> SandboxError:
    return invalid(f"Missing required param: {param}.", param=param, code="parameter_missing")


def _fields(value: Any, param: str, allowed: set[str]) -> dict[str, Any]:
    """A nested object parameter: must be an object of known fields."""
    if not isinstance(value, dict):
        raise invalid("Invalid object", param=param)
    reject_unknown(value, allowed, param)
    return value


def _existing(state: SandboxState, kind: str, object_id: Any, param: str) -> Record:
    """The stored object a parameter names (a 400 naming the parameter if there is none)."""
    record = state.store.get(str(object_id), kind)
    if record is None:
        raise invalid(f"No such {kind}: '{object_id}'", param=param, code="resource_missing")
    return record


# The ways to pay the sandbox's checkout page can take; Stripe lists many more
# (https://docs.stripe.com/api/checkout/sessions/create#create_checkout_session-payment_method_types).
PAYMENT_METHOD_TYPES = ("card", "us_bank_account")


def _payment_method_types(value: Any) -> list[str]:
    """What the session offers; without the parameter, cards (the dashboard's default
    here). An empty list or an unknown type is refused as Stripe refuses it."""
    if value is None:
        return ["card"]
    if isinstance(value, dict):  # form-encoded as payment_method_types[0]=card
        value = [value[key] for key in sorted(value, key=str)]
    if not isinstance(value, list) or not value:
        raise invalid("Invalid array", param="payment_method_types")
    for item in value:
        if item not in PAYMENT_METHOD_TYPES:
            raise invalid(
                f"Invalid payment_method_types[]: must be one of {', '.join(PAYMENT_METHOD_TYPES)}",
                param="payment_method_types",
            )
    return list(dict.fromkeys(value))


def _url(value: Any, param: str) -> str:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise invalid("Not a valid URL", param=param, code="url_invalid")
    return value


def _line_item(index: int, item: Any, state: SandboxState) -> dict[str, Any]:
    param = f"line_items[{index}]"
    _fields(item, param, LINE_ITEM_FIELDS)
    if "quantity" not in item:
        raise _missing(f"{param}[quantity]")
    quantity = integer(item["quantity"], f"{param}[quantity]", minimum=1)
    if ("price" in item) == ("price_data" in item):
        raise invalid(f"You must specify either `price` or `price_data` in {param}.", param=param)
    if "price" in item:
        price = _existing(state, "price", item["price"], f"{param}[price]")
        return {
            "price": price["id"],
            "quantity": quantity,
            "currency": price["currency"],
            "unit_amount": price["unit_amount"],
            "recurring": price.get("recurring"),
        }
    data = item["price_data"]
    data_param = f"{param}[price_data]"
    _fields(data, data_param, PRICE_DATA_FIELDS)
    if "currency" not in data:
        raise _missing(f"{data_param}[currency]")
    currency = str(data["currency"]).lower()
    if len(currency) != 3 or not currency.isalpha():
        raise invalid(f"Invalid currency: {data['currency']}", param=f"{data_param}[currency]")
    if "unit_amount" in data:
        unit_amount = integer(data["unit_amount"], f"{data_param}[unit_amount]", minimum=0)
    elif "unit_amount_decimal" in data:
        try:
            decimal = float(data["unit_amount_decimal"])
        except ValueError:
            raise invalid("Invalid decimal", param=f"{data_param}[unit_amount_decimal]")
        if decimal != int(decimal) or decimal < 0:
            raise invalid(
                "The sandbox only supports whole unit amounts.",
                param=f"{data_param}[unit_amount_decimal]",
            )
        unit_amount = int(decimal)
    else:
        raise _missing(f"{data_param}[unit_amount]")
    parsed: dict[str, Any] = {"currency": currency, "unit_amount": unit_amount}
    if "product" in data:
        product = _existing(state, "product", data["product"], f"{data_param}[product]")
        parsed["product"] = product["id"]
    else:
        product_data = data.get("product_data")
        if not isinstance(product_data, dict):
            raise _missing(f"{data_param}[product_data]")
        reject_unknown(
            product_data,
            {"name", "description", "images", "metadata", "tax_code", "unit_label"},
            f"{data_param}[product_data]",
        )
        if not product_data.get("name"):
            raise _missing(f"{data_param}[product_data][name]")
        parsed["product_name"] = str(product_data["name"])
        parsed["product_description"] = product_data.get("description") or None
        parsed["product_metadata"] = validate_metadata(
            product_data.get("metadata"), f"{data_param}[product_data][metadata]"
        )
    recurring = data.get("recurring")
    if recurring is not None:
        _fields(recurring, f"{data_param}[recurring]", {"interval", "interval_count"})
        interval = recurring.get("interval")
        if interval not in INTERVALS:
            raise invalid(
                f"Invalid recurring[interval]: must be one of {', '.join(sorted(INTERVALS))}",
                param=f"{data_param}[recurring][interval]",
            )
        count = integer(
            recurring.get("interval_count", 1), f"{data_param}[recurring][interval_count]", 1
        )
        parsed["recurring"] = {"interval": interval, "interval_count": count}
    return {
        "price_data": parsed,
        "quantity": quantity,
        "currency": currency,
        "unit_amount": unit_amount,
        "recurring": parsed.get("recurring"),
    }


def parse_session_params(params: dict[str, Any], state: SandboxState) -> dict[str, Any]:
    """Validate Checkout Session parameters; returns the normalised values."""
    reject_unknown(params, MODELLED | ACCEPTED_IGNORED)
    mode = params.get("mode")
    if not mode:
        raise _missing("mode")
    if mode not in {"payment", "subscription", "setup"}:
        raise invalid("Invalid mode: must be one of payment, setup, or subscription", param="mode")
    if mode == "setup":
        raise invalid("The sandbox does not emulate setup mode.", param="mode")
    items = params.get("line_items")
    if items in (None, "", []):
        raise _missing("line_items")
    if not isinstance(items, list):
        raise invalid("Invalid array", param="line_items")
    line_items = [_line_item(i, item, state) for i, item in enumerate(items)]
    currencies = {item["currency"] for item in line_items}
    if len(currencies) > 1:
        raise invalid(
            "All line items must use the same currency.",
            param="line_items",
            code="currency_mismatch",
        )
    recurring = [item for item in line_items if item["recurring"]]
    if mode == "payment" and recurring:
        raise invalid(
            "You specified `payment` mode but passed a recurring price. Either switch to "
            "`subscription` mode or use only one-time prices.",
            param="line_items",
        )
    if mode == "subscription":
        if not recurring:
            raise invalid(
                "You must provide at least one recurring price in `subscription` mode when "
                "using prices.",
                param="line_items",
            )
        if len(line_items) > 1:
            raise invalid(
                "The sandbox supports a single line item in `subscription` mode.",
                param="line_items",
            )
    total = sum(item["unit_amount"] * item["quantity"] for item in line_items)
    currency = line_items[0]["currency"]
    if total < MINIMUM_CHARGE:
        raise invalid(
            f"The Checkout Session's total amount due must add up to at least "
            f"{MINIMUM_CHARGE} {currency} (in the currency's smallest unit).",
            param="line_items",
            code="amount_too_small",
        )
    parsed: dict[str, Any] = {"mode": mode, "line_items": line_items}
    for name in ("success_url", "cancel_url"):
        if params.get(name):
            parsed[name] = _url(params[name], name)
    parsed["metadata"] = validate_metadata(params.get("metadata"))
    parsed["payment_method_types"] = _payment_method_types(params.get("payment_method_types"))
    reference = params.get("client_reference_id")
    if reference:
        if len(str(reference)) > 200:
            raise invalid(
                "client_reference_id must be at most 200 characters.",
                param="client_reference_id",
            )
        parsed["client_reference_id"] = str(reference)
    if params.get("customer") and params.get("customer_email"):
        raise invalid(
            "You may only specify one of these parameters: customer, customer_email.",
            param="customer_email",
        )
    if params.get("customer"):
        parsed["customer"] = _existing(state, "customer", params["customer"], "customer")["id"]
    if params.get("customer_email"):
        email = str(params["customer_email"])
        if "@" not in email:
            raise invalid("Invalid email address: " + email, param="customer_email")
        parsed["customer_email"] = email
    creation = params.get("customer_creation")
    if creation:
        if mode != "payment":
            raise invalid(
                "`customer_creation` can only be used in `payment` mode.",
                param="customer_creation",
            )
        if creation not in {"always", "if_required"}:
            raise invalid("Invalid customer_creation", param="customer_creation")
        parsed["customer_creation"] = creation
    elif mode == "payment" and not parsed.get("customer"):
        parsed["customer_creation"] = "if_required"
    submit_type = params.get("submit_type")
    if submit_type:
        if submit_type not in SUBMIT_TYPES:
            raise invalid(
                f"Invalid submit_type: must be one of {', '.join(sorted(SUBMIT_TYPES))}",
                param="submit_type",
            )
        if mode == "subscription" and submit_type not in {"auto", "subscribe"}:
            raise invalid(
                "`submit_type` can only be `auto` or `subscribe` in `subscription` mode.",
                param="submit_type",
            )
        parsed["submit_type"] = submit_type
    for name in ("locale", "billing_address_collection"):
        if params.get(name):
            parsed[name] = str(params[name])
    parsed["payment_intent_data"] = _sub_params(
        params,
        "payment_intent_data",
        mode == "payment",
        {"metadata", "description", "receipt_email", "setup_future_usage", "capture_method"}
        | {"statement_descriptor", "statement_descriptor_suffix", "shipping", "transfer_group"},
        "payment",
    )
    parsed["subscription_data"] = _sub_params(
        params,
        "subscription_data",
        mode == "subscription",
        {"metadata", "description", "billing_cycle_anchor", "default_tax_rates"}
        | {"invoice_settings", "proration_behavior", "billing_mode"},
        "subscription",
    )
    now = state.now()
    if params.get("expires_at"):
        expires_at = integer(params["expires_at"], "expires_at", minimum=0)
        if not now + 1800 <= expires_at <= now + 86400:
            raise invalid(
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from now.",
                param="expires_at",
            )
    else:
        expires_at = now + 86400
    parsed["expires_at"] = expires_at
    return parsed


def _sub_params(
    params: dict[str, Any], name: str, allowed_here: bool, keys: set[str], mode: str
) -> dict[str, Any]:
    value = params.get(name)
    if value in (None, ""):
        return {"metadata": {}}
    if not allowed_here:
        raise invalid(f"You can only pass `{name}` in `{mode}` mode.", param=name)
    _fields(value, name, keys)
    return {
        "metadata": validate_metadata(value.get("metadata"), f"{name}[metadata]"),
        "description": value.get("description") or None,
        "receipt_email": value.get("receipt_email") or None,
        # Statement descriptors, checked by Stripe's rules (``descriptors.py``).
        "statement_descriptor": statement_descriptor(
            value.get("statement_descriptor"), f"{name}[statement_descriptor]"
        ),
        "statement_descriptor_suffix": statement_descriptor_suffix(
            value.get("statement_descriptor_suffix"), f"{name}[statement_descriptor_suffix]"
        ),
    }

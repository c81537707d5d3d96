"""The hosted checkout page a Checkout Session's ``url`` points to.

Stripe's real page is a JavaScript application; the sandbox serves a plain HTML form instead
so that people can click through donations locally and tests (with ``requests`` or a headless
browser) can drive it without JavaScript. The form posts back to the same URL. Stable element
ids: ``card-number``, ``account-number`` (name ``account_number``, only when the session
offers ``us_bank_account``: pay by ACH Direct Debit instead of a card), ``name``, ``email``,
``pay``, ``cancel``, ``error``, ``status``.

Everything interpolated into the page passes through :func:`html.escape`; session fields such
as product names and metadata come from API callers and must never become markup.
"""

from __future__ import annotations

from html import escape
from typing import Any

from .banks import TEST_BANK_ACCOUNTS
from .cards import TEST_CARDS

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#222}
.sandbox{background:#fff3cd;border:1px solid #e0c36c;padding:.5rem .75rem;border-radius:4px}
table{width:100%;border-collapse:collapse;margin:1rem 0}td{padding:.25rem 0}
td.amount{text-align:right}label{display:block;margin:.75rem 0 .25rem}
input{width:100%;padding:.5rem;box-sizing:border-box}
button{margin-top:1rem;padding:.6rem 1.2rem;font-size:1rem}
.error{color:#a00;border:1px solid #a00;padding:.5rem;border-radius:4px}
"""


def format_amount(amount: int | None, currency: str | None) -> str:
    if amount is None:
        return ""
    code = (currency or "").upper()
    return f"{amount / 100:,.2f} {code}".strip()


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        '<main><p class="sandbox">Stripe sandbox: test mode. No real money moves.</p>'
        f"{body}</main></body></html>\n"
    )


def _interval(price: dict[str, Any] | None) -> str:
    recurring = (price or {}).get("recurring")
    if not recurring:
        return ""
    count = recurring.get("interval_count", 1)
    unit = recurring.get("interval", "")
    return f" / {unit}" if count == 1 else f" / {count} {unit}s"


def render_checkout(
    session: dict[str, Any],
    *,
    error: str | None = None,
    card_number: str = "",
    name: str = "",
    email: str | None = None,
) -> str:
    """The payment form, or a status page once the session is no longer open."""
    status = session.get("status")
    items = (session.get("line_items") or {}).get("data", [])
    rows = "".join(
        '<tr><td>{desc} × {qty}</td><td class="amount">{amt}{per}</td></tr>'.format(
            desc=escape(str(item.get("description") or "")),
            qty=escape(str(item.get("quantity"))),
            amt=escape(format_amount(item.get("amount_total"), item.get("currency"))),
            per=escape(_interval(item.get("price"))),
        )
        for item in items
    )
    total = escape(format_amount(session.get("amount_total"), session.get("currency")))
    summary = (
        f'<table id="line-items">{rows}'
        f'<tr><th scope="row">Total</th><td class="amount" id="total">{total}</td></tr></table>'
    )
    session_id = escape(str(session.get("id", "")))
    if status != "open":
        message = {
            "complete": "This checkout session is complete.",
            "expired": "This checkout session has expired.",
        }.get(str(status), f"This checkout session is {status}.")
        return _page(
            "Checkout",
            f'<h1>Checkout</h1>{summary}<p id="status" data-status="{escape(str(status))}">'
            f"{escape(message)}</p>",
        )
    email_value = email if email is not None else session.get("customer_email") or ""
    verb = {"donate": "Donate", "subscribe": "Subscribe"}.get(
        str(session.get("submit_type") or ""), "Pay"
    )
    if session.get("mode") == "subscription" and verb == "Pay":
        verb = "Subscribe"
    error_html = f'<p class="error" id="error" role="alert">{escape(error)}</p>' if error else ""
    cancel = session.get("cancel_url")
    cancel_html = (
        f'<p><a id="cancel" href="{escape(cancel, quote=True)}">Cancel and go back</a></p>'
        if cancel
        else ""
    )
    cards = "".join(
        f"<li><code>{escape(card.number)}</code>: {escape(card.summary)}</li>"
        for card in TEST_CARDS.values()
    )
    bank = "us_bank_account" in (session.get("payment_method_types") or [])
    required = "" if bank else "required"
    bank_html = ""
    if bank:
        bank_html = (
            '  <label for="account-number">Or pay by bank debit (ACH): account number</label>\n'
            '  <input id="account-number" name="account_number" inputmode="numeric">\n'
        )
        cards += "".join(
            f"<li><code>{escape(acct.number)}</code> (bank account): {escape(acct.summary)}</li>"
            for acct in TEST_BANK_ACCOUNTS.values()
        )
    form = f"""
<h1>Checkout</h1>
{summary}
{error_html}
<form method="post" action="/checkout/{session_id}" id="checkout-form">
  <label for="email">Email</label>
  <input id="email" name="email" type="email" required value="{escape(email_value, quote=True)}">
  <label for="card-number">Card number</label>
  <input id="card-number" name="card_number" inputmode="numeric" autocomplete="cc-number"
         {required} value="{escape(card_number, quote=True)}">
{bank_html}
  <label for="name">Name on card</label>
  <input id="name" name="name" autocomplete="cc-name" value="{escape(name, quote=True)}">
  <button id="pay" type="submit">{escape(verb)} {total}</button>
</form>
{cancel_html}
<details><summary>Test cards</summary><ul>{cards}</ul></details>
"""
    return _page("Checkout", form)


def render_message(title: str, message: str, element_id: str = "status") -> str:
    return _page(
        title, f'<h1>{escape(title)}</h1><p id="{escape(element_id)}">{escape(message)}</p>'
    )


def render_receipt(charge: dict[str, Any]) -> str:
    amount = format_amount(charge.get("amount"), charge.get("currency"))
    refunded = charge.get("amount_refunded") or 0
    lines = [
        f'<p>Amount: <span id="amount">{escape(amount)}</span></p>',
        f'<p>Status: <span id="status">{escape(str(charge.get("status")))}</span></p>',
    ]
    if refunded:
        lines.append(f"<p>Refunded: {escape(format_amount(refunded, charge.get('currency')))}</p>")
    if charge.get("description"):
        lines.append(f"<p>{escape(str(charge['description']))}</p>")
    return _page("Receipt", "<h1>Receipt</h1>" + "".join(lines))

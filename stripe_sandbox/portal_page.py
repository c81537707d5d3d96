"""The hosted customer portal page and the hosted invoice page (plain HTML).

Portal (``/p/session/<id>``), stable element ids: ``customer`` (name and email),
``subscriptions`` (one ``subscription-<id>`` row each), ``card-number`` (name
``card_number``) and ``update-card`` in a form posting to ``/p/session/<id>/card``; per
live subscription a form posting ``subscription=<id>`` to
``/p/session/<id>/cancel`` whose button is ``cancel-subscription`` for the first and
``cancel-subscription-<id>`` for the others; ``return`` links to the session's
``return_url``; ``error`` holds a decline, ``status`` a confirmation.

Invoice (``/i/<invoice id>``): ``amount`` (amount due), ``status``, ``amount-remaining``.

Everything interpolated passes through :func:`html.escape`.
"""

from __future__ import annotations

from html import escape
from typing import Any

from .checkout_page import _interval, _page, format_amount


def _return_link(session: dict[str, Any]) -> str:
    url = session.get("return_url")
    if not url:
        return ""
    return f'<p><a id="return" href="{escape(url, quote=True)}">Return</a></p>'


def _subscription_row(sub: dict[str, Any], first: bool, action: str) -> str:
    item = sub["items"]["data"][0]
    price = item.get("price") or {}
    amount = format_amount((price.get("unit_amount") or 0) * item["quantity"], sub["currency"])
    sub_id = escape(sub["id"], quote=True)
    button_id = "cancel-subscription" if first else f"cancel-subscription-{sub_id}"
    return (
        f'<tr id="subscription-{sub_id}"><td>{escape(amount)}{escape(_interval(price))}</td>'
        f'<td class="status">{escape(str(sub["status"]))}</td><td>'
        f'<form method="post" action="{escape(action, quote=True)}">'
        f'<input type="hidden" name="subscription" value="{sub_id}">'
        f'<button id="{button_id}" type="submit">Cancel</button></form></td></tr>'
    )


def render_portal(view: dict[str, Any], *, error: str | None = None, card_number: str = "") -> str:
    session = view["session"]
    base = f"/p/session/{session['id']}"
    subscriptions = view["subscriptions"]
    rows = "".join(
        _subscription_row(sub, index == 0, f"{base}/cancel")
        for index, sub in enumerate(subscriptions)
    )
    listing = (
        f'<table id="subscriptions">{rows}</table>'
        if rows
        else '<p id="subscriptions">No active subscriptions.</p>'
    )
    customer = view.get("customer") or {}
    who = " ".join(str(part) for part in (customer.get("name"), customer.get("email")) if part)
    error_html = f'<p class="error" id="error" role="alert">{escape(error)}</p>' if error else ""
    body = f"""
<h1>Manage your donations</h1>
<p id="customer">{escape(who)}</p>
{listing}
{error_html}
<form method="post" action="{escape(base, quote=True)}/card" id="card-form">
  <label for="card-number">New card number</label>
  <input id="card-number" name="card_number" inputmode="numeric" autocomplete="cc-number"
         required value="{escape(card_number, quote=True)}">
  <button id="update-card" type="submit">Update card</button>
</form>
{_return_link(session)}
"""
    return _page("Customer portal", body)


def render_portal_done(session: dict[str, Any], message: str) -> str:
    body = f'<h1>Customer portal</h1><p id="status">{escape(message)}</p>{_return_link(session)}'
    return _page("Customer portal", body)


def render_invoice(invoice: dict[str, Any]) -> str:
    currency = invoice.get("currency")
    lines = [
        f"<p>Invoice {escape(str(invoice.get('number') or invoice['id']))}</p>",
        '<p>Amount due: <span id="amount">'
        f"{escape(format_amount(invoice.get('amount_due'), currency))}</span></p>",
        f'<p>Status: <span id="status">{escape(str(invoice.get("status")))}</span></p>',
        '<p>Remaining: <span id="amount-remaining">'
        f"{escape(format_amount(invoice.get('amount_remaining'), currency))}</span></p>",
    ]
    return _page("Invoice", "<h1>Invoice</h1>" + "".join(lines))

"""The hosted pages: checkout (``/checkout/<session>``), receipts (``/receipts/<charge>``),
the customer portal (``/p/session/<id>``, ``/p/session/<id>/card``, ``/p/session/<id>/cancel``)
and hosted invoices (``/i/<invoice>``).

Each handler takes the HTTP request handler (``server._Handler``) for reading the form and
answering, and the sandbox's state for the work; the HTML lives in ``checkout_page.py`` and
``portal_page.py``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from .checkout_page import render_checkout, render_message, render_receipt
from .errors import SandboxError
from .portal_page import render_invoice, render_portal, render_portal_done

if TYPE_CHECKING:
    from .server import _Handler


def _form(h: _Handler) -> dict[str, str]:
    return dict(parse_qsl(h._read_body().decode("utf-8"), keep_blank_values=True))


def _redirect(h: _Handler, url: str) -> None:
    h._send(HTTPStatus.SEE_OTHER, b"", "text/plain", {"Location": url})


def checkout(h: _Handler, method: str, session_id: str) -> None:
    state = h.sandbox.state
    if state.store.get(session_id, "checkout.session") is None:
        h._send_html(404, render_message("Not found", "No such checkout session."))
        return
    if method == "GET":
        h._send_html(200, render_checkout(state.session_view(session_id)))
        return
    if method != "POST":
        h._send_html(405, render_message("Not allowed", "Use GET or POST."))
        return
    form = _form(h)
    card = form.get("card_number", "")
    account = form.get("account_number", "").strip()
    name = form.get("name", "")
    email = form.get("email", "")
    try:
        result = state.pay_checkout_session(
            session_id, card, name=name or None, email=email or None, account_number=account
        )
    except SandboxError as exc:
        view = state.session_view(session_id)
        status = 400 if view["status"] == "open" else 409
        h._send_html(
            status,
            render_checkout(view, error=exc.message, card_number=card, name=name, email=email),
        )
        return
    if result.outcome == "declined":
        h._send_html(
            402,
            render_checkout(
                state.session_view(session_id),
                error=result.message,
                card_number=card,
                name=name,
                email=email,
            ),
        )
        return
    if result.redirect_url:
        _redirect(h, result.redirect_url)
        return
    message = (
        "Thank you! Your payment is processing."
        if result.outcome == "processing"
        else "Thank you! Your payment succeeded."
    )
    h._send_html(200, render_message("Payment received", message))


def receipt(h: _Handler, charge_id: str) -> None:
    state = h.sandbox.state
    record = state.store.get(charge_id, "charge")
    if record is None:
        h._send_html(404, render_message("Not found", "No such receipt."))
        return
    h._send_html(200, render_receipt(state.render(record)))


def invoice(h: _Handler, invoice_id: str) -> None:
    state = h.sandbox.state
    record = state.store.get(invoice_id, "invoice")
    if record is None or not record.get("finalized_at"):
        h._send_html(404, render_message("Not found", "No such invoice."))
        return
    h._send_html(200, render_invoice(state.render(record)))


def portal(h: _Handler, method: str, rest: str) -> None:
    """``rest`` is what follows ``/p/session/``: ``<id>``, ``<id>/card`` or ``<id>/cancel``."""
    state = h.sandbox.state
    session_id, _, action = rest.partition("/")
    try:
        view = state.portal_view(session_id)
    except SandboxError as exc:
        if exc.status == 410:
            h._send_html(410, render_message("Session expired", exc.message, "expired"))
        else:
            h._send_html(404, render_message("Not found", "No such portal session."))
        return
    if method == "GET" and not action:
        h._send_html(200, render_portal(view))
        return
    if method != "POST" or action not in {"card", "cancel"}:
        h._send_html(405, render_message("Not allowed", "Use GET, or POST to card or cancel."))
        return
    form = _form(h)
    try:
        if action == "card":
            card = form.get("card_number", "")
            try:
                result = state.portal_update_card(session_id, card)
            except SandboxError as exc:
                status = 402 if exc.status == 402 else 400
                h._send_html(status, render_portal(view, error=exc.message, card_number=card))
                return
            message = "Your card was updated."
        else:
            result = state.portal_cancel(session_id, form.get("subscription", ""))
            message = "Your subscription was canceled."
    except SandboxError as exc:
        h._send_html(
            exc.status if exc.status < 500 else 400, render_portal(view, error=exc.message)
        )
        return
    if result.get("redirect_url"):
        _redirect(h, result["redirect_url"])
        return
    h._send_html(200, render_portal_done(view["session"], message))

"""The customer portal: ``billing_portal.session`` objects and what a donor does on the page.

``POST /v1/billing_portal/sessions`` (https://docs.stripe.com/api/customer_portal/sessions/create)
makes a short-lived session whose ``url`` opens the hosted portal page
(``portal_page.py``). Stripe offers only *create* for these sessions: they cannot be
retrieved or listed through the API, and the sandbox keeps it so.

On the page a donor can:

* update the card their subscriptions renew with (:meth:`PortalMixin.portal_update_card`):
  the customer's default payment method changes (``customer.updated``), every live
  subscription renews with the new card from then on, and the open invoices of a
  ``past_due`` subscription are paid again at once with it, through the same path as a
  renewal (``charge.succeeded``, ``invoice.paid``, ``invoice.payment_succeeded``,
  ``customer.subscription.updated`` to ``active``). A declining card changes nothing;
* cancel a subscription (:meth:`PortalMixin.portal_cancel`) at once, as a portal
  configured with ``features.subscription_cancel.mode=immediately`` does
  (https://docs.stripe.com/api/customer_portal/configurations/object), which emits
  ``customer.subscription.deleted``.

A session is usable for an hour on the sandbox clock, then its page says it expired.
"""

from __future__ import annotations

from typing import Any

from . import cards as cardlib
from .core import RequestInfo, StateCore
from .errors import SandboxError, invalid
from .store import Record
from .validation import reject_unknown

SESSION_LIFETIME = 3600
DEFAULT_CONFIGURATION = "bpc_sandboxdefault"
_PARAMS = {"customer", "return_url", "flow_data", "locale", "configuration"}
_IGNORED = {"expand", "on_behalf_of", "customer_account"}
_FLOWS = {"payment_method_update", "subscription_cancel"}
_OTHER_FLOWS = {"subscription_update", "subscription_update_confirm"}
_AFTER_COMPLETION = {"hosted_confirmation", "portal_homepage", "redirect"}
_ENDED = {"canceled", "incomplete_expired"}


def _missing(param: str) -> SandboxError:
    return invalid(f"Missing required param: {param}.", param=param, code="parameter_missing")


def _url(value: Any, param: str) -> str:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise invalid("Not a valid URL", param=param, code="url_invalid")
    return value


class PortalMixin(StateCore):
    """Part of ``SandboxState``; uses ``_attempt`` (payments), ``_retry_invoices`` and
    ``_cancel`` (subscriptions)."""

    def create_portal_session(
        self,
        customer: str | dict[str, Any],
        return_url: str | None = None,
        *,
        request: RequestInfo | None = None,
    ) -> dict[str, Any]:
        """A portal session for ``customer`` (an id), or for the whole parameters of
        ``POST /v1/billing_portal/sessions`` when ``customer`` is a dict."""
        if isinstance(customer, dict):
            params = customer
        else:
            params = {"customer": customer, "return_url": return_url}
        reject_unknown(params, _PARAMS | _IGNORED)
        if not params.get("customer"):
            raise _missing("customer")
        customer_id = str(params["customer"])
        return_url = _url(params["return_url"], "return_url") if params.get("return_url") else None
        for name in ("locale", "configuration"):
            if not isinstance(params.get(name) or "", str):
                raise invalid("Invalid string", param=name)
        with self.operation(request):
            if self.store.get(customer_id, "customer") is None:
                raise invalid(
                    f"No such customer: '{customer_id}'", param="customer", code="resource_missing"
                )
            flow = self._flow(params.get("flow_data"), customer_id, return_url)
            session = self._add(
                "billing_portal.session",
                "bps",
                customer=customer_id,
                configuration=str(params.get("configuration") or DEFAULT_CONFIGURATION),
                return_url=return_url,
                locale=params.get("locale") or None,
                flow=flow,
            )
            return self.context().render(session)

    def _flow(self, data: Any, customer_id: str, return_url: str | None) -> dict | None:
        """``flow_data``, validated (https://docs.stripe.com/customer-management/portal-deep-links)."""
        if data in (None, ""):
            return None
        if not isinstance(data, dict):
            raise invalid("Invalid object", param="flow_data")
        reject_unknown(data, {"type", "after_completion", *_FLOWS, *_OTHER_FLOWS}, "flow_data")
        flow_type = data.get("type")
        if not flow_type:
            raise _missing("flow_data[type]")
        if flow_type in _OTHER_FLOWS:
            raise invalid(
                f"The sandbox does not emulate the `{flow_type}` portal flow.",
                param="flow_data[type]",
            )
        if flow_type not in _FLOWS:
            raise invalid(
                "Invalid flow_data[type]: must be one of "
                + ", ".join(sorted(_FLOWS | _OTHER_FLOWS)),
                param="flow_data[type]",
            )
        cancel = None
        if flow_type == "subscription_cancel":
            details = data.get("subscription_cancel")
            if not isinstance(details, dict) or not details.get("subscription"):
                raise _missing("flow_data[subscription_cancel][subscription]")
            sub_id = str(details["subscription"])
            subscription = self.store.get(sub_id, "subscription")
            if subscription is None or subscription["customer"] != customer_id:
                raise invalid(
                    f"No such subscription: '{sub_id}'",
                    param="flow_data[subscription_cancel][subscription]",
                    code="resource_missing",
                )
            if subscription["status"] in _ENDED:
                raise invalid(
                    "The subscription is already canceled.",
                    param="flow_data[subscription_cancel][subscription]",
                )
            cancel = {"retention": None, "subscription": sub_id}
        after = data.get("after_completion") or {}
        if not isinstance(after, dict):
            raise invalid("Invalid object", param="flow_data[after_completion]")
        after_type = after.get("type") or "portal_homepage"
        if after_type not in _AFTER_COMPLETION:
            raise invalid(
                "Invalid flow_data[after_completion][type]",
                param="flow_data[after_completion][type]",
            )
        redirect = after.get("redirect") if isinstance(after.get("redirect"), dict) else {}
        return {
            "after_completion": {
                "hosted_confirmation": {"custom_message": None}
                if after_type == "hosted_confirmation"
                else None,
                "redirect": {"return_url": redirect.get("return_url") or return_url}
                if after_type == "redirect"
                else None,
                "type": after_type,
            },
            "subscription_cancel": cancel,
            "subscription_update": None,
            "subscription_update_confirm": None,
            "type": flow_type,
        }

    # --- The hosted page ------------------------------------------------------------------

    def _portal_session(self, session_id: str) -> Record:
        """A usable session: 404 if unknown, 410 once it is older than an hour."""
        session = self.store.get(session_id, "billing_portal.session")
        if session is None:
            raise SandboxError(404, "No such portal session.", code="resource_missing")
        if self.now() - session["created"] > SESSION_LIFETIME:
            raise SandboxError(410, "This portal session has expired.", code="session_expired")
        return session

    def _live_subscriptions(self, customer_id: str) -> list[Record]:
        return [
            sub
            for sub in self.store.all("subscription")
            if sub["customer"] == customer_id and sub["status"] not in _ENDED
        ]

    def portal_view(self, session_id: str) -> dict[str, Any]:
        """What the portal page shows: the session and the customer's live subscriptions."""
        with self.lock:
            session = self._portal_session(session_id)
            ctx = self.context()
            return {
                "session": ctx.render(session),
                "customer": ctx.render_id(session["customer"]),
                "subscriptions": [
                    ctx.render(sub) for sub in self._live_subscriptions(session["customer"])
                ],
            }

    def portal_update_card(self, session_id: str, card: str) -> dict[str, Any]:
        """The donor enters a new card on the portal; see the module docstring."""
        test_card = cardlib.lookup(card)
        with self.operation():
            session = self._portal_session(session_id)
            if test_card.behaviour == cardlib.DECLINE:
                raise SandboxError(
                    402,
                    test_card.message or "Your card was declined.",
                    type="card_error",
                    code=test_card.error_code,
                    extra={"decline_code": test_card.decline_code},
                )
            customer = self.store.require(session["customer"], "customer")
            payment_method = f"pm_{test_card.brand}{test_card.last4}sbx"
            before = self.context().render(customer)["invoice_settings"]
            if self._update(customer, default_payment_method=payment_method):
                self._emit("customer.updated", customer, {"invoice_settings": before})
            paid: list[str] = []
            subscriptions = self._live_subscriptions(customer["id"])
            for subscription in subscriptions:
                # Hidden fields, not rendered: what renewals charge from now on.
                subscription["_card"] = test_card.number
                subscription["_bank_account"] = None
            for subscription in subscriptions:
                if subscription["status"] == "past_due":
                    paid += self._retry_invoices(subscription, test_card)
            return {
                "customer": self.context().render(customer),
                "paid_invoices": paid,
                "redirect_url": session.get("return_url"),
            }

    def portal_cancel(self, session_id: str, subscription_id: str) -> dict[str, Any]:
        """The donor cancels a subscription on the portal: it ends at once."""
        with self.operation():
            session = self._portal_session(session_id)
            subscription = self.store.get(str(subscription_id), "subscription")
            if subscription is None or subscription["customer"] != session["customer"]:
                raise invalid(
                    f"No such subscription for this customer: '{subscription_id}'",
                    param="subscription",
                )
            if subscription["status"] in _ENDED:
                raise invalid("This subscription is already canceled.", param="subscription")
            self._cancel(subscription, "cancellation_requested")
            return {
                "subscription": self.context().render(subscription),
                "redirect_url": session.get("return_url"),
            }

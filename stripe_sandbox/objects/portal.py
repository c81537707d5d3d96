"""Customer portal sessions as Stripe renders them
(https://docs.stripe.com/api/customer_portal/sessions/object)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..store import Record
from .base import stripe_object

if TYPE_CHECKING:
    from . import RenderContext


def render_portal_session(r: Record, ctx: RenderContext) -> dict[str, Any]:
    return stripe_object(
        "billing_portal.session",
        r,
        configuration=r["configuration"],
        created=r["created"],
        customer=r["customer"],
        customer_account=None,
        flow=r.get("flow"),
        livemode=False,
        locale=r.get("locale"),
        on_behalf_of=None,
        return_url=r.get("return_url"),
        url=f"{ctx.public_url}/p/session/{r['id']}",
    )

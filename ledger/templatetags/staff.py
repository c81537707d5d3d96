"""``{% load staff %}`` … ``{% if request.user|can:"reconcile" %}``: show a control only to
roles that may use it (the view behind it checks again); ``|day_or_month``: a case's date
as precisely as the page may show it."""

import datetime as dt

from django import template
from django.utils import dateformat, timezone

from ledger.casework.case_rows import month_text
from ledger.staff.roles import Capability, user_can

register = template.Library()


@register.filter
def can(user, capability: str) -> bool:
    return user_can(user, Capability(capability))


@register.filter
def day_or_month(value, exact: bool) -> str:
    """``{{ d.paid_on|day_or_month:exact_dates }}``: the day ('2026-03-04', or
    '2026-03-04 09:15' for a time) where the page may show it, else the month ('2026-03'):
    ``ledger.casework.case_rows`` decides, the view passes ``exact_dates``."""
    if value is None or value == "":
        return ""
    if not exact:
        return month_text(value)
    if isinstance(value, dt.datetime):
        return dateformat.format(timezone.localtime(value), "Y-m-d H:i")
    return dateformat.format(value, "Y-m-d")

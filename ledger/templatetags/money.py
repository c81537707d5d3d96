from django import template
from django.conf import settings

from ledger.money import format_money

register = template.Library()


@register.filter
def money(amount: int, currency: str = "") -> str:
    """Render integer minor units in the fund's currency: {{ amount|money }}."""
    return format_money(int(amount or 0), currency or settings.FUND_CURRENCY)

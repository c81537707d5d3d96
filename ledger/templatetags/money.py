from django import template
from django.conf import settings
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext

from ledger.books.money import format_money
from ledger.public.release_content import SUPPRESSED

register = template.Library()


@register.filter
def money(amount: int, currency: str = "") -> str:
    """Render integer minor units in the fund's currency: {{ amount|money }}."""
    return format_money(int(amount or 0), currency or settings.FUND_CURRENCY)


def _suppressed():
    return format_html('<span class="suppressed">{}</span>', gettext("suppressed"))


@register.filter
def figure(value, currency: str = ""):
    """An amount from a release, or "suppressed" where the release suppressed it."""
    if value == SUPPRESSED:
        return _suppressed()
    return format_money(int(value or 0), currency or settings.FUND_CURRENCY)


@register.filter
def people(value):
    """A count of people from a release, or "suppressed"."""
    if value == SUPPRESSED:
        return _suppressed()
    return number_format(int(value or 0), use_l10n=True, force_grouping=True)

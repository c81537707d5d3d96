"""``{% load staff %}`` … ``{% if request.user|can:"reconcile" %}``: show a control only to
roles that may use it (the view behind it checks again)."""

from django import template

from ledger.roles import Capability, user_can

register = template.Library()


@register.filter
def can(user, capability: str) -> bool:
    return user_can(user, Capability(capability))

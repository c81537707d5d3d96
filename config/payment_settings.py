"""Reading the settings that describe the fund's Stripe account: its fee rates per payment
method and its statement descriptors. Refused at start, with the line to set, when Stripe
would refuse them or the fee arithmetic could not use them."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


def fee_rates(text: str) -> list[tuple[str, str, int, int | None]]:
    """``method:percent:fixed[:cap]``, comma separated, as (method, percent, fixed, cap)."""
    rates = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        fields = item.split(":")
        try:
            method, percent, fixed = fields[0], fields[1], int(fields[2])
            cap = int(fields[3]) if len(fields) == 4 else None
            valid = (
                len(fields) in (3, 4)
                and method.replace("_", "").isalnum()
                and 0 <= float(percent) < 100
                and fixed >= 0
                and (cap is None or cap > 0)
            )
        except (IndexError, ValueError):
            valid = False
        if not valid:
            raise ImproperlyConfigured(
                f"STRIPE_FEE_RATES: {item!r} is not method:percent:fixed[:cap], "
                "for example card:2.9:30 or us_bank_account:0.8:0:500"
            )
        rates.append((method, percent, fixed, cap))
    if not rates or len({r[0] for r in rates}) != len(rates):
        raise ImproperlyConfigured("STRIPE_FEE_RATES names each payment method once.")
    return rates


def statement_descriptor(env, name: str, lengths: range) -> str:
    """A statement descriptor as Stripe accepts it: Latin letters, digits and punctuation,
    at least one letter, none of < > \\ ' " *
    (https://docs.stripe.com/get-started/account/statement-descriptors); empty if unset."""
    value = env.str(name, default="").strip()
    valid = not value or (
        len(value) in lengths
        and all(ch.isascii() and ch.isprintable() for ch in value)
        and any(ch.isalpha() for ch in value)
        and not set(value) & set("<>\\'\"*")
    )
    if not valid:
        raise ImproperlyConfigured(
            f"{name} must be {lengths.start}-{lengths.stop - 1} Latin characters with at "
            "least one letter and none of < > \\ ' \" *."
        )
    return value

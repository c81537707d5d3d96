"""The donation page's writes: starting a Stripe Checkout for a gift, and a donor managing
a monthly gift (its card at Stripe's customer portal, or stopping it) from the link in a
receipt.

Stripe metadata carries only our opaque donation id, never what the donor typed.
"""

from __future__ import annotations

import hashlib
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from donations import stripe_gateway
from donations.checkout.fees import fee_covering_amount, payment_method_types
from donations.exceptions import (
    DonationsPaused,
    InvalidDonation,
    RateLimited,
    StripeGatewayError,
    StripeUnavailable,
)
from donations.models import (
    Donation,
    DonationStatus,
    DonationSwitch,
    Frequency,
    StripeProduct,
)
from ledger.books.posting import audit_record


def gift_product_id() -> str:
    """The Product every gift's price names: created at Stripe once per name and monthly
    statement descriptor, then reused (https://docs.stripe.com/api/products/create), so
    the Dashboard and reports show one product instead of one per gift."""
    name = f"Gift to {settings.FUND_NAME}"
    descriptor = settings.STRIPE_STATEMENT_DESCRIPTOR
    key = hashlib.sha256(f"{name}\n{descriptor}".encode()).hexdigest()
    known = StripeProduct.objects.filter(key=key).values_list("product_id", flat=True).first()
    if known:
        return known
    params: dict = {"name": name}
    if descriptor:
        params["statement_descriptor"] = descriptor  # what monthly gifts' statements show
    product = stripe_gateway.create_product(params=params, idempotency_key=f"product:{key}")
    stored, _ = StripeProduct.objects.get_or_create(key=key, defaults={"product_id": product["id"]})
    return stored.product_id


def donations_pause_state() -> tuple[bool, str, str]:
    """(paused, message, redirect URL): from settings, or from the staff switch."""
    if settings.DONATIONS_PAUSED:
        return True, settings.DONATIONS_PAUSED_MESSAGE, settings.DONATIONS_REDIRECT_URL
    switch = DonationSwitch.objects.filter(id=1).first()
    if switch and switch.paused:
        return True, switch.message, switch.redirect_url
    return False, "", ""


def _rate_buckets(*, client_key: str, session_key: str) -> list[tuple[str, int]]:
    """(cache key, limit) of the fixed windows per client address and per browser session."""
    window = settings.CHECKOUT_RATE_LIMIT_WINDOW
    bucket = int(timezone.now().timestamp()) // window
    return [
        (f"checkout-rate:{scope}:{key}:{bucket}", limit)
        for scope, key, limit in (
            ("ip", client_key, settings.CHECKOUT_RATE_LIMIT_PER_IP),
            ("session", session_key, settings.CHECKOUT_RATE_LIMIT_PER_SESSION),
        )
        if key
    ]


def _rate_limit_check(buckets: list[tuple[str, int]]) -> None:
    for cache_key, limit in buckets:
        if (cache.get(cache_key) or 0) >= limit:
            raise RateLimited(
                "Too many donation attempts from here. Please wait a few minutes and try again."
            )


def _rate_limit_count(buckets: list[tuple[str, int]]) -> None:
    """Count an attempt that reached Stripe (a Checkout Session, or Stripe's refusal)."""
    window = settings.CHECKOUT_RATE_LIMIT_WINDOW
    for cache_key, _limit in buckets:
        cache.add(cache_key, 0, timeout=window)
        try:
            cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.set(cache_key, 1, timeout=window)


def client_address(meta: dict) -> str:
    """The donor's address as the nearest trusted proxy saw it. With TRUSTED_PROXY_COUNT
    proxies in front, each appending the address it received from, the client is that
    many entries from the right of X-Forwarded-For; anything further left is what the
    client itself claimed. With no proxy, the connection's own address."""
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return meta.get("REMOTE_ADDR", "")
    chain = [a.strip() for a in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    return chain[-count] if len(chain) >= count else meta.get("REMOTE_ADDR", "")


def client_fingerprint(remote_addr: str) -> str:
    """A keyed hash of the client address: rate limits need identity, not the address."""
    return hashlib.blake2b(
        remote_addr.encode(), key=settings.SECRET_KEY.encode()[:64], digest_size=16
    ).hexdigest()


def donation_start_checkout(
    *,
    gift_amount: int,
    frequency: str,
    cover_fees: bool,
    anonymous: bool,
    display_name: str,
    message: str,
    show_amount: bool,
    email: str,
    client_key: str,
    session_key: str,
    base_url: str,
    form_token: str,
    show_on_wall: bool = False,
    language: str = "en",
) -> Donation:
    """Create our donation row and its Stripe Checkout Session; returns the donation.

    ``form_token`` comes with the page the donor filled in: the same page sent twice (a
    double click, a reload) returns the first donation and its session instead of a
    second one. The session is created with the idempotency key stored on the row, so a
    retried request cannot create a second session (and a second charge) either. Stripe
    metadata carries only our opaque donation id.
    """
    paused, _, _ = donations_pause_state()
    if paused:
        raise DonationsPaused("Donations are paused.")
    if frequency not in Frequency.values:
        raise InvalidDonation("Choose one time or monthly.")
    if not settings.DONATION_MIN_AMOUNT <= gift_amount <= settings.DONATION_MAX_AMOUNT:
        raise InvalidDonation("The amount is outside the fund's limits.")
    if not form_token or len(form_token) > 64:
        raise InvalidDonation("The form expired; reload the page and try again.")
    key = f"checkout:{form_token}"
    earlier = Donation.objects.filter(checkout_idempotency_key=key).first()
    if earlier is not None:
        return _sent_again(earlier, gift_amount=gift_amount, frequency=frequency,
                           cover_fees=cover_fees)  # fmt: skip
    buckets = _rate_buckets(client_key=client_key, session_key=session_key)
    _rate_limit_check(buckets)

    amount = fee_covering_amount(gift_amount) if cover_fees else gift_amount
    product = gift_product_id()
    donation, created = Donation.objects.get_or_create(
        checkout_idempotency_key=key,
        defaults={
            "public_id": uuid.uuid4(),
            "frequency": frequency,
            "currency": settings.FUND_CURRENCY,
            "gift_amount": gift_amount,
            "cover_fees": cover_fees,
            "amount": amount,
            "anonymous": anonymous,
            "display_name": "" if anonymous else display_name,
            "message": message,
            "show_amount": show_amount and not anonymous,
            # The wall shows a name or a message, and never an anonymous donor.
            "show_on_wall": show_on_wall and not anonymous and bool(display_name or message),
            "email": email,
            "language": language if language in dict(settings.LANGUAGES) else "en",
        },
    )
    if not created:  # the same page, sent twice at the same moment
        return _sent_again(donation, gift_amount=gift_amount, frequency=frequency,
                           cover_fees=cover_fees)  # fmt: skip
    public_id = donation.public_id
    thanks = base_url + reverse("donations:thanks", args=[public_id])
    price_data: dict = {
        "currency": settings.FUND_CURRENCY,
        "unit_amount": amount,
        "product": product,
    }
    metadata = {"donation_id": str(public_id)}
    params: dict = {
        "mode": "payment" if frequency == Frequency.ONCE else "subscription",
        "payment_method_types": payment_method_types(),
        "line_items": [{"price_data": price_data, "quantity": 1}],
        "success_url": thanks + "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": base_url + reverse("donations:donate"),
        "client_reference_id": str(public_id),
        "metadata": metadata,
    }
    if frequency == Frequency.ONCE:
        params["submit_type"] = "donate"
        params["payment_intent_data"] = {"metadata": metadata}
        if settings.STRIPE_STATEMENT_DESCRIPTOR_SUFFIX:
            params["payment_intent_data"]["statement_descriptor_suffix"] = (
                settings.STRIPE_STATEMENT_DESCRIPTOR_SUFFIX
            )
    else:
        price_data["recurring"] = {"interval": "month"}
        params["subscription_data"] = {"metadata": metadata}
    if email:
        params["customer_email"] = email
    try:
        session = stripe_gateway.create_checkout_session(
            params=params, idempotency_key=donation.checkout_idempotency_key
        )
    except StripeUnavailable:  # never reached Stripe: not an attempt
        Donation.objects.filter(pk=donation.pk).update(status=DonationStatus.FAILED)
        raise
    except StripeGatewayError:
        _rate_limit_count(buckets)
        Donation.objects.filter(pk=donation.pk).update(status=DonationStatus.FAILED)
        raise
    _rate_limit_count(buckets)
    Donation.objects.filter(pk=donation.pk).update(
        checkout_session_id=session["id"],
        checkout_url=session["url"],
        status=DonationStatus.PENDING,
    )
    donation.refresh_from_db()
    return donation


def _sent_again(donation: Donation, *, gift_amount: int, frequency: str, cover_fees: bool):
    """The page was sent before: the same gift gets its checkout again, another is refused."""
    if (donation.gift_amount, donation.frequency, donation.cover_fees) != (
        gift_amount,
        frequency,
        cover_fees,
    ):
        raise InvalidDonation("This form was already sent for another gift; reload the page.")
    deadline = time.monotonic() + settings.STRIPE_TIMEOUT
    while not donation.checkout_url and donation.status != DonationStatus.FAILED:
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)  # the first request is still asking Stripe for the session
        donation.refresh_from_db()
    if not donation.checkout_url:
        raise InvalidDonation("This form was already sent; reload the page and try again.")
    return donation


def donation_stop_monthly(*, donation: Donation) -> Donation:
    """Cancel a monthly gift at Stripe (idempotent) and record it."""
    if donation.frequency != Frequency.MONTHLY or not donation.subscription_id:
        raise InvalidDonation("This is not an active monthly gift.")
    if donation.status != DonationStatus.CANCELLED:
        stripe_gateway.cancel_subscription(
            donation.subscription_id, idempotency_key=f"cancel:{donation.public_id}"
        )
    with transaction.atomic():
        updated = (
            Donation.objects.filter(pk=donation.pk)
            .exclude(status=DonationStatus.CANCELLED)
            .update(status=DonationStatus.CANCELLED)
        )
        if updated:
            audit_record(
                actor=None,
                action="donation.monthly_stopped_by_donor",
                object_type="donation",
                object_id=str(donation.public_id),
                details={},
            )
    donation.refresh_from_db()
    return donation


def donation_portal_url(*, donation: Donation, return_url: str) -> str:
    """A fresh link into Stripe's customer portal for the donor of a running monthly gift,
    where they update its card (a renewal that failed is then tried again) or stop it."""
    running = donation.status not in (DonationStatus.CANCELLED, DonationStatus.CREATED)
    if donation.frequency != Frequency.MONTHLY or not donation.customer_id or not running:
        raise InvalidDonation("This is not an active monthly gift.")
    session = stripe_gateway.create_portal_session(
        customer_id=donation.customer_id,
        return_url=return_url,
        locale=donation.language if donation.language in ("en", "es") else "auto",
    )
    return session["url"]

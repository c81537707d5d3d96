"""Every write on the donations side: starting a checkout, accepting webhook events and
processing them into donations, charges and the books.

Stripe delivers events at least once, in any order, for days. So processing never trusts
an event's snapshot where order matters: each handler re-reads the object from Stripe, then
records what is true now. Money reaches the books only from balance transactions
(``donations.posting``), under keys derived from their ids, so a duplicate, a retry or a
reconciliation run can never post the same money twice.

Reads from Stripe happen outside database transactions; each write is atomic.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import math
import time
import uuid
from collections.abc import Callable

import psycopg
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from donations import stripe_gateway
from donations.database import on_a_live_connection
from donations.donor_privacy import erase_in_batches, error_text, event_payload_to_store
from donations.exceptions import (
    DonationsPaused,
    InvalidDonation,
    RateLimited,
    StripeGatewayError,
    StripeObjectMissing,
    UnprocessableEvent,
    WebhookRejected,
)
from donations.models import (
    Donation,
    DonationStatus,
    DonationSwitch,
    EventStatus,
    Frequency,
    StripeCharge,
    StripeEvent,
)
from donations.posting import entry_for, post_balance_transaction, post_entries
from ledger.books.posting import audit_record
from ledger.staff.roles import Capability, require

logger = logging.getLogger(__name__)

MAX_WEBHOOK_BYTES = 1024 * 1024


# The donation page -------------------------------------------------------------------------


def fee_covering_amount(gift: int) -> int:
    """The charge that leaves ``gift`` after Stripe's fee: (gift + fixed) / (1 - percent)."""
    percent = settings.STRIPE_FEE_PERCENT / 100
    return math.ceil((gift + settings.STRIPE_FEE_FIXED) / (1 - percent))


def donations_pause_state() -> tuple[bool, str, str]:
    """(paused, message, redirect URL): from settings, or from the staff switch."""
    if settings.DONATIONS_PAUSED:
        return True, settings.DONATIONS_PAUSED_MESSAGE, settings.DONATIONS_REDIRECT_URL
    switch = DonationSwitch.objects.filter(id=1).first()
    if switch and switch.paused:
        return True, switch.message, switch.redirect_url
    return False, "", ""


def _rate_limit(*, client_key: str, session_key: str) -> None:
    """Fixed-window counters per client address and per browser session."""
    window = settings.CHECKOUT_RATE_LIMIT_WINDOW
    bucket = int(timezone.now().timestamp()) // window
    for scope, key, limit in (
        ("ip", client_key, settings.CHECKOUT_RATE_LIMIT_PER_IP),
        ("session", session_key, settings.CHECKOUT_RATE_LIMIT_PER_SESSION),
    ):
        if not key:
            continue
        cache_key = f"checkout-rate:{scope}:{key}:{bucket}"
        cache.add(cache_key, 0, timeout=window)
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.set(cache_key, 1, timeout=window)
            count = 1
        if count > limit:
            raise RateLimited(
                "Too many donation attempts from here. Please wait a few minutes and try again."
            )


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
    show_on_wall: bool = False,
) -> Donation:
    """Create our donation row and its Stripe Checkout Session; returns the donation.

    The session is created with an idempotency key stored on the row, so a retried
    request cannot create a second session (and a second charge) for the same donation.
    Stripe metadata carries only our opaque donation id.
    """
    paused, _, _ = donations_pause_state()
    if paused:
        raise DonationsPaused("Donations are paused.")
    if frequency not in Frequency.values:
        raise InvalidDonation("Choose one time or monthly.")
    if not settings.DONATION_MIN_AMOUNT <= gift_amount <= settings.DONATION_MAX_AMOUNT:
        raise InvalidDonation("The amount is outside the fund's limits.")
    _rate_limit(client_key=client_key, session_key=session_key)

    amount = fee_covering_amount(gift_amount) if cover_fees else gift_amount
    public_id = uuid.uuid4()
    donation = Donation.objects.create(
        public_id=public_id,
        frequency=frequency,
        currency=settings.FUND_CURRENCY,
        gift_amount=gift_amount,
        cover_fees=cover_fees,
        amount=amount,
        anonymous=anonymous,
        display_name="" if anonymous else display_name,
        message=message,
        show_amount=show_amount and not anonymous,
        # The wall shows a name or a message, and never an anonymous donor.
        show_on_wall=show_on_wall and not anonymous and bool(display_name or message),
        email=email,
        checkout_idempotency_key=f"checkout:{public_id}",
    )
    thanks = base_url + reverse("donations:thanks", args=[public_id])
    price_data: dict = {
        "currency": settings.FUND_CURRENCY,
        "unit_amount": amount,
        "product_data": {"name": f"Gift to {settings.FUND_NAME}"},
    }
    metadata = {"donation_id": str(public_id)}
    params: dict = {
        "mode": "payment" if frequency == Frequency.ONCE else "subscription",
        "line_items": [{"price_data": price_data, "quantity": 1}],
        "success_url": thanks + "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": base_url + reverse("donations:donate"),
        "client_reference_id": str(public_id),
        "metadata": metadata,
    }
    if frequency == Frequency.ONCE:
        params["submit_type"] = "donate"
        params["payment_intent_data"] = {"metadata": metadata}
    else:
        price_data["recurring"] = {"interval": "month"}
        params["subscription_data"] = {"metadata": metadata}
    if email:
        params["customer_email"] = email
    try:
        session = stripe_gateway.create_checkout_session(
            params=params, idempotency_key=donation.checkout_idempotency_key
        )
    except StripeGatewayError:
        Donation.objects.filter(pk=donation.pk).update(status=DonationStatus.FAILED)
        raise
    Donation.objects.filter(pk=donation.pk).update(
        checkout_session_id=session["id"],
        checkout_url=session["url"],
        status=DonationStatus.PENDING,
    )
    donation.refresh_from_db()
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


# Webhook intake ----------------------------------------------------------------------------


def stripe_event_record(*, payload: bytes, signature: str | None) -> tuple[StripeEvent, bool]:
    """Verify and store an event once. Returns (event, created); a new event makes sure a
    drain is scheduled after commit."""
    if len(payload) > MAX_WEBHOOK_BYTES:
        raise WebhookRejected("body too large")
    data = stripe_gateway.verify_webhook(payload, signature)
    event, created = stripe_event_store(data, raw=payload)
    if created:
        # Outside a transaction this runs at once, the row being committed already.
        transaction.on_commit(schedule_drain)
    return event, created


# Stored events are the queue. A webhook does not publish a task per event: it makes sure
# a drain is scheduled. The drain deletes the flag before it claims anything, so an event
# stored after a drain's last claim always schedules another one.
DRAIN_FLAG = "stripe-events:drain-scheduled"
DRAIN_BATCH = 100


@functools.lru_cache(maxsize=1)
def _flag_client(location: str):
    import redis

    return redis.Redis.from_url(location, socket_timeout=2, socket_connect_timeout=2)


def _drain_flag(op: str) -> bool:
    """Set (``add``) or clear (``delete``) the drain flag in the default cache.

    Every webhook sets it, and Django's Redis cache builds a new client object for each
    operation (a fifth of a webhook's CPU), so with Redis one long-lived client per process
    does it, on the key the cache itself would use."""
    config = settings.CACHES["default"]
    if config["BACKEND"] != "django.core.cache.backends.redis.RedisCache":
        return cache.add(DRAIN_FLAG, 1, timeout=30) if op == "add" else cache.delete(DRAIN_FLAG)
    location = config["LOCATION"]
    client = _flag_client(location[0] if isinstance(location, list | tuple) else location)
    key = cache.make_key(DRAIN_FLAG)
    if op == "add":
        return bool(client.set(key, 1, nx=True, ex=30))
    return bool(client.delete(key))


# In a surge every webhook would set the flag, one Redis round trip each. A process that
# made sure of a drain at time t skips that for the events it stores within _GRACE seconds
# after t: a drain that starts after t ends only after a claim made _GRACE seconds after its
# last busy one, so it sees every event committed before t + _GRACE. With tasks run
# in-process (development, tests) the drain runs inside the webhook: no skipping, no wait.
_GRACE = 0.2
_drain_assured_at = -math.inf


def _grace() -> float:
    return 0.0 if settings.CELERY_TASK_ALWAYS_EAGER else _GRACE


def schedule_drain() -> None:
    """Make sure a drain will run. The event is already stored: if the cache or the broker
    is down for a moment, the drain that beat runs every minute picks it up instead, so
    the webhook still answers 200."""
    global _drain_assured_at
    from donations.tasks import drain_stripe_events

    now = time.monotonic()
    if now - _drain_assured_at < _grace():
        return
    try:
        # Set or already set, the flag means a drain will start after now.
        if _drain_flag("add"):
            drain_stripe_events.delay()
        _drain_assured_at = now
    except Exception as error:  # noqa: BLE001 - the stored event is not lost
        logger.warning("could not schedule a drain now: %s", type(error).__name__)


def stripe_events_claim(*, limit: int = DRAIN_BATCH) -> list[int]:
    """Claim received events, oldest first; concurrent drains claim disjoint batches. A
    claim older than STRIPE_EVENT_CLAIM_TIMEOUT seconds is taken again: its worker died
    (processing is idempotent, so a slow worker still at it costs time, never money)."""
    stale = timezone.now() - dt.timedelta(seconds=settings.STRIPE_EVENT_CLAIM_TIMEOUT)
    with transaction.atomic():
        pks = list(
            StripeEvent.objects.select_for_update(skip_locked=True)
            .filter(
                Q(status=EventStatus.RECEIVED)
                | Q(status=EventStatus.PROCESSING, claimed_at__lt=stale)
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        if pks:
            StripeEvent.objects.filter(pk__in=pks).update(
                status=EventStatus.PROCESSING, claimed_at=timezone.now()
            )
    return pks


def stripe_events_drain() -> int:
    """Process every received event; returns how many were taken. A retryable failure is
    handed to its own task with exponential backoff."""
    _drain_flag("delete")
    taken = 0
    while True:
        pks = stripe_events_claim()
        if not pks and _grace():
            time.sleep(_grace() + 0.05)  # events whose webhooks counted on this drain
            pks = stripe_events_claim()
        if not pks:
            return taken
        taken += len(pks)
        _process_claimed(pks)


def _process_claimed(pks: list[int]) -> None:
    """Charge events, the bulk of a surge, are processed together (``_record_charges``);
    the rest, and any charge event of a batch that fails, one by one."""
    from donations.tasks import RETRYABLE, process_stripe_event

    events = list(
        StripeEvent.objects.filter(pk__in=pks).only("pk", "type", "payload").order_by("pk")
    )
    batched = [e for e in events if HANDLERS.get(e.type) is _handle_charge]
    one_by_one = [e.pk for e in events if HANDLERS.get(e.type) is not _handle_charge]
    if batched:
        try:
            _process_charge_events(batched)
        except Exception:  # noqa: BLE001 - each event then succeeds or fails on its own
            logger.warning("a batch of %s charge events fell back to one by one", len(batched))
            one_by_one = sorted(one_by_one + [e.pk for e in batched])
    for pk in one_by_one:
        try:
            stripe_event_process(event_pk=pk)
        except RETRYABLE:
            process_stripe_event.apply_async((pk,), countdown=2)
        except Exception:  # noqa: S110 - recorded on the event, listed for staff
            pass


def _process_charge_events(events: list[StripeEvent]) -> None:
    pks = [e.pk for e in events]
    StripeEvent.objects.filter(pk__in=pks).update(attempts=F("attempts") + 1)
    charges = [
        stripe_gateway.retrieve_charge(e.payload.get("data", {}).get("object", {})["id"])
        for e in events
    ]
    _record_charges(charges)
    StripeEvent.objects.filter(pk__in=pks).update(
        status=EventStatus.PROCESSED, processed_at=timezone.now(), last_error=""
    )


_INSERT_EVENT = """
INSERT INTO donations_stripeevent
    (event_id, type, api_version, livemode, stripe_created, received_at, payload,
     status, attempts, last_error)
VALUES (%s, %s, %s, %s, %s, %s, {payload}, %s, 0, '')
ON CONFLICT (event_id) DO NOTHING
RETURNING id
"""


def stripe_event_store(data: dict, *, raw: bytes | None = None) -> tuple[StripeEvent, bool]:
    """Store an event (verified, or read from Stripe's API) once by its id. ``raw`` is the
    JSON text it was parsed from, stored as it came unless ``donor_privacy`` strips it.

    One statement, in autocommit when the caller holds no transaction: an insert that does
    nothing when the id is already stored, so a duplicate costs no error and no rollback.
    """
    created_at = dt.datetime.fromtimestamp(int(data.get("created") or 0), tz=dt.UTC)
    payload = event_payload_to_store(data, raw)
    cast = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    params = [
        data["id"],
        str(data.get("type", ""))[:100],
        str(data.get("api_version") or "")[:40],
        bool(data.get("livemode")),
        created_at,
        timezone.now(),
        payload,
        EventStatus.RECEIVED,
    ]
    if connection.vendor == "postgresql":
        # Server-side binding, prepared once per connection: the payload (a kilobyte or
        # more) is sent as a parameter instead of being quoted into the statement text.
        # A connection the database dropped is replaced and the insert sent again (it
        # stores nothing twice), instead of answering Stripe with an error.
        def insert() -> tuple | None:
            connection.ensure_connection()
            with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cur:
                cur.execute(_INSERT_EVENT.format(payload=cast), params, prepare=True)
                return cur.fetchone()

        row = on_a_live_connection(insert)
    else:
        with connection.cursor() as cursor:
            cursor.execute(_INSERT_EVENT.format(payload=cast), params)
            row = cursor.fetchone()
    if row is None:
        return StripeEvent.objects.get(event_id=data["id"]), False
    event = StripeEvent(
        pk=row[0],
        event_id=data["id"],
        type=params[1],
        status=EventStatus.RECEIVED,
    )
    return event, True


# Event processing --------------------------------------------------------------------------


def stripe_event_process(*, event_pk: int) -> str:
    """Process one stored event; returns its final status. Raises on a retryable failure
    after recording it on the event."""
    # Counting the attempt first means a worker that dies mid-way still leaves a trace.
    # Two workers may process the same event at once (a duplicate task): every write
    # below is idempotent, so that costs time, never money.
    started = (
        StripeEvent.objects.filter(pk=event_pk)
        .exclude(status__in=(EventStatus.PROCESSED, EventStatus.IGNORED))
        .update(attempts=F("attempts") + 1)
    )
    event = StripeEvent.objects.only("event_id", "type", "payload", "status").get(pk=event_pk)
    if not started:
        return event.status
    handler = HANDLERS.get(event.type)
    if handler is None:
        StripeEvent.objects.filter(pk=event_pk).update(
            status=EventStatus.IGNORED, processed_at=timezone.now(), last_error=""
        )
        return EventStatus.IGNORED
    try:
        handler(event.payload.get("data", {}).get("object", {}))
    except Exception as error:
        StripeEvent.objects.filter(pk=event_pk).update(
            status=EventStatus.FAILED, last_error=error_text(error)
        )
        logger.warning(
            "stripe event %s (%s) failed: %s", event.event_id, event.type, type(error).__name__
        )
        raise
    StripeEvent.objects.filter(pk=event_pk).update(
        status=EventStatus.PROCESSED, processed_at=timezone.now(), last_error=""
    )
    return EventStatus.PROCESSED


def stripe_event_retry(*, event: StripeEvent, actor) -> None:
    """Staff asks for a failed event to be processed again: it rejoins the queue."""
    require(actor, Capability.RECONCILE)
    with transaction.atomic():
        StripeEvent.objects.filter(pk=event.pk).update(status=EventStatus.RECEIVED)
        audit_record(
            actor=actor,
            action="stripe_event.retry",
            object_type="stripe_event",
            object_id=event.event_id,
            details={"type": event.type},
        )
        transaction.on_commit(schedule_drain)


def _donation_for(metadata: dict | None) -> Donation | None:
    donation_id = (metadata or {}).get("donation_id")
    if not donation_id:
        return None
    try:
        return Donation.objects.filter(public_id=uuid.UUID(str(donation_id))).first()
    except ValueError:
        return None


def _charge_defaults(charge: dict) -> dict:
    return {
        "amount": charge["amount"],
        "currency": charge["currency"],
        "charged_at": dt.datetime.fromtimestamp(charge["created"], tz=dt.UTC),
        "payment_intent_id": stripe_gateway.object_id(charge.get("payment_intent")),
    }


def _apply_charge(
    record: StripeCharge, charge: dict, bt: dict | None, donation: Donation | None, invoice_id: str
) -> None:
    """Bring a locked charge row up to what Stripe says now; queue the receipt after commit.
    The caller holds the row lock and posts the balance transaction."""
    changed = []
    if donation is not None and record.donation_id is None:
        record.donation = donation
        changed.append("donation")
    if invoice_id and not record.invoice_id:
        record.invoice_id = invoice_id
        changed.append("invoice_id")
    if bt and record.balance_transaction_id != bt["id"]:
        record.balance_transaction_id, record.fee = bt["id"], bt["fee"]
        changed += ["balance_transaction_id", "fee"]
    if record.amount_refunded != charge.get("amount_refunded", 0):
        record.amount_refunded = charge.get("amount_refunded", 0)
        changed.append("amount_refunded")
    if charge.get("disputed") and not record.disputed:
        record.disputed = True
        changed.append("disputed")
    if changed:
        record.save(update_fields=changed)
    if record.donation_id and record.receipt_sent_at is None:
        Donation.objects.filter(pk=record.donation_id).exclude(
            status=DonationStatus.CANCELLED
        ).update(status=DonationStatus.SUCCEEDED)
        from donations.tasks import send_receipt

        transaction.on_commit(lambda pk=record.pk: send_receipt.delay(pk))


def _balance_transaction_of(charge: dict) -> dict | None:
    bt = charge.get("balance_transaction")
    if bt and not isinstance(bt, dict):
        bt = stripe_gateway.retrieve_balance_transaction(bt)
    return bt or None


def _record_charge(
    charge: dict, *, donation: Donation | None = None, invoice_id: str = ""
) -> StripeCharge | None:
    """Record a succeeded charge, link it to its donation, post its balance transaction,
    and send the receipt after commit. Idempotent."""
    if charge.get("status") != "succeeded":
        return None
    bt = _balance_transaction_of(charge)
    donation = donation or _donation_for(charge.get("metadata"))
    with transaction.atomic():
        record, _ = StripeCharge.objects.select_for_update().get_or_create(
            charge_id=charge["id"], defaults=_charge_defaults(charge)
        )
        _apply_charge(record, charge, bt, donation, invoice_id)
        if bt:
            # Last, so the ledger's chain lock is held only from here to the commit.
            post_balance_transaction(bt)
    return record


def _record_charges(charges: list[dict]) -> None:
    """Record many succeeded charges (each re-read from Stripe) in one database transaction
    and post their balance transactions through the books' batch path: what the drain does
    with a claimed batch of charge events. Same effect as ``_record_charge`` on each."""
    charges = [c for c in {c["id"]: c for c in charges}.values() if c.get("status") == "succeeded"]
    if not charges:
        return
    bts = {c["id"]: _balance_transaction_of(c) for c in charges}
    wanted = {c["id"]: str((c.get("metadata") or {}).get("donation_id") or "") for c in charges}
    donation_ids = set()
    for value in wanted.values():
        try:
            donation_ids.add(uuid.UUID(value))
        except ValueError:
            continue
    donations = {str(d.public_id): d for d in Donation.objects.filter(public_id__in=donation_ids)}
    with transaction.atomic():
        StripeCharge.objects.bulk_create(
            [StripeCharge(charge_id=c["id"], **_charge_defaults(c)) for c in charges],
            ignore_conflicts=True,
        )
        records = {
            r.charge_id: r
            for r in StripeCharge.objects.select_for_update()
            .filter(charge_id__in=[c["id"] for c in charges])
            .order_by("charge_id")
        }
        for charge in charges:
            donation = donations.get(wanted[charge["id"]]) if wanted[charge["id"]] else None
            _apply_charge(records[charge["id"]], charge, bts[charge["id"]], donation, "")
        entries = [e for e in (entry_for(bt) for bt in bts.values() if bt) if e is not None]
        post_entries(entries)


def _handle_charge(obj: dict) -> None:
    _record_charge(stripe_gateway.retrieve_charge(obj["id"]))


def _charge_of_payment_intent(payment_intent_id: str) -> dict | None:
    intent = stripe_gateway.retrieve_payment_intent(payment_intent_id)
    charge = intent.get("latest_charge")
    if charge and not isinstance(charge, dict):
        charge = stripe_gateway.retrieve_charge(charge)
    return charge or None


def _record_invoice(invoice_id: str, donation: Donation | None) -> None:
    invoice = stripe_gateway.retrieve_invoice(invoice_id)
    subscription = ((invoice.get("parent") or {}).get("subscription_details") or {}).get(
        "subscription"
    )
    if donation is None and subscription:
        donation = Donation.objects.filter(
            subscription_id=stripe_gateway.object_id(subscription)
        ).first()
    if donation is None:
        details = (invoice.get("parent") or {}).get("subscription_details") or {}
        donation = _donation_for(details.get("metadata"))
    if invoice.get("status") != "paid":
        return
    for payment in (invoice.get("payments") or {}).get("data", []):
        inner = payment.get("payment") or {}
        if inner.get("charge"):
            charge = stripe_gateway.retrieve_charge(stripe_gateway.object_id(inner["charge"]))
        elif inner.get("payment_intent"):
            charge = _charge_of_payment_intent(stripe_gateway.object_id(inner["payment_intent"]))
        else:
            continue
        if charge:
            _record_charge(charge, donation=donation, invoice_id=invoice["id"])


def _handle_checkout_session(obj: dict) -> None:
    session = stripe_gateway.retrieve_checkout_session(obj["id"])
    donation = _donation_for(session.get("metadata"))
    if donation is None:
        return  # a session we did not create (a payment link): its charge is still posted
    details = session.get("customer_details") or {}
    with transaction.atomic():
        donation = Donation.objects.select_for_update().get(pk=donation.pk)
        fields = {
            "checkout_session_id": session["id"],
            "customer_id": stripe_gateway.object_id(session.get("customer")),
            "subscription_id": stripe_gateway.object_id(session.get("subscription")),
        }
        if details.get("email") and not donation.email:
            fields["email"] = details["email"]
        if details.get("name") and not donation.anonymous:
            fields["donor_name"] = details["name"][:120]
        status = session.get("status")
        if status == "expired" and donation.status in (
            DonationStatus.CREATED,
            DonationStatus.PENDING,
        ):
            fields["status"] = DonationStatus.EXPIRED
        elif session.get("payment_status") == "unpaid" and status == "complete":
            intent = session.get("payment_intent")
            if intent and _intent_failed(stripe_gateway.object_id(intent)):
                fields["status"] = DonationStatus.FAILED
        for name, value in fields.items():
            setattr(donation, name, value)
        donation.save(update_fields=[*fields, "updated_at"])
    if session.get("payment_status") != "paid":
        return
    if session.get("mode") == "subscription" and session.get("invoice"):
        _record_invoice(stripe_gateway.object_id(session["invoice"]), donation)
    elif session.get("payment_intent"):
        charge = _charge_of_payment_intent(stripe_gateway.object_id(session["payment_intent"]))
        if charge is None:
            raise UnprocessableEvent("paid session without a charge yet")
        _record_charge(charge, donation=donation)


def _intent_failed(payment_intent_id: str) -> bool:
    intent = stripe_gateway.retrieve_payment_intent(payment_intent_id)
    return intent.get("status") in ("requires_payment_method", "canceled")


def _handle_invoice(obj: dict) -> None:
    _record_invoice(obj["id"], None)


def _handle_subscription(obj: dict) -> None:
    try:
        subscription = stripe_gateway.retrieve_subscription(obj["id"])
    except StripeObjectMissing:
        subscription = obj
    donation = Donation.objects.filter(subscription_id=subscription["id"]).first() or (
        _donation_for(subscription.get("metadata"))
    )
    if donation is None:
        return
    if subscription.get("status") in ("canceled", "incomplete_expired"):
        Donation.objects.filter(pk=donation.pk).update(
            status=DonationStatus.CANCELLED, subscription_id=subscription["id"]
        )
    elif not donation.subscription_id:
        Donation.objects.filter(pk=donation.pk).update(subscription_id=subscription["id"])


def _handle_refund(obj: dict) -> None:
    refund = stripe_gateway.retrieve_refund(obj["id"])
    for field in ("balance_transaction", "failure_balance_transaction"):
        bt = refund.get(field)
        if bt:
            post_balance_transaction(
                bt if isinstance(bt, dict) else stripe_gateway.retrieve_balance_transaction(bt)
            )
    if refund.get("charge"):
        charge = stripe_gateway.retrieve_charge(stripe_gateway.object_id(refund["charge"]))
        StripeCharge.objects.filter(charge_id=charge["id"]).update(
            amount_refunded=charge.get("amount_refunded", 0)
        )


def _handle_dispute(obj: dict) -> None:
    dispute = stripe_gateway.retrieve_dispute(obj["id"])
    for bt in dispute.get("balance_transactions") or []:
        post_balance_transaction(
            bt if isinstance(bt, dict) else stripe_gateway.retrieve_balance_transaction(bt)
        )
    StripeCharge.objects.filter(charge_id=stripe_gateway.object_id(dispute.get("charge"))).update(
        disputed=True
    )


def _handle_payout(obj: dict) -> None:
    """A payout leaves Stripe's balance when it is created (so does its balance
    transaction): it is booked to the bank then, and reversed if it fails."""
    payout = stripe_gateway.retrieve_payout(obj["id"])
    fields = ["balance_transaction"]
    if payout.get("status") == "failed":
        fields.append("failure_balance_transaction")
    for field in fields:
        bt = payout.get(field)
        if bt:
            post_balance_transaction(
                bt if isinstance(bt, dict) else stripe_gateway.retrieve_balance_transaction(bt)
            )


def _handle_payment_failed(obj: dict) -> None:
    """A payment attempt failed: nothing moved; the donation stays open at Checkout."""


HANDLERS: dict[str, Callable[[dict], None]] = {
    "checkout.session.completed": _handle_checkout_session,
    "checkout.session.async_payment_succeeded": _handle_checkout_session,
    "checkout.session.async_payment_failed": _handle_checkout_session,
    "checkout.session.expired": _handle_checkout_session,
    "charge.succeeded": _handle_charge,
    "charge.updated": _handle_charge,
    "charge.captured": _handle_charge,
    "invoice.paid": _handle_invoice,
    "invoice.payment_succeeded": _handle_invoice,
    "invoice.payment_failed": _handle_payment_failed,
    "customer.subscription.created": _handle_subscription,
    "customer.subscription.updated": _handle_subscription,
    "customer.subscription.deleted": _handle_subscription,
    "refund.created": _handle_refund,
    "refund.updated": _handle_refund,
    "refund.failed": _handle_refund,
    "charge.dispute.created": _handle_dispute,
    "charge.dispute.funds_withdrawn": _handle_dispute,
    "charge.dispute.funds_reinstated": _handle_dispute,
    "charge.dispute.closed": _handle_dispute,
    "payout.created": _handle_payout,
    "payout.updated": _handle_payout,
    "payout.paid": _handle_payout,
    "payout.failed": _handle_payout,
}


def donor_data_erase(*, now: dt.datetime | None = None) -> int:
    """Erase the email address and name of donors whose gift is over: no charge for
    DONOR_DATA_RETENTION_DAYS (a one-time gift, a monthly gift stopped, a checkout never
    paid), long enough for the receipt and the year-end statement of the gift's year.
    A monthly gift still running keeps them: each month's receipt needs them. What
    remains is the gift itself (amount, dates, Stripe ids), which the books and
    reconciliation need, and what the donor chose to show on the public wall. Returns how
    many donations were erased; the audit log records the count, never who."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.DONOR_DATA_RETENTION_DAYS)
    running = Q(frequency=Frequency.MONTHLY, status=DonationStatus.SUCCEEDED)
    candidates = (
        Donation.objects.filter(donor_data_erased_at__isnull=True, created_at__lt=cutoff)
        .exclude(running)
        .exclude(charges__charged_at__gte=cutoff)
    )
    return erase_in_batches(
        candidates,
        {"email": "", "donor_name": "", "donor_data_erased_at": now},
        action="donations.donor_data_erased",
        details={"no_charge_since": cutoff.date().isoformat()},
    )


def stripe_events_trim(*, now: dt.datetime | None = None) -> int:
    """Erase the stored copy of events processed (or ignored) more than
    STRIPE_EVENT_RETENTION_DAYS ago: a Stripe event carries the donor's name, email and
    billing address, and once processed only its id, type and outcome matter (Stripe
    keeps the objects; reconciliation reads them from Stripe). Returns how many."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.STRIPE_EVENT_RETENTION_DAYS)
    done = (EventStatus.PROCESSED, EventStatus.IGNORED)
    trimmed = 0
    while True:
        pks = list(
            StripeEvent.objects.filter(status__in=done, processed_at__lt=cutoff)
            .exclude(payload={"trimmed": True})
            .values_list("pk", flat=True)[:1000]
        )
        if not pks:
            return trimmed
        trimmed += StripeEvent.objects.filter(pk__in=pks).update(payload={"trimmed": True})

"""Money in: donations, the Stripe charges that pay them, and the Stripe events we received.

The books (``ledger``) are the record of money; these tables are the record of *donors'
intentions and Stripe's facts* that lead to it:

* :class:`Donation` is what a donor asked for on our page: an amount, once or monthly,
  whether to cover the fees, whether to stay anonymous. Its public id is opaque; it is the
  only donation identifier that reaches Stripe (in metadata) or a URL.
* :class:`StripeCharge` is one successful charge at Stripe (a one-time gift, or one month of
  a monthly gift, or a payment that did not come through our page at all). It carries the
  receipt state. The money itself is posted to the books from the charge's balance
  transaction, under the idempotency key ``stripe:<balance transaction id>``.
* :class:`StripeEvent` is every webhook event we accepted, stored once by its Stripe id,
  with its processing state so staff can see and retry failures.

Personal data kept here is the minimum receipts need: the donor's email (and name, unless
they chose to give anonymously). It never goes to logs, memos, metadata or public pages.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Frequency(models.TextChoices):
    ONCE = "once", _("One time")
    MONTHLY = "monthly", _("Monthly")


# Status words are shown on staff pages. Their context tells apart the same English word
# said of a gift, an event or a run: Spanish gives each its own gender.
class DonationStatus(models.TextChoices):
    # our row exists; Stripe Checkout not reached yet
    CREATED = "created", pgettext_lazy("donation status", "Created")
    # at Stripe, or paid by a method that settles later
    PENDING = "pending", pgettext_lazy("donation status", "Pending")
    SUCCEEDED = "succeeded", pgettext_lazy("donation status", "Succeeded")
    FAILED = "failed", pgettext_lazy("donation status", "Failed")
    EXPIRED = "expired", pgettext_lazy("donation status", "Expired")
    # a monthly gift the donor stopped
    CANCELLED = "cancelled", pgettext_lazy("donation status", "Cancelled")
    # a monthly gift whose last renewal did not go through
    PAST_DUE = "past_due", pgettext_lazy("donation status", "Past due")
    # a one-time gift given back in full
    REFUNDED = "refunded", pgettext_lazy("donation status", "Refunded")
    # a one-time gift whose card payment is disputed
    DISPUTED = "disputed", pgettext_lazy("donation status", "Disputed")


class Donation(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    frequency = models.CharField(max_length=8, choices=Frequency.choices)
    status = models.CharField(
        max_length=12, choices=DonationStatus.choices, default=DonationStatus.CREATED
    )
    currency = models.CharField(max_length=3)
    gift_amount = models.BigIntegerField(help_text="What the donor chose to give, minor units.")
    cover_fees = models.BooleanField(default=False)
    amount = models.BigIntegerField(help_text="What is charged each time, minor units.")
    anonymous = models.BooleanField(default=False)
    # The public donor wall is opt-in: a name and message appear only when the donor asked
    # for it and a person at the fund approved the entry; the amount only if they chose.
    show_on_wall = models.BooleanField(default=False)
    display_name = models.CharField(max_length=60, blank=True)
    message = models.CharField(max_length=280, blank=True)
    show_amount = models.BooleanField(default=False)
    wall_approved_at = models.DateTimeField(null=True, blank=True)
    # For receipts only; an anonymous donor's name is never stored. Both are erased
    # DONOR_DATA_RETENTION_DAYS after the gift's last charge (``donations.retention.erasure``).
    email = models.EmailField(blank=True)
    language = models.CharField(
        max_length=8, default="en", help_text="The page's language: receipts are sent in it."
    )
    donor_name = models.CharField(max_length=120, blank=True)
    donor_data_erased_at = models.DateTimeField(null=True, blank=True)
    checkout_idempotency_key = models.CharField(max_length=80, unique=True)
    checkout_session_id = models.CharField(max_length=255, blank=True, db_index=True)
    checkout_url = models.URLField(max_length=2000, blank=True)
    subscription_id = models.CharField(max_length=255, blank=True, db_index=True)
    customer_id = models.CharField(max_length=255, blank=True)
    renewal_notice_invoice_id = models.CharField(
        max_length=255, blank=True, help_text="The failed renewal the donor was last told of."
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0, gift_amount__gt=0),
                name="donation_amounts_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=models.F("gift_amount")),
                name="donation_amount_covers_gift",
            ),
        ]

    def __str__(self) -> str:
        return f"donation {self.public_id}"


class StripeCharge(models.Model):
    charge_id = models.CharField(max_length=255, unique=True)
    donation = models.ForeignKey(
        Donation, null=True, blank=True, on_delete=models.PROTECT, related_name="charges"
    )
    payment_intent_id = models.CharField(max_length=255, blank=True)
    invoice_id = models.CharField(max_length=255, blank=True)
    balance_transaction_id = models.CharField(max_length=255, blank=True)
    amount = models.BigIntegerField()
    fee = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3)
    charged_at = models.DateTimeField()
    amount_refunded = models.BigIntegerField(default=0)
    disputed = models.BooleanField(default=False)
    receipt_sent_at = models.DateTimeField(null=True, blank=True)
    refund_notified = models.BigIntegerField(
        default=0, help_text="How much of the refunds the donor has been told about."
    )

    class Meta:
        ordering = ["-charged_at"]

    def __str__(self) -> str:
        return self.charge_id


class EventStatus(models.TextChoices):
    RECEIVED = "received", pgettext_lazy("Stripe event status", "Received")
    # claimed by a worker
    PROCESSING = "processing", pgettext_lazy("Stripe event status", "Processing")
    PROCESSED = "processed", pgettext_lazy("Stripe event status", "Processed")
    IGNORED = "ignored", pgettext_lazy("Stripe event status", "Ignored")
    FAILED = "failed", pgettext_lazy("Stripe event status", "Failed")


class StripeEvent(models.Model):
    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    api_version = models.CharField(max_length=40, blank=True)
    livemode = models.BooleanField(default=False)
    stripe_created = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=EventStatus.choices, default=EventStatus.RECEIVED
    )
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["status", "received_at"], name="stripe_event_status_idx"),
            models.Index(fields=["type", "received_at"], name="stripe_event_type_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class StripeProduct(models.Model):
    """The one Product at Stripe every gift's price names, per name and statement
    descriptor, created once (instead of a new Product for every Checkout Session)."""

    key = models.CharField(max_length=64, unique=True)
    product_id = models.CharField(max_length=255)

    def __str__(self) -> str:
        return self.product_id


class DonationSwitch(models.Model):
    """Staff-editable pause switch (settings can also pause donations)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    paused = models.BooleanField(default=False)
    message = models.TextField(blank=True)
    redirect_url = models.URLField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="donation_switch_singleton")
        ]

    def __str__(self) -> str:
        return "paused" if self.paused else "open"


class RunStatus(models.TextChoices):
    RUNNING = "running", pgettext_lazy("reconciliation run status", "Running")
    SUCCEEDED = "succeeded", pgettext_lazy("reconciliation run status", "Succeeded")
    FAILED = "failed", pgettext_lazy("reconciliation run status", "Failed")
    SKIPPED = (
        "skipped",
        pgettext_lazy("reconciliation run status", "Skipped (another run was in progress)"),
    )
    INTERRUPTED = (
        "interrupted",
        pgettext_lazy("reconciliation run status", "Interrupted (resumed by a later run)"),
    )


class ReconciliationRun(models.Model):
    """One run of the reconciliation jobs: what was checked, posted and found wrong."""

    kind = models.CharField(max_length=20)
    trigger = models.CharField(max_length=20, default="beat")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=RunStatus.RUNNING)
    # The window of balance transactions this run walks (Unix times) and how far it got:
    # a run interrupted by a crash is resumed from here by the next one.
    window_start = models.BigIntegerField(null=True, blank=True)
    window_end = models.BigIntegerField(null=True, blank=True)
    cursor = models.CharField(max_length=255, blank=True)
    newest_created = models.BigIntegerField(null=True, blank=True)
    resumed_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked = models.PositiveIntegerField(default=0)
    posted = models.PositiveIntegerField(default=0)
    mismatched = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["status", "started_at"], name="recon_run_status_idx")]

    def __str__(self) -> str:
        return f"{self.kind} run {self.pk} ({self.status})"


class DiscrepancyStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("discrepancy status", "Open")
    RESOLVED = "resolved", pgettext_lazy("discrepancy status", "Resolved")


class Discrepancy(models.Model):
    """Something the books and Stripe disagree on, listed for staff until resolved."""

    kind = models.CharField(max_length=40)
    stripe_object = models.CharField(max_length=255, blank=True)
    expected = models.BigIntegerField(null=True, blank=True, help_text="What Stripe says.")
    found = models.BigIntegerField(null=True, blank=True, help_text="What the books say.")
    description = models.CharField(max_length=300)
    status = models.CharField(
        max_length=10, choices=DiscrepancyStatus.choices, default=DiscrepancyStatus.OPEN
    )
    first_seen_run = models.ForeignKey(
        ReconciliationRun,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="discrepancies",
        help_text="Empty when the posting of a balance transaction found it.",
    )
    last_seen_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolution_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-last_seen_at"]
        constraints = [
            # One open discrepancy per kind and object: later runs update it, not repeat it.
            models.UniqueConstraint(
                fields=["kind", "stripe_object"],
                condition=models.Q(status="open"),
                name="discrepancy_open_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.stripe_object}"


class ReconciliationState(models.Model):
    """The single row that holds the reconciliation lock and the sync watermark."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    lock_holder = models.CharField(max_length=64, blank=True)
    lock_expires_at = models.DateTimeField(null=True, blank=True)
    watermark = models.BigIntegerField(
        null=True, blank=True, help_text="Newest balance transaction time fully synced."
    )
    events_watermark = models.BigIntegerField(null=True, blank=True)
    feed_cursor = models.CharField(
        max_length=255,
        blank=True,
        help_text="Newest balance transaction the event drain has read from Stripe's list.",
    )
    feed_cursor_created = models.BigIntegerField(null=True, blank=True)
    feed_floor = models.CharField(
        max_length=255,
        blank=True,
        help_text="Oldest balance transaction the event drain has read from Stripe's list.",
    )
    feed_floor_created = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="reconciliation_state_singleton")
        ]

    def __str__(self) -> str:
        return f"watermark {self.watermark}"


class OfflineGiftMethod(models.TextChoices):
    CHECK = "check", pgettext_lazy("payment method", "Check")
    CASH = "cash", pgettext_lazy("payment method", "Cash")


class OfflineGift(models.Model):
    """A gift received outside Stripe, recorded by a bookkeeper and posted to the books
    (a check to ``assets:bank``, cash to ``assets:cash``). ``token`` makes recording
    idempotent: the form carries one per submission, so a double submit posts once."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    method = models.CharField(max_length=8, choices=OfflineGiftMethod.choices)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    received_on = models.DateField()
    reference = models.CharField(max_length=60, blank=True, help_text="Check number, receipt no.")
    # Optional, for the donor's year-end statement; erased like a card donor's
    # DONOR_DATA_RETENTION_DAYS after the gift (``donations.retention.erasure``).
    donor_name = models.CharField(max_length=120, blank=True)
    email = models.EmailField(blank=True)
    language = models.CharField(max_length=8, default="en")
    donor_data_erased_at = models.DateTimeField(null=True, blank=True)
    token = models.CharField(max_length=64, unique=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    transaction = models.ForeignKey(
        "ledger.JournalTransaction", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="offline_gift_amount_pos")
        ]

    def __str__(self) -> str:
        return f"offline gift {self.pk}"


# The bank statements and their matches with the books live beside their services.
from donations.bank.models import (  # noqa: E402, F401
    BankCsvMapping,
    BankMatch,
    BankStatement,
    BankStatementLine,
    DecimalStyle,
    MatchStatus,
    StatementFormat,
)

# The donors' year-end statement runs live beside their services.
from donations.statements.models import DonorStatementRun, DonorStatementSent  # noqa: E402, F401

"""The fund's books: a tamper-evident, append-only double-entry journal.

How the books work
------------------
* Money is an integer number of minor units (cents) of the fund's one currency.
* An :class:`Account` belongs to one of five types. Debits are positive amounts and credits
  negative, so every account's balance is simply the sum of its postings: asset and expense
  accounts normally carry positive balances, income, liability and net-asset accounts
  negative ones, and the sum over all accounts (the trial balance) is always zero.
* A :class:`JournalTransaction` records one economic fact (a donation settling, bail being
  paid) and owns two or more :class:`Posting` legs that sum to zero. Transactions are
  numbered by a gapless ``sequence`` and never change: a mistake is corrected by a
  reversing transaction, and each transaction can be reversed at most once.
* Every transaction carries an ``idempotency_key`` derived from the outside fact it records
  (``stripe:txn_…``, ``disbursement:42:paid``). Posting the same fact twice returns the
  first transaction, so webhooks, retries and reconciliation never double money.
* Each transaction's ``hash`` covers its content, its legs and the previous transaction's
  hash (see ``ledger.books.hashing`` and ``docs/ledger.md``). Rewriting any old row breaks every
  hash after it; :class:`Checkpoint` rows keep dated copies of the head so that a rewrite
  of history cannot be made to verify against heads that were already published.
* :class:`Account` ``balance`` and :class:`MonthlyTotal` rows are maintained in the same
  database transaction as each posting, so balances and public totals never scan the
  journal. ``manage.py verify_ledger`` recomputes all of them from the postings.

Only ``ledger.books.posting`` writes these rows. The database enforces what it can on its own:
unique keys, non-zero legs, and triggers (``ledger.books.db_triggers``) that refuse UPDATE and
DELETE of journal rows and, on PostgreSQL, reject an unbalanced transaction at commit.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ledger.user_fields import user_field


class AccountType(models.TextChoices):
    ASSET = "asset", pgettext_lazy("account type", "Asset")
    LIABILITY = "liability", pgettext_lazy("account type", "Liability")
    NET_ASSETS = "net_assets", pgettext_lazy("account type", "Net assets")
    INCOME = "income", pgettext_lazy("account type", "Income")
    EXPENSE = "expense", pgettext_lazy("account type", "Expense")


class Account(models.Model):
    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    type = models.CharField(max_length=16, choices=AccountType.choices)
    currency = models.CharField(max_length=3)
    is_open = models.BooleanField(default=True)
    description = models.TextField(blank=True)
    # Sum of all postings to this account, kept in step by ledger.books.posting.
    balance = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(type__in=[t.value for t in AccountType]),
                name="ledger_account_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class TransactionKind(models.TextChoices):
    DONATION = "donation", pgettext_lazy("kind of entry", "Donation")
    FEE = "fee", pgettext_lazy("kind of entry", "Processing fee")
    REFUND = "refund", pgettext_lazy("kind of entry", "Refund")
    DISPUTE = "dispute", pgettext_lazy("kind of entry", "Dispute")
    PAYOUT = "payout", pgettext_lazy("kind of entry", "Payout")
    DISBURSEMENT = "disbursement", pgettext_lazy("kind of entry", "Disbursement")
    BAIL_RETURN = "bail_return", pgettext_lazy("kind of entry", "Bail returned")
    FORFEITURE = "forfeiture", pgettext_lazy("kind of entry", "Bail forfeited")
    OFFLINE_GIFT = "offline_gift", pgettext_lazy("kind of entry", "Offline gift")
    ADJUSTMENT = "adjustment", pgettext_lazy("kind of entry", "Adjustment")
    REVERSAL = "reversal", pgettext_lazy("kind of entry", "Reversal")
    OPENING = "opening", pgettext_lazy("kind of entry", "Opening balance")


class JournalTransaction(models.Model):
    sequence = models.BigIntegerField(unique=True)
    kind = models.CharField(max_length=16, choices=TransactionKind.choices)
    date = models.DateField(help_text="The economic date of the fact recorded.")
    recorded_at = models.DateTimeField()
    currency = models.CharField(max_length=3)
    memo = models.CharField(max_length=200, blank=True)
    actor = user_field(
        optional=True, db_index=False, help_text="Who recorded it; empty for automated postings."
    )
    source_ref = models.CharField(max_length=120, blank=True)
    idempotency_key = models.CharField(max_length=200)
    reverses = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
        db_index=False,  # the partial unique index below serves look-ups
    )
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["sequence"]
        # Each index is paid for on every posting, so there are only those that guard an
        # invariant; reports read the monthly totals, never the journal.
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"], name="ledger_txn_idempotency_key_uniq"
            ),
            # Reversed at most once; partial, so ordinary postings pay for no index entry.
            models.UniqueConstraint(
                fields=["reverses"],
                condition=models.Q(reverses__isnull=False),
                name="ledger_txn_reversed_once",
            ),
            models.CheckConstraint(
                condition=models.Q(sequence__gte=1), name="ledger_txn_sequence_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.kind}"


class Posting(models.Model):
    transaction = models.ForeignKey(
        JournalTransaction, on_delete=models.PROTECT, related_name="postings"
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="postings", db_index=False
    )
    amount = models.BigIntegerField(help_text="Minor units; debit > 0, credit < 0.")

    class Meta:
        ordering = ["transaction_id", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="ledger_posting_nonzero"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount}"


class MonthlyTotal(models.Model):
    """Debits and credits of one account in one calendar month (by economic date)."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="monthly_totals")
    month = models.DateField(help_text="First day of the month.")
    debits = models.BigIntegerField(default=0, help_text="Sum of positive postings.")
    credits = models.BigIntegerField(
        default=0, help_text="Sum of negative postings, as a positive number."
    )
    postings_count = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["month", "account_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "month"], name="ledger_monthly_account_month_uniq"
            ),
            models.CheckConstraint(
                condition=models.Q(debits__gte=0, credits__gte=0), name="ledger_monthly_nonnegative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.month:%Y-%m}"

    @property
    def net(self) -> int:
        return self.debits - self.credits


class ChainHead(models.Model):
    """The single row that orders posting: its lock serializes writers of the chain."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    sequence = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)
    # The hash before the last posting: lets one UPDATE … RETURNING hand both to the insert.
    prev_hash = models.CharField(max_length=64, blank=True)
    # FUND_TIME_ZONE when the books were started (``ledger.books.fund_time``).
    time_zone = models.CharField(max_length=64, blank=True)
    # The head of the audit log's own hash chain (``ledger.books.audit_chain``), moved
    # under the same lock.
    audit_sequence = models.BigIntegerField(default=0)
    audit_hash = models.CharField(max_length=64, default="0" * 64)
    # Postings dated on or before this day are refused (``ledger.books.periods``).
    closed_through = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="ledger_chainhead_singleton")
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.hash[:12]}…"


class Checkpoint(models.Model):
    """A signed tree head: the journal's first ``sequence`` transactions, fixed by the chain
    hash of the last and the Merkle root over all, signed (ledger.books.tree_heads). Rows
    from before heads were signed have no signature and keep verifying by their hash."""

    sequence = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    # The content hash of the public release (ledger.public.releases) published with this head.
    release_hash = models.CharField(max_length=64, blank=True, default="")
    log = models.CharField(max_length=200, blank=True, default="")
    root_hash = models.CharField(max_length=64, blank=True, default="")
    # Roots of the perfect subtrees the leaves split into (hex): the next head starts there.
    frontier = models.JSONField(default=list, blank=True)
    previous_sequence = models.BigIntegerField(null=True, blank=True)
    # RFC 9162 consistency proof from the previous signed head (hex).
    consistency = models.JSONField(default=list, blank=True)
    # The last day of the last closed period when the head was signed.
    closed_through = models.DateField(null=True, blank=True)
    # The audit log's chain head when the head was signed.
    audit_sequence = models.BigIntegerField(default=0)
    audit_hash = models.CharField(max_length=64, blank=True, default="")
    public_key = models.CharField(max_length=64, blank=True, default="")  # Ed25519, hex
    signature = models.CharField(max_length=128, blank=True, default="")  # hex

    class Meta:
        ordering = ["-sequence", "-created_at"]
        get_latest_by = "created_at"
        indexes = [models.Index(fields=["sequence"], name="ledger_checkpoint_seq_idx")]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.hash[:12]}…"


class AuditEvent(models.Model):
    """Append-only record of who did what, hash-chained like the journal
    (``ledger.books.audit_chain``). ``details`` never holds personal data."""

    at = models.DateTimeField()
    actor = user_field(optional=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    details = models.JSONField(default=dict, blank=True)
    sequence = models.BigIntegerField(unique=True, null=True)
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    hash = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "at"], name="ledger_audit_object_idx"),
            models.Index(fields=["action", "at"], name="ledger_audit_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"


class BailType(models.TextChoices):
    CRIMINAL_BAIL = "criminal_bail", _("Criminal bail")
    IMMIGRATION_BOND = "immigration_bond", _("Immigration bond")
    OTHER_SUPPORT = "other_support", _("Other support")


class BailCase(models.Model):
    """A person the fund helps. Identifying data (name, date of birth, booking and docket
    numbers, notes) is one encrypted JSON value (``ledger.casework.crypto``); what aggregates need
    (county, court, bail type, dates, outcome) stays in clear. After the retention period
    the identifying data is purged; the books and aggregates keep only the case's id."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    county = models.CharField(max_length=80)
    court = models.CharField(max_length=120, blank=True)
    next_court_date = models.DateField(null=True, blank=True)  # only for view_case_details
    bail_type = models.CharField(max_length=20, choices=BailType.choices)
    opened_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=60, blank=True)
    identity_ciphertext = models.TextField(blank=True)
    docket_lookup = models.CharField(max_length=64, blank=True, db_index=True)
    pii_purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_on", "-id"]
        indexes = [models.Index(fields=["closed_on"], name="ledger_case_closed_idx")]

    def __str__(self) -> str:
        return f"case {self.public_id}"


class DisbursementPurpose(models.TextChoices):
    BAIL = "bail", _("Bail or bond (returnable)")
    SUPPORT = "support", _("Non-returnable support")


class DisbursementStatus(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("disbursement status", "Requested")
    APPROVED = "approved", pgettext_lazy("disbursement status", "Approved")
    PAID = "paid", pgettext_lazy("disbursement status", "Paid")
    PARTLY_RETURNED = "partly_returned", pgettext_lazy("disbursement status", "Partly returned")
    RETURNED = "returned", pgettext_lazy("disbursement status", "Returned")
    FORFEITED = "forfeited", pgettext_lazy("disbursement status", "Forfeited")
    # Nothing outstanding, part returned (or withheld as fees) and part forfeited.
    SETTLED = (
        "settled",
        pgettext_lazy("disbursement status", "Settled: part returned, part forfeited"),
    )
    CANCELLED = "cancelled", pgettext_lazy("disbursement status", "Cancelled")
    VOIDED = "voided", pgettext_lazy("disbursement status", "Voided")


class PayeeKind(models.TextChoices):
    COURT = "court", _("Court")
    JAIL = "jail", _("Jail")
    BOND_AGENT = "bond_agent", _("Bond agent")
    IMMIGRATION_OFFICE = "immigration_office", _("Immigration office")


class PaymentMethod(models.TextChoices):
    CASHIERS_CHECK = "cashiers_check", pgettext_lazy("payment method", "Cashier's check")
    CHECK = "check", pgettext_lazy("payment method", "Check")
    WIRE = "wire", pgettext_lazy("payment method", "Wire")
    CASH = "cash", pgettext_lazy("payment method", "Cash")
    ONLINE = "online", pgettext_lazy("payment method", "Online")


class RefundPayee(models.TextChoices):
    FUND = "fund", _("The fund, by assignment")
    NONE = "none", _("Not returnable")


class Disbursement(models.Model):
    """Money the fund pays out for a case: bail or bond (held by the court and expected
    back) or non-returnable support. Its status moves only through
    ``ledger.casework.disbursements``; every move is audited and the money moves are posted."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # One per request form: a double submit returns the first request instead of a second.
    request_token = models.CharField(max_length=64, unique=True)
    case = models.ForeignKey(BailCase, on_delete=models.PROTECT, related_name="disbursements")
    purpose = models.CharField(max_length=10, choices=DisbursementPurpose.choices)
    status = models.CharField(
        max_length=16, choices=DisbursementStatus.choices, default=DisbursementStatus.REQUESTED
    )
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    payee_kind = models.CharField(max_length=20, choices=PayeeKind.choices)
    payee_name = models.CharField(max_length=120, blank=True)  # required on new requests
    method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    refund_payee = models.CharField(
        max_length=8, choices=RefundPayee.choices, default=RefundPayee.FUND
    )
    instrument_reference = models.CharField(max_length=60, blank=True)
    requested_by = user_field()
    requested_at = models.DateTimeField()
    approved_by = user_field(optional=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    paid_by = user_field(optional=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True)
    cancelled_by = user_field(optional=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Running totals of recorded outcomes; outstanding = amount − all three while paid.
    returned_amount = models.BigIntegerField(default=0)
    court_fees = models.BigIntegerField(default=0)
    forfeited_amount = models.BigIntegerField(default=0)
    settled_on = models.DateField(null=True, blank=True)
    payment_transaction = models.ForeignKey(
        JournalTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["status", "approved_at"], name="ledger_disb_status_idx"),
            models.Index(fields=["paid_on"], name="ledger_disb_paid_on_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="disbursement_amount_pos"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    returned_amount__gte=0, court_fees__gte=0, forfeited_amount__gte=0
                ),
                name="disbursement_outcomes_nonneg",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    amount__gte=models.F("returned_amount")
                    + models.F("court_fees")
                    + models.F("forfeited_amount")
                ),
                name="disbursement_outcomes_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"disbursement {self.pk}"

    @property
    def outstanding(self) -> int:
        """Bail the court still holds for this disbursement (zero unless paid bail)."""
        if self.purpose != DisbursementPurpose.BAIL or self.paid_on is None:
            return 0
        return self.amount - self.returned_amount - self.court_fees - self.forfeited_amount


class OutcomeKind(models.TextChoices):
    RETURN = "return", pgettext_lazy("kind of entry", "Bail returned")
    FORFEITURE = "forfeiture", pgettext_lazy("kind of entry", "Bail forfeited")


class DisbursementOutcome(models.Model):
    """One event in the life of paid bail: money came back (less court fees), or the court
    kept it. ``token`` makes recording idempotent: the form carries one per submission."""

    disbursement = models.ForeignKey(
        Disbursement, on_delete=models.PROTECT, related_name="outcomes"
    )
    kind = models.CharField(max_length=10, choices=OutcomeKind.choices)
    token = models.CharField(max_length=64, unique=True)
    occurred_on = models.DateField()
    returned_amount = models.BigIntegerField(default=0)
    court_fees = models.BigIntegerField(default=0)
    forfeited_amount = models.BigIntegerField(default=0)
    recorded_by = user_field()
    recorded_at = models.DateTimeField()
    transaction = models.ForeignKey(JournalTransaction, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["kind", "occurred_on"], name="ledger_outcome_kind_idx")]

    def __str__(self) -> str:
        return f"{self.kind} for disbursement {self.disbursement_id}"


class ReleaseStatus(models.TextChoices):
    PUBLISHED = "published", pgettext_lazy("release status", "Published")
    HELD = "held", pgettext_lazy("release status", "Held: failed the disclosure audit")


class TransparencyRelease(models.Model):
    """The public figures about people and bail for one closed month (``ledger.public.releases``).

    Computed once, a set number of days after the month ends, and never recomputed: a later
    correction appears in a later release. ``content`` is what the public reads;
    ``content_hash`` covers it (and so the previous release's hash) and is fixed in the
    checkpoint made with it. ``truth`` is what the disclosure audit needs (per-person sums
    under opaque case ids, by county and kind of help): staff-only, never published. A
    release that fails the audit is kept as held, with the reason, and not published.
    Rows are append-only (``ledger.books.db_triggers``)."""

    period = models.CharField(max_length=7, help_text="The released month, YYYY-MM.")
    status = models.CharField(max_length=10, choices=ReleaseStatus.choices)
    created_at = models.DateTimeField()
    content = models.JSONField()
    content_hash = models.CharField(max_length=64)
    truth = models.JSONField()
    held_reason = models.TextField(blank=True)
    checkpoint = models.ForeignKey(
        Checkpoint, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["period", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["period"],
                condition=models.Q(status="published"),
                name="ledger_release_published_once",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["published", "held"]),
                name="ledger_release_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"release {self.period} ({self.status})"


# Tables kept in modules of their own, registered with the app here.
from ledger.books.closed_periods import ClosedPeriod  # noqa: E402, F401
from ledger.casework.correction_records import Correction  # noqa: E402, F401
from ledger.staff.records import StaffCredentialReset, StaffLoginAddress  # noqa: E402, F401

"""The fund's bank statements, and which of their lines are which entries in the books.

* :class:`BankCsvMapping` says how one bank writes its CSV export: which columns hold the
  date, the description, the reference and check number, the amount (or a debit and a
  credit column) and the running balance, and how it writes dates and decimals.
* :class:`BankStatement` is one statement imported for a books account (``assets:bank``):
  its period, its closing balance, and a fingerprint of its content, so the same statement
  imported again changes nothing.
* :class:`BankStatementLine` is one line the bank booked. Its fingerprint (the bank's own
  reference, or the line's content) is unique per books account, so a line that two
  overlapping statements both carry is stored once.
* :class:`BankMatch` pairs a line with one leg of an entry on that account: proposed by
  ``donations.bank.matching``, then confirmed or rejected by staff. A line, and a leg, is
  matched (confirmed) at most once.

The tables hold what the bank wrote, which can name people (a donor's deposited check);
only the roles that reconcile see them, and the audit log never copies them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DecimalStyle(models.TextChoices):
    POINT = "point", _("1,234.56 (point for decimals)")
    COMMA = "comma", _("1.234,56 (comma for decimals)")


class BankCsvMapping(models.Model):
    """How one bank's CSV export is read. A column is named by its header, or by its
    number (1 for the first) in a file without a header row."""

    name = models.CharField(max_length=60, unique=True)
    bank_name = models.CharField(max_length=120)
    has_header = models.BooleanField(default=True)
    skip_lines = models.PositiveSmallIntegerField(
        default=0, help_text=_("Lines before the header (or the first row) to skip.")
    )
    delimiter = models.CharField(max_length=1, default=",")
    date_column = models.CharField(max_length=60)
    date_format = models.CharField(max_length=20, default="%m/%d/%Y")
    description_column = models.CharField(max_length=60)
    reference_column = models.CharField(max_length=60, blank=True)
    check_number_column = models.CharField(max_length=60, blank=True)
    amount_column = models.CharField(max_length=60, blank=True)
    debit_column = models.CharField(max_length=60, blank=True)
    credit_column = models.CharField(max_length=60, blank=True)
    balance_column = models.CharField(max_length=60, blank=True)
    decimal_style = models.CharField(
        max_length=5, choices=DecimalStyle.choices, default=DecimalStyle.POINT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    (~models.Q(amount_column="") & models.Q(debit_column="", credit_column=""))
                    | (
                        models.Q(amount_column="")
                        & ~models.Q(debit_column="")
                        & ~models.Q(credit_column="")
                    )
                ),
                name="bank_mapping_amount_or_debit_credit",
            )
        ]

    def __str__(self) -> str:
        return self.name


class StatementFormat(models.TextChoices):
    CSV = "csv", "CSV"
    OFX = "ofx", "OFX"
    CAMT053 = "camt053", "CAMT.053"


class BankStatement(models.Model):
    """One statement of the bank account a books account stands for."""

    account_code = models.CharField(max_length=64, help_text="The books account it is of.")
    format = models.CharField(max_length=8, choices=StatementFormat.choices)
    mapping = models.ForeignKey(
        BankCsvMapping, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fingerprint = models.CharField(max_length=64, unique=True)
    bank_statement_id = models.CharField(max_length=64, blank=True)
    bank_account = models.CharField(
        max_length=8, blank=True, help_text="The last four characters of the account number."
    )
    currency = models.CharField(max_length=3)
    period_start = models.DateField()
    period_end = models.DateField()
    opening_balance = models.BigIntegerField(null=True, blank=True)
    closing_balance = models.BigIntegerField()
    file_name = models.CharField(max_length=200, blank=True)
    lines_in_file = models.PositiveIntegerField(default=0)
    lines_already_imported = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when a command imported it.",
    )
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["-period_end", "-id"]
        indexes = [
            models.Index(fields=["account_code", "period_end"], name="bank_statement_period_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="bank_statement_period_order",
            )
        ]

    def __str__(self) -> str:
        return f"bank statement {self.pk} ({self.period_start} to {self.period_end})"


class BankStatementLine(models.Model):
    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="lines")
    account_code = models.CharField(max_length=64)
    position = models.PositiveIntegerField(
        help_text="Where it is in the file: the CSV line, or the OFX or CAMT entry number."
    )
    posted_on = models.DateField()
    value_on = models.DateField(null=True, blank=True)
    amount = models.BigIntegerField(help_text="Minor units; money in > 0, money out < 0.")
    description = models.CharField(max_length=300, blank=True)
    bank_reference = models.CharField(max_length=100, blank=True)
    reference = models.CharField(max_length=300, blank=True)
    check_number = models.CharField(max_length=30, blank=True)
    balance = models.BigIntegerField(null=True, blank=True)
    fingerprint = models.CharField(max_length=64)

    class Meta:
        ordering = ["posted_on", "position"]
        indexes = [
            models.Index(fields=["account_code", "posted_on"], name="bank_line_posted_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account_code", "fingerprint"], name="bank_line_once_per_account"
            ),
            models.CheckConstraint(condition=~models.Q(amount=0), name="bank_line_nonzero"),
        ]

    def __str__(self) -> str:
        return f"bank line {self.pk}"


class MatchStatus(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("bank match status", "Proposed")
    CONFIRMED = "confirmed", pgettext_lazy("bank match status", "Confirmed")
    REJECTED = "rejected", pgettext_lazy("bank match status", "Rejected")


class BankMatch(models.Model):
    """A statement line paired with one leg of an entry in the books."""

    line = models.ForeignKey(BankStatementLine, on_delete=models.PROTECT, related_name="matches")
    transaction = models.ForeignKey(
        "ledger.JournalTransaction", on_delete=models.PROTECT, related_name="+"
    )
    posting = models.ForeignKey("ledger.Posting", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=10, choices=MatchStatus.choices, default=MatchStatus.PROPOSED
    )
    score = models.PositiveSmallIntegerField(default=0)
    reasons = models.CharField(max_length=200, blank=True)
    proposed_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["line_id", "-score"]
        constraints = [
            # A pair is proposed once: a rejected pair is not proposed again.
            models.UniqueConstraint(fields=["line", "posting"], name="bank_match_pair_once"),
            # A line, and a leg, is matched at most once.
            models.UniqueConstraint(
                fields=["line"],
                condition=models.Q(status="confirmed"),
                name="bank_match_line_once",
            ),
            models.UniqueConstraint(
                fields=["posting"],
                condition=models.Q(status="confirmed"),
                name="bank_match_posting_once",
            ),
        ]

    def __str__(self) -> str:
        return f"bank match {self.pk} ({self.status})"

"""The runs that send a tax year's statements, and who each run has sent one to.

A run is resumable: it walks donors in the order of their (lower-cased) email address and
records, before each email, a :class:`DonorStatementSent` row holding a keyed hash of the
address (never the address itself). The unique constraint on that row is what keeps a
donor from getting a year's statement twice, whatever worker dies or runs twice.
"""

from __future__ import annotations

from django.db import models


class DonorStatementRun(models.Model):
    year = models.PositiveSmallIntegerField(unique=True)
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0, help_text="Donors with an address.")
    gifts = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    skipped_erased = models.PositiveIntegerField(
        default=0, help_text="Gifts of the year whose donor's data was erased: no statement."
    )
    # The cursor: the last address (lower case) whose chunk is done. Only kept while the
    # run is under way; emptied when it finishes.
    last_email_done = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"statements {self.year}"

    @property
    def percent_done(self) -> int:
        if self.finished_at:
            return 100
        return min(99, self.sent * 100 // self.total) if self.total else 0


class DonorStatementSent(models.Model):
    run = models.ForeignKey(DonorStatementRun, on_delete=models.CASCADE, related_name="+")
    email_hash = models.CharField(max_length=64)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "email_hash"], name="statement_sent_once")
        ]

    def __str__(self) -> str:
        return f"statement sent in run {self.run_id}"

"""The record of each closed period (``ledger.books.periods``): what was closed, when, by
whom, and the signed tree head made as it closed. The rule itself is one date on the
chain head (``ChainHead.closed_through``), under the books' lock."""

from __future__ import annotations

from django.db import models

from ledger.models import Checkpoint, user_field


class PeriodKind(models.TextChoices):
    MONTH = "month", "Month"
    YEAR = "year", "Year"


class ClosedPeriod(models.Model):
    kind = models.CharField(max_length=5, choices=PeriodKind.choices)
    start = models.DateField()
    through = models.DateField()
    closed_at = models.DateTimeField()
    closed_by = user_field(optional=True)
    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.PROTECT, related_name="+")

    class Meta:
        app_label = "ledger"
        ordering = ["-through", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "through"], name="ledger_closedperiod_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.start:%Y-%m-%d}–{self.through:%Y-%m-%d}"

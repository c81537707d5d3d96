"""The record of each correction to a disbursement (``ledger.casework.corrections``): what
was wrong, what it becomes, why, who proposed it and who applied it, and the entries that
carry it in the books. Nothing in the books is edited: a correction posts a reversing entry
and, unless it voids, the corrected entry, both naming the entry they correct."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ledger.models import Disbursement, DisbursementOutcome, JournalTransaction, user_field


class CorrectionKind(models.TextChoices):
    VOID = "void", _("Void the payment")
    PAYMENT = "payment", _("Correct the payment")
    OUTCOME = "outcome", _("Undo a return or forfeiture")


class CorrectionStatus(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("correction status", "Waiting for approval")
    APPLIED = "applied", pgettext_lazy("correction status", "Applied")
    WITHDRAWN = "withdrawn", pgettext_lazy("correction status", "Withdrawn")


class Correction(models.Model):
    disbursement = models.ForeignKey(
        Disbursement, on_delete=models.PROTECT, related_name="corrections"
    )
    kind = models.CharField(max_length=8, choices=CorrectionKind.choices)
    status = models.CharField(
        max_length=10, choices=CorrectionStatus.choices, default=CorrectionStatus.PROPOSED
    )
    # One per form: a double submit returns the first proposal instead of a second.
    token = models.CharField(max_length=64, unique=True)
    reason = models.TextField()
    # The return or forfeiture undone (kind outcome).
    outcome = models.ForeignKey(
        DisbursementOutcome,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
    )
    # What it was, as the correction found it.
    old_amount = models.BigIntegerField()
    old_date = models.DateField()
    old_method = models.CharField(max_length=16, blank=True)
    # What it becomes: the corrected payment (kind payment), the replacing return or
    # forfeiture (kind outcome, all optional: none undoes it only), the day the instrument
    # was voided (kind void, in new_date).
    new_amount = models.BigIntegerField(null=True, blank=True)
    new_date = models.DateField(null=True, blank=True)
    new_method = models.CharField(max_length=16, blank=True)
    new_returned = models.BigIntegerField(null=True, blank=True)
    new_fees = models.BigIntegerField(null=True, blank=True)
    proposed_by = user_field()
    proposed_at = models.DateTimeField()
    decided_by = user_field(optional=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    reversal = models.ForeignKey(
        JournalTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replacement = models.ForeignKey(
        JournalTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        app_label = "ledger"
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["disbursement"],
                condition=models.Q(status="proposed"),
                name="ledger_correction_one_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"correction {self.pk} of disbursement {self.disbursement_id}"


def with_undone(outcomes):
    """``outcomes`` with ``undone``: whether an applied correction undid each."""
    undoing = Correction.objects.filter(
        outcome=models.OuterRef("pk"), status=CorrectionStatus.APPLIED
    )
    return outcomes.annotate(undone=models.Exists(undoing))


def standing(outcomes):
    """The returns and forfeitures that stand: ``outcomes`` less those a correction undid."""
    return with_undone(outcomes).filter(undone=False)

"""Copies of the signed tree heads outside the fund's control: each witness (a board
member, the auditor: ``LEDGER_WITNESSES``) gets every head by email, in the same lines as
the public ``/transparency/tree-heads.jsonl``. A witness keeps the emails; the verifier
(``docs/verify_export.py --heads``) reads a saved email as it reads the public file.

One email per witness covers every head made since the last email (the hourly schedule),
so a surge of postings does not become a surge of mail. Each sending is in the audit log,
which is how the next one knows where to start.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction

from ledger.books.posting import audit_record
from ledger.books.tree_heads import heads_jsonl, signed_heads
from ledger.models import AuditEvent

SENT = "tree_heads.sent_to_witnesses"
# Two runs at once send one email: they take this lock in turn (PostgreSQL; SQLite's
# writers are serialised already). A row lock would need the right to update the audit
# log, which the site's database role does not have.
SEND_LOCK = 0x6C656467  # "ledg"
BEGIN = "-----BEGIN TREE HEADS-----"
END = "-----END TREE HEADS-----"


def witnesses_send() -> int:
    """Email the heads not yet sent to every witness; returns how many heads went."""
    if not settings.LEDGER_WITNESSES:
        return 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEND_LOCK])
        last = (
            AuditEvent.objects.filter(action=SENT)
            .order_by("-pk")
            .values_list("object_id", flat=True)
            .first()
        )
        heads = list(signed_heads().filter(pk__gt=int(last or 0)))
        if not heads:
            return 0
        body = (
            f"Signed tree heads of the books of {settings.FUND_NAME} ({settings.SITE_URL}).\n"
            "Keep this email. Anyone can check that the fund's books still extend these "
            "heads with the fund's verifier:\n\n"
            "    python verify_export.py journal.csv --heads this-email.txt\n\n"
            f"{BEGIN}\n{heads_jsonl(heads)}{END}\n"
        )
        send_mail(
            subject=(
                f"[{settings.LEDGER_LOG_NAME}] tree heads up to {heads[-1].sequence} transactions"
            ),
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=list(settings.LEDGER_WITNESSES),
        )
        audit_record(
            None,
            "tree_head",
            heads[-1].pk,
            SENT,
            {
                "heads": len(heads),
                "size": heads[-1].sequence,
                "witnesses": len(settings.LEDGER_WITNESSES),
            },
        )
    return len(heads)

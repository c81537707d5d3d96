"""Sending a tax year's statements: the email, its signed link, and the resumable run.

A run walks the year's donors in chunks, in the order of their address. Before each email
it records a :class:`DonorStatementSent` row (a keyed hash of the address, unique per run)
in its own transaction; if that row exists the donor already has the statement and is
skipped. So a worker that dies is resumed by the next (the Celery task is acknowledged
late, and the command resumes the same run), and two workers on the same year never send
one donor two emails. An email that fails to send takes its row back and the error
stops the run, to be resumed. Only a worker killed between recording the row and handing
the email to the mail server can leave a donor without the statement: never with two.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext, gettext_noop

from donations.statements.gifts import (
    Statement,
    email_of_anchor,
    erased_gifts,
    next_donors,
    statements,
)
from donations.statements.models import DonorStatementRun, DonorStatementSent
from ledger.books.money import format_money

logger = logging.getLogger(__name__)

STATEMENT_SALT = "donations.year-end-statement"
HASH_PURPOSE = "donations.statements.sent"
CHUNK_SIZE = 500

STATEMENT_SUBJECT = gettext_noop("Your gifts to %(fund)s in %(year)s: year-end statement")
KIND_LABELS = {
    "card": gettext_noop("By card"),
    "check": gettext_noop("By check"),
    "cash": gettext_noop("In cash"),
}


def email_hash(email: str) -> str:
    """A keyed hash of an address (lower case): what a run records instead of it."""
    return salted_hmac(HASH_PURPOSE, email.strip().lower(), algorithm="sha256").hexdigest()


def statement_token(statement: Statement) -> str:
    """Signs the year and the donor's latest gift (an opaque id), never the address."""
    return signing.dumps([statement.year, statement.latest.anchor], salt=STATEMENT_SALT)


def statement_url(statement: Statement) -> str:
    return settings.SITE_URL + reverse("donations:statement", args=[statement_token(statement)])


def statement_from_token(token: str) -> Statement | None:
    """The statement a link names; None for a link we did not sign (or altered), one older
    than STATEMENT_LINK_MAX_AGE_DAYS, or one whose donor's data has been erased since."""
    try:
        year, anchor = signing.loads(
            token,
            salt=STATEMENT_SALT,
            max_age=dt.timedelta(days=settings.STATEMENT_LINK_MAX_AGE_DAYS),
        )
    except (signing.BadSignature, TypeError, ValueError):
        return None
    if not isinstance(year, int) or not isinstance(anchor, str):
        return None
    email = email_of_anchor(year, anchor)
    return statements(year, key=email).get(email) if email else None


def statement_context(statement: Statement) -> dict:
    """What the email and the page show; amounts formatted in the active language."""
    gifts = [
        {
            "date": gift.date,
            "kind": gettext(KIND_LABELS[gift.kind]),
            "reference": gift.reference,
            "amount": format_money(gift.amount, gift.currency),
            "refunded": format_money(gift.refunded, gift.currency) if gift.refunded else "",
            "kept": format_money(gift.kept, gift.currency),
            "fully_refunded": gift.fully_refunded,
            "acknowledgment": gift.acknowledgment,
        }
        for gift in statement.gifts
    ]
    return {
        "fund_name": settings.FUND_NAME,
        "fund_legal_name": settings.FUND_LEGAL_NAME,
        "tax_statement": settings.FUND_TAX_STATEMENT,
        "year": statement.year,
        "donor_name": statement.donor_name,
        "gifts": gifts,
        "totals": [format_money(kept, currency) for currency, kept in statement.totals.items()],
        "any_acknowledgment": any(gift["acknowledgment"] for gift in gifts),
    }


def statement_email(statement: Statement) -> tuple[str, str]:
    """(subject, body) of the statement's email, in the donor's language."""
    with translation.override(statement.language):
        context = statement_context(statement) | {"statement_url": statement_url(statement)}
        body = render_to_string("donations/statement.txt", context)
        subject = gettext(STATEMENT_SUBJECT) % {"fund": settings.FUND_NAME, "year": statement.year}
    return subject, body


def preview(year: int, *, chunk_size: int = CHUNK_SIZE) -> dict:
    """What a run for ``year`` would send, reading only: donors, gifts, totals per
    currency (what the fund kept), and gifts skipped because their donor was erased."""
    counts = {"donors": 0, "gifts": 0, "totals": {}, "skipped_erased": erased_gifts(year)}
    after = ""
    while keys := next_donors(year, after=after, count=chunk_size):
        for statement in statements(year, key__gt=after, key__lte=keys[-1]).values():
            counts["donors"] += 1
            counts["gifts"] += len(statement.gifts)
            for currency, kept in statement.totals.items():
                counts["totals"][currency] = counts["totals"].get(currency, 0) + kept
        after = keys[-1]
    return counts


def run_start(year: int, *, chunk_size: int = CHUNK_SIZE) -> DonorStatementRun:
    """The year's run: the one under way or finished, else a new one with its counts."""
    run = DonorStatementRun.objects.filter(year=year).first()
    if run is not None:
        return run
    counts = preview(year, chunk_size=chunk_size)
    run, _ = DonorStatementRun.objects.get_or_create(
        year=year,
        defaults={
            "total": counts["donors"],
            "gifts": counts["gifts"],
            "skipped_erased": counts["skipped_erased"],
        },
    )
    logger.info("year-end statement run %s started: %s donors", run.pk, run.total)
    return run


def _send_once(run: DonorStatementRun, statement: Statement) -> bool:
    """Email one donor their statement unless this run already did; True if sent now."""
    try:
        with transaction.atomic():
            marker = DonorStatementSent.objects.create(
                run=run, email_hash=email_hash(statement.email)
            )
    except IntegrityError:
        return False
    try:
        subject, body = statement_email(statement)
        send_mail(
            subject=subject,
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[statement.email],
        )
    except BaseException:
        marker.delete()  # not sent: the next attempt sends it
        raise
    return True


def run_chunk(run: DonorStatementRun, *, chunk_size: int = CHUNK_SIZE) -> bool:
    """Send the next chunk of the run's donors and move its cursor; False once done."""
    if run.finished_at:
        return False
    after = run.last_email_done
    keys = next_donors(run.year, after=after, count=chunk_size)
    if not keys:
        run.finished_at = timezone.now()
        run.last_email_done = ""  # the cursor is an address: not kept past the run
        run.sent = DonorStatementSent.objects.filter(run=run).count()
        run.save(update_fields=["finished_at", "last_email_done", "sent", "updated_at"])
        logger.info("year-end statement run %s finished: %s sent", run.pk, run.sent)
        return False
    for statement in statements(run.year, key__gt=after, key__lte=keys[-1]).values():
        _send_once(run, statement)
    run.last_email_done = keys[-1]
    run.sent = DonorStatementSent.objects.filter(run=run).count()
    run.save(update_fields=["last_email_done", "sent", "updated_at"])
    return True


def run_send(
    year: int,
    *,
    chunk_size: int = CHUNK_SIZE,
    max_chunks: int | None = None,
    progress: Callable[[DonorStatementRun], None] | None = None,
) -> DonorStatementRun:
    """Start or resume the year's run and send chunk after chunk (at most ``max_chunks``),
    calling ``progress`` after each."""
    run = run_start(year, chunk_size=chunk_size)
    done = 0
    while (max_chunks is None or done < max_chunks) and run_chunk(run, chunk_size=chunk_size):
        done += 1
        if progress:
            progress(run)
    if progress and run.finished_at:
        progress(run)
    return run

"""Reconciliation: keep the books equal to Stripe, and show staff where they differ.

Webhooks get lost, arrive days late or fail; Stripe's balance is the truth for the money it
holds. The jobs here are the safety net, run by Celery beat and by
``manage.py reconcile_stripe``:

* **sync**: walk Stripe's balance transactions from the stored watermark (minus an
  overlap) and post any the books lack, a page of 100 at a time, with the same idempotency
  keys as the webhook path, so nothing is ever posted twice;
* **events**: replay stored events whose processing failed, and fetch from Stripe's event
  list (its 30-day window) those that were never delivered;
* **payouts**: each payout's balance transactions sum to the payout, and the books show
  its transfer to the bank;
* **balance**: ``assets:stripe`` equals Stripe's balance (available + pending), and
  ``verify_ledger`` is clean.

Runs are single-flight: a lease on one row (renewed after every page) lets exactly one run
work; another started meanwhile records itself as skipped and exits. A run killed midway
leaves its cursor behind; once its lease lapses the next run resumes from it. Every run is
recorded with its counts, and every disagreement becomes a :class:`Discrepancy` that stays
listed until a staff member resolves it with a note.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from donations import stripe_gateway
from donations.events.posting import (
    balance_transaction_key,
    entry_for,
    payout_settlement_entries,
    post_balance_transactions,
    post_entries,
)
from donations.events.processing import stripe_event_process
from donations.exceptions import DonationError, StripeUnavailable
from donations.intake.services import stripe_event_store
from donations.models import (
    EventStatus,
    ReconciliationRun,
    ReconciliationState,
    RunStatus,
    StripeEvent,
)
from donations.reconciliation.as_of import balances_as_of
from donations.reconciliation.discrepancies import discrepancies_agreed, discrepancy_open
from donations.retention.privacy import error_text
from ledger.books.chart import PROCESSING_FEES, STRIPE
from ledger.books.selectors import account_balances
from ledger.models import JournalTransaction

logger = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)
OVERLAP_SECONDS = 15 * 60
EVENT_WINDOW_SECONDS = 30 * 24 * 3600
RETRY_ATTEMPTS = 7
KINDS = ("all", "sync", "events", "payouts", "balance")


class LockLost(DonationError):
    """A run that lost its lease (it stalled past it and another run took over) stops."""


def _retrying(call: Callable[..., dict], *args) -> dict:
    """Call Stripe, retrying rate limits, server errors and timeouts with backoff."""
    for attempt in range(RETRY_ATTEMPTS):
        try:
            return call(*args)
        except StripeUnavailable:
            if attempt == RETRY_ATTEMPTS - 1:
                raise
            time.sleep(stripe_gateway.retry_wait(attempt))
    raise AssertionError("unreachable")


# The lock ---------------------------------------------------------------------------------


def _state() -> ReconciliationState:
    state, _ = ReconciliationState.objects.get_or_create(id=1)
    return state


def _acquire(holder: str) -> bool:
    _state()
    now = timezone.now()
    # One conditional UPDATE: atomic on every database, so two runs cannot both win.
    taken = (
        ReconciliationState.objects.filter(id=1)
        .filter(Q(lock_holder="") | Q(lock_expires_at__lt=now))
        .update(lock_holder=holder, lock_expires_at=now + LEASE)
    )
    return taken == 1


def _renew(holder: str) -> None:
    renewed = ReconciliationState.objects.filter(id=1, lock_holder=holder).update(
        lock_expires_at=timezone.now() + LEASE
    )
    if not renewed:
        raise LockLost("another run took over")


def _release(holder: str) -> None:
    ReconciliationState.objects.filter(id=1, lock_holder=holder).update(
        lock_holder="", lock_expires_at=None
    )


# Steps ------------------------------------------------------------------------------------


def _sync(
    run: ReconciliationRun,
    holder: str,
    *,
    full: bool,
    since: dt.date | None,
    after_page: Callable[[ReconciliationRun], None] | None,
) -> dict[str, int]:
    """Post every balance transaction in the window the books lack. Returns what the
    walked transactions should have put in the Stripe-only accounts (full runs compare it
    with the books)."""
    state = _state()
    interrupted = (
        ReconciliationRun.objects.filter(status=RunStatus.RUNNING, kind__in=("all", "sync"))
        .exclude(pk=run.pk)
        .order_by("-started_at")
        .first()
    )
    ReconciliationRun.objects.filter(status=RunStatus.RUNNING).exclude(pk=run.pk).update(
        status=RunStatus.INTERRUPTED, finished_at=timezone.now()
    )
    if interrupted and interrupted.cursor and not full and since is None:
        run.resumed_from = interrupted
        run.window_start, run.cursor = interrupted.window_start, interrupted.cursor
        run.newest_created = interrupted.newest_created
    elif full:
        run.window_start = None
    elif since is not None:
        start = dt.datetime.combine(since, dt.time.min, tzinfo=dt.UTC)
        run.window_start = int(start.timestamp())
    elif state.watermark is not None:
        run.window_start = state.watermark - OVERLAP_SECONDS
    run.save(update_fields=["resumed_from", "window_start", "cursor", "newest_created"])

    params: dict = {"limit": settings.RECONCILIATION_PAGE_SIZE}
    if run.window_start is not None:
        params["created"] = {"gte": run.window_start}
    if run.cursor:
        params["starting_after"] = run.cursor
    sums = {PROCESSING_FEES: 0}
    # Pages are posted ten at a time: one batch takes the ledger's lock once for up to a
    # thousand transactions. The cursor is saved only after the batch is in the books, so
    # a crash resumes from the last batch that committed.
    flush_at = 10 * settings.RECONCILIATION_PAGE_SIZE
    pending: list[dict] = []

    def flush(cursor: str) -> None:
        entries = [entry for bt in pending if (entry := entry_for(bt)) is not None]
        for entry in entries:
            for code, amount in entry.legs:
                if code in sums:
                    sums[code] += amount
        run.posted += post_balance_transactions(pending, run=run)
        # A payout's balance transaction says it left; whether it arrived is the payout's.
        for bt in pending:
            if bt["type"] == "payout":
                payout_id = stripe_gateway.object_id(bt.get("source"))
                payout = _retrying(stripe_gateway.retrieve_payout, payout_id)
                run.posted += post_entries(payout_settlement_entries(payout))
        run.checked += len(pending)
        run.cursor = cursor
        pending.clear()
        ReconciliationRun.objects.filter(pk=run.pk).update(
            checked=run.checked,
            posted=run.posted,
            cursor=run.cursor,
            newest_created=run.newest_created,
        )
        _renew(holder)
        if after_page:
            after_page(run)

    while True:
        page = _retrying(stripe_gateway.list_balance_transactions, params)
        data = page.get("data") or []
        if not data:
            break
        if run.newest_created is None:
            run.newest_created = data[0]["created"]
        pending.extend(data)
        last = data[-1]["id"]
        more = bool(page.get("has_more"))
        if len(pending) >= flush_at or not more:
            flush(last)
        if not more:
            break
        params["starting_after"] = last
    if pending:
        flush(pending[-1]["id"])
    if run.newest_created is not None:
        ReconciliationState.objects.filter(id=1).update(
            watermark=max(state.watermark or 0, run.newest_created)
        )
    return sums


def _events(run: ReconciliationRun, holder: str) -> None:
    """Replay failed events; fetch and process events Stripe never delivered."""
    stale = timezone.now() - dt.timedelta(minutes=10)
    pending = StripeEvent.objects.filter(
        Q(status=EventStatus.FAILED)
        | Q(status=EventStatus.RECEIVED, received_at__lt=stale)
        | Q(status=EventStatus.PROCESSING, claimed_at__lt=stale)  # its worker died
    ).values_list("pk", flat=True)
    for pk in pending.iterator():
        run.checked += 1
        try:
            stripe_event_process(event_pk=pk)
        except Exception:  # recorded on the event; counted here; the next run tries again
            run.mismatched += 1
    state = _state()
    since = int(time.time()) - EVENT_WINDOW_SECONDS
    if state.events_watermark:
        since = max(since, state.events_watermark - OVERLAP_SECONDS)
    params: dict = {
        "limit": settings.RECONCILIATION_PAGE_SIZE,
        "created": {"gte": since},
        "delivery_success": False,
    }
    newest = state.events_watermark or 0
    while True:
        page = _retrying(stripe_gateway.list_events, params)
        data = page.get("data") or []
        if not data:
            break
        known = set(
            StripeEvent.objects.filter(event_id__in=[e["id"] for e in data]).values_list(
                "event_id", flat=True
            )
        )
        # Stripe lists newest first; process oldest first, as they happened.
        for event in reversed(data):
            newest = max(newest, event["created"])
            if event["id"] in known:
                continue
            stored, created = stripe_event_store(event)
            if created:
                run.checked += 1
                try:
                    stripe_event_process(event_pk=stored.pk)
                    run.posted += 1
                except Exception:
                    run.mismatched += 1
        _renew(holder)
        if not page.get("has_more"):
            break
        params["starting_after"] = data[-1]["id"]
    ReconciliationState.objects.filter(id=1).update(events_watermark=newest or None)
    ReconciliationRun.objects.filter(pk=run.pk).update(
        checked=run.checked, posted=run.posted, mismatched=run.mismatched
    )


def _payouts(run: ReconciliationRun, holder: str, *, since: int | None) -> None:
    """Each paid payout equals the sum of what it swept, and the books show the transfer."""
    params: dict = {"limit": settings.RECONCILIATION_PAGE_SIZE}
    if since is not None:
        params["created"] = {"gte": since}
    while True:
        page = _retrying(stripe_gateway.list_payouts, params)
        data = page.get("data") or []
        for payout in data:
            if payout.get("status") not in ("paid", "failed"):
                continue
            run.checked += 1
            _check_payout(run, payout)
        _renew(holder)
        if not page.get("has_more") or not data:
            break
        params["starting_after"] = data[-1]["id"]
    ReconciliationRun.objects.filter(pk=run.pk).update(
        checked=run.checked, posted=run.posted, mismatched=run.mismatched
    )


def _check_payout(run: ReconciliationRun, payout: dict) -> None:
    """The books show the payout leaving Stripe and, once paid, arriving in the bank; an
    automatic payout equals the sum of what it swept. Stripe filters balance transactions
    by payout only for automatic payouts and refuses the filter for manual and instant
    ones (https://docs.stripe.com/api/balance_transactions/list#balance_transaction_list-payout),
    so those are checked by their own balance transactions alone."""
    own_ids = {
        stripe_gateway.object_id(payout.get("balance_transaction")),
        stripe_gateway.object_id(payout.get("failure_balance_transaction")),
    } - {""}
    run.posted += post_entries(payout_settlement_entries(payout))
    if payout.get("automatic", True):
        swept = count = 0
        params: dict = {"limit": settings.RECONCILIATION_PAGE_SIZE, "payout": payout["id"]}
        while True:
            page = _retrying(stripe_gateway.list_balance_transactions, params)
            data = page.get("data") or []
            for bt in data:
                if bt["id"] in own_ids or bt["type"] in ("payout", "payout_failure"):
                    continue
                swept += bt["net"]
                count += 1
            if not page.get("has_more") or not data:
                break
            params["starting_after"] = data[-1]["id"]
        _agree_or_open(
            run,
            agree=not count or swept == payout["amount"],
            kind="payout_sum",
            stripe_object=payout["id"],
            expected=payout["amount"],
            found=swept,
            description="The payout's balance transactions do not sum to the payout.",
        )
    missing = [
        bt_id
        for bt_id in own_ids
        if not JournalTransaction.objects.filter(
            idempotency_key=balance_transaction_key(bt_id)
        ).exists()
    ]
    _agree_or_open(
        run,
        agree=not missing,
        kind="payout_not_in_books",
        stripe_object=payout["id"],
        expected=payout["amount"],
        found=None,
        description="The books do not show this payout leaving Stripe's balance.",
    )


def _agree_or_open(run: ReconciliationRun, *, agree: bool, kind: str, stripe_object: str,
                   **details) -> None:  # fmt: skip
    if agree:
        discrepancies_agreed(run=run, kind=kind, stripe_object=stripe_object)
    else:
        discrepancy_open(run=run, kind=kind, stripe_object=stripe_object, **details)


def _balance(
    run: ReconciliationRun, *, totals: dict[str, int] | None, verify: bool, as_of: int | None
) -> None:
    """assets:stripe against Stripe's balance, both as of a cutoff; in full runs, fees
    against Stripe's too."""
    from ledger.books.verification import verify_ledger

    both = balances_as_of(
        as_of,
        currency=settings.FUND_CURRENCY,
        lag=settings.RECONCILIATION_BALANCE_LAG_SECONDS,
        read=_retrying,
    )
    when = dt.datetime.fromtimestamp(both.cutoff, tz=dt.UTC).isoformat(timespec="seconds")
    books = {**account_balances(), STRIPE: both.books}
    checks = [
        ("stripe_balance", "balance", STRIPE, both.stripe,
         f"assets:stripe differs from Stripe's balance (available + pending) as of {when}."),
    ]  # fmt: skip
    if totals is not None:
        # Only Stripe's balance transactions post to processing fees, so the books must
        # hold exactly what the recipes give for all of them.
        checks.append(
            ("processing_fees", "balance_transactions", PROCESSING_FEES,
             totals[PROCESSING_FEES],
             "Processing fees in the books differ from the fees Stripe charged.")
        )  # fmt: skip
    for kind, stripe_object, code, expected, description in checks:
        run.checked += 1
        _agree_or_open(
            run,
            agree=books.get(code, 0) == expected,
            kind=kind,
            stripe_object=stripe_object,
            expected=expected,
            found=books.get(code, 0),
            description=description,
        )
    if verify:
        run.checked += 1
        report = verify_ledger()
        _agree_or_open(
            run,
            agree=report.ok,
            kind="ledger_verification",
            stripe_object="",
            expected=None,
            found=report.first_bad_sequence,
            description=report.summary(),
        )
    ReconciliationRun.objects.filter(pk=run.pk).update(
        checked=run.checked, mismatched=run.mismatched
    )


# Entry point ------------------------------------------------------------------------------


def reconcile_stripe(
    *,
    kind: str = "all",
    full: bool = False,
    since: dt.date | None = None,
    trigger: str = "beat",
    after_page: Callable[[ReconciliationRun], None] | None = None,
    as_of: int | None = None,
) -> ReconciliationRun:
    """Run reconciliation steps under the single-flight lock; returns the run record.
    ``as_of`` (Unix time): the moment the balance check compares the two balances at;
    by default ``RECONCILIATION_BALANCE_LAG_SECONDS`` before it runs."""
    if kind not in KINDS:
        raise DonationError(f"Unknown reconciliation kind {kind!r}.")
    holder = uuid.uuid4().hex
    if not _acquire(holder):
        return ReconciliationRun.objects.create(
            kind=kind, trigger=trigger, status=RunStatus.SKIPPED, finished_at=timezone.now()
        )
    run = ReconciliationRun.objects.create(kind=kind, trigger=trigger)
    try:
        totals = None
        if kind in ("all", "sync"):
            totals = _sync(run, holder, full=full, since=since, after_page=after_page)
        if kind in ("all", "events"):
            _events(run, holder)
        if kind in ("all", "payouts"):
            window = None if full else _state().watermark
            _payouts(run, holder, since=window - 7 * 24 * 3600 if window else None)
        if kind in ("all", "balance"):
            _balance(
                run,
                totals=totals if full else None,
                verify=kind == "balance" or full,
                as_of=as_of,
            )
        run.status = RunStatus.SUCCEEDED
    except LockLost as error:
        run.status, run.error = RunStatus.INTERRUPTED, str(error)
    except Exception as error:
        run.status, run.error = RunStatus.FAILED, error_text(error)
        logger.warning("reconciliation run %s failed: %s", run.pk, type(error).__name__)
    finally:
        ReconciliationRun.objects.filter(pk=run.pk).update(
            status=run.status, error=run.error, finished_at=timezone.now()
        )
        _release(holder)
    run.refresh_from_db()
    return run

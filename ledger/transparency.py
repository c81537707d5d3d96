"""The public figures: what ``/transparency/``, ``/transparency.json``, the monthly CSV
and the checkpoint list publish, computed from the maintained balances and monthly totals
and cached until the books change.

Two parts, cached separately because they change at different rates:

* **the books part** (totals, money in by month, the ledger head, checkpoints, the donor
  wall): account balances and monthly totals only, a few hundred rows however long the
  journal. Recomputed when the head of the chain moves.
* **the people part** (people helped, breakdowns by county and bail type, monthly
  disbursement series with small cells suppressed): the fund's disbursements and their
  outcomes, which grow with the cases, not with donations. Recomputed only when money
  moved for a case (the bail and support balances, the newest outcome) or a case or
  disbursement was saved.

Every request costs one small prepared query (:func:`current_version`; none within
``TRANSPARENCY_REFRESH_SECONDS`` of the last time this process found its figures current,
when that is set). Each process keeps its own copy of the figures and reads the shared
cache only when the version moves; the figures are recomputed only when no process has
them for that version yet, by one thread per process at a time while the others keep
serving the previous figures. Which version a cached entry belongs to is stored with it,
so an entry is never served for other books.

The privacy rules are applied by ``ledger.privacy``; nothing here publishes a case id,
a date finer than a month or a single person's amount.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from django.conf import settings
from django.core.cache import cache as _shared_cache
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_noop

from config.database import on_a_live_connection
from ledger import privacy
from ledger.hashing import GENESIS_HASH
from ledger.models import (
    Account,
    BailCase,
    BailType,
    ChainHead,
    Checkpoint,
    Disbursement,
    DisbursementOutcome,
    DisbursementPurpose,
    DisbursementStatus,
    MonthlyTotal,
    PublicFiguresGeneration,
)

logger = logging.getLogger(__name__)


class _Cache:
    """The shared cache, but never the reason a public page fails: while it is unreachable
    (Redis restarting), reads miss and writes are dropped, so each process computes the
    figures it needs from the books until it is back."""

    def _try(self, name: str, default, *args, **kwargs):
        try:
            return getattr(_shared_cache, name)(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - degrade to computing, never fail
            logger.warning("transparency cache unavailable: %s", type(error).__name__)
            return default

    def get(self, key, default=None):
        return self._try("get", default, key, default)

    def set(self, key, value, timeout):
        self._try("set", None, key, value, timeout)

    def set_many(self, mapping, timeout):
        self._try("set_many", [], mapping, timeout)


cache = _Cache()

PAID_STATES = (
    DisbursementStatus.PAID,
    DisbursementStatus.PARTLY_RETURNED,
    DisbursementStatus.RETURNED,
    DisbursementStatus.FORFEITED,
)

# Labels are English in the open data; the page translates them (gettext_noop marks them).
BAIL_TYPE_LABELS = {
    BailType.CRIMINAL_BAIL: gettext_noop("Criminal bail"),
    BailType.IMMIGRATION_BOND: gettext_noop("Immigration bond"),
    BailType.OTHER_SUPPORT: gettext_noop("Other support"),
}
OTHER_COUNTIES = gettext_noop("Other counties")

TOTALS = (
    "donations_gross",
    "refunds",
    "disputes",
    "processing_fees",
    "donations_net",
    "opening_balance",
    "bail_paid",
    "bail_returned",
    "court_fees",
    "bail_forfeited",
    "bail_outstanding",
    "direct_support",
    "bank_and_cash",
    "approved_unpaid",
    "available",
    "stripe_balance",
    "people_helped",
    "bail_payments",
    "donations_count",
)
MONEY_IN_SERIES = (
    "donations_gross",
    "refunds",
    "disputes",
    "processing_fees",
    "donations_net",
    "donations_count",
)
# Money paid to or for people, month by month: these go through the privacy rules.
PEOPLE_SERIES = ("bail_paid", "bail_returned", "court_fees", "bail_forfeited", "direct_support")
MONTHLY_FIELDS = MONEY_IN_SERIES + PEOPLE_SERIES
BREAKDOWN_AMOUNTS = ("bail_paid", "direct_support", "bail_outstanding")
RECENT_CHECKPOINTS = 10

BAIL_OUTSTANDING = "assets:bail_outstanding"
DIRECT_SUPPORT = "expenses:direct_support"
COURT_FEES = "expenses:court_fees"
FORFEITED = "expenses:bail_forfeited"

ENTRY_PREFIX = "transparency:latest:"


# What the figures depend on ------------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    """Everything whose change changes the public figures, read in one query."""

    sequence: int
    head_hash: str
    checkpoint: int
    approved_count: int
    approved_total: int
    outcome: int
    bail_outstanding: int
    direct_support: int
    generation: int

    @property
    def people_key(self) -> str:
        return (
            f"transparency:people:{self.bail_outstanding}:{self.direct_support}:"
            f"{self.outcome}:{self.generation}"
        )

    @property
    def key(self) -> str:
        return (
            f"{self.sequence}:{self.head_hash}:{self.checkpoint}:{self.approved_count}:"
            f"{self.approved_total}:{self.people_key}"
        )


def _version_sql() -> str:
    head, account = ChainHead._meta.db_table, Account._meta.db_table
    disbursement = Disbursement._meta.db_table
    return (
        f"SELECT (SELECT sequence FROM {head} WHERE id = 1), "  # noqa: S608 (table names only)
        f"(SELECT hash FROM {head} WHERE id = 1), "
        f"(SELECT MAX(id) FROM {Checkpoint._meta.db_table}), "
        f"(SELECT COUNT(*) FROM {disbursement} WHERE status = %s), "
        f"(SELECT SUM(amount) FROM {disbursement} WHERE status = %s), "
        f"(SELECT MAX(id) FROM {DisbursementOutcome._meta.db_table}), "
        f"(SELECT balance FROM {account} WHERE code = %s), "
        f"(SELECT balance FROM {account} WHERE code = %s), "
        f"(SELECT generation FROM {PublicFiguresGeneration._meta.db_table} WHERE id = 1)"
    )


def _version_row(params: list) -> tuple:
    """The version row on PostgreSQL, asked on every request: a server-side-binding cursor
    keeps the query prepared on the connection, which halves its cost (no quoting on our
    side, no planning on theirs). It is one round trip: Django's health check before it
    would be a second (see config.database)."""
    connection.ensure_connection()
    started = time.monotonic()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(_version_sql(), params, prepare=True)
        row = cursor.fetchone()
    if connection.queries_logged:  # as Django's own cursors do, for tests and DEBUG
        elapsed = time.monotonic() - started
        connection.queries_log.append({"sql": _version_sql(), "time": f"{elapsed:.3f}"})
    return row


def current_version() -> Version:
    """One query of index look-ups: the chain head, the newest checkpoint and outcome, two
    balances, the approved-but-unpaid disbursements and the generation counter."""
    approved = DisbursementStatus.APPROVED.value
    params = [approved, approved, BAIL_OUTSTANDING, DIRECT_SUPPORT]
    if connection.vendor == "postgresql":
        row = on_a_live_connection(lambda: _version_row(params))
    else:
        with connection.cursor() as cursor:
            cursor.execute(_version_sql(), params)
            row = cursor.fetchone()
    sequence, head_hash, checkpoint, count, total, outcome, outstanding, support, generation = row
    return Version(
        sequence=sequence or 0,
        head_hash=head_hash or GENESIS_HASH,
        checkpoint=checkpoint or 0,
        approved_count=count or 0,
        approved_total=int(total or 0),
        outcome=outcome or 0,
        bail_outstanding=outstanding or 0,
        direct_support=support or 0,
        generation=generation or 0,
    )


def invalidate() -> None:
    """Recompute the public figures at the next request: for changes the version query
    cannot see (a case's county corrected, a donor wall entry approved). Runs after commit,
    in a statement of its own: holding the counter's row lock until the caller commits
    could order it against the books' lock both ways."""

    def bump() -> None:
        table = PublicFiguresGeneration._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (id, generation) VALUES (1, 1) "  # noqa: S608 (table name)
                f"ON CONFLICT (id) DO UPDATE SET generation = {table}.generation + 1"
            )

    transaction.on_commit(bump, robust=True)


@receiver(post_save, sender=BailCase)
@receiver(post_delete, sender=BailCase)
@receiver(post_save, sender=Disbursement)
@receiver(post_delete, sender=Disbursement)
@receiver(post_save, sender=DisbursementOutcome)
def _case_data_changed(sender, **kwargs) -> None:
    invalidate()


# The people part ----------------------------------------------------------------------------


def _month(date) -> str:
    return f"{date:%Y-%m}"


def _county_key(county: str) -> tuple[str, str]:
    label = " ".join(county.split())
    return label.casefold(), label


def _people_part() -> dict:
    """Counts and sums over the fund's paid disbursements, with the privacy rules applied.
    Cost grows with the number of disbursements, never with the journal."""
    minimum = privacy.min_cell()
    counties: dict[str, privacy.Group] = {}
    spellings: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    types = {value: privacy.Group(value, label) for value, label in BAIL_TYPE_LABELS.items()}
    people: set[int] = set()
    bail_payments = 0
    month_people: dict[str, dict[str, set[int]]] = {
        name: defaultdict(set) for name in PEOPLE_SERIES
    }

    rows = Disbursement.objects.filter(status__in=PAID_STATES).values_list(
        "case_id",
        "case__county",
        "case__bail_type",
        "purpose",
        "amount",
        "returned_amount",
        "court_fees",
        "forfeited_amount",
        "paid_on",
    )
    for case_id, county, bail_type, purpose, amount, returned, fees, forfeited, paid_on in rows:
        people.add(case_id)
        if purpose == DisbursementPurpose.BAIL:
            bail_payments += 1
            sums = {
                "bail_paid": amount,
                "bail_outstanding": amount - returned - fees - forfeited,
            }
            series = "bail_paid"
        else:
            sums = {"direct_support": amount}
            series = "direct_support"
        key, label = _county_key(county)
        spellings[key][label] += 1
        counties.setdefault(key, privacy.Group(key, label)).add(case_id, **sums)
        types.setdefault(bail_type, privacy.Group(bail_type, bail_type)).add(case_id, **sums)
        if paid_on is not None:
            month_people[series][_month(paid_on)].add(case_id)

    outcomes = DisbursementOutcome.objects.values_list(
        "disbursement__case_id", "occurred_on", "returned_amount", "court_fees", "forfeited_amount"
    )
    for case_id, occurred_on, returned, fees, forfeited in outcomes:
        month = _month(occurred_on)
        for series, amount in (
            ("bail_returned", returned),
            ("court_fees", fees),
            ("bail_forfeited", forfeited),
        ):
            if amount:
                month_people[series][month].add(case_id)

    for key, group in counties.items():  # the most used spelling names the county
        group.label = max(spellings[key].items(), key=lambda item: (item[1], item[0]))[0]

    amounts = _people_series_amounts()
    months = sorted(
        {m for per_month in amounts.values() for m in per_month}
        | {m for per_month in month_people.values() for m in per_month}
    )
    monthly = {
        name: privacy.series(months, month_people[name], amounts[name], minimum=minimum)
        for name in PEOPLE_SERIES
    }
    return {
        "people_helped": len(people),
        "bail_payments": bail_payments,
        "county": [
            cell.as_dict()
            for cell in privacy.breakdown(
                counties.values(),
                amount_names=BREAKDOWN_AMOUNTS,
                fold_into_other=True,
                other_label=OTHER_COUNTIES,
                minimum=minimum,
            )
        ],
        "bail_type": [
            cell.as_dict()
            for cell in privacy.breakdown(
                types.values(),
                amount_names=BREAKDOWN_AMOUNTS,
                fold_into_other=False,
                minimum=minimum,
            )
        ],
        "monthly": monthly,
        "min_cell": minimum,
    }


def _people_series_amounts() -> dict[str, dict[str, int]]:
    """Money paid to or for people by month, from the monthly totals of four accounts."""
    flows: dict[tuple[str, str], tuple[int, int]] = {}
    rows = MonthlyTotal.objects.filter(
        account__code__in=(BAIL_OUTSTANDING, DIRECT_SUPPORT, COURT_FEES, FORFEITED)
    ).values_list("account__code", "month", "debits", "credits")
    for code, month, debits, credits in rows:
        flows[(code, _month(month))] = (debits, credits)
    result: dict[str, dict[str, int]] = {name: {} for name in PEOPLE_SERIES}
    for month in sorted({m for _, m in flows}):

        def net(code: str, month: str = month) -> int:
            debits, credits = flows.get((code, month), (0, 0))
            return debits - credits

        paid, back = flows.get((BAIL_OUTSTANDING, month), (0, 0))
        result["bail_paid"][month] = paid
        result["court_fees"][month] = net(COURT_FEES)
        result["bail_forfeited"][month] = net(FORFEITED)
        result["bail_returned"][month] = back - net(COURT_FEES) - net(FORFEITED)
        result["direct_support"][month] = net(DIRECT_SUPPORT)
    return result


def _people(version: Version) -> dict:
    part = cache.get(version.people_key)
    if part is None:
        part = _people_part()
        cache.set(version.people_key, part, settings.TRANSPARENCY_CACHE_SECONDS)
    return part


# The books part and the public document -----------------------------------------------------


def _month_range(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _as_of() -> str:
    return _iso(timezone.now())


def compute(version: Version) -> tuple[dict, dict]:
    """(the public document, what the page shows besides it)."""
    balances = dict(Account.objects.values_list("code", "balance"))
    per_month: dict[str, dict[str, tuple[int, int, int]]] = defaultdict(dict)
    debits_of: dict[str, int] = defaultdict(int)
    postings_of: dict[str, int] = defaultdict(int)
    rows = MonthlyTotal.objects.values_list(
        "account__code", "month", "debits", "credits", "postings_count"
    )
    for code, month, debits, credits, count in rows:
        per_month[_month(month)][code] = (debits, credits, count)
        debits_of[code] += debits
        postings_of[code] += count
    people = _people(version)

    def balance(code: str) -> int:
        return balances.get(code, 0)

    gross = -balance("income:donations")
    refunds = balance("income:donations_refunded")
    disputes = balance("expenses:dispute_losses")
    fees = balance("expenses:processing_fees")
    net = gross - refunds - disputes - fees
    bail_paid = debits_of[BAIL_OUTSTANDING]
    outstanding = balance(BAIL_OUTSTANDING)
    court_fees, forfeited = balance(COURT_FEES), balance(FORFEITED)
    bank_and_cash = balance("assets:bank") + balance("assets:cash")
    totals = {
        "donations_gross": gross,
        "refunds": refunds,
        "disputes": disputes,
        "processing_fees": fees,
        "donations_net": net,
        "opening_balance": -balance("net_assets:opening_balance"),
        "bail_paid": bail_paid,
        "bail_returned": bail_paid - outstanding - court_fees - forfeited,
        "court_fees": court_fees,
        "bail_forfeited": forfeited,
        "bail_outstanding": outstanding,
        "direct_support": balance(DIRECT_SUPPORT),
        "bank_and_cash": bank_and_cash,
        "approved_unpaid": version.approved_total,
        "available": bank_and_cash - version.approved_total,
        "stripe_balance": balance("assets:stripe"),
        "people_helped": people["people_helped"],
        "bail_payments": people["bail_payments"],
        "donations_count": postings_of["income:donations"],
    }
    ratios = {
        "recycling_multiple": round(bail_paid / net, 2) if net > 0 else None,
        "average_bail": round(bail_paid / people["bail_payments"])
        if people["bail_payments"]
        else None,
    }

    known = sorted(set(per_month) | {m for s in people["monthly"].values() for m in s})
    months = _month_range(known[0], known[-1]) if known else []
    # Months a series does not mention had nothing in it: zero, unless the whole series is
    # hidden (it counts too few people), where a zero would say where the rest is.
    empty_month = {
        name: None if values and all(v is None for v in values.values()) else 0
        for name, values in people["monthly"].items()
    }
    monthly = []
    for month in months:
        flows = per_month.get(month, {})

        def net_of(code: str, flows=flows) -> int:
            debits, credits, _ = flows.get(code, (0, 0, 0))
            return debits - credits

        gross_m = -net_of("income:donations")
        refunds_m = net_of("income:donations_refunded")
        disputes_m = net_of("expenses:dispute_losses")
        fees_m = net_of("expenses:processing_fees")
        row: dict[str, Any] = {
            "month": month,
            "donations_gross": gross_m,
            "refunds": refunds_m,
            "disputes": disputes_m,
            "processing_fees": fees_m,
            "donations_net": gross_m - refunds_m - disputes_m - fees_m,
            "donations_count": flows.get("income:donations", (0, 0, 0))[2],
        }
        for name in PEOPLE_SERIES:
            row[name] = people["monthly"][name].get(month, empty_month[name])
        monthly.append(row)

    checkpoints = [
        {"sequence": sequence, "hash": digest, "created_at": _iso(created_at)}
        for sequence, digest, created_at in Checkpoint.objects.order_by(
            "-sequence", "-created_at"
        ).values_list("sequence", "hash", "created_at")
    ]
    document = {
        "fund": settings.FUND_NAME,
        "currency": settings.FUND_CURRENCY,
        "as_of": _as_of(),
        "totals": totals,
        "ratios": ratios,
        "monthly": monthly,
        "breakdowns": {"county": people["county"], "bail_type": people["bail_type"]},
        "ledger": {
            "sequence": version.sequence,
            "head_hash": version.head_hash,
            "checkpoints_count": len(checkpoints),
            "latest_checkpoint": checkpoints[0] if checkpoints else None,
            "checkpoints_url": "/transparency/checkpoints.json",
        },
        "privacy": {"min_cell": people["min_cell"]},
    }
    from donations.wall import wall_entries  # here: donations imports the books at load

    extras = {
        "checkpoints": checkpoints,
        "recent_checkpoints": checkpoints[:RECENT_CHECKPOINTS],
        "wall": wall_entries(),
    }
    return document, extras


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def monthly_csv(document: dict) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["month", *MONTHLY_FIELDS])
    for row in document["monthly"]:
        writer.writerow([row["month"], *("" if row[f] is None else row[f] for f in MONTHLY_FIELDS)])
    return out.getvalue().encode()


def checkpoints_document(document: dict, extras: dict) -> dict:
    return {
        "fund": document["fund"],
        "as_of": document["as_of"],
        "head": {
            "sequence": document["ledger"]["sequence"],
            "hash": document["ledger"]["head_hash"],
        },
        "checkpoints": extras["checkpoints"],
        "verify": (
            "Get the journal export (manage.py export_ledger --format csv) and run "
            "python verify_export.py journal.csv --published checkpoints.json"
        ),
    }


def _dump(value: dict) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


# The cache ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    version: str
    payload: Any


@dataclass(frozen=True)
class Served:
    """Bytes ready to send, and their validator."""

    etag: str
    body: bytes


# Re-entrant: building the page builds the document first, in the same thread.
_filling = threading.RLock()
_local: dict[str, Entry] = {}  # this process's copies of the shared cache's entries
_checked: dict[str, float] = {}  # when each copy was last found current (time.monotonic())


def _recent(key: str) -> bool:
    """This process found its copy current within TRANSPARENCY_REFRESH_SECONDS (never,
    when that is 0): it is served without asking the books' version again."""
    refresh = settings.TRANSPARENCY_REFRESH_SECONDS
    return refresh > 0 and time.monotonic() - _checked.get(key, -refresh) < refresh


def _current(key: str, entry: Entry) -> Any:
    _local[key] = entry
    _checked[key] = time.monotonic()
    return entry.payload


def _cached(
    kind: str, build: Callable[[Version], dict[str, Any]], version: Version | None = None
) -> Any:
    """The entry ``kind``, current for the books: this process's copy, the shared cache's,
    or built (``build`` returns a dict of kinds to store, among them ``kind``). While one
    thread of this process brings a stale copy up to date, the others serve that copy."""
    key = ENTRY_PREFIX + kind
    # This process's copy first: reading a document of tens of kilobytes from a shared
    # Redis cache (and unpickling it) would cost more than the rest of the request.
    entry = _local.get(key)
    if entry is not None and _recent(key):
        return entry.payload  # not even the version is read
    version = version or current_version()
    if entry is not None and entry.version == version.key:
        return _current(key, entry)
    if not _filling.acquire(blocking=entry is None):
        return entry.payload  # another thread is on it: the previous figures meanwhile
    try:
        entry = _local.get(key)
        if entry is not None and entry.version == version.key:
            return _current(key, entry)  # brought up to date while this thread waited
        shared = cache.get(key)
        if shared is not None and shared.version == version.key:
            return _current(key, shared)  # another process computed these figures
        built = build(version)
        entries = {ENTRY_PREFIX + name: Entry(version.key, value) for name, value in built.items()}
        for name, fresh in entries.items():
            _current(name, fresh)
        cache.set_many(entries, settings.TRANSPARENCY_CACHE_SECONDS)
        return built[kind]
    finally:
        _filling.release()


def _served(body: bytes, same_as: dict | None = None) -> Served:
    """The body and its ETag. A JSON document's ETag leaves out ``as_of`` (weak: the same
    figures computed again, or by another process, keep their validator)."""
    if same_as is None:
        return Served(etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"', body=body)
    digest = hashlib.sha256(_dump({k: v for k, v in same_as.items() if k != "as_of"}))
    return Served(etag=f'W/"{digest.hexdigest()[:32]}"', body=body)


def _build_all(version: Version) -> dict[str, Any]:
    document, extras = compute(version)
    checkpoints = checkpoints_document(document, extras)
    return {
        "document": (document, extras),
        "json": _served(_dump(document), same_as=document),
        "csv": _served(monthly_csv(document)),
        "checkpoints": _served(_dump(checkpoints), same_as=checkpoints),
    }


def public_document(version: Version | None = None) -> tuple[dict, dict]:
    """(the public document, the page's extras), current for the books."""
    return _cached("document", _build_all, version)


def open_data(kind: str) -> Served:
    """``json``, ``csv`` or ``checkpoints``: bytes and ETag, current for the books."""
    return _cached(kind, _build_all)


def page(language: str, render: Callable[[dict, dict], str]) -> bytes:
    """The transparency page in ``language``, rendered once per version of the books and
    kept encoded: 80 kB with a few non-ASCII characters cost 50 µs a request to encode
    and to read back from the cache as text, a tenth of what the request costs."""
    kind = f"page:{language}"

    def build(version: Version) -> dict[str, Any]:
        return {kind: render(*public_document(version)).encode()}

    return _cached(kind, build)

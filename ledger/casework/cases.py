"""Services for bail cases: the one place that encrypts, reads and purges identifying data.

Every write is audited without personal data (the audit log names the case by its opaque
id and the fields that changed, never their values).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from ledger.books.fund_time import fund_today
from ledger.books.posting import audit_record
from ledger.casework import crypto
from ledger.casework.case_rows import month_start, month_start_at
from ledger.casework.correction_records import Correction
from ledger.models import BailCase, BailType, Disbursement, DisbursementOutcome, DisbursementStatus
from ledger.staff.roles import Capability, require, user_can


@dataclass(frozen=True)
class Identity:
    """What identifies the person; stored only encrypted."""

    name: str = ""
    date_of_birth: str = ""  # YYYY-MM-DD
    booking_number: str = ""
    docket_number: str = ""
    notes: str = ""


class InvalidCase(ValueError):
    """A case needs a county, a known bail type and an opening date."""


IDENTITY_LIMITS = {
    "name": 200,
    "date_of_birth": 10,
    "booking_number": 60,
    "docket_number": 60,
    "notes": 4000,
}
# What a refusal says of a field that is too long.
TOO_LONG = {
    "name": gettext_lazy("The name is at most %(limit)s characters."),
    "date_of_birth": gettext_lazy("The date of birth is at most %(limit)s characters."),
    "booking_number": gettext_lazy("The booking number is at most %(limit)s characters."),
    "docket_number": gettext_lazy("The docket number is at most %(limit)s characters."),
    "notes": gettext_lazy("The notes is at most %(limit)s characters."),
}
# The dates a refusal names, as words of its sentence.
DATE_NAMES = {
    "opening date": pgettext_lazy("field named in a refusal", "opening date"),
    "closing date": pgettext_lazy("field named in a refusal", "closing date"),
}


def _check_identity(identity: Identity) -> None:
    for field, limit in IDENTITY_LIMITS.items():
        if len(getattr(identity, field)) > limit:
            raise InvalidCase(TOO_LONG[field] % {"limit": limit})
    if identity.date_of_birth:
        try:
            dt.date.fromisoformat(identity.date_of_birth)
        except ValueError:
            raise InvalidCase(gettext("The date of birth must be a date (YYYY-MM-DD).")) from None


def _docket_lookup(identity: Identity | None) -> str:
    """The keyed hash that finds a case by docket number, or '' when there is none."""
    if identity is None or not identity.docket_number:
        return ""
    return crypto.docket_lookup_hash(identity.docket_number)


def _check_date(value, what: str) -> dt.date:
    named = {"what": DATE_NAMES[what]}
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise InvalidCase(gettext("The %(what)s must be a date.") % named)
    if value > fund_today():
        raise InvalidCase(gettext("The %(what)s cannot be in the future.") % named)
    return value


def case_create(
    *,
    actor,
    county: str,
    bail_type: str,
    opened_on: dt.date,
    identity: Identity,
    court: str = "",
    next_court_date: dt.date | None = None,
) -> BailCase:
    require(actor, Capability.MANAGE_CASES)
    if not county.strip() or bail_type not in BailType.values:
        raise InvalidCase(gettext("A case needs a county and a known bail type."))
    if len(county.strip()) > 80 or len(court.strip()) > 120:
        raise InvalidCase(gettext("The county is at most 80 characters and the court 120."))
    _check_date(opened_on, "opening date")
    _check_court_date(next_court_date, opened_on=opened_on)
    _check_identity(identity)
    with transaction.atomic():
        case = BailCase.objects.create(
            county=county.strip(),
            court=court.strip(),
            next_court_date=next_court_date,
            bail_type=bail_type,
            opened_on=opened_on,
            identity_ciphertext=crypto.encrypt_json(asdict(identity)),
            docket_lookup=_docket_lookup(identity),
        )
        audit_record(actor, "case", case.public_id, "case.created", {"bail_type": bail_type})
    return case


def case_update_identity(*, actor, case: BailCase, identity: Identity) -> BailCase:
    """Replace the identifying data (all of it: it is one encrypted value)."""
    require(actor, Capability.MANAGE_CASES)
    _check_identity(identity)
    with transaction.atomic():
        case = BailCase.objects.select_for_update().get(pk=case.pk)
        if case.pii_purged_at is not None:
            raise InvalidCase(
                gettext("This case's identifying data was purged; it cannot be edited.")
            )
        before = case_identity(case=case) or Identity()
        changed = sorted(f for f in IDENTITY_LIMITS if getattr(before, f) != getattr(identity, f))
        if not changed:
            return case
        case.identity_ciphertext = crypto.encrypt_json(asdict(identity))
        case.docket_lookup = _docket_lookup(identity)
        case.save(update_fields=["identity_ciphertext", "docket_lookup", "updated_at"])
        audit_record(actor, "case", case.public_id, "case.identity_changed", {"fields": changed})
    return case


# How far ahead a court date may be: further is a mistyped year.
COURT_DATE_MAX_YEARS_AHEAD = 5


def _check_court_date(value, *, opened_on: dt.date) -> None:
    if value is None:
        return
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise InvalidCase(gettext("The next court date must be a date."))
    if value < opened_on:
        raise InvalidCase(gettext("The next court date cannot be before the case opened."))
    if value.year > fund_today().year + COURT_DATE_MAX_YEARS_AHEAD:
        raise InvalidCase(
            gettext("The next court date is more than %(years)s years ahead; check the year.")
            % {"years": COURT_DATE_MAX_YEARS_AHEAD}
        )


def case_set_court_date(*, actor, case: BailCase, next_court_date: dt.date | None) -> BailCase:
    """Set, change or clear (``None``) an open case's next court date. Like the court, it
    is a detail that could match the case to a court record: the audit row says whether a
    date is set now, never which."""
    require(actor, Capability.MANAGE_CASES)
    with transaction.atomic():
        case = BailCase.objects.select_for_update().get(pk=case.pk)
        if case.closed_on is not None:
            raise InvalidCase(gettext("This case is closed; its court date can no longer change."))
        _check_court_date(next_court_date, opened_on=case.opened_on)
        if case.next_court_date == next_court_date:
            return case
        case.next_court_date = next_court_date
        case.save(update_fields=["next_court_date", "updated_at"])
        details = {"date_set": next_court_date is not None}
        audit_record(actor, "case", case.public_id, "case.court_date_changed", details)
    return case


def case_close(*, actor, case: BailCase, closed_on: dt.date, outcome: str = "") -> BailCase:
    """Close a case once none of its disbursements is waiting or outstanding. The retention
    clock for its identifying data starts here; its next court date is cleared."""
    require(actor, Capability.MANAGE_CASES)
    _check_date(closed_on, "closing date")
    outcome = outcome.strip()
    if len(outcome) > 60:
        raise InvalidCase(gettext("The outcome is at most 60 characters."))
    with transaction.atomic():
        case = BailCase.objects.select_for_update().get(pk=case.pk)
        if case.closed_on is not None:
            return case
        if closed_on < case.opened_on:
            raise InvalidCase(gettext("A case cannot close before it opened."))
        open_states = (
            DisbursementStatus.REQUESTED,
            DisbursementStatus.APPROVED,
            DisbursementStatus.PAID,
        )
        busy = case.disbursements.filter(status__in=open_states).exists() or any(
            d.outstanding
            for d in case.disbursements.filter(status=DisbursementStatus.PARTLY_RETURNED)
        )
        if busy:
            raise InvalidCase(
                gettext(
                    "This case still has disbursements waiting or bail outstanding; "
                    "settle them first."
                )
            )
        # A closed case has no court date ahead: it is not kept past the case's end.
        court_date_cleared = case.next_court_date is not None
        case.closed_on, case.outcome, case.next_court_date = closed_on, outcome, None
        case.save(update_fields=["closed_on", "outcome", "next_court_date", "updated_at"])
        details = {"court_date_cleared": True} if court_date_cleared else None
        audit_record(actor, "case", case.public_id, "case.closed", details)
    return case


def case_identity_shown(*, actor, case: BailCase) -> Identity | None:
    """The identity, for a person allowed to see it; None for anyone else. Every showing is
    in the audit log (who, which case, when), so reading is accountable too."""
    if not user_can(actor, Capability.VIEW_IDENTITY):
        return None
    identity = case_identity(case=case)
    if identity is not None:
        audit_record(actor, "case", case.public_id, "case.identity_viewed")
    return identity


def case_identity(*, case: BailCase) -> Identity | None:
    """The decrypted identity, or None once purged."""
    if not case.identity_ciphertext:
        return None
    return Identity(**crypto.decrypt_json(case.identity_ciphertext))


def case_find_by_docket(docket_number: str) -> BailCase | None:
    """Exact look-up by docket number, through the keyed hash (no decryption, no scan)."""
    if not docket_number.strip():
        return None
    return BailCase.objects.filter(docket_lookup=crypto.docket_lookup_hash(docket_number)).first()


# What the retention purge blanks, and the dates it keeps only to the month.
PURGE_ERASES = {
    BailCase: ("identity_ciphertext", "docket_lookup", "court", "next_court_date", "outcome"),
    Disbursement: ("instrument_reference", "payee_name"),
    DisbursementOutcome: (),
    Correction: ("reason",),
}
PURGE_TO_THE_MONTH = {
    BailCase: ("created_at", "updated_at", "opened_on", "closed_on"),
    Disbursement: (
        "requested_at",
        "approved_at",
        "paid_at",
        "cancelled_at",
        "paid_on",
        "settled_on",
    ),
    DisbursementOutcome: ("occurred_on", "recorded_at"),
    Correction: ("old_date", "new_date", "proposed_at", "decided_at"),
}


def _to_the_month(value):
    if isinstance(value, dt.datetime):
        return month_start_at(value)
    return None if value is None else month_start(value)


def _blank(model, name: str):
    """What an erased field holds: no date for a date, an empty text for a text."""
    return None if model._meta.get_field(name).null else ""


def _purge_rows(rows) -> None:
    """Blank and coarsen each row of ``rows`` (one case's, a handful) with an UPDATE that
    sets exactly those fields: ``save()`` would stamp ``updated_at`` with the day."""
    model = rows.model
    month_fields = PURGE_TO_THE_MONTH[model]
    for row in rows.values("pk", *month_fields):
        changes = {name: _to_the_month(row[name]) for name in month_fields}
        changes |= {name: _blank(model, name) for name in PURGE_ERASES[model]}
        model.objects.filter(pk=row["pk"]).update(**changes)


def _purged_fields(table: dict) -> list[str]:
    return [f"{model._meta.model_name}.{name}" for model, names in table.items() for name in names]


def cases_purge_identifying_data(*, now: dt.datetime | None = None) -> int:
    """Purge cases closed longer than CASE_PII_RETENTION_DAYS ago, so that nothing in the
    case, its disbursements or their outcomes can be matched to a court record: erase the
    identifying data, the court and the next court date, the outcome note, and the
    disbursements' payee names and instrument references, and keep each date only to the
    month (``pii_purged_at`` too: it would date the closing).

    Amounts stay: the books and the funds rule need them. The journal keeps its exact
    dates (it is append-only, and only the bookkeeping roles read it). Public figures count
    by month, so they do not change. One audit row per case, naming fields, never values.
    Idempotent: a purged case has ``pii_purged_at`` and is not taken again.
    """
    now = now or timezone.now()
    cutoff = now.date() - dt.timedelta(days=settings.CASE_PII_RETENTION_DAYS)
    with transaction.atomic():
        due = list(
            BailCase.objects.select_for_update()
            .filter(closed_on__lt=cutoff, pii_purged_at__isnull=True)
            .values_list("pk", "public_id")
        )
        for pk, public_id in due:
            _purge_rows(BailCase.objects.filter(pk=pk))
            _purge_rows(Disbursement.objects.filter(case_id=pk))
            _purge_rows(DisbursementOutcome.objects.filter(disbursement__case_id=pk))
            _purge_rows(Correction.objects.filter(disbursement__case_id=pk))
            BailCase.objects.filter(pk=pk).update(pii_purged_at=month_start_at(now))
            details = {
                "retention_days": settings.CASE_PII_RETENTION_DAYS,
                "erased": _purged_fields(PURGE_ERASES),
                "to_the_month": _purged_fields(PURGE_TO_THE_MONTH),
            }
            audit_record(None, "case", public_id, "case.identifying_data_purged", details)
    return len(due)


def cases_reencrypt() -> int:
    """Re-encrypt every case with the newest key and recompute docket look-ups."""
    count = 0
    for pk in BailCase.objects.exclude(identity_ciphertext="").values_list("pk", flat=True):
        with transaction.atomic():
            case = BailCase.objects.select_for_update().get(pk=pk)
            case.docket_lookup = _docket_lookup(case_identity(case=case))
            case.identity_ciphertext = crypto.reencrypt(case.identity_ciphertext)
            case.save(update_fields=["identity_ciphertext", "docket_lookup", "updated_at"])
        count += 1
    return count

"""What each role sees of the rows tied to a case, and the audit of every export of them.

A row about a case or a disbursement names nobody, until it is matched to a court record:
the court, the day something happened and the check's number are what such a match needs
(reporters named people in 2020 by matching amounts and dates to court records). So:

* roles with ``view_case_details`` (the casework and the books: case manager, approver,
  bookkeeper, admin) see them;
* the others (``viewer``) see the month instead of the day, and no court, no instrument
  reference, no outcome note and no ledger number (the published checkpoints date every
  ledger number to the day). Ages and waits are counted from the start of the month, and
  filters offer no date finer than the month;
* after the retention purge (``ledger.casework.cases``) the rows themselves hold only the month, so
  everyone sees the month.

The staff lists (``ledger.casework.tables``, ``ledger.casework.filters``) and the case and
disbursement pages ask :class:`RowView` what to show, so this rule lives here and in
``ledger.staff.roles.MATRIX``.

Looking at a list is not audited; every export is, once: ``case_rows.exported`` names the
list, the number of rows, the columns, the exporter's roles and the filters, with a docket
number only as "given".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from ledger.books.fund_time import fund_today
from ledger.books.posting import audit_record
from ledger.models import BailCase, Disbursement, DisbursementOutcome
from ledger.staff.roles import Capability, user_can, user_roles


@dataclass(frozen=True)
class RowView:
    """What one person may see of case-linked rows."""

    identity: bool  # names and docket numbers (``view_identity``)
    details: bool  # courts, exact dates, instrument references (``view_case_details``)

    @classmethod
    def of(cls, user) -> RowView:
        return cls(
            identity=user_can(user, Capability.VIEW_IDENTITY),
            details=user_can(user, Capability.VIEW_CASE_DETAILS),
        )

    def exact_for(self, case: BailCase | None) -> bool:
        """Whether this case's dates show to the day: the role sees details and the purge
        has not already reduced them to the month."""
        return self.details and (case is None or case.pii_purged_at is None)


def case_of(record) -> BailCase | None:
    """The case a list row belongs to (a case, a disbursement or an outcome)."""
    if isinstance(record, BailCase):
        return record
    if isinstance(record, Disbursement):
        return record.case
    if isinstance(record, DisbursementOutcome):
        return record.disbursement.case
    return None


def month_start(value: dt.date) -> dt.date:
    return value.replace(day=1)


def month_start_at(value: dt.datetime | None) -> dt.datetime | None:
    """Midnight at the start of the month, in the fund's time zone (``TIME_ZONE``)."""
    if value is None:
        return None
    return timezone.localtime(value).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def month_text(value: dt.date | dt.datetime | None) -> str:
    """'2026-03' for a date or a time (in the fund's time zone); '' for none."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value)
    return f"{value:%Y-%m}"


def days_since(value: dt.date, *, exact: bool) -> int:
    """Days from ``value`` (or from the start of its month) to today."""
    return (fund_today() - (value if exact else month_start(value))).days


def export_filters(filterset, personal: tuple[str, ...] = ("docket",)) -> dict[str, str]:
    """The filters an export was made with, for the audit log: each parameter the filter
    set knows and that was given, personal ones (a docket number) only as 'given'."""
    names = set()
    for name, field in filterset.form.fields.items():
        widget = field.widget  # a date range is two parameters, name_after and name_before
        suffixes = getattr(widget, "suffixes", None)
        names |= {widget.suffixed(name, s) for s in suffixes} if suffixes else {name}
    given = {}
    for name in sorted(names):
        value = filterset.data.get(name, "")
        if value.strip():
            given[name] = "given" if name in personal else value.strip()[:60]
    return given


def case_rows_exported(
    *, actor, what: str, rows: int, columns: list[str], filters: dict, export_format: str
) -> None:
    """One audit row for one exported file of case-linked rows."""
    details = {
        "rows": rows,
        "format": export_format,
        "columns": columns,
        "roles": sorted(role.value for role in user_roles(actor)),
        "filters": filters,
    }
    audit_record(actor, "list", what, "case_rows.exported", details)

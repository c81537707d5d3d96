"""Staff tables (django-tables2). What a row shows depends on who is looking, on screen
and in CSV exports alike (``ledger.casework.case_rows``): ``ledger.casework.lists`` builds
every table through :meth:`StaffTable.for_user`, which drops the ``IDENTIFYING`` columns for roles
without ``view_identity`` and the ``DETAILED`` ones for roles without
``view_case_details``, whose dates show as the month."""

from __future__ import annotations

import django_tables2 as tables
from django.db.models import F
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ledger.casework.case_rows import RowView, case_of, days_since
from ledger.casework.cases import case_identity
from ledger.models import AuditEvent, BailCase, Disbursement, DisbursementOutcome, Posting
from ledger.staff import csv_cells
from ledger.staff.columns import DayColumn, ListTable, MomentColumn, MoneyColumn

AGE_BUCKETS = (
    (30, _("under 30 days")),
    (90, _("30–89 days")),
    (180, _("90–179 days")),
    (365, _("180–364 days")),
)


def age_bucket(days: int) -> str:
    """The age bracket, in the language active now (the CSV export's is English)."""
    for limit, label in AGE_BUCKETS:
        if days < limit:
            return str(label)
    return gettext("365 days or more")


def _identity(record: BailCase):
    if not hasattr(record, "_identity"):
        record._identity = case_identity(case=record)
    return record._identity


class IdentityColumn(tables.Column):
    """One field of the decrypted identity; '(purged)' once retention erased it."""

    def __init__(self, field: str, **kwargs):
        self.field = field
        kwargs.setdefault("orderable", False)
        kwargs.setdefault("empty_values", ())
        super().__init__(**kwargs)

    def _get(self, record):
        identity = _identity(case_of(record))
        return gettext("(purged)") if identity is None else getattr(identity, self.field)

    def render(self, record):
        return self._get(record)

    def value(self, record):
        return self._get(record)


def _disbursement_column(pk: str = "pk", **kwargs) -> tables.Column:
    """A disbursement's number (the row's ``pk`` field), linking to its page."""
    return tables.Column(linkify=("casework:disbursement", {"pk": tables.A(pk)}), **kwargs)


class StaffTable(ListTable):
    IDENTIFYING: tuple[str, ...] = ()  # need view_identity
    DETAILED: tuple[str, ...] = ()  # need view_case_details

    def __init__(self, *args, row_view: RowView | None = None, **kwargs):
        self.row_view = row_view or RowView(identity=False, details=False)
        super().__init__(*args, **kwargs)

    @classmethod
    def for_user(cls, user, data, **kwargs):
        view = RowView.of(user)
        exclude = (() if view.identity else cls.IDENTIFYING) + (
            () if view.details else cls.DETAILED
        )
        return cls(data, exclude=exclude, row_view=view, **kwargs)

    def exact_for(self, record) -> bool:
        return self.row_view.exact_for(case_of(record))


class CaseTable(StaffTable):
    IDENTIFYING = ("name", "docket_number")
    DETAILED = ("court", "next_court_date", "outcome")
    public_id = tables.Column(
        verbose_name=_("Case"), linkify=("casework:case", {"public_id": tables.A("public_id")})
    )
    name = IdentityColumn("name", verbose_name=_("Name"))
    docket_number = IdentityColumn("docket_number", verbose_name=_("Docket"))
    county = tables.Column(verbose_name=_("County"))
    court = tables.Column(verbose_name=_("Court"))
    next_court_date = DayColumn(verbose_name=_("Next court date"))
    bail_type = tables.Column(verbose_name=_("Bail type"))
    opened_on = DayColumn(verbose_name=_("Opened on"))
    closed_on = DayColumn(verbose_name=_("Closed on"))
    outcome = tables.Column(verbose_name=_("Outcome"))

    class Meta:
        model = BailCase
        fields = (
            "public_id",
            "name",
            "docket_number",
            "county",
            "court",
            "next_court_date",
            "bail_type",
            "opened_on",
            "closed_on",
            "outcome",
        )
        order_by = ("-opened_on",)

    def render_public_id(self, value):
        return str(value)[:8]

    def value_public_id(self, value):
        return str(value)


class DisbursementTable(StaffTable):
    IDENTIFYING = ("name",)
    DETAILED = ("payee_name",)
    id = _disbursement_column(verbose_name=_("No."))
    name = IdentityColumn("name", verbose_name=_("Name"))
    county = tables.Column(accessor="case__county", verbose_name=_("County"))
    purpose = tables.Column(verbose_name=_("Purpose"))
    status = tables.Column(verbose_name=_("Status"))
    amount = MoneyColumn(verbose_name=_("Amount"))
    payee_kind = tables.Column(verbose_name=_("Payee kind"))
    payee_name = tables.Column(verbose_name=_("Paid to"))
    method = tables.Column(verbose_name=_("Method"))
    requested_by = tables.Column(accessor="requested_by__username", verbose_name=_("Requested by"))
    requested_at = MomentColumn(verbose_name=_("Requested at"))
    approved_by = tables.Column(accessor="approved_by__username", verbose_name=_("Approved by"))
    approved_at = MomentColumn(verbose_name=_("Approved at"))
    paid_on = DayColumn(verbose_name=_("Paid on"))

    class Meta:
        model = Disbursement
        fields = (
            "id",
            "name",
            "county",
            "purpose",
            "status",
            "amount",
            "payee_kind",
            "payee_name",
            "method",
            "requested_by",
            "requested_at",
            "approved_by",
            "approved_at",
            "paid_on",
        )
        order_by = ("-requested_at",)


class QueueTable(DisbursementTable):
    DETAILED = (*DisbursementTable.DETAILED, "waiting")  # a number of days gives the day away
    paid_on = None
    waiting = tables.Column(empty_values=(), orderable=False, verbose_name=_("Waiting"))

    class Meta(DisbursementTable.Meta):
        # Waiting ones have no payment date yet: how long they have waited instead.
        fields = (*DisbursementTable.Meta.fields[:-1], "waiting")
        order_by = ("requested_at",)

    def render_waiting(self, record):
        days = (timezone.now() - record.requested_at).days
        return ngettext("%(days)d day", "%(days)d days", days) % {"days": days}

    def value_waiting(self, record):
        return (timezone.now() - record.requested_at).days


class OutstandingTable(StaffTable):
    IDENTIFYING = ("name", "docket_number")
    DETAILED = ("court",)
    id = _disbursement_column(verbose_name=_("No."))
    name = IdentityColumn("name", verbose_name=_("Name"))
    docket_number = IdentityColumn("docket_number", verbose_name=_("Docket"))
    county = tables.Column(accessor="case__county", verbose_name=_("County"))
    court = tables.Column(accessor="case__court", verbose_name=_("Court"))
    status = tables.Column(verbose_name=_("Status"))
    amount = MoneyColumn(verbose_name=_("Bail paid"))
    outstanding = MoneyColumn(
        empty_values=(),
        orderable=False,
        verbose_name=_("Outstanding"),
        # Every row here is paid bail not yet settled: what the court still holds.
        total=F("amount") - F("returned_amount") - F("court_fees") - F("forfeited_amount"),
    )
    paid_on = DayColumn(verbose_name=_("Paid on"))
    age = tables.Column(empty_values=(), accessor="paid_on", verbose_name=_("Age"))
    payee_kind = tables.Column(verbose_name=_("Payee kind"))

    class Meta:
        model = Disbursement
        fields = (
            "id",
            "name",
            "docket_number",
            "county",
            "court",
            "status",
            "paid_on",
            "age",
            "amount",
            "outstanding",
            "payee_kind",
        )
        order_by = ("paid_on",)

    def _days(self, record) -> int:
        return days_since(record.paid_on, exact=self.exact_for(record))

    def render_age(self, record):
        return age_bucket(self._days(record))

    def value_age(self, record):  # CSV: days, or the bracket for those who see months
        days = self._days(record)
        return days if self.exact_for(record) else age_bucket(days)


class OutcomeTable(StaffTable):
    IDENTIFYING = ("name",)
    DETAILED = ("sequence",)  # the published checkpoints date a ledger number
    kind = tables.Column(verbose_name=_("Kind"))
    disbursement = _disbursement_column(
        "disbursement_id", accessor="disbursement_id", verbose_name=_("Disbursement")
    )
    name = IdentityColumn("name", verbose_name=_("Name"))
    county = tables.Column(accessor="disbursement__case__county", verbose_name=_("County"))
    returned_amount = MoneyColumn(verbose_name=_("Returned"))
    court_fees = MoneyColumn(verbose_name=_("Court fees"))
    forfeited_amount = MoneyColumn(verbose_name=_("Forfeited"))
    recorded_by = tables.Column(accessor="recorded_by__username", verbose_name=_("Recorded by"))
    recorded_at = MomentColumn(verbose_name=_("Recorded at"))
    sequence = tables.Column(accessor="transaction__sequence", verbose_name=_("Ledger no."))
    occurred_on = DayColumn(verbose_name=_("Occurred on"))

    class Meta:
        model = DisbursementOutcome
        fields = (
            "occurred_on",
            "kind",
            "disbursement",
            "name",
            "county",
            "returned_amount",
            "court_fees",
            "forfeited_amount",
            "recorded_by",
            "recorded_at",
            "sequence",
        )
        order_by = ("-occurred_on",)


CASE_LINKED = frozenset({"case", "disbursement"})


class AuditDetailsColumn(tables.JSONColumn):
    """The event's details, less the ledger number for those who see case rows by month;
    compact JSON in the CSV."""

    def _details(self, record, table) -> dict:
        if table.exact_for(record):
            return record.details
        return {key: value for key, value in record.details.items() if key != "sequence"}

    def render(self, record, table):
        return super().render(record=record, value=self._details(record, table))

    def value(self, record, table):
        return csv_cells.details(self._details(record, table))


class AuditTable(StaffTable):
    """The audit history. Events about a case or a disbursement are case rows: their times
    show as the month to roles without ``view_case_details``."""

    at = MomentColumn(verbose_name=_("At"))
    actor = tables.Column(accessor="actor__username", verbose_name=_("Who"), default=_("system"))
    action = tables.Column(verbose_name=_("Action"))
    object_type = tables.Column(verbose_name=_("Object type"))
    object_id = tables.Column(verbose_name=_("Object id"))
    change = tables.Column(empty_values=(), orderable=False, verbose_name=_("From → to"))
    details = AuditDetailsColumn(verbose_name=_("Details"))

    class Meta:
        model = AuditEvent
        fields = ("at", "actor", "action", "object_type", "object_id", "change", "details")
        order_by = ("-at",)

    def exact_for(self, record) -> bool:
        return self.row_view.details or record.object_type not in CASE_LINKED

    def render_change(self, record):
        before, after = record.details.get("from"), record.details.get("to")
        if before is None and after is None:
            return "—"
        return format_html("{} → {}", before or "·", after or "·")

    def value_change(self, record):
        before, after = record.details.get("from"), record.details.get("to")
        if before is None and after is None:
            return ""
        return f"{before or ''} -> {after or ''}"


class JournalTable(StaffTable):
    """The books' journal, one row per posting (only for ``view_journal``). The whole
    journal, with its hashes, comes from ``manage.py export_ledger``."""

    sequence = tables.Column(accessor="transaction__sequence", verbose_name=_("No."))
    date = DayColumn(accessor="transaction__date", verbose_name=_("Date"))
    kind = tables.Column(accessor="transaction__kind", verbose_name=_("Kind"))
    memo = tables.Column(accessor="transaction__memo", verbose_name=_("Memo"))
    source_ref = tables.Column(accessor="transaction__source_ref", verbose_name=_("Source"))
    account = tables.Column(accessor="account__code", verbose_name=_("Account"))
    amount = MoneyColumn(
        verbose_name=_("Amount (debit +, credit −)"), csv_label="Amount, debit + credit −"
    )

    class Meta:
        model = Posting
        fields = ("sequence", "date", "kind", "memo", "source_ref", "account", "amount")
        order_by = ("-sequence",)

    def exact_for(self, record) -> bool:
        return True  # the journal keeps every day; only view_journal reads it

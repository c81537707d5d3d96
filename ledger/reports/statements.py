"""The fund's financial statements for a period, from its books.

Every figure is a sum of postings: opening balances at the close of the day before the
period, the period's debits and credits, closing balances. :class:`Books` reads each of
those once (``ledger.reports.sums``), and the statements are built from it:

- trial balance: per account, opening balance + debits − credits = closing balance; the
  debits equal the credits, and the balances sum to zero;
- statement of financial position, at the start and the end: assets = liabilities + net
  assets, the net assets being the net-asset accounts and the change in net assets since
  the books began (income less expenses);
- statement of activities: revenue (income accounts) less expenses = the change in net
  assets, which equals the change between the two statements of financial position less
  what was brought in directly to the net-asset accounts in the period;
- bail roll-forward: outstanding bail at the start + paid − returned − court fees −
  forfeited (± reversals and adjustments) = outstanding at the end, from the legs on
  ``assets:bail_outstanding`` by kind of transaction, tied to the account's balance.

Signs follow the journal: debits positive, credits negative. The statements show
revenue, liabilities and net assets (credit balances) as positive figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.utils.translation import gettext as _

from ledger.books.chart import BAIL_OUTSTANDING, CHART, COURT_FEES
from ledger.models import Account, AccountType, TransactionKind
from ledger.reports.dates import Period
from ledger.reports.sums import Flow, balances_at, legs_by_kind, period_movements
from ledger.reports.tables import MONEY, SUBTOTAL, TOTAL, Column, Report, Row

T = AccountType
# The order statements list accounts in: by type, then as the chart lists them.
TYPE_ORDER = (T.ASSET, T.LIABILITY, T.NET_ASSETS, T.INCOME, T.EXPENSE)
_CHART_ORDER = {code: index for index, (code, *_rest) in enumerate(CHART)}


@dataclass(frozen=True)
class AccountLine:
    id: int
    code: str
    name: str
    type: str

    @property
    def type_label(self) -> str:
        return AccountType(self.type).label


def _sort_key(account: AccountLine) -> tuple:
    return (
        TYPE_ORDER.index(AccountType(account.type)),
        _CHART_ORDER.get(account.code, len(_CHART_ORDER)),
        account.code,
    )


@dataclass(frozen=True)
class BailMovements:
    """The period's legs on outstanding bail, by what the recipes say they are."""

    paid: int  # bail payments (disbursement)
    returned: int  # came back to the fund (bail_return, less the court fees)
    court_fees: int  # withheld by courts from returned bail
    forfeited: int  # kept by courts (forfeiture)
    other: int  # reversals, adjustments, opening balances: their net effect

    @property
    def net(self) -> int:
        return self.paid - self.returned - self.court_fees - self.forfeited + self.other


class Books:
    """What the statements of one period read from the books, each read once."""

    def __init__(self, period: Period) -> None:
        self.period = period
        self.currency = settings.FUND_CURRENCY.lower()

    @cached_property
    def accounts(self) -> list[AccountLine]:
        rows = Account.objects.values_list("id", "code", "name", "type")
        return sorted((AccountLine(*row) for row in rows), key=_sort_key)

    def of_type(self, *types: str) -> list[AccountLine]:
        return [account for account in self.accounts if account.type in types]

    @cached_property
    def opening(self) -> dict[int, int]:
        """Balances at the close of the day before the period."""
        return balances_at(self.period.eve)

    @cached_property
    def movements(self) -> dict[int, Flow]:
        return period_movements(self.period.start, self.period.end)

    @cached_property
    def closing(self) -> dict[int, int]:
        """Balances at the close of the period's last day."""
        ids = set(self.opening) | set(self.movements)
        return {id_: self.opening.get(id_, 0) + self.movements.get(id_, Flow()).net for id_ in ids}

    def flow(self, account: AccountLine) -> Flow:
        return self.movements.get(account.id, Flow())

    def net_assets(self, balances: dict[int, int]) -> int:
        """Net assets at a close: what the net-asset, income and expense accounts hold
        together, as a positive figure (they carry credit balances)."""
        types = (T.NET_ASSETS, T.INCOME, T.EXPENSE)
        return -sum(balances.get(account.id, 0) for account in self.of_type(*types))

    def _id(self, code: str) -> int | None:
        return next((account.id for account in self.accounts if account.code == code), None)

    @cached_property
    def bail(self) -> BailMovements:
        bail_id, fees_id = self._id(BAIL_OUTSTANDING), self._id(COURT_FEES)
        ids = [id_ for id_ in (bail_id, fees_id) if id_ is not None]
        legs = legs_by_kind(self.period.start, self.period.end, ids)
        K = TransactionKind
        on_bail = {kind: total for (id_, kind), total in legs.items() if id_ == bail_id}
        fees = legs.get((fees_id, K.BAIL_RETURN), 0)
        named = (K.DISBURSEMENT, K.BAIL_RETURN, K.FORFEITURE)
        return BailMovements(
            paid=on_bail.get(K.DISBURSEMENT, 0),
            returned=-on_bail.get(K.BAIL_RETURN, 0) - fees,
            court_fees=fees,
            forfeited=-on_bail.get(K.FORFEITURE, 0),
            other=sum(total for kind, total in on_bail.items() if kind not in named),
        )

    def balance_of(self, code: str, balances: dict[int, int]) -> int:
        id_ = self._id(code)
        return balances.get(id_, 0) if id_ is not None else 0


def _money(heading: str, csv_heading: str = "") -> Column:
    return Column(heading, MONEY, csv_heading)


def for_the_period(period: Period) -> str:
    """The subtitle of a statement over a span of days, in the page's language."""
    return _("For the period %(start)s to %(end)s") % {
        "start": f"{period.start:%Y-%m-%d}",
        "end": f"{period.end:%Y-%m-%d}",
    }


def trial_balance(books: Books) -> Report:
    period = books.period
    report = Report(
        slug="trial-balance",
        title=_("Trial balance"),
        period=period,
        currency=books.currency,
        subtitle=for_the_period(period),
        columns=(
            Column(_("Account"), csv_heading="Account"),
            Column(_("Name"), csv_heading="Name"),
            Column(_("Type"), csv_heading="Type"),
            _money(_("Opening balance"), "Opening balance"),
            _money(_("Debits"), "Debits"),
            _money(_("Credits"), "Credits"),
            _money(_("Closing balance"), "Closing balance"),
        ),
    )
    sums = [0, 0, 0, 0]
    for account in books.accounts:
        flow = books.flow(account)
        opening = books.opening.get(account.id, 0)
        closing = books.closing.get(account.id, 0)
        figures = (opening, flow.debits, flow.credits, closing)
        sums = [a + b for a, b in zip(sums, figures, strict=True)]
        cells = (account.code, account.name, account.type_label, *figures)
        report.rows.append(Row(cells))
    report.rows.append(Row((_("Total"), "", "", *sums), style=TOTAL))
    report.notes.append(
        _(
            "Opening balances at the close of %(eve)s; closing balances at the close of "
            "%(end)s. Balances are signed as in the journal: debit positive, credit negative."
        )
        % {"eve": f"{period.eve:%Y-%m-%d}", "end": f"{period.end:%Y-%m-%d}"}
    )
    report.check(_("Debits equal credits"), sums[1] == sums[2])
    report.check(_("Opening balances sum to zero"), sums[0] == 0)
    report.check(_("Closing balances sum to zero"), sums[3] == 0)
    return report


@dataclass(frozen=True)
class Position:
    """The statement of financial position at one close, as positive figures."""

    assets: dict[int, int]
    liabilities: dict[int, int]
    net_asset_accounts: dict[int, int]
    accumulated_change: int  # income less expenses since the books began

    @property
    def total_assets(self) -> int:
        return sum(self.assets.values())

    @property
    def total_liabilities(self) -> int:
        return sum(self.liabilities.values())

    @property
    def total_net_assets(self) -> int:
        return sum(self.net_asset_accounts.values()) + self.accumulated_change


def position(books: Books, balances: dict[int, int]) -> Position:
    def shown(*types: str, sign: int) -> dict[int, int]:
        return {a.id: sign * balances.get(a.id, 0) for a in books.of_type(*types)}

    activity = books.of_type(T.INCOME, T.EXPENSE)
    return Position(
        assets=shown(T.ASSET, sign=1),
        liabilities=shown(T.LIABILITY, sign=-1),
        net_asset_accounts=shown(T.NET_ASSETS, sign=-1),
        accumulated_change=-sum(balances.get(a.id, 0) for a in activity),
    )


def financial_position(books: Books) -> Report:
    period = books.period
    start, end = position(books, books.opening), position(books, books.closing)
    report = Report(
        slug="financial-position",
        title=_("Statement of financial position"),
        period=period,
        currency=books.currency,
        subtitle=_("As of %(eve)s and %(end)s")
        % {"eve": f"{period.eve:%Y-%m-%d}", "end": f"{period.end:%Y-%m-%d}"},
        columns=(
            Column(_("Account"), csv_heading="Account"),
            Column(_("Line"), csv_heading="Line"),
            _money(_("At %(day)s") % {"day": f"{period.eve:%Y-%m-%d}"}, "at start"),
            _money(_("At %(day)s") % {"day": f"{period.end:%Y-%m-%d}"}, "at end"),
        ),
    )
    rows = report.rows
    both = (start, end)
    sections = (
        (_("Assets"), T.ASSET, "assets", _("Total assets"), "total_assets"),
        (
            _("Liabilities"),
            T.LIABILITY,
            "liabilities",
            _("Total liabilities"),
            "total_liabilities",
        ),
    )
    for name, account_type, figures, total_label, total in sections:
        accounts = books.of_type(account_type)
        for account in accounts:
            cells = (account.code, account.name, *(getattr(p, figures)[account.id] for p in both))
            rows.append(Row(cells, section=name))
        if not accounts:
            rows.append(Row(("", _("None"), 0, 0), section=name))
        rows.append(Row(("", total_label, *(getattr(p, total) for p in both)), name, SUBTOTAL))
    net_assets = _("Net assets")
    for account in books.of_type(T.NET_ASSETS):
        cells = (
            account.code,
            account.name,
            start.net_asset_accounts[account.id],
            end.net_asset_accounts[account.id],
        )
        rows.append(Row(cells, section=net_assets))
    label = _("Change in net assets since the books began (revenue less expenses)")
    rows.append(Row(("", label, start.accumulated_change, end.accumulated_change), net_assets))
    net_total = ("", _("Total net assets"), start.total_net_assets, end.total_net_assets)
    rows.append(Row(net_total, net_assets, SUBTOTAL))
    totals = [p.total_liabilities + p.total_net_assets for p in (start, end)]
    rows.append(Row(("", _("Total liabilities and net assets"), *totals), style=TOTAL))
    report.notes.append(
        _(
            "Balances at the close of %(eve)s (the day before the period) and of %(end)s. "
            "Liabilities and net assets are shown as positive figures."
        )
        % {"eve": f"{period.eve:%Y-%m-%d}", "end": f"{period.end:%Y-%m-%d}"}
    )
    for when, p in ((period.eve, start), (period.end, end)):
        report.check(
            _("Assets equal liabilities plus net assets at %(day)s") % {"day": f"{when:%Y-%m-%d}"},
            p.total_assets == p.total_liabilities + p.total_net_assets,
        )
    return report


@dataclass(frozen=True)
class Activities:
    revenue: dict[int, int]  # credit positive
    expenses: dict[int, int]
    brought_in: int  # posted to the net-asset accounts in the period (opening balances)

    @property
    def total_revenue(self) -> int:
        return sum(self.revenue.values())

    @property
    def total_expenses(self) -> int:
        return sum(self.expenses.values())

    @property
    def change(self) -> int:
        return self.total_revenue - self.total_expenses


def activities_of(books: Books) -> Activities:
    return Activities(
        revenue={a.id: -books.flow(a).net for a in books.of_type(T.INCOME)},
        expenses={a.id: books.flow(a).net for a in books.of_type(T.EXPENSE)},
        brought_in=-sum(books.flow(a).net for a in books.of_type(T.NET_ASSETS)),
    )


def activities(books: Books) -> Report:
    period = books.period
    figures = activities_of(books)
    report = Report(
        slug="activities",
        title=_("Statement of activities"),
        period=period,
        currency=books.currency,
        subtitle=for_the_period(period),
        columns=(
            Column(_("Account"), csv_heading="Account"),
            Column(_("Line"), csv_heading="Line"),
            _money(_("Amount"), "Amount"),
        ),
    )
    rows = report.rows
    revenue, expenses = _("Revenue"), _("Expenses")
    for account in books.of_type(T.INCOME):
        rows.append(Row((account.code, account.name, figures.revenue[account.id]), revenue))
    rows.append(Row(("", _("Total revenue"), figures.total_revenue), revenue, SUBTOTAL))
    for account in books.of_type(T.EXPENSE):
        rows.append(Row((account.code, account.name, figures.expenses[account.id]), expenses))
    rows.append(Row(("", _("Total expenses"), figures.total_expenses), expenses, SUBTOTAL))
    at_start, at_end = books.net_assets(books.opening), books.net_assets(books.closing)
    section = _("Net assets")
    rows.append(Row(("", _("Change in net assets"), figures.change), section, SUBTOTAL))
    net_assets_at = _("Net assets at %(day)s")
    rows.append(Row(("", net_assets_at % {"day": f"{period.eve:%Y-%m-%d}"}, at_start), section))
    label = _("Brought in to the net-asset accounts in the period (opening balances)")
    rows.append(Row(("", label, figures.brought_in), section))
    rows.append(Row(("", net_assets_at % {"day": f"{period.end:%Y-%m-%d}"}, at_end), style=TOTAL))
    report.notes.append(
        _(
            "Revenue is the income accounts' credits less their debits (donations less "
            "refunds, and any other income); expenses are the expense accounts' debits less "
            "their credits."
        )
    )
    report.check(
        _(
            "The change in net assets equals the change between the two statements of "
            "financial position, less what was brought in directly"
        ),
        figures.change == at_end - at_start - figures.brought_in,
    )
    report.check(
        _("Net assets at the start, the change and what was brought in add up to the end"),
        at_start + figures.change + figures.brought_in == at_end,
    )
    return report


def bail_roll_forward(books: Books) -> Report:
    period = books.period
    bail = books.bail
    opening = books.balance_of(BAIL_OUTSTANDING, books.opening)
    closing = books.balance_of(BAIL_OUTSTANDING, books.closing)
    report = Report(
        slug="bail-roll-forward",
        title=_("Bail roll-forward"),
        period=period,
        currency=books.currency,
        subtitle=for_the_period(period),
        columns=(Column(_("Line"), csv_heading="Line"), _money(_("Amount"), "Amount")),
    )
    rolled = opening + bail.net
    outstanding_at = _("Outstanding bail at %(day)s")
    report.rows += [
        Row((outstanding_at % {"day": f"{period.eve:%Y-%m-%d}"}, opening)),
        Row((_("Bail paid"), bail.paid)),
        Row((_("Bail returned to the fund"), -bail.returned)),
        Row((_("Court fees withheld from returned bail"), -bail.court_fees)),
        Row((_("Bail forfeited"), -bail.forfeited)),
        Row((_("Reversals, adjustments and other entries"), bail.other)),
        Row((outstanding_at % {"day": f"{period.end:%Y-%m-%d}"}, rolled), style=TOTAL),
    ]
    report.notes.append(
        _(
            "From the legs on %(bail)s by kind of transaction: payments (disbursement), "
            "returns (bail_return, with the court fees on %(fees)s) and forfeitures "
            "(forfeiture). Amounts are signed by their effect on the bail outstanding."
        )
        % {"bail": BAIL_OUTSTANDING, "fees": COURT_FEES}
    )
    report.check(
        _("The roll-forward ends at the balance of %(account)s (%(day)s)")
        % {"account": BAIL_OUTSTANDING, "day": f"{period.end:%Y-%m-%d}"},
        rolled == closing,
    )
    return report

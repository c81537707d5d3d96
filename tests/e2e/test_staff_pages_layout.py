"""Every staff page, as an admin sees it, in a small fund with a history: axe-clean, with no
sideways scroll at 1280 pixels, and usable on a 390-pixel phone (the navigation and the
buttons on the screen; a wide table may scroll inside its own container there).

The pages come from STAFF_URLS (tests/test_permissions.py), so a new staff page is checked
here as soon as it is added there. A POST-only URL is an action, not a page: its form must
appear on one of the pages visited, where it is checked with the page.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from donations.bank.importing import statement_import
from donations.bank.matching import match_confirm, statement_propose
from donations.demo import seed_demo
from donations.models import (
    BankMatch,
    BankStatement,
    Donation,
    DonationStatus,
    EventStatus,
    MatchStatus,
    ReconciliationRun,
    RunStatus,
)
from donations.offline.services import offline_gift_bounced
from donations.statements.sending import run_send
from ledger.books.periods import period_close
from ledger.casework.corrections import correction_propose
from ledger.casework.disbursements import disbursement_approve, disbursement_cancel
from ledger.models import Disbursement
from tests.donations.bank.conftest import (  # noqa: F401  (fixtures)
    MarchBooks,
    chase_mapping,
    march_books,
    statement_file,
)
from tests.donations.conftest import charge_event, open_discrepancy
from tests.donations.statements.conftest import card_gift
from tests.e2e.conftest import PASSWORD, axe_violations
from tests.ledger.conftest import (  # noqa: F401  (fixture)
    field_keys,
    open_case,
    record_forfeiture,
    request_disbursement,
)
from tests.test_permissions import BANK_STATEMENT_URLS, CASE_URLS, DISBURSEMENT_URLS, STAFF_URLS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


# The fund ---------------------------------------------------------------------------------


def _stripe_history() -> None:
    """Stripe's events in each state, a reconciliation run that found a discrepancy and
    one that did not."""
    for number in range(12):
        status = EventStatus.FAILED if number % 4 == 0 else EventStatus.PROCESSED
        event = charge_event(f"evt_1Pz{number:04d}Layout", f"ch_1Pz{number:04d}", status=status)
        if status == EventStatus.FAILED:
            event.last_error = "The balance transaction was not available yet."
            event.save(update_fields=["last_error"])
    ReconciliationRun.objects.create(
        kind="all", status=RunStatus.SUCCEEDED, finished_at=timezone.now(), checked=140
    )
    found = ReconciliationRun.objects.create(
        kind="all", status=RunStatus.SUCCEEDED, finished_at=timezone.now(), checked=152
    )
    open_discrepancy(found)


def _donors() -> None:
    """Card donors of 2025, sent their year-end statements; wall entries waiting for a
    moderator, and one approved."""
    for number in range(6):
        when = dt.datetime(2025, 1 + number, 10, 12, tzinfo=dt.UTC)
        card_gift(f"donor{number}@example.org", (2_500 + 500 * number, when))
    run_send(2025)
    for number in range(4):
        Donation.objects.create(
            frequency="once",
            status=DonationStatus.SUCCEEDED,
            currency="usd",
            gift_amount=5_000,
            amount=5_000,
            show_on_wall=True,
            display_name=f"Neighbour {number}",
            message="Nobody should sit in jail because they cannot pay. " * (1 + number % 2),
            show_amount=number % 2 == 0,
            wall_approved_at=timezone.now() if number == 0 else None,
            checkout_idempotency_key=f"checkout:layout-wall-{number}",
        )


def _disbursements(books: MarchBooks, admin, staff_user) -> dict[str, Disbursement]:
    """A disbursement in each state a staff member meets (the paid ones from the fund's
    history), and one whose correction waits for a second person."""
    manager = books.bail.requested_by
    case = books.later_bail.case
    requested = request_disbursement(manager, case, 40_000)
    approved = request_disbursement(manager, case, 25_000, purpose="support", method="online")
    disbursement_approve(actor=admin, disbursement=approved)
    cancelled = request_disbursement(manager, case, 10_000)
    disbursement_cancel(actor=admin, disbursement=cancelled)
    paid_bail = Disbursement.objects.filter(status="paid", purpose="bail").order_by("pk")
    paid, to_void = paid_bail[0], paid_bail[1]
    correction_propose(
        actor=staff_user("bookkeeper", "approver"),
        disbursement=to_void,
        kind="void",
        reason="The court returned the check uncashed.",
        token=uuid.uuid4().hex,
        new_date=dt.date(2026, 11, 20),
    )
    forfeited = Disbursement.objects.filter(status="forfeited").first()
    if forfeited is None:
        forfeited = record_forfeiture(admin, books.later_bail, 80_000, on=dt.date(2026, 3, 30))
    return {
        "requested": requested,
        "approved": approved,
        "paid": paid,
        "correction-waiting": to_void,
        "returned": books.bail,
        "forfeited": forfeited,
        "cancelled": cancelled,
    }


def _bank(admin) -> BankStatement:
    """March's statement imported and proposed; one proposal confirmed, the rest left for
    a person to decide on the page."""
    statement = statement_import(
        actor=admin, data=statement_file("march_2026.ofx"), fmt="ofx", file_name="march.ofx"
    ).statement
    statement_propose(actor=admin, statement=statement)
    first = BankMatch.objects.filter(status=MatchStatus.PROPOSED).order_by("pk").first()
    if first is not None:
        match_confirm(actor=admin, match=first)
    return statement


def _fund(books: MarchBooks, admin, staff_user) -> dict:
    """The objects the staff pages are about, in a fund with a few months of history."""
    statement = _bank(admin)
    seed_demo()  # April to October: card gifts, checks, cases, bail paid, returned, forfeited
    disbursements = _disbursements(books, admin, staff_user)
    offline_gift_bounced(actor=admin, gift=books.later_gift)
    _stripe_history()
    _donors()
    period_close(through=dt.date(2026, 2, 28), actor=admin)
    return {"case": books.bail.case, "statement": statement, "disbursements": disbursements}


# The pages --------------------------------------------------------------------------------


def _pages(fund: dict) -> list[tuple[str, str]]:
    """(what, path) of every staff page an admin can open: each GET URL in STAFF_URLS, the
    ones that name an object resolved to an object of the fund."""
    pages = []
    for name, (method, _) in sorted(STAFF_URLS.items()):
        if method != "GET":
            continue
        if name in DISBURSEMENT_URLS:
            for state, d in fund["disbursements"].items():
                pages.append((f"{name}[{state}]", reverse(name, kwargs={"pk": d.pk})))
        elif name in CASE_URLS:
            pages.append((name, reverse(name, kwargs={"public_id": fund["case"].public_id})))
        elif name in BANK_STATEMENT_URLS:
            pages.append((name, reverse(name, kwargs={"pk": fund["statement"].pk})))
        else:
            # A new page whose URL names an object fails here until it is resolved above.
            pages.append((name, reverse(name)))
    return pages


# Measured in the page: what sticks out of the viewport, and what scrolls inside it.
MEASURE = """() => {
  document.querySelectorAll('main details').forEach((d) => { d.open = true; });
  const inside = (el) => { const r = el.getBoundingClientRect();
    return r.left >= -1 && r.right <= window.innerWidth + 1; };
  const shown = (el) => el.checkVisibility() && el.getBoundingClientRect().width > 0;
  const label = (el) => (el.id ? '#' + el.id : el.tagName.toLowerCase()) + ' "' +
    (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 40) + '"';
  const nav = [...document.querySelectorAll('.site-header a, .site-header button')];
  const actions = [...document.querySelectorAll(
    'main button, main input[type=submit], main a.button')].filter(
    (el) => shown(el) && !el.closest('.table-container, .table-scroll'));
  const boxed = (el) => el.closest('.table-container, .table-scroll');
  const outermost = [...document.body.querySelectorAll('*')].filter((el) => shown(el) &&
    !inside(el) && !boxed(el) && (el.parentElement === document.body || inside(el.parentElement)));
  return {
    pageWidth: document.documentElement.scrollWidth,
    sticksOut: outermost.map(label),
    viewport: window.innerWidth,
    navHidden: nav.filter((el) => !shown(el)).map(label),
    navOutside: nav.filter((el) => shown(el) && !inside(el)).map(label),
    actionsOutside: actions.filter((el) => !inside(el)).map(label),
    tablesScrolling: [...document.querySelectorAll('main table')].filter(
      (t) => t.scrollWidth > t.parentElement.clientWidth + 1 ||
             t.getBoundingClientRect().right > window.innerWidth + 1).length,
    postActions: [...document.querySelectorAll('form[method=post], form[method=POST]')].map(
      (f) => new URL(f.action, location.href).pathname),
  };
}"""


def _problems_at(page, what: str, width: int) -> tuple[list[str], list[str]]:
    """What is wrong with the page as it is now at ``width``, and the form actions on it."""
    seen = page.evaluate(MEASURE)
    where = f"{what} at {width}px"
    problems = [f"{where}: axe {line}" for line in axe_violations(page)]
    if seen["pageWidth"] > seen["viewport"]:
        problems.append(
            f"{where}: page scrolls sideways ({seen['pageWidth']}px wide): {seen['sticksOut']}"
        )
    if width == WIDE["width"] and seen["tablesScrolling"]:
        problems.append(f"{where}: {seen['tablesScrolling']} table(s) wider than the page")
    if seen["navHidden"] or seen["navOutside"]:
        off = seen["navHidden"] + seen["navOutside"]
        problems.append(f"{where}: navigation hidden or off screen: {off}")
    if seen["actionsOutside"]:
        problems.append(f"{where}: buttons off screen: {seen['actionsOutside']}")
    return problems, seen["postActions"]


def _url_name(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_staff_page_fits_both_widths_and_is_axe_clean(
    language,
    people,
    staff_user,
    log_in,
    screenshots,
    march_books,  # noqa: F811
    chase_mapping,  # noqa: F811
):
    admin = staff_user("admin", username="ada", password=PASSWORD)
    fund = _fund(march_books, admin, staff_user)
    pages = _pages(fund)

    ada = people()
    ada.set_viewport_size(WIDE)
    log_in(ada, admin, next_url="/staff/", who="admin")
    # Spanish runs longer than English: the pages must fit in both.
    ada.set_extra_http_headers({"Accept-Language": language})

    problems: list[str] = []
    actions: set[str] = set()
    for what, path in pages:
        ada.set_viewport_size(WIDE)
        response = ada.goto(path)
        assert response is not None and response.status == 200, f"{what}: {path}"
        for viewport in (WIDE, PHONE):
            ada.set_viewport_size(viewport)
            found, posts = _problems_at(ada, what, viewport["width"])
            problems += found
            actions |= {name for name in map(_url_name, posts) if name}
            name = f"{what.replace(':', '-')}-{viewport['width']}-{language}"
            screenshots.take(ada, name)

    post_only = {name for name, (method, _) in STAFF_URLS.items() if method == "POST"}
    unseen = sorted(post_only - actions)
    assert (problems, unseen) == ([], []), "\n".join([*problems, f"no form for: {unseen}"])
    assert people.problems.seen == []

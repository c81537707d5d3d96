"""The public pages in the browser, after a fund's first released months: a check and six
people's bail three months ago, one bail returned less a court fee the month after, both
months released; then a card gift through checkout today. The home page shows money raised
as it happens and the bail figures of the latest release; the transparency page shows the
release, "suppressed" where one person would show, and reads well on a phone in English and
Spanish; axe-core finds nothing to fix."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from donations.offline.services import offline_gift_record
from ledger.casework.cases import Identity, case_create
from ledger.casework.disbursements import (
    disbursement_approve,
    disbursement_pay,
    disbursement_record_return,
    disbursement_request,
)
from ledger.public.releases import releases_publish_due
from tests.e2e.conftest import TIMEOUT_MS, axe_violations, expect, give

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NAME, DOCKET = "Rowan Example", "27-CR-26-1234"
BAIL = [150_000 + 1_000 * n for n in range(6)]
PHONE = {"width": 390, "height": 844}


def months_back(count: int) -> dt.date:
    """The first day of the month ``count`` months before this one."""
    day = timezone.localdate().replace(day=1)
    for _ in range(count):
        day = (day - dt.timedelta(days=1)).replace(day=1)
    return day


def figure(page, label: str):
    """The figure shown under ``label`` in one of the page's lists of figures."""
    return page.locator(f'dl.figures dt:text-is("{label}") + dd')


def total(page, label: str):
    """A row of the transparency page's table of totals: (in this release, last published)."""
    row = page.locator(
        'table:has(caption:text-is("Totals since the fund began")) '
        f'tr:has(th[scope="row"]:text-is("{label}"))'
    )
    return row.locator("td").nth(0), row.locator("td").nth(1)


def released_months(staff_user) -> str:
    """The staff side, through the services (the staff pages have a browser test of their
    own): a check and six people's bail in one month, one bail back less a fee the next;
    every month that is due released. Returns the first released month, YYYY-MM."""
    paid_in, returned_in = months_back(3), months_back(2)
    bookkeeper = staff_user("bookkeeper")
    case_manager = staff_user("case_manager")
    approver = staff_user("approver")
    offline_gift_record(
        actor=bookkeeper,
        method="check",
        amount=2_000_000,
        received_on=paid_in.replace(day=5),
        token="check-1001",
    )
    paid = []
    for n, amount in enumerate(BAIL):
        case = case_create(
            actor=case_manager,
            county="Hennepin",
            bail_type="criminal_bail",
            opened_on=paid_in.replace(day=8),
            identity=Identity(
                name=NAME if n == 0 else f"Person {n}",
                docket_number=DOCKET if n == 0 else f"27-CR-26-{2000 + n}",
            ),
        )
        d = disbursement_request(
            actor=case_manager,
            case=case,
            purpose="bail",
            amount=amount,
            payee_kind="court",
            payee_name="Hennepin County District Court",
            method="cashiers_check",
            token=f"request-{n}",
        )
        disbursement_approve(actor=approver, disbursement=d)
        paid.append(
            disbursement_pay(actor=approver, disbursement=d, paid_on=paid_in.replace(day=10))
        )
    disbursement_record_return(
        actor=bookkeeper,
        disbursement=paid[0],
        token="return-1",
        occurred_on=returned_in.replace(day=12),
        returned_amount=BAIL[0] - 5_000,
        court_fees=5_000,
    )
    made = releases_publish_due(today=timezone.localdate())
    assert made and all(r.status == "published" for r in made), [r.held_reason for r in made]
    return f"{paid_in:%Y-%m}"


def no_horizontal_scrolling(page) -> None:
    """The document is no wider than the screen; a wide table scrolls inside its own box."""
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], (page.url, widths)
    loose = page.evaluate(
        """() => [...document.querySelectorAll('table')]
            .filter(t => !t.closest('.table-scroll'))
            .filter(t => t.getBoundingClientRect().right > document.documentElement.clientWidth)
            .map(t => t.outerHTML.slice(0, 80))"""
    )
    assert loose == [], (page.url, loose)


def test_the_public_pages_show_the_released_figures_and_money_raised_live(
    people, site, staff_user, screenshots
):
    first_month = released_months(staff_user)
    public = people()
    public.goto("/")
    expect(figure(public, "Raised so far (gifts before fees)")).to_have_text("$20,000.00")
    expect(figure(public, "Bail paid")).to_have_text("$9,150.00")
    screenshots.take(public, "home-before-the-gift")

    donor = people()
    give(donor, screenshots, amount="$50.00")
    expect(donor.locator("#donation-status")).to_have_attribute(
        "data-status", "succeeded", timeout=20_000
    )
    assert site.flush_webhooks(timeout=20)

    public.reload()
    # Money raised is live; bail stays as the latest release published it.
    expect(figure(public, "Raised so far (gifts before fees)")).to_have_text("$20,050.00")
    expect(figure(public, "Bail paid")).to_have_text("$9,150.00")
    screenshots.take(public, "home-after-the-gift")

    public.goto("/transparency/")
    screenshots.take(public, "transparency")
    # The card gift is today's: not in any release yet.
    expect(figure(public, "Raised (gifts before fees)")).to_have_text("$20,000.00")
    expect(figure(public, "Card processing fees")).to_have_text("$0.00")
    this_release, _ = total(public, "Bail paid")
    expect(this_release).to_have_text("$9,150.00")
    expect(total(public, "People helped")[0]).to_have_text("6")
    # One person's returned bail and court fee: suppressed, with the last published value.
    returned, last = total(public, "Returned by courts")
    expect(returned).to_have_text("suppressed")
    expect(last).to_have_text(f"$0.00 ({first_month})")
    expect(total(public, "Kept by courts as fees")[0]).to_have_text("suppressed")
    text = public.locator("body").inner_text()
    assert NAME not in text and DOCKET not in text

    # The open data says the same, in cents.
    data = public.request.get("/transparency.json").json()
    latest = data["releases"][-1]
    assert latest["money_in"]["total"]["donations_gross"] == 2_000_000
    assert latest["people"]["total"]["bail_paid"] == sum(BAIL)
    assert latest["people"]["total"]["bail_returned"] == "suppressed"
    assert latest["people"]["total"]["people_helped"] == 6
    assert people.problems.seen == []


@pytest.mark.parametrize(("locale", "language"), [("en-US", "en"), ("es-MX", "es")])
def test_the_public_pages_read_well_on_a_phone(
    browser, site, live_server, staff_user, screenshots, people, locale, language
):
    released_months(staff_user)
    context = browser.new_context(
        base_url=live_server.url,
        locale=locale,
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        people.problems.watch(page)
        for path, name in (("/", "home"), ("/transparency/", "transparency")):
            page.goto(path)
            expect(page.locator("html")).to_have_attribute("lang", language)
            no_horizontal_scrolling(page)
            if name == "transparency":
                page.locator("details summary").first.click()  # every release, month by month
                expect(page.locator("details").first).to_have_attribute("open", "")
                no_horizontal_scrolling(page)
                scrolling = page.evaluate(
                    """() => [...document.querySelectorAll('.table-scroll')]
                        .filter(box => box.scrollWidth > box.clientWidth).length"""
                )
                assert scrolling > 0  # the wide tables scroll inside their own boxes
            screenshots.take(page, f"phone-{language}-{name}")
            assert axe_violations(page) == [], (language, path)
    finally:
        context.close()
    assert people.problems.seen == []


def test_axe_finds_nothing_to_fix_on_the_public_pages_on_a_desktop(people, site, staff_user):
    released_months(staff_user)
    page = people()
    for path in ("/", "/transparency/"):
        page.goto(path)
        if path == "/transparency/":
            page.locator("details summary").first.click()  # the table of every release
        assert axe_violations(page) == [], path
    # The checker itself sees a problem when there is one: an image without a text.
    page.evaluate("document.querySelector('h1').after(document.createElement('img'))")
    assert any(line.startswith("image-alt") for line in axe_violations(page))
    assert people.problems.seen == []


def test_a_reader_switches_the_page_to_spanish_and_back(people, screenshots):
    reader = people()
    reader.goto("/transparency/")
    expect(reader.locator("h1")).to_have_text("Where the money goes")

    reader.select_option("#language", "es")
    reader.get_by_role("button", name="Change").click()
    expect(reader.locator("h1")).to_have_text("A dónde va el dinero")
    assert reader.url.endswith("/transparency/")
    screenshots.take(reader, "transparency-spanish")

    reader.goto("/donate/")  # the choice holds on the other pages
    expect(reader.locator("html")).to_have_attribute("lang", "es")
    reader.select_option("#language", "en")
    reader.locator("form.language-switch button").click()
    expect(reader.locator("html")).to_have_attribute("lang", "en")
    assert reader.url.endswith("/donate/")
    assert people.problems.seen == []

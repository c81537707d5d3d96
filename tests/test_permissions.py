"""Every staff URL, requested by every kind of visitor, is allowed or refused as
``ledger.staff.roles.MATRIX`` says; and docs/permissions.md prints the same matrix and URL table.

A new staff page adds a row to STAFF_URLS (and to the table in docs/permissions.md): the
first test fails until it does. The login pages have their own tests
(tests/ledger/staff/test_staff_login.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from donations.models import (
    Discrepancy,
    EventStatus,
    OfflineGift,
    StripeEvent,
)
from donations.offline.services import offline_gift_record
from ledger.casework.cases import Identity
from ledger.casework.correction_records import Correction
from ledger.models import AuditEvent, BailCase, Disbursement
from ledger.staff.access import capability_of
from ledger.staff.roles import MATRIX, Capability, Role
from tests.donations.bank.factories import a_proposed_match, a_statement
from tests.donations.conftest import charge_event, open_discrepancy
from tests.ledger.conftest import open_case, request_disbursement

C = Capability

# url name: (HTTP method, capability it needs).
STAFF_URLS: dict[str, tuple[str, Capability]] = {
    "donations:staff_home": ("GET", C.VIEW_REPORTS),
    "donations:staff_events": ("GET", C.VIEW_REPORTS),
    "donations:staff_runs": ("GET", C.VIEW_REPORTS),
    "donations:staff_discrepancies": ("GET", C.VIEW_REPORTS),
    "donations:staff_event_retry": ("POST", C.RECONCILE),
    "donations:staff_discrepancy_resolve": ("POST", C.RECONCILE),
    "donations:staff_gifts": ("GET", C.VIEW_REPORTS),
    "donations:staff_wall": ("GET", C.MODERATE_WALL),
    "donations:staff_gift_new": ("GET", C.RECORD_OFFLINE_GIFT),
    "donations:staff_gift_bounced": ("POST", C.RECORD_OFFLINE_GIFT),
    "donations:staff_statement_runs": ("GET", C.VIEW_REPORTS),
    "casework:cases": ("GET", C.VIEW_REPORTS),
    "casework:periods": ("GET", C.VIEW_JOURNAL),
    "casework:opening_balances": ("GET", C.OPEN_BOOKS),
    "casework:liquidity": ("GET", C.VIEW_REPORTS),
    "casework:case_new": ("GET", C.MANAGE_CASES),
    "casework:case": ("GET", C.VIEW_REPORTS),
    "casework:case_identity": ("GET", C.MANAGE_CASES),
    "casework:case_court_date": ("GET", C.MANAGE_CASES),
    "casework:case_close": ("POST", C.MANAGE_CASES),
    "casework:disbursement_new": ("POST", C.REQUEST_DISBURSEMENT),
    "casework:disbursements": ("GET", C.VIEW_REPORTS),
    "casework:queue": ("GET", C.VIEW_REPORTS),
    "casework:outstanding": ("GET", C.VIEW_REPORTS),
    "casework:returns": ("GET", C.VIEW_REPORTS),
    "casework:disbursement": ("GET", C.VIEW_REPORTS),
    "casework:approve": ("POST", C.APPROVE_DISBURSEMENT),
    "casework:pay": ("POST", C.PAY_DISBURSEMENT),
    "casework:cancel": ("POST", C.CANCEL_DISBURSEMENT),
    "casework:return": ("POST", C.RECORD_OUTCOME),
    "casework:forfeit": ("POST", C.RECORD_OUTCOME),
    "casework:void": ("POST", C.CORRECT_ENTRIES),
    "casework:correct_payment": ("POST", C.CORRECT_ENTRIES),
    "casework:undo_outcome": ("POST", C.CORRECT_ENTRIES),
    "casework:correction_apply": ("POST", C.CORRECT_ENTRIES),
    "casework:correction_withdraw": ("POST", C.CORRECT_ENTRIES),
    "casework:audit": ("GET", C.VIEW_REPORTS),
    "casework:journal": ("GET", C.VIEW_JOURNAL),
    "releases:list": ("GET", C.VIEW_REPORTS),
    "reports:index": ("GET", C.VIEW_JOURNAL),
    "reports:trial_balance": ("GET", C.VIEW_JOURNAL),
    "reports:financial_position": ("GET", C.VIEW_JOURNAL),
    "reports:activities": ("GET", C.VIEW_JOURNAL),
    "reports:bail_roll_forward": ("GET", C.VIEW_JOURNAL),
    "reports:activity_by_county": ("GET", C.VIEW_JOURNAL),
    "reports:activity_by_court": ("GET", C.VIEW_JOURNAL),
    "donations:staff_reconcile_now": ("POST", C.RECONCILE),
    "donations:staff_bank_statements": ("GET", C.RECONCILE),
    "donations:staff_bank_import": ("GET", C.RECONCILE),
    "donations:staff_bank_mappings": ("GET", C.RECONCILE),
    "donations:staff_bank_mapping_new": ("GET", C.RECONCILE),
    "donations:staff_bank_statement": ("GET", C.RECONCILE),
    "donations:staff_bank_propose": ("POST", C.RECONCILE),
    "donations:staff_bank_report": ("GET", C.RECONCILE),
    "donations:staff_bank_match_confirm": ("POST", C.RECONCILE),
    "donations:staff_bank_match_reject": ("POST", C.RECONCILE),
}

# The login, second-factor and logout pages: open to people who are not verified yet.
ACCOUNT_NAMESPACE = "staff_auth"

_numbers = itertools.count(1)


def _failed_event() -> StripeEvent:
    return charge_event(f"evt_matrix_{next(_numbers)}", status=EventStatus.FAILED)


def _open_discrepancy() -> Discrepancy:
    return open_discrepancy(kind=f"kind_{next(_numbers)}")


@pytest.fixture(autouse=True)
def _field_keys(settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]


def _case() -> BailCase:
    identity = Identity(name="Matrix Example", docket_number=f"M-{next(_numbers)}")
    return open_case(_someone("case_manager"), identity)


def _someone(role: str):
    user = get_user_model().objects.create_user(f"matrix-{role}-{next(_numbers)}")
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def _disbursement() -> Disbursement:
    """A requested disbursement by someone who is not among the visitors; with no money in
    the bank, approving it is refused with a form error (an allowed request)."""
    token = f"matrix-{next(_numbers)}"
    return request_disbursement(_someone("case_manager"), _case(), 1_000, token=token)


def _correction_kwargs() -> dict:
    """A proposed void, as the service would record it, of a disbursement: applying it
    without the confirmation ticked is a form error, withdrawing it goes back to the page."""
    d = _disbursement()
    c = Correction.objects.create(
        disbursement=d,
        kind="void",
        token=f"matrix-{next(_numbers)}",
        reason="Never cashed.",
        old_amount=d.amount,
        old_date=dt.date(2026, 3, 1),
        new_date=dt.date(2026, 3, 2),
        proposed_by=_someone("bookkeeper"),
        proposed_at=timezone.now(),
    )
    return {"pk": d.pk, "correction": c.pk}


def _gift() -> OfflineGift:
    return offline_gift_record(
        actor=_someone("bookkeeper"),
        method="check",
        amount=1_000,
        received_on=dt.date(2026, 3, 1),
        token=f"matrix-{next(_numbers)}",
    )


# The pages of one case, and of one disbursement.
CASE_URLS = (
    "casework:case",
    "casework:case_identity",
    "casework:case_court_date",
    "casework:case_close",
    "casework:disbursement_new",
)
DISBURSEMENT_URLS = (
    "casework:disbursement",
    "casework:approve",
    "casework:pay",
    "casework:cancel",
    "casework:return",
    "casework:forfeit",
    "casework:void",
    "casework:correct_payment",
    "casework:undo_outcome",
)
CORRECTION_URLS = ("casework:correction_apply", "casework:correction_withdraw")

# The pages of one bank statement, and the decisions on one proposed match.
BANK_STATEMENT_URLS = (
    "donations:staff_bank_statement",
    "donations:staff_bank_propose",
    "donations:staff_bank_report",
)
BANK_MATCH_URLS = ("donations:staff_bank_match_confirm", "donations:staff_bank_match_reject")

# The objects a URL's path names, made afresh for every request.
URL_KWARGS = {
    "donations:staff_event_retry": lambda: {"pk": _failed_event().pk},
    "donations:staff_discrepancy_resolve": lambda: {"pk": _open_discrepancy().pk},
    "donations:staff_gift_bounced": lambda: {"pk": _gift().pk},
    **dict.fromkeys(BANK_STATEMENT_URLS, lambda: {"pk": a_statement().pk}),
    **dict.fromkeys(BANK_MATCH_URLS, lambda: {"pk": a_proposed_match().pk}),
    **dict.fromkeys(CASE_URLS, lambda: {"public_id": _case().public_id}),
    **dict.fromkeys(DISBURSEMENT_URLS, lambda: {"pk": _disbursement().pk}),
    **dict.fromkeys(CORRECTION_URLS, lambda: _correction_kwargs()),
}


def _sample_kwargs(name: str) -> dict:
    """Path arguments that resolve without touching the database."""
    if name in CASE_URLS:
        return {"public_id": uuid.UUID(int=1)}
    if name in CORRECTION_URLS:
        return {"pk": 1, "correction": 1}
    return {"pk": 1} if name in URL_KWARGS else {}


def _staff_routes(resolver=None, prefix: str = "", namespaces: tuple[str, ...] = ()):
    """(qualified name, route) of every URL pattern whose route starts with staff/."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            yield from _staff_routes(pattern, route, inner)
        elif route.startswith("staff/"):
            name = ":".join((*namespaces, pattern.name)) if pattern.name else f"<unnamed {route}>"
            yield name, route


def test_every_staff_url_has_a_row_in_the_table():
    found = {name for name, _ in _staff_routes() if not name.startswith(f"{ACCOUNT_NAMESPACE}:")}
    assert sorted(found - set(STAFF_URLS)) == [], "add these to STAFF_URLS and the docs"
    assert sorted(set(STAFF_URLS) - found) == [], "these rows name no staff URL any more"


def test_the_account_pages_are_the_only_ones_left_out():
    left_out = {name for name, _ in _staff_routes() if name.startswith(f"{ACCOUNT_NAMESPACE}:")}
    assert left_out == {
        "staff_auth:login",
        "staff_auth:verify",
        "staff_auth:reverify",
        "staff_auth:enrol",
        "staff_auth:recovery_codes",
        "staff_auth:logout",
    }


@pytest.mark.parametrize("name", sorted(STAFF_URLS))
def test_each_view_checks_the_capability_in_the_table(name):
    view = resolve(_path(name, _sample_kwargs(name))).func
    assert capability_of(view) == STAFF_URLS[name][1]


def _path(name: str, kwargs: dict) -> str:
    return reverse(name, kwargs=kwargs or None)


def _request(client: Client, name: str):
    method, _ = STAFF_URLS[name]
    path = _path(name, URL_KWARGS[name]() if name in URL_KWARGS else {})
    return client.post(path) if method == "POST" else client.get(path)


def _outcome(response) -> str:
    """What happened to the request, in the words the matrix uses."""
    if response.status_code == 403:
        return "refused"
    if response.status_code == 302:
        target = urlsplit(response["Location"]).path
        pages = {
            reverse("staff_auth:login"): "login",
            reverse("staff_auth:verify"): "second factor",
            reverse("staff_auth:enrol"): "enrolment",
        }
        if target in pages:
            return pages[target]
    # A page, a redirect after an action, or a form error for a POST without its fields.
    if response.status_code in (200, 302, 303, 400):
        return "allowed"
    return f"status {response.status_code}"


@pytest.mark.parametrize("name", sorted(STAFF_URLS))
def test_every_role_is_allowed_or_refused_as_the_matrix_says(name, staff_user, staff_client):
    _, capability = STAFF_URLS[name]
    password_only = Client()
    password_only.force_login(staff_user(Role.ADMIN))
    not_enrolled = Client()
    not_enrolled.force_login(staff_user(Role.ADMIN, authenticator=False))
    visitors = {
        "anonymous": Client(),
        "password only": password_only,
        "password only, no app yet": not_enrolled,
        "no role": staff_client(),
        **{role.value: staff_client(role) for role in Role},
    }
    expected = {
        "anonymous": "login",
        "password only": "second factor",
        "password only, no app yet": "enrolment",
        "no role": "refused",
        **{role.value: "allowed" if capability in MATRIX[role] else "refused" for role in Role},
    }

    observed = {who: _outcome(_request(client, name)) for who, client in visitors.items()}

    assert observed == expected


# What each role's exports carry (ledger.casework.case_rows) ---------------------------------------

# The outstanding-bail CSV's columns, by role: the court and the day (with the age in days)
# for the roles whose work needs them, names and dockets for those who may see identities.
_MONTHS = [
    *("No.", "County", "Status", "Paid on", "Age"),
    *("Bail paid (USD)", "Outstanding (USD)", "Payee kind"),
]
_DETAILS = [*_MONTHS[:2], "Court", *_MONTHS[2:]]
_IDENTITIES = [_DETAILS[0], "Name", "Docket", *_DETAILS[1:]]
OUTSTANDING_COLUMNS = {
    Role.VIEWER: _MONTHS,
    Role.BOOKKEEPER: _DETAILS,
    Role.APPROVER: _DETAILS,
    Role.CASE_MANAGER: _IDENTITIES,
    Role.ADMIN: _IDENTITIES,
}


def _paid_bail() -> Disbursement:
    from ledger.casework.disbursements import disbursement_approve, disbursement_pay
    from tests.ledger.conftest import deposit

    deposit(5_000)
    d = _disbursement()
    approver = _someone("approver")
    disbursement_approve(actor=approver, disbursement=d)
    BailCase.objects.filter(pk=d.case_id).update(court="Fourth District")
    return disbursement_pay(
        actor=approver, disbursement=d, paid_on=dt.date(2026, 3, 3), instrument_reference="CC-9"
    )


@pytest.mark.parametrize("role", list(Role))
def test_each_roles_export_carries_only_the_columns_its_capabilities_need(staff_client, role):
    _paid_bail()

    response = staff_client(role).get(reverse("casework:outstanding"), {"_export": "csv"})

    header, row = csv.reader(io.StringIO(response.content.decode()))
    assert header == OUTSTANDING_COLUMNS[role]
    details = C.VIEW_CASE_DETAILS in MATRIX[role]
    assert dict(zip(header, row, strict=True))["Paid on"] == (
        "2026-03-03" if details else "2026-03"
    )
    assert ("Fourth District" in row) == details
    assert "CC-9" not in row


def test_a_viewers_csv_has_no_court_and_no_exact_date(staff_client):
    _paid_bail()

    body = staff_client(Role.VIEWER).get("/staff/disbursements/outstanding/?_export=csv")

    text = body.content.decode()
    assert "Court," not in text and "Fourth District" not in text
    assert "2026-03-03" not in text and ",2026-03," in text


def test_only_the_bookkeeping_roles_read_the_journal(staff_client, post):
    post([("assets:bank", 1_000), ("net_assets:opening_balance", -1_000)], memo="Gift of record")
    readers = {role for role in Role if C.VIEW_JOURNAL in MATRIX[role]}
    assert readers == {Role.BOOKKEEPER, Role.ADMIN}

    for role in Role:
        client = staff_client(role)
        page = client.get(reverse("casework:journal"))
        export = client.get(reverse("casework:journal"), {"_export": "csv"})
        if role in readers:
            assert page.status_code == 200 and "Gift of record" in page.content.decode()
            assert "Gift of record" in export.content.decode()
        else:
            assert (page.status_code, export.status_code) == (403, 403), role
            assert "Gift of record" not in page.content.decode() + export.content.decode()
    exports = AuditEvent.objects.filter(action="case_rows.exported", object_id="journal")
    assert sorted(e.details["roles"][0] for e in exports) == ["admin", "bookkeeper"]


def test_an_anonymous_visitor_comes_back_to_the_page_after_logging_in(client):
    response = client.get("/staff/stripe/events/?status=failed")
    assert response["Location"] == "/staff/login/?next=/staff/stripe/events/%3Fstatus%3Dfailed"


# docs/permissions.md ----------------------------------------------------------------------

DOC = Path(__file__).resolve().parents[1] / "docs" / "permissions.md"


def _doc_table(first_header: str) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of the markdown table whose first header cell is ``first_header``."""
    header: list[str] = []
    rows: list[list[str]] = []
    for line in DOC.read_text().splitlines():
        if not line.startswith("|"):
            if header:
                break
            continue
        cells = [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        if not header:
            header = cells if cells[0] == first_header else []
        elif not re.fullmatch(r"[-: ]+", "".join(cells)):
            rows.append(cells)
    assert rows, f"no table starting with {first_header!r} in {DOC.name}"
    return header, rows


def test_the_docs_print_the_matrix_the_code_enforces():
    header, rows = _doc_table("capability")
    roles = header[1:]
    assert roles == [role.value for role in Role]
    printed = {
        row[0]: {role for role, mark in zip(roles, row[1:], strict=True) if mark == "✓"}
        for row in rows
    }
    enforced = {
        capability.value: {role.value for role in Role if capability in MATRIX[role]}
        for capability in Capability
    }
    assert printed == enforced


def test_the_docs_list_every_staff_url_with_its_capability():
    header, rows = _doc_table("URL")
    assert header[1:] == ["name", "method", "capability"]
    printed = {row[1]: (row[2], row[3]) for row in rows}
    assert printed == {name: (method, cap.value) for name, (method, cap) in STAFF_URLS.items()}

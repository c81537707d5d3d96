"""Identifying case data is encrypted at rest, found by docket, rotatable and purged; after
the purge nothing in the case or its disbursements can be matched to a court record."""

import datetime as dt
import importlib
import re
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from ledger.books.verification import verify_ledger
from ledger.casework import crypto
from ledger.casework.cases import (
    Identity,
    case_close,
    case_find_by_docket,
    case_identity,
    cases_purge_identifying_data,
)
from ledger.casework.disbursements import disbursement_approve, disbursement_pay
from ledger.models import AuditEvent, BailCase, JournalTransaction, MonthlyTotal
from tests.db_roles import as_owner
from tests.ledger.casework.conftest import CLUES, PERSON
from tests.ledger.conftest import deposit, open_case, record_return, request_disbursement

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keys(settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]


def _case_manager() -> User:
    user, _ = User.objects.get_or_create(username="case-manager")
    user.groups.add(Group.objects.get_or_create(name="case_manager")[0])
    return user


def _case(identity=PERSON, **fields):
    return open_case(_case_manager(), identity, **fields)


def _raw_rows() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM ledger_bailcase")
        return repr(cursor.fetchall())


def test_raw_sql_over_the_cases_table_shows_no_plaintext():
    _case()
    rows = _raw_rows()

    for value in CLUES:
        assert value not in rows
    assert "Hennepin" in rows  # what aggregates need stays in clear


def test_the_identity_decrypts_for_the_service():
    case = _case()
    assert case_identity(case=BailCase.objects.get(pk=case.pk)) == PERSON


def test_a_case_is_found_by_its_docket_number_however_it_is_typed():
    case = _case()
    _case(Identity(name="Someone Else", docket_number="CR-2026-000001"))

    assert case_find_by_docket("cr 2026 004417") == case
    assert case_find_by_docket("CR-2026-004418") is None
    assert case_find_by_docket("  ") is None


def test_after_key_rotation_every_case_still_decrypts(settings):
    first = _case()
    second = _case(Identity(name="Second Person", docket_number="CR-9"))
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]

    call_command("rotate_field_keys")
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]  # old key dropped

    assert case_identity(case=BailCase.objects.get(pk=first.pk)) == PERSON
    assert case_identity(case=BailCase.objects.get(pk=second.pk)).name == "Second Person"
    assert case_find_by_docket("CR-2026-004417") == first


def test_a_dropped_key_is_a_clear_error_not_garbage(settings):
    case = _case()
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(crypto.DecryptionFailed):
        case_identity(case=BailCase.objects.get(pk=case.pk))


def test_the_retention_purge_erases_identity_and_leaves_the_books(settings, post):
    settings.CASE_PII_RETENTION_DAYS = 90
    old = _case()
    BailCase.objects.filter(pk=old.pk).update(closed_on=dt.date(2026, 1, 2))
    recent = _case(Identity(name="Still Open", docket_number="CR-7"))
    post([("assets:bail_outstanding", 50000), ("assets:bank", -50000)], kind="disbursement")

    purged = cases_purge_identifying_data(now=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))

    assert purged == 1
    old.refresh_from_db()
    assert old.identity_ciphertext == "" and old.docket_lookup == ""
    assert case_identity(case=old) is None
    assert old.county == "Hennepin"
    assert case_identity(case=BailCase.objects.get(pk=recent.pk)).name == "Still Open"
    assert case_find_by_docket("CR-2026-004417") is None
    assert verify_ledger().ok
    assert cases_purge_identifying_data(now=dt.datetime(2026, 6, 1, tzinfo=dt.UTC)) == 0


def test_identifying_data_never_reaches_the_audit_log():
    _case()
    details = repr(list(AuditEvent.objects.values_list("details", "object_id")))

    assert "Marisol" not in details and "CR-2026" not in details


def test_production_without_keys_refuses_to_encrypt(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.FIELD_ENCRYPTION_KEYS = []
    settings.DEBUG = False
    with pytest.raises(ImproperlyConfigured):
        _case()


# After the purge ---------------------------------------------------------------------------

COURT, REFERENCE, OUTCOME = "Fourth District", "CC-4471", "charges dismissed"
DAYS = ("2026-03-02", "2026-03-03", "2026-03-17", "2026-04-09")


@pytest.fixture
def closed_case(person):
    """Opened 2 March in the Fourth District; bail paid 3 March by check CC-4471, back on
    17 March less court fees; closed 9 April, charges dismissed."""
    manager, approver = _case_manager(), person("approver")
    deposit(500_000)
    case = _case(court=COURT, opened_on=dt.date(2026, 3, 2))
    d = request_disbursement(
        manager, case, 150_000, method="cashiers_check", token="t-1", instrument_reference=REFERENCE
    )
    disbursement_approve(actor=approver, disbursement=d)
    disbursement_pay(actor=approver, disbursement=d, paid_on=dt.date(2026, 3, 3))
    bookkeeper = person("bookkeeper")
    record_return(bookkeeper, d, 140_000, fees=10_000, on=dt.date(2026, 3, 17), token="r-1")
    return case_close(actor=manager, case=case, closed_on=dt.date(2026, 4, 9), outcome=OUTCOME)


def _raw_case_rows(case) -> list[dict]:
    """Every column of the case's rows in the three tables, as the database holds them."""
    queries = (
        "SELECT * FROM ledger_bailcase WHERE id = %s",
        "SELECT * FROM ledger_disbursement WHERE case_id = %s",
        "SELECT * FROM ledger_disbursementoutcome WHERE disbursement_id IN "
        "(SELECT id FROM ledger_disbursement WHERE case_id = %s)",
    )
    rows = []
    with connection.cursor() as cursor:
        for sql in queries:
            cursor.execute(sql, [case.pk])
            names = [column[0] for column in cursor.description]
            found = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            assert found, sql
            rows += found
    return rows


def _as_text(rows: list[dict]) -> str:
    return " | ".join(str(value) for row in rows for value in row.values())


_RAW_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _dates_in(rows: list[dict]) -> list[dt.date | dt.datetime]:
    """Each date and time in the rows, times in the fund's time zone. The database holds
    times in UTC; SQLite may hand them back as text or without a zone."""
    found = []
    for row in rows:
        for value in row.values():
            if isinstance(value, str) and _RAW_DATE.match(value):
                value = (
                    dt.datetime.fromisoformat(value)
                    if " " in value
                    else dt.date.fromisoformat(value)
                )
            if isinstance(value, dt.datetime):
                if value.tzinfo is None:
                    value = value.replace(tzinfo=dt.UTC)
                found.append(timezone.localtime(value))
            elif isinstance(value, dt.date):
                found.append(value)
    return found


def test_after_the_purge_raw_sql_over_a_cases_rows_finds_nothing_to_match_a_court_record(
    closed_case,
):
    before = _as_text(_raw_case_rows(closed_case))
    assert COURT in before and REFERENCE in before and OUTCOME in before and "2026-03-03" in before

    assert cases_purge_identifying_data() == 1

    rows = _raw_case_rows(closed_case)
    text = _as_text(rows)
    for clue in (COURT, REFERENCE, OUTCOME, *DAYS, PERSON.name, PERSON.docket_number):
        assert clue not in text
    dates = _dates_in(rows)
    assert len(dates) >= 12  # created, opened, closed, requested, paid, occurred…
    for value in dates:
        assert value.day == 1, value
        if isinstance(value, dt.datetime):
            assert (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0)
    assert verify_ledger().ok


def test_the_purge_keeps_the_amounts_the_months_and_the_books_as_they_were(closed_case):
    d = closed_case.disbursements.get()
    journal = list(JournalTransaction.objects.values_list("sequence", "date", "hash"))
    monthly = list(MonthlyTotal.objects.values_list("account_id", "month", "debits", "credits"))

    cases_purge_identifying_data()

    d.refresh_from_db()
    outcome = d.outcomes.get()
    assert (d.amount, d.returned_amount, d.court_fees, d.status) == (
        150_000,
        140_000,
        10_000,
        "returned",
    )
    assert (d.paid_on, d.settled_on, outcome.occurred_on) == (dt.date(2026, 3, 1),) * 3
    assert BailCase.objects.get(pk=closed_case.pk).county == "Hennepin"
    assert list(JournalTransaction.objects.values_list("sequence", "date", "hash")) == journal
    assert (
        list(MonthlyTotal.objects.values_list("account_id", "month", "debits", "credits"))
        == monthly
    )
    assert verify_ledger().ok


def test_the_purge_runs_once_per_case_with_one_audit_row_naming_fields_not_values(closed_case):
    assert cases_purge_identifying_data() == 1
    assert cases_purge_identifying_data() == 0

    (event,) = AuditEvent.objects.filter(action="case.identifying_data_purged")
    assert event.object_id == str(closed_case.public_id) and event.actor is None
    assert "bailcase.court" in event.details["erased"]
    assert "disbursement.instrument_reference" in event.details["erased"]
    assert "disbursement.paid_on" in event.details["to_the_month"]
    text = repr(event.details)
    for clue in (COURT, REFERENCE, OUTCOME, *DAYS, "2026-03"):
        assert clue not in text


def test_cases_purged_under_the_old_rule_are_brought_to_the_new_one_by_the_migration(closed_case):
    BailCase.objects.filter(pk=closed_case.pk).update(
        identity_ciphertext="", docket_lookup="", pii_purged_at=timezone.now()
    )
    migration = importlib.import_module("ledger.migrations.0009_purge_coarsening")

    migration.coarsen_purged_cases(apps, SimpleNamespace(connection=connection))
    migration.coarsen_purged_cases(
        apps, SimpleNamespace(connection=connection)
    )  # again: nothing more to change

    rows = _raw_case_rows(closed_case)
    text = _as_text(rows)
    assert not [clue for clue in (COURT, REFERENCE, OUTCOME, *DAYS) if clue in text]
    assert all(value.day == 1 for value in _dates_in(rows))
    assert (
        AuditEvent.objects.filter(
            action="case.identifying_data_purged", object_id=str(closed_case.public_id)
        ).count()
        == 2
    )
    # As on an upgrade, the audit log's chain (migration 0015) then takes those events in.
    chain = importlib.import_module("ledger.migrations.0015_audit_chain")
    with as_owner(), connection.cursor() as cursor:
        chain.chain_existing_events(
            apps, SimpleNamespace(connection=connection, execute=cursor.execute)
        )
    assert verify_ledger().ok

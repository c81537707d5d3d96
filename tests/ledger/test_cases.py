"""Identifying case data is encrypted at rest, found by docket, rotatable and purged."""

import datetime as dt

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection

from ledger import crypto
from ledger.cases import (
    Identity,
    case_create,
    case_find_by_docket,
    case_identity,
    cases_purge_identifying_data,
)
from ledger.models import AuditEvent, BailCase
from ledger.verification import verify_ledger

pytestmark = pytest.mark.django_db

SECRET = Identity(
    name="Marisol Quintero-Vance",
    date_of_birth="1991-04-17",
    booking_number="BK-88812-Q",
    docket_number="CR-2026-004417",
    notes="Needs a ride from the county jail; works nights",
)


@pytest.fixture(autouse=True)
def _keys(settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]


def _case_manager() -> User:
    user, _ = User.objects.get_or_create(username="case-manager")
    user.groups.add(Group.objects.get_or_create(name="case_manager")[0])
    return user


def _case(identity=SECRET, **fields):
    return case_create(
        actor=_case_manager(),
        county=fields.pop("county", "Hennepin"),
        bail_type=fields.pop("bail_type", "criminal_bail"),
        opened_on=fields.pop("opened_on", dt.date(2026, 3, 1)),
        identity=identity,
        **fields,
    )


def _raw_rows() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM ledger_bailcase")
        return repr(cursor.fetchall())


def test_raw_sql_over_the_cases_table_shows_no_plaintext():
    _case()
    rows = _raw_rows()

    for value in ("Marisol", "Quintero", "1991-04-17", "BK-88812", "CR-2026-004417", "004417"):
        assert value not in rows
    assert "Hennepin" in rows  # what aggregates need stays in clear


def test_the_identity_decrypts_for_the_service():
    case = _case()
    assert case_identity(case=BailCase.objects.get(pk=case.pk)) == SECRET


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

    assert case_identity(case=BailCase.objects.get(pk=first.pk)) == SECRET
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

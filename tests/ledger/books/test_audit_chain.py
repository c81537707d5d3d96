"""The audit log is chained like the journal, and its head is in every signed tree head:
an audit row altered or removed behind the triggers is caught, even when every later hash
is recomputed."""

from __future__ import annotations

import pytest
from django.db import connection

from ledger.books import db_triggers
from ledger.books.audit_chain import audit_walk, event_content
from ledger.books.hashing import GENESIS_HASH, chain_hash
from ledger.books.posting import audit_record
from ledger.books.tree_heads import checkpoint_create
from ledger.books.verification import verify_ledger
from ledger.models import AuditEvent, ChainHead
from tests.db_roles import as_owner

pytestmark = pytest.mark.django_db


@pytest.fixture
def audited(post):
    post([("assets:bank", 5000), ("income:donations", -5000)], kind="offline_gift")
    for n in range(3):
        audit_record(None, "case", n, "case.closed", {"outcome": "returned", "n": n})
    checkpoint_create()


def test_each_event_links_to_the_one_before_and_the_head_signs_the_last(audited):
    events = list(AuditEvent.objects.order_by("sequence"))
    assert [e.sequence for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS_HASH
    for before, event in zip(events, events[1:], strict=False):
        assert event.prev_hash == before.hash
        assert event.hash == chain_hash(event.prev_hash, event_content(event))
    head = ChainHead.objects.get()
    assert (head.audit_sequence, head.audit_hash) == (3, events[-1].hash)
    assert audit_walk({3}) == ([], {0: GENESIS_HASH, 3: events[-1].hash})
    assert verify_ledger().ok


def _behind_the_triggers(*statements):
    with as_owner():
        db_triggers.drop(connection)
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
        db_triggers.install(connection)


def test_an_altered_audit_row_is_caught(audited):
    _behind_the_triggers(
        ("UPDATE ledger_auditevent SET details = %s WHERE sequence = 2", ['{"outcome": "x"}'])
    )

    report = verify_ledger()
    assert not report.ok
    assert "audit event 2 (case.closed) no longer matches its hash" in report.problems


def test_a_removed_audit_row_is_caught(audited):
    _behind_the_triggers(("DELETE FROM ledger_auditevent WHERE sequence = 2", []))

    report = verify_ledger()
    assert "audit event 2 is missing (found 3)" in report.problems


def test_an_audit_log_rewritten_with_fresh_hashes_fails_against_the_signed_head(audited):
    """Every hash after the change recomputed and the stored head moved: the chain is
    consistent again, but not with the head signed before."""
    _behind_the_triggers(
        ("UPDATE ledger_auditevent SET action = 'case.reopened' WHERE sequence = 2", [])
    )
    prev = GENESIS_HASH
    with as_owner():
        db_triggers.drop(connection)
        for event in AuditEvent.objects.order_by("sequence"):
            digest = chain_hash(prev, event_content(event))
            AuditEvent.objects.filter(pk=event.pk).update(prev_hash=prev, hash=digest)
            prev = digest
        ChainHead.objects.filter(id=1).update(audit_hash=prev)
        db_triggers.install(connection)

    report = verify_ledger()
    assert not report.ok
    assert any("the audit log's event 3 is not the one it signed" in p for p in report.problems)
    assert not any("no longer matches its hash" in p for p in report.problems)


def test_the_site_role_cannot_touch_an_audit_row(audited):
    """Without the owner's rights the rows cannot even be reached (tests/db_roles.py)."""
    from django.db import DatabaseError, transaction

    for sql in ("UPDATE ledger_auditevent SET action = 'x'", "DELETE FROM ledger_auditevent"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert verify_ledger().ok


def test_a_re_signed_history_no_longer_holds_the_heads_witnesses_kept(audited, client, tmp_path):
    """An insider with the signing key who rewrote the audit log must replace the heads
    that signed it: the fund's file then lacks a head a witness kept."""
    import subprocess
    import sys
    from pathlib import Path

    from ledger.models import Checkpoint

    kept = tmp_path / "kept.jsonl"
    kept.write_bytes(client.get("/transparency/tree-heads.jsonl").content)
    with as_owner():
        db_triggers.drop(connection)
        Checkpoint.objects.all().delete()
        db_triggers.install(connection)
    checkpoint_create()
    now = tmp_path / "now.jsonl"
    now.write_bytes(client.get("/transparency/tree-heads.jsonl").content)

    verifier = Path(__file__).resolve().parents[3] / "docs" / "verify_export.py"
    result = subprocess.run(
        [sys.executable, str(verifier), "--heads", str(kept), "--fund-heads", str(now)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "the fund no longer publishes the head of" in result.stdout

"""Signed tree heads: made after every N transactions and hourly, published as a file
anyone may archive and emailed to witnesses; a rewrite or a cut of the books, even by an
insider with the owner's rights and the signing key, fails against any outside copy."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection

from ledger.books import db_triggers, merkle, tree_heads
from ledger.books.exports import write_csv
from ledger.books.tree_heads import checkpoint_create
from ledger.books.verification import verify_ledger
from ledger.models import Checkpoint, JournalTransaction
from ledger.tasks import checkpoint_ledger
from tests.db_roles import as_owner
from tests.ledger.books import tampering

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
VERIFIER = ROOT / "docs" / "verify_export.py"
GIFT = [("assets:bank", 80000), ("income:donations", -80000)]
SUPPORT = [("assets:bail_outstanding", 12000), ("assets:bank", -12000)]


def verify(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(VERIFIER), *map(str, args)], capture_output=True, text=True
    )


def export(path: Path) -> Path:
    out = io.StringIO()
    write_csv(out)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def served_heads(client, path: Path) -> Path:
    response = client.get("/transparency/tree-heads.jsonl")
    assert response.status_code == 200
    path.write_bytes(response.content)
    return path


@pytest.fixture
def witnessed_fund(post, settings, client, tmp_path):
    """Six transactions and two signed heads, archived by a mirror and emailed to the
    fund's two witnesses (the hourly run)."""
    settings.LEDGER_WITNESSES = ["board@example.org", "auditor@example.org"]
    for _ in range(3):
        post(GIFT, kind="offline_gift")
    post(SUPPORT, kind="disbursement", date=dt.date(2026, 3, 16))
    checkpoint_create()
    post(GIFT, kind="offline_gift", date=dt.date(2026, 3, 17))
    post(SUPPORT, kind="disbursement", date=dt.date(2026, 3, 18))
    assert checkpoint_ledger() == 2  # a head for the grown journal; both heads emailed
    archived = served_heads(client, tmp_path / "archived-tree-heads.jsonl")
    emailed = tmp_path / "witness.eml"
    emailed.write_text(mail.outbox[-1].message().as_string(), encoding="utf-8")
    return archived, emailed


def test_heads_are_signed_chained_published_and_verified(witnessed_fund, tmp_path, client):
    archived, emailed = witnessed_fund
    heads = [json.loads(line) for line in archived.read_text().splitlines()]

    assert [h["size"] for h in heads] == [4, 6]
    assert heads[1]["previous_size"] == 4 and heads[1]["consistency"]
    assert heads[0]["key"] == tree_heads.public_key_hex()
    assert all(tree_heads.signature_valid(c) for c in Checkpoint.objects.all())
    leaves = [bytes.fromhex(t.hash) for t in JournalTransaction.objects.order_by("sequence")]
    assert heads[1]["root"] == merkle.Tree(6, lambda a, b: leaves[a:b]).root().hex()
    report = verify_ledger()
    assert report.ok, report.problems

    message = mail.outbox[-1]
    assert sorted(message.to) == ["auditor@example.org", "board@example.org"]
    assert "tree heads up to 6 transactions" in message.subject

    journal = export(tmp_path / "journal.csv")
    for copy in (archived, emailed):
        result = verify(journal, "--heads", copy, "--key", heads[0]["key"])
        assert result.returncode == 0, result.stdout
        assert "the books extend 2 signed head(s)" in result.stdout


def test_a_head_after_every_n_transactions(post, settings, django_capture_on_commit_callbacks):
    settings.LEDGER_HEAD_EVERY = 5
    for _ in range(12):  # each posting commits on its own
        with django_capture_on_commit_callbacks(execute=True):
            post(GIFT, kind="offline_gift")

    assert list(Checkpoint.objects.order_by("sequence").values_list("sequence", flat=True)) == [
        5,
        10,
    ]
    assert checkpoint_ledger() == 0  # no witnesses configured: the head is made, not mailed
    assert Checkpoint.objects.filter(sequence=12).exists()
    assert tree_heads.checkpoint_if_grown() is None  # nothing new since


def _forge_heads_as_the_key_holder() -> None:
    """What an insider with the database owner's rights and the signing key can do after a
    rewrite: replace every stored head with one signed over the rewritten books."""
    sizes = list(
        Checkpoint.objects.order_by("pk").values_list(
            "sequence", "created_at", "audit_sequence", "audit_hash"
        )
    )
    with as_owner():
        db_triggers.drop(connection)
        Checkpoint.objects.all().delete()
        db_triggers.install(connection)
    for size, created_at, audit_sequence, audit_hash in sizes:
        leaves = [
            bytes.fromhex(h)
            for h in JournalTransaction.objects.filter(sequence__lte=size)
            .order_by("sequence")
            .values_list("hash", flat=True)
        ]
        previous = tree_heads.latest_signed()
        tree = merkle.Tree(size, lambda a, b, leaves=leaves: leaves[a:b])
        head = Checkpoint(
            sequence=size,
            hash=JournalTransaction.objects.get(sequence=size).hash,
            created_at=created_at,
            audit_sequence=audit_sequence,
            audit_hash=audit_hash,
            log=previous.log if previous else "bailfund",
            root_hash=tree.root().hex(),
            frontier=[n.hex() for n in tree.frontier()],
            previous_sequence=previous.sequence if previous else None,
            consistency=[n.hex() for n in tree.consistency_proof(previous.sequence)]
            if previous
            else [],
            public_key=tree_heads.public_key_hex(),
        )
        head.signature = tree_heads.signing_key().sign(tree_heads.checkpoint_text(head)).hex()
        head.save()


def test_a_rewrite_without_the_key_fails_verify_ledger(witnessed_fund):
    """$120 of support paid made $620, every hash, balance and total recomputed."""
    tampering.rewrite(tampering.set_leg(4, "assets:bank", -62000))
    tampering.rewrite(tampering.set_leg(4, "assets:bail_outstanding", 62000))

    report = verify_ledger()
    assert not report.ok
    assert any("no longer has its Merkle root" in p for p in report.problems)
    assert any("(#4) no longer verifies" in p for p in report.problems)


def test_a_rewrite_re_signed_with_the_key_fails_against_every_outside_copy(
    witnessed_fund, tmp_path, client
):
    archived, emailed = witnessed_fund
    tampering.rewrite(
        tampering.set_leg(4, "assets:bank", -62000),
        tampering.set_leg(4, "assets:bail_outstanding", 62000),
    )
    _forge_heads_as_the_key_holder()
    assert verify_ledger().ok  # the inside can no longer tell

    journal = export(tmp_path / "journal.csv")
    forged = served_heads(client, tmp_path / "now.jsonl")
    assert verify(journal, "--heads", forged).returncode == 0
    for copy in (archived, emailed):
        result = verify(journal, "--heads", copy)
        assert result.returncode == 1
        assert (
            "the books no longer extend the head of" in result.stdout
            and "(4 transactions): they first differ within entries #1 to #4" in result.stdout
        ), result.stdout
        # The outside copy and the fund's file side by side: two versions of history.
        both = verify("--heads", copy, "--heads", forged)
        assert "two heads of 4 transactions disagree: the books forked" in both.stdout


def test_entries_cut_after_a_head_fail_against_every_outside_copy(witnessed_fund, tmp_path):
    """The newest entries deleted, and the heads that held them: $800 gone unseen inside."""
    archived, emailed = witnessed_fund
    tampering.rewrite(*tampering.delete_transaction(6), *tampering.delete_transaction(5))
    with as_owner():
        db_triggers.drop(connection)
        Checkpoint.objects.filter(sequence__gt=4).delete()
        db_triggers.install(connection)
    assert verify_ledger().ok

    journal = export(tmp_path / "journal.csv")
    for copy in (archived, emailed):
        result = verify(journal, "--heads", copy)
        assert result.returncode == 1
        assert "the export ends at #4, before the head of" in result.stdout
        assert "entries #5 to #6 are missing from the books" in result.stdout


def test_entries_cut_under_a_stored_head_fail_verify_ledger(witnessed_fund):
    tampering.rewrite(*tampering.delete_transaction(6))

    report = verify_ledger()
    assert not report.ok
    assert any(
        "holds transactions #6 to #6, which the journal no longer has" in p for p in report.problems
    )
    with pytest.raises(Exception, match="holds 6"):
        checkpoint_create()


def test_a_changed_head_or_proof_is_refused(witnessed_fund, tmp_path):
    archived, _ = witnessed_fund
    heads = [json.loads(line) for line in archived.read_text().splitlines()]
    bent_root = dict(heads[1], root=heads[0]["root"])
    bent_proof = dict(heads[1], consistency=[heads[0]["root"]])

    for bent, expected in (
        (bent_root, "its signature does not verify"),
        (bent_proof, "does not extend the head of"),
    ):
        path = tmp_path / "bent.jsonl"
        path.write_text(json.dumps(heads[0]) + "\n" + json.dumps(bent) + "\n")
        result = verify("--heads", path)
        assert result.returncode == 1
        assert expected in result.stdout, result.stdout
    assert "signed by a key other than" in verify("--heads", archived, "--key", "00" * 32).stdout


def test_the_hourly_run_emails_each_head_once(witnessed_fund, post):
    sent = len(mail.outbox)
    assert checkpoint_ledger() == 0
    post(GIFT, kind="offline_gift")
    call_command("ledger_checkpoint")
    assert checkpoint_ledger() == 1
    assert len(mail.outbox) == sent + 1

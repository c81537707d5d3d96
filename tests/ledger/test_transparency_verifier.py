"""The outside verifier (docs/verify_export.py) against what the fund publishes: the chain
recomputed from an export must contain the published head and every dated checkpoint."""

import csv
import hashlib
import importlib.util
import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from ledger.services import checkpoint_create

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = ROOT / "docs" / "verify_export.py"


def verify(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(VERIFIER), *map(str, args)], capture_output=True, text=True
    )


@pytest.fixture
def published_fund(post, client, tmp_path):
    """Books with two dated checkpoints, their export, and the published documents."""
    post([("assets:bank", 50000), ("income:donations", -50000)], kind="offline_gift")
    post([("assets:bail_outstanding", 20000), ("assets:bank", -20000)], kind="disbursement")
    checkpoint_create()
    post([("assets:bank", 10000), ("income:donations", -10000)], kind="offline_gift")
    checkpoint_create()
    post([("assets:cash", 2500), ("income:donations", -2500)], kind="offline_gift")
    export = tmp_path / "journal.csv"
    call_command("export_ledger", "--format", "csv", "--output", str(export))
    checkpoints = tmp_path / "checkpoints.json"
    checkpoints.write_bytes(client.get("/transparency/checkpoints.json").content)
    figures = tmp_path / "transparency.json"
    figures.write_bytes(client.get("/transparency.json").content)
    return export, checkpoints, figures


pytestmark = pytest.mark.django_db


def test_the_published_head_and_checkpoints_are_found_in_the_exported_chain(published_fund):
    export, checkpoints, _ = published_fund

    result = verify(export, "--published", checkpoints)

    assert result.returncode == 0, result.stdout
    assert "3 published hashes found in this chain" in result.stdout
    assert "OK: 4 transactions, head #4" in result.stdout


def test_the_transparency_json_works_as_the_published_source(published_fund):
    export, _, figures = published_fund

    result = verify(export, "--published", figures)

    assert result.returncode == 0, result.stdout
    assert "2 published hashes found" in result.stdout  # the head and the latest checkpoint


def _rewrite_history(export: Path) -> str:
    """What a fund hiding a payment would do: change an early amount and recompute every
    hash after it, so that the chain is consistent again."""
    spec = importlib.util.spec_from_file_location("verify_export", VERIFIER)
    verifier = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(verifier)
    rows = list(csv.DictReader(io.StringIO(export.read_text())))
    for row in rows:
        if row["sequence"] == "2":
            row["amount"] = str(int(row["amount"]) // 2)
    prev, out = verifier.GENESIS, []
    for sequence in sorted({int(row["sequence"]) for row in rows}):
        group = [row for row in rows if int(row["sequence"]) == sequence]
        legs = [(row["account"], int(row["amount"])) for row in group]
        digest = hashlib.sha256(
            prev.encode() + b"\n" + verifier.content(group[0], legs)
        ).hexdigest()
        for row in group:
            row["prev_hash"], row["hash"] = prev, digest
        out += group
        prev = digest
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(out)
    return text.getvalue()


def test_a_rewritten_history_verifies_alone_but_not_against_the_checkpoints(
    published_fund, tmp_path
):
    export, checkpoints, _ = published_fund
    rewritten = tmp_path / "rewritten.csv"
    rewritten.write_text(_rewrite_history(export))

    alone = verify(rewritten)
    against = verify(rewritten, "--published", checkpoints)

    assert alone.returncode == 0, alone.stdout  # consistent in itself
    assert against.returncode == 1
    assert "the checkpoint of" in against.stdout and "does not match" in against.stdout
    assert "the published head (#4) does not match" in against.stdout


def test_an_export_older_than_the_published_head_is_checked_as_far_as_it_goes(
    published_fund, tmp_path
):
    export, checkpoints, _ = published_fund
    lines = export.read_text().splitlines(keepends=True)
    older = tmp_path / "older.csv"
    older.write_text("".join(line for line in lines if not line.startswith("4,")))

    result = verify(older, "--published", checkpoints)

    assert result.returncode == 0, result.stdout
    assert "the published head (#4) is beyond the end of this export (#3)" in result.stdout
    assert "2 published hashes found" in result.stdout


def test_a_checkpoint_given_by_hand_is_checked_too(published_fund):
    export, _, _ = published_fund

    wrong = verify(export, "--expect", f"2:{'0' * 63}1")

    assert wrong.returncode == 1
    assert "the checkpoint given (#2) does not match" in wrong.stdout


@pytest.mark.django_db(transaction=True)
def test_the_verifier_reads_the_checkpoints_from_the_site(live_server, post, tmp_path):
    post([("assets:bank", 1000), ("income:donations", -1000)], kind="offline_gift")
    checkpoint_create()
    export = tmp_path / "journal.csv"
    call_command("export_ledger", "--format", "csv", "--output", str(export))

    result = verify(export, "--published", f"{live_server.url}/transparency/checkpoints.json")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 published hashes found" in result.stdout

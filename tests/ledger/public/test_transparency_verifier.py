"""The outside verifier (docs/verify_export.py) against what the fund publishes: the chain
recomputed from an export must contain every dated checkpoint, and each release in
transparency.json must hash to its hash, name the one before it, and sit in a checkpoint."""

import csv
import datetime as dt
import hashlib
import importlib.util
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from ledger.books.tree_heads import checkpoint_create
from ledger.public.releases import releases_publish_due

ROOT = Path(__file__).resolve().parents[3]
VERIFIER = ROOT / "docs" / "verify_export.py"


def _verifier_module():
    """verify_export.py as a module (it imports verify_heads.py from beside it)."""
    sys.path.insert(0, str(VERIFIER.parent))
    try:
        spec = importlib.util.spec_from_file_location("verify_export", VERIFIER)
        verifier = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(verifier)
    finally:
        sys.path.remove(str(VERIFIER.parent))
    return verifier


def verify(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(VERIFIER), *map(str, args)], capture_output=True, text=True
    )


@pytest.fixture
def published_fund(post, client, tmp_path):
    """Books with a dated checkpoint and two releases (each recorded in a checkpoint of its
    own), their export, and the published documents."""
    post([("assets:bank", 50000), ("income:donations", -50000)], kind="offline_gift",
         date=dt.date(2026, 2, 10))  # fmt: skip
    post([("assets:bail_outstanding", 20000), ("assets:bank", -20000)], kind="disbursement")
    checkpoint_create()
    post([("assets:bank", 10000), ("income:donations", -10000)], kind="offline_gift")
    made = releases_publish_due(today=dt.date(2026, 4, 30))
    assert [r.period for r in made] == ["2026-02", "2026-03"]
    post([("assets:cash", 2500), ("income:donations", -2500)], kind="offline_gift",
         date=dt.date(2026, 4, 2))  # fmt: skip
    export = tmp_path / "journal.csv"
    call_command("export_ledger", "--format", "csv", "--output", str(export))
    checkpoints = tmp_path / "checkpoints.json"
    checkpoints.write_bytes(client.get("/transparency/checkpoints.json").content)
    figures = tmp_path / "transparency.json"
    figures.write_bytes(client.get("/transparency.json").content)
    return export, checkpoints, figures


pytestmark = pytest.mark.django_db


def test_the_published_checkpoints_are_found_in_the_exported_chain(published_fund):
    export, checkpoints, _ = published_fund

    result = verify(export, "--published", checkpoints)

    assert result.returncode == 0, result.stdout
    assert "3 published hashes found in this chain" in result.stdout
    assert "OK: 4 transactions, head #4" in result.stdout


def test_the_transparency_json_alone_checks_its_releases_and_asks_for_the_checkpoints(
    published_fund,
):
    export, _, figures = published_fund

    with_export = verify(export, "--published", figures)
    alone = verify("--published", figures)

    for result in (with_export, alone):
        assert result.returncode == 0, result.stdout
        assert "2 releases checked: each hash recomputes" in result.stdout
        assert "give the fund's checkpoints.json too" in result.stdout
    assert "published hash" not in with_export.stdout  # it holds no hash of the books
    assert "OK: 4 transactions" in with_export.stdout
    assert "OK: 2 releases" in alone.stdout


def test_the_releases_are_found_in_the_published_checkpoints(published_fund):
    export, checkpoints, figures = published_fund

    result = verify(export, "--published", figures, "--published", checkpoints)

    assert result.returncode == 0, result.stdout
    assert "2 releases found in the published checkpoints" in result.stdout
    assert "3 published hashes found in this chain" in result.stdout


def _releases(figures: Path) -> dict:
    return json.loads(figures.read_text(encoding="utf-8"))


def _save(document: dict, path: Path) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_release_changed_after_publication_is_caught(published_fund, tmp_path):
    _, _, figures = published_fund
    document = _releases(figures)
    document["releases"][0]["money_in"]["total"]["donations_gross"] += 100

    result = verify("--published", _save(document, tmp_path / "changed.json"))

    assert result.returncode == 1
    assert "release 2026-02: its hash does not recompute from its content" in result.stdout


def test_a_release_removed_from_the_chain_is_caught(published_fund, tmp_path):
    _, _, figures = published_fund
    document = _releases(figures)
    del document["releases"][0]

    result = verify("--published", _save(document, tmp_path / "shorter.json"))

    assert result.returncode == 1
    assert "release 2026-03 does not name the hash of the release before it" in result.stdout


def test_a_rewritten_chain_of_releases_is_caught_by_the_checkpoints(published_fund, tmp_path):
    """What a fund hiding a figure would do: change an early release and recompute every
    release's hash after it, so that the releases are consistent again."""
    verifier = _verifier_module()
    _, checkpoints, figures = published_fund
    document = _releases(figures)
    document["releases"][0]["money_in"]["total"]["donations_gross"] += 100
    previous = None
    for release in document["releases"]:
        release["previous_release_hash"] = previous
        release["hash"] = previous = verifier.release_hash(release)
    rewritten = _save(document, tmp_path / "rewritten.json")

    alone = verify("--published", rewritten)
    against = verify("--published", rewritten, "--published", checkpoints)

    assert alone.returncode == 0, alone.stdout  # consistent in itself
    assert against.returncode == 1
    assert "a published release was replaced or removed" in against.stdout


def _rewrite_history(export: Path) -> str:
    """What a fund hiding a payment would do: change an early amount and recompute every
    hash after it, so that the chain is consistent again."""
    verifier = _verifier_module()
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
    assert "the checkpoint of" in against.stdout and "(#2) does not match" in against.stdout
    assert "(#3) does not match" in against.stdout


def test_an_export_older_than_the_checkpoints_is_checked_as_far_as_it_goes(
    published_fund, tmp_path
):
    export, checkpoints, _ = published_fund
    lines = export.read_text().splitlines(keepends=True)
    older = tmp_path / "older.csv"
    older.write_text("".join(line for line in lines if not line.startswith(("3,", "4,"))))

    result = verify(older, "--published", checkpoints)

    assert result.returncode == 0, result.stdout
    assert result.stdout.count("(#3) is beyond the end of this export (#2)") == 2
    assert "1 published hash found in this chain" in result.stdout


def test_a_checkpoint_given_by_hand_is_checked_too(published_fund):
    export, _, _ = published_fund

    wrong = verify(export, "--expect", f"2:{'0' * 63}1")

    assert wrong.returncode == 1
    assert "the checkpoint given (#2) does not match" in wrong.stdout


@pytest.mark.django_db(transaction=True)
def test_the_verifier_reads_the_published_documents_from_the_site(live_server, post, tmp_path):
    post([("assets:bank", 1000), ("income:donations", -1000)], kind="offline_gift")
    releases_publish_due(today=dt.date(2026, 4, 30))
    checkpoint_create()
    export = tmp_path / "journal.csv"
    call_command("export_ledger", "--format", "csv", "--output", str(export))

    result = verify(
        export,
        "--published",
        f"{live_server.url}/transparency/checkpoints.json",
        "--published",
        f"{live_server.url}/transparency.json",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 published hashes found" in result.stdout  # the release's and the daily one
    assert "1 release found in the published checkpoints" in result.stdout

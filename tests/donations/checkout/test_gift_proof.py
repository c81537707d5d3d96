"""A donor's receipt names the gift's place in the books and links to its inclusion proof:
the page and the outside verifier check it against any signed head, and a changed proof or
head fails. The proof shows the gift's own entry and nothing of any other."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail

from ledger.books.tree_heads import checkpoint_create

ROOT = Path(__file__).resolve().parents[3]
VERIFIER = ROOT / "docs" / "verify_export.py"

pytestmark = pytest.mark.django_db(transaction=True)


def verify(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(VERIFIER), *map(str, args)], capture_output=True, text=True
    )


def _receipt_link(message) -> tuple[int, str]:
    position = int(re.search(r"Your gift is entry (\d+) of our books", message.body).group(1))
    url = re.search(r"(http\S+/donate/proof/\S+/)", message.body).group(1)
    return position, url


def test_a_gift_is_proved_in_the_books_and_in_any_head_saved_since(live_sandbox, donor, tmp_path):
    donor.give(amount_choice="5000", email="ana@example.org")
    donor.give(amount_choice="2500", email="ben@example.org")
    assert live_sandbox.flush_webhooks(timeout=20)
    ana = next(m for m in mail.outbox if m.to == ["ana@example.org"])
    position, url = _receipt_link(ana)

    waiting = donor.http.get(url, timeout=10).text
    assert 'data-state="waiting"' in waiting
    assert f"Your gift is entry {position} of our books" in waiting

    checkpoint_create()
    page = donor.http.get(url, timeout=10).text
    assert 'data-state="proved"' in page
    document = donor.http.get(url + "proof.json", timeout=10).json()
    assert document["entry"]["sequence"] == position
    assert '"income:donations",-5000' in document["entry"]["content"]
    ben_charge = next(m for m in mail.outbox if m.to == ["ben@example.org"])
    ben_reference = re.search(r"Reference: (\S+)", ben_charge.body).group(1)
    assert ben_reference not in json.dumps(document) and "-2500" not in json.dumps(document)

    proof = tmp_path / "proof.json"
    proof.write_text(json.dumps(document))
    heads = tmp_path / "tree-heads.jsonl"
    heads.write_bytes(
        donor.http.get(f"{live_sandbox_site(url)}/transparency/tree-heads.jsonl").content
    )
    result = verify("--proof", proof, "--heads", heads)
    assert result.returncode == 0, result.stdout
    assert f"entry #{position} is in the head of" in result.stdout

    # A later head, saved by anyone, holds the gift too; the page checks it.
    later = heads.read_text().splitlines()[-1]
    donor.give(amount_choice="10000", email="cy@example.org")
    assert live_sandbox.flush_webhooks(timeout=20)
    checkpoint_create()
    newest = donor.http.get(f"{live_sandbox_site(url)}/transparency/tree-heads.jsonl").text
    for line in (later, newest.splitlines()[-1]):
        checked = _post_head(donor, url, line)
        assert 'data-ok="yes"' in checked, checked


def live_sandbox_site(url: str) -> str:
    return url.split("/donate/")[0]


def _post_head(donor, url: str, line: str) -> str:
    page = donor.http.get(url, timeout=10).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    return donor.http.post(
        url, data={"csrfmiddlewaretoken": token, "head": line}, headers={"Referer": url}, timeout=10
    ).text


def test_a_changed_proof_or_head_fails_on_the_page_and_in_the_verifier(
    live_sandbox, donor, tmp_path
):
    donor.give(amount_choice="5000", email="ana@example.org")
    assert live_sandbox.flush_webhooks(timeout=20)
    _, url = _receipt_link(mail.outbox[0])
    checkpoint_create()
    document = donor.http.get(url + "proof.json", timeout=10).json()

    more = dict(document, entry=dict(document["entry"]))
    more["entry"]["content"] = more["entry"]["content"].replace("-5000", "-50000")
    moved = dict(document, leaf_index=document["leaf_index"] + 1)
    forged_head = dict(document, head=dict(document["head"], size=document["head"]["size"] + 1))
    for bent, expected in (
        (more, "its hash does not recompute from its content"),
        (moved, "its hash does not recompute"),
        (forged_head, "its signature does not verify"),
    ):
        path = tmp_path / "bent.json"
        path.write_text(json.dumps(bent))
        result = verify("--proof", path)
        assert result.returncode == 1
        assert expected in result.stdout, result.stdout

    head = dict(document["head"], root="00" * 32)
    assert "signature does not verify" in _post_head(donor, url, json.dumps(head))
    assert "not a tree head" in _post_head(donor, url, "hello")
    assert donor.http.get(url.replace("/proof/", "/proof/x"), timeout=10).status_code == 404

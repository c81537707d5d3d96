#!/usr/bin/env python3
"""Recompute a Bail Fund Ledger hash chain from a CSV export, and check the fund's public
releases, with nothing but Python.

    python verify_export.py journal.csv [--published checkpoints.json | URL]
        [--expect-head HASH] [--expect SEQUENCE:HASH ...]
    python verify_export.py [journal.csv] --published transparency.json
        [--published checkpoints.json]
    python verify_export.py [journal.csv] --heads tree-heads.jsonl [--heads saved.eml ...]
        [--key PUBLIC_KEY_HEX]
    python verify_export.py --proof proof.json [--heads tree-heads.jsonl ...]

Get the CSV with ``manage.py export_ledger --format csv`` (or from the fund). The script
checks that sequences run 1, 2, 3…, that each transaction links to the previous hash,
that every hash recomputes from its content (docs/ledger.md, "The hash chain"), and that
legs sum to zero; then prints the head. Give it the fund's
``/transparency/checkpoints.json`` (a saved file or the URL), or a head and checkpoints by
hand, and it also checks that each of them is in this chain. Published hashes beyond the
end of the export are listed, not judged: the export is older.

Give it ``/transparency.json`` and it checks the releases in it: each release's hash must
be the SHA-256 of the release without its ``hash`` field (JSON with sorted keys, no spaces,
UTF-8), and each must name the hash of the release before it. transparency.json holds no
hash of the books; with checkpoints.json as well, each release must also be recorded in a
published checkpoint.

Give it signed tree heads (``--heads``: the fund's ``/transparency/tree-heads.jsonl``, a
copy archived earlier, or a witness's saved email; any number; ``--fund-heads``: the
fund's file as it is now, which must still hold every one of them) and it checks each head's
Ed25519 signature (with the ``cryptography`` package; ``--key`` pins the fund's public
key), that no two heads of one size disagree, and each consistency proof from the head
before (RFC 9162). With an export too, it recomputes the Merkle root (docs/ledger.md,
"Signed tree heads") at every head's size: the books must extend every head, and where
they do not it names the first head they fail and the entries where they first differ.

Give it a gift's inclusion proof (``--proof``, downloaded from the page its receipt links
to) and it checks that the entry's hash recomputes from its content, that the audit path
leads from it to the root of the head in the proof, and the head's signature; with
``--heads``, that head must also be one of those given (saved by you or anyone else).
Exit status 0 means everything agreed. Keep verify_heads.py beside this file: it holds the
Merkle tree, signature and proof checks.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import urllib.request
from itertools import groupby

from verify_heads import HeadCheck, head_problems, load_heads, name, proof_problems, text_of

GENESIS = "0" * 64


def content(first: dict, legs: list[tuple[str, int]]) -> bytes:
    document = {
        "v": 1,
        "sequence": int(first["sequence"]),
        "kind": first["kind"],
        "date": first["date"],
        "recorded_at": first["recorded_at"],
        "currency": first["currency"],
        "memo": first["memo"],
        "source_ref": first["source_ref"],
        "idempotency_key": first["idempotency_key"],
        "reverses": int(first["reverses"]) if first["reverses"] else None,
        "actor": int(first["actor"]) if first["actor"] else None,
        "postings": sorted([code, amount] for code, amount in legs),
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def load(source: str) -> dict:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310
            return json.load(response)
    with open(source, encoding="utf-8") as handle:
        return json.load(handle)


def published(data: dict) -> list[tuple[int, str, str]]:
    """(sequence, hash, what) for the head, if any, and every checkpoint in a published
    document. (Earlier versions of transparency.json and checkpoints.json had a head.)"""
    ledger = data.get("ledger") or {}
    head = data.get("head") or {"sequence": ledger.get("sequence"), "hash": ledger.get("head_hash")}
    found = []
    if head.get("hash"):
        found.append((int(head["sequence"]), head["hash"], "the published head"))
    checkpoints = data.get("checkpoints") or [c for c in [ledger.get("latest_checkpoint")] if c]
    for item in checkpoints:
        label = f"the checkpoint of {item.get('created_at', '?')}"
        found.append((int(item["sequence"]), item["hash"], label))
    return found


def release_hash(release: dict) -> str:
    """What the fund computes: SHA-256 of the release without its own hash field."""
    content = {key: value for key, value in release.items() if key != "hash"}
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def release_problems(releases: list[dict]) -> list[str]:
    """Each release's hash recomputes, and each names the one before it."""
    problems, previous = [], None
    for release in releases:
        name = release.get("release", "?")
        if release_hash(release) != release.get("hash"):
            problems.append(f"release {name}: its hash does not recompute from its content")
        if release.get("previous_release_hash") != previous:
            problems.append(f"release {name} does not name the hash of the release before it")
        previous = release.get("hash")
    return problems


def release_checkpoints(releases: list[dict], recorded: list[dict]) -> list[str]:
    """Each release recorded in a published checkpoint is still there, unchanged. A release
    newer than the checkpoints, or a checkpoint newer than the releases, is noted: one of
    the two documents was saved earlier."""
    problems, hashes = [], {release.get("hash") for release in releases}
    newest = max(str(release.get("made_at", "")) for release in releases)
    found = 0
    for checkpoint in recorded:
        when = checkpoint.get("created_at", "?")
        if checkpoint["release_hash"] in hashes:
            found += 1
        elif str(when) > newest:
            print(f"NOTE: the release recorded in the checkpoint of {when} is newer than these")
        else:
            problems.append(
                f"the release recorded in the checkpoint of {when} is not among these "
                "releases: a published release was replaced or removed"
            )
    in_checkpoints = {checkpoint["release_hash"] for checkpoint in recorded}
    for release in releases:
        if release.get("hash") not in in_checkpoints:
            print(f"NOTE: release {release.get('release', '?')} is in no checkpoint given")
    if found:
        print(f"{found} release{'s' if found > 1 else ''} found in the published checkpoints")
    return problems


def chain(path: str, expected: dict[int, list[tuple[str, str]]], heads: HeadCheck):
    """Recompute the chain in the export: (problems, claims matched, last sequence, head)."""
    prev, sequence, problems, matched = GENESIS, 0, [], 0
    heads.reached(0, GENESIS)
    for digest, what in expected.get(0, []):  # published before the first transaction
        matched += digest == GENESIS
        if digest != GENESIS:
            problems.append(f"{what} (#0) does not match")
    with open(path, newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(handle)
        for seq, group in groupby(rows, key=lambda row: int(row["sequence"])):
            group = list(group)
            first = group[0]
            legs = [(row["account"], int(row["amount"])) for row in group]
            if seq != sequence + 1:
                problems.append(f"sequence {sequence + 1} is missing")
            if first["prev_hash"] != prev:
                problems.append(f"#{seq} does not link to the previous hash")
            digest = hashlib.sha256(prev.encode() + b"\n" + content(first, legs)).hexdigest()
            if digest != first["hash"]:
                problems.append(f"#{seq} hash does not recompute")
            if sum(amount for _, amount in legs) != 0:
                problems.append(f"#{seq} legs do not sum to zero")
            for claimed, what in expected.get(seq, []):
                matched += claimed == digest
                if claimed != digest:
                    problems.append(f"{what} (#{seq}) does not match")
            heads.roots.append(bytes.fromhex(digest))
            heads.reached(seq, digest)
            prev, sequence = digest, seq
    return problems, matched, sequence, prev


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("csv_file", nargs="?", help="the journal export (CSV)")
    parser.add_argument(
        "--published",
        action="append",
        default=[],
        help="checkpoints.json, transparency.json or URL",
    )
    parser.add_argument("--expect-head", help="the published head hash")
    parser.add_argument(
        "--expect", action="append", default=[], help="SEQUENCE:HASH of a checkpoint"
    )
    parser.add_argument(
        "--heads",
        action="append",
        default=[],
        help="signed tree heads: tree-heads.jsonl, an archived copy, a saved email, or URL",
    )
    parser.add_argument(
        "--fund-heads",
        help="the fund's tree-heads.jsonl now: every head given with --heads must be in it",
    )
    parser.add_argument(
        "--key", action="append", default=[], help="the fund's public key (hex) to insist on"
    )
    parser.add_argument(
        "--proof", action="append", default=[], help="a gift's inclusion proof (JSON)"
    )
    args = parser.parse_args()
    if not (args.csv_file or args.published or args.heads or args.proof):
        parser.error("give a journal export, a published document, signed heads, or some")

    claims = [
        (int(s), h, "the checkpoint given") for s, h in (i.split(":", 1) for i in args.expect)
    ]
    releases: list[dict] = []
    recorded: list[dict] | None = None  # published checkpoints that record a release
    for source in args.published:
        data = load(source)
        claims += published(data)
        releases += data.get("releases") or []
        if "checkpoints" in data:
            recorded = (recorded or []) + [c for c in data["checkpoints"] if c.get("release_hash")]
    problems = release_problems(releases)
    if releases and not problems:
        print(
            f"{len(releases)} release{'s' if len(releases) > 1 else ''} checked: each hash "
            "recomputes from its content and names the release before it"
        )
    if releases and recorded is not None:
        problems += release_checkpoints(releases, recorded)
    elif releases:
        print(
            "NOTE: transparency.json holds no hash of the books: give the fund's "
            "checkpoints.json too (--published checkpoints.json) to check the journal "
            "against what was published, and each release against the checkpoints"
        )

    archived = load_heads(args.heads)
    heads = load_heads(args.heads + ([args.fund_heads] if args.fund_heads else []))
    keys = [key.lower() for key in args.key]
    problems += head_problems(heads, keys)
    if args.fund_heads:
        still_published = {head["signature"] for head in load_heads([args.fund_heads])}
        problems += [
            f"the fund no longer publishes {name(head)}, which it signed"
            for head in archived
            if head["signature"] not in still_published
        ]
    for source in args.proof:
        problems += proof_problems(json.loads(text_of(source)), heads, keys)
    if heads:
        print(f"{len(heads)} signed head{'s' if len(heads) > 1 else ''} read")
    check = HeadCheck(heads)
    matched, sequence, head = 0, None, None
    if args.csv_file:
        expected: dict[int, list[tuple[str, str]]] = {}
        for seq, digest, what in claims:
            expected.setdefault(seq, []).append((digest, what))
        found, matched, sequence, head = chain(args.csv_file, expected, check)
        problems += found + check.problems(sequence)
        if check.extended:
            print(f"the books extend {check.extended} signed head(s)")
        if args.expect_head and args.expect_head != head:
            problems.append("the published head does not match")
        for seq in sorted(s for s in expected if s > sequence):
            for _, what in expected[seq]:
                print(f"NOTE: {what} (#{seq}) is beyond the end of this export (#{sequence})")
    elif claims:
        print("NOTE: no journal export given: the published checkpoints were not checked")
    if matched:
        print(f"{matched} published hash{'es' if matched > 1 else ''} found in this chain")
    for problem in problems[:20]:
        print("FAIL:", problem)
    verdict = "OK" if not problems else "FAILED"
    if sequence is not None:
        print(f"{verdict}: {sequence} transactions, head #{sequence} {head}")
    elif releases:
        print(f"{verdict}: {len(releases)} releases")
    elif args.proof:
        print(f"{verdict}: {len(args.proof)} proof(s)")
    else:
        print(f"{verdict}: {len(heads)} signed heads")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Recompute a Bail Fund Ledger hash chain from a CSV export, with nothing but Python.

    python verify_export.py journal.csv [--published checkpoints.json | URL]
        [--expect-head HASH] [--expect SEQUENCE:HASH ...]

Get the CSV with ``manage.py export_ledger --format csv`` (or from the fund). The script
checks that sequences run 1, 2, 3…, that each transaction links to the previous hash,
that every hash recomputes from its content (docs/ledger.md, "The hash chain"), and that
legs sum to zero; then prints the head. Give it what the fund published, its
``/transparency/checkpoints.json`` or ``/transparency.json`` (a saved file or the URL),
or a head and checkpoints by hand, and it also checks that each of them is in this chain.
Published hashes beyond the end of the export are listed, not judged: the export is older.
Exit status 0 means everything agreed.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import urllib.request
from itertools import groupby

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


def published(source: str) -> list[tuple[int, str, str]]:
    """(sequence, hash, what) for the head and every checkpoint in a published document."""
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310
            data = json.load(response)
    else:
        with open(source, encoding="utf-8") as handle:
            data = json.load(handle)
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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("csv_file")
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
    args = parser.parse_args()

    claims = [
        (int(s), h, "the checkpoint given") for s, h in (i.split(":", 1) for i in args.expect)
    ]
    for source in args.published:
        claims += published(source)
    expected: dict[int, list[tuple[str, str]]] = {}
    for seq, digest, what in claims:
        expected.setdefault(seq, []).append((digest, what))
    prev, sequence, problems, matched = GENESIS, 0, [], 0
    for digest, what in expected.get(0, []):  # published before the first transaction
        matched += digest == GENESIS
        if digest != GENESIS:
            problems.append(f"{what} (#0) does not match")
    with open(args.csv_file, newline="", encoding="utf-8") as handle:
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
            prev, sequence = digest, seq
    if args.expect_head and args.expect_head != prev:
        problems.append("the published head does not match")
    for seq in sorted(s for s in expected if s > sequence):
        for _, what in expected[seq]:
            print(f"NOTE: {what} (#{seq}) is beyond the end of this export (#{sequence})")
    if matched:
        print(f"{matched} published hash{'es' if matched > 1 else ''} found in this chain")
    for problem in problems[:20]:
        print("FAIL:", problem)
    print(f"{'OK' if not problems else 'FAILED'}: {sequence} transactions, head #{sequence} {prev}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

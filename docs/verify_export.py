#!/usr/bin/env python3
"""Recompute a Bail Fund Ledger hash chain from a CSV export, with nothing but Python.

    python verify_export.py journal.csv [--expect-head HASH] [--expect SEQUENCE:HASH ...]

Get the CSV with ``manage.py export_ledger --format csv`` (or from the fund). The script
checks that sequences run 1, 2, 3…, that each transaction links to the previous hash,
that every hash recomputes from its content (docs/ledger.md, "The hash chain"), and that
legs sum to zero; then prints the head. Give it a published head or dated checkpoints and
it also says whether they match. Exit status 0 means everything agreed.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("csv_file")
    parser.add_argument("--expect-head", help="the published head hash")
    parser.add_argument(
        "--expect", action="append", default=[], help="SEQUENCE:HASH of a checkpoint"
    )
    args = parser.parse_args()

    expected = {int(s): h for s, h in (item.split(":", 1) for item in args.expect)}
    prev, sequence, problems = GENESIS, 0, []
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
            if seq in expected and expected[seq] != digest:
                problems.append(f"checkpoint #{seq} does not match")
            prev, sequence = digest, seq
    if args.expect_head and args.expect_head != prev:
        problems.append("the published head does not match")
    for problem in problems[:20]:
        print("FAIL:", problem)
    print(f"{'OK' if not problems else 'FAILED'}: {sequence} transactions, head #{sequence} {prev}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

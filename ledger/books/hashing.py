"""The canonical encoding of a journal transaction and the hash chain over it.

An outside auditor must be able to recompute every hash from an export with a short
script, so the encoding is deliberately plain (docs/ledger.md states it in full):

    content = JSON of {"v": 1, "sequence", "kind", "date", "recorded_at", "currency",
              "memo", "source_ref", "idempotency_key", "reverses", "actor", "postings"}
              with keys sorted, no spaces (separators "," and ":"), UTF-8, no ASCII escaping;
              "postings" is the list of [account_code, amount] pairs sorted ascending;
              "reverses" is the sequence reversed or null; "actor" the user id or null;
              "recorded_at" is UTC as YYYY-MM-DDTHH:MM:SS.ffffffZ.
    hash    = SHA-256 hex of  prev_hash (64 hex chars) + "\n" + content
    prev_hash of sequence 1 is 64 zeros.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from json.encoder import encode_basestring as _string

GENESIS_HASH = "0" * 64
ENCODING_VERSION = 1


def format_recorded_at(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_content(
    *,
    sequence: int,
    kind: str,
    date: dt.date | str,
    recorded_at: dt.datetime | str,
    currency: str,
    memo: str,
    source_ref: str,
    idempotency_key: str,
    reverses: int | None,
    actor: int | None,
    postings: Iterable[tuple[str, int]],
) -> bytes:
    """The bytes that json.dumps(document, sort_keys=True, separators=(",", ":"),
    ensure_ascii=False) gives for the document in the module docstring.

    Written out key by key (in sorted order) because posting a large batch hashes every
    transaction; tests/ledger/books/test_hashing.py checks it against json.dumps itself.
    """
    legs = ",".join(f"[{_string(code)},{int(amount)}]" for code, amount in sorted(postings))
    text = (
        f'{{"actor":{_number(actor)},"currency":{_string(currency)},'
        f'"date":{_string(date.isoformat() if isinstance(date, dt.date) else date)},'
        f'"idempotency_key":{_string(idempotency_key)},"kind":{_string(kind)},'
        f'"memo":{_string(memo)},"postings":[{legs}],'
        f'"recorded_at":{_string(recorded_at if isinstance(recorded_at, str) else format_recorded_at(recorded_at))},'  # noqa: E501
        f'"reverses":{_number(reverses)},"sequence":{int(sequence)},'
        f'"source_ref":{_string(source_ref)},"v":{ENCODING_VERSION}}}'
    )
    return text.encode("utf-8")


def _number(value: int | None) -> str:
    return "null" if value is None else str(int(value))


def chain_hash(prev_hash: str, content: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + content).hexdigest()


def content_around_sequence(**fields) -> tuple[bytes, bytes]:
    """The canonical content split where the sequence number goes.

    Lets the database fill in the sequence it assigns under its own lock and hash the
    result in the same statement (see ledger.books.posting), while the bytes hashed stay exactly
    ``canonical_content``. Keys are sorted and string values escape their quotes, so the
    unescaped ``"sequence":`` key occurs once.
    """
    content = canonical_content(sequence=0, **fields)
    prefix, marker, suffix = content.partition(b',"sequence":0,')
    if not marker:
        raise ValueError("canonical content has no sequence key")
    return prefix + b',"sequence":', b"," + suffix

"""The canonical encoding is exactly what docs/ledger.md says: json.dumps with sorted keys."""

import datetime as dt
import json

from hypothesis import given
from hypothesis import strategies as st

from ledger.books.hashing import canonical_content, chain_hash, content_around_sequence

text = st.text(max_size=40)


def reference(**fields) -> bytes:
    document = {"v": 1, **fields}
    document["postings"] = sorted([code, amount] for code, amount in fields["postings"])
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


@given(
    sequence=st.integers(min_value=1, max_value=10**12),
    kind=text,
    memo=text,
    source_ref=text,
    key=text,
    reverses=st.none() | st.integers(min_value=1, max_value=10**9),
    actor=st.none() | st.integers(min_value=1, max_value=10**9),
    postings=st.lists(st.tuples(text, st.integers(-(10**15), 10**15)), min_size=2, max_size=6),
)
def test_the_fast_encoding_equals_json_dumps_with_sorted_keys(
    sequence, kind, memo, source_ref, key, reverses, actor, postings
):
    fields = {
        "sequence": sequence,
        "kind": kind,
        "date": "2026-03-01",
        "recorded_at": "2026-03-01T12:00:00.000001Z",
        "currency": "usd",
        "memo": memo,
        "source_ref": source_ref,
        "idempotency_key": key,
        "reverses": reverses,
        "actor": actor,
        "postings": postings,
    }
    assert canonical_content(**fields) == reference(**fields)


def test_dates_and_times_take_their_documented_shape():
    content = canonical_content(
        sequence=7,
        kind="donation",
        date=dt.date(2026, 3, 1),
        recorded_at=dt.datetime(2026, 3, 1, 7, 5, 9, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        currency="usd",
        memo='Café "ñ"',
        source_ref="",
        idempotency_key="k",
        reverses=None,
        actor=None,
        postings=[("b", -1), ("a", 1)],
    )
    decoded = json.loads(content)
    assert decoded["date"] == "2026-03-01"
    assert decoded["recorded_at"] == "2026-03-01T12:05:09.000000Z"
    assert decoded["postings"] == [["a", 1], ["b", -1]]
    assert "Café" in content.decode("utf-8")


def test_the_split_around_the_sequence_rebuilds_the_same_bytes():
    fields = {
        "kind": "donation",
        "date": "2026-03-01",
        "recorded_at": "2026-03-01T12:00:00.000001Z",
        "currency": "usd",
        "memo": 'memo with "sequence":0, inside',
        "source_ref": "",
        "idempotency_key": "k",
        "reverses": None,
        "actor": None,
        "postings": [("a", 1), ("b", -1)],
    }
    prefix, suffix = content_around_sequence(**fields)
    assert prefix + b"42" + suffix == canonical_content(sequence=42, **fields)


def test_the_chain_hash_is_sha256_of_the_previous_hash_a_newline_and_the_content():
    import hashlib

    assert chain_hash("0" * 64, b"{}") == hashlib.sha256(b"0" * 64 + b"\n{}").hexdigest()

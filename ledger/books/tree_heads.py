"""Signed tree heads: the books' state, signed with a key the database does not hold.

A head fixes the first ``size`` transactions of the journal twice over: the root of the
Merkle tree over them (``ledger.books.merkle``) and the chain hash of the last one. It is
signed with Ed25519 (``LEDGER_SIGNING_KEY``, from the environment), carries a consistency
proof from the head before it, and is published where the fund cannot take it back: the
public ``/transparency/tree-heads.jsonl`` that anyone may archive, and the witnesses'
mailboxes (``ledger.books.witnesses``). Someone who rewrites or cuts the journal, even
with the database owner's rights, cannot make it extend a head already published; someone
who also holds the key can sign new heads, and every outside copy then disagrees.

The signed text (UTF-8, one field per line, newline-terminated):

    Bail Fund Ledger tree head v1
    log: <LEDGER_LOG_NAME>
    size: <transactions>
    root: <Merkle root, hex>
    chain: <hash of transaction number size, hex; 64 zeros for size 0>
    audit: <events in the audit log> <hash of the last, hex> (ledger.books.audit_chain)
    closed: <the last day of the last closed period, YYYY-MM-DD, or -> (ledger.books.periods)
    time: <UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ>
    release: <hash of the public release published with it, or ->
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ledger import exceptions
from ledger.books import merkle
from ledger.books.hashing import GENESIS_HASH, format_recorded_at
from ledger.books.posting import books_lock
from ledger.models import ChainHead, Checkpoint

TITLE = "Bail Fund Ledger tree head v1"


def head_text(
    *,
    log: str,
    size: int,
    root: str,
    chain: str,
    audit: str,
    closed: str,
    time: str,
    release: str,
) -> bytes:
    return (
        f"{TITLE}\nlog: {log}\nsize: {size}\nroot: {root}\nchain: {chain}\n"
        f"audit: {audit}\nclosed: {closed or '-'}\ntime: {time}\nrelease: {release or '-'}\n"
    ).encode()


def checkpoint_text(checkpoint: Checkpoint) -> bytes:
    return head_text(
        log=checkpoint.log,
        size=checkpoint.sequence,
        root=checkpoint.root_hash,
        chain=checkpoint.hash,
        audit=f"{checkpoint.audit_sequence} {checkpoint.audit_hash}",
        closed=_day(checkpoint.closed_through),
        time=format_recorded_at(checkpoint.created_at),
        release=checkpoint.release_hash,
    )


def _day(value) -> str:
    return value.isoformat() if value else ""


@functools.lru_cache(maxsize=4)
def _private_key(seed_b64: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(seed_b64))


def signing_key() -> Ed25519PrivateKey:
    return _private_key(settings.LEDGER_SIGNING_KEY)


def public_key_hex(key: Ed25519PrivateKey | None = None) -> str:
    key = key or signing_key()
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def trusted_public_keys() -> set[str]:
    """The key signing now and the retired ones whose heads still stand."""
    return {public_key_hex(), *settings.LEDGER_RETIRED_PUBLIC_KEYS}


def key_id(public_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()[:16]


def leaf_reader(start: int, end: int) -> list[bytes]:
    """The Merkle leaves start..end-1: the hashes of transactions start+1..end."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT hash FROM ledger_journaltransaction WHERE sequence > %s AND sequence <= %s "
            "ORDER BY sequence",
            [start, end],
        )
        hashes = [digest for (digest,) in cursor.fetchall()]
    if len(hashes) != end - start:
        raise exceptions.BooksDiverged(
            f"transactions #{start + 1} to #{end} are not all in the journal"
        )
    return [bytes.fromhex(digest) for digest in hashes]


def latest_signed() -> Checkpoint | None:
    return Checkpoint.objects.exclude(signature="").order_by("-sequence", "-pk").first()


def checkpoint_create(*, release_hash: str = "", only_if_grown: bool = False) -> Checkpoint | None:
    """Sign and store a head of the journal as it stands (with ``only_if_grown``, only if
    it grew since the last head). Made under the books' lock, so no posting comes between
    the head read and the leaves read; the work is the leaves added since the last head.
    Refused when the journal no longer holds a signed head's transactions."""
    with transaction.atomic():
        books_lock()
        head = ChainHead.objects.get(id=1)
        previous = latest_signed()
        known_size = previous.sequence if previous else 0
        if only_if_grown and previous is not None and known_size >= head.sequence:
            return None
        if known_size > head.sequence:
            raise exceptions.BooksDiverged(
                f"the journal holds {head.sequence} transactions, but a head signed on "
                f"{previous.created_at:%Y-%m-%d %H:%M} holds {known_size}"
            )
        tree = merkle.Tree(
            head.sequence,
            leaf_reader,
            known_size,
            [bytes.fromhex(node) for node in previous.frontier] if previous else [],
        )
        key = signing_key()
        checkpoint = Checkpoint(
            sequence=head.sequence,
            hash=head.hash if head.sequence else GENESIS_HASH,
            created_at=timezone.now(),
            release_hash=release_hash,
            log=settings.LEDGER_LOG_NAME,
            root_hash=tree.root().hex(),
            frontier=[node.hex() for node in tree.frontier()],
            previous_sequence=known_size if previous else None,
            audit_sequence=head.audit_sequence,
            closed_through=head.closed_through,
            audit_hash=head.audit_hash or GENESIS_HASH,
            consistency=[
                node.hex()
                for node in (tree.consistency_proof(known_size) if known_size > 0 else [])
            ],
            public_key=public_key_hex(key),
        )
        checkpoint.signature = key.sign(checkpoint_text(checkpoint)).hex()
        checkpoint.save(force_insert=True)
    return checkpoint


def checkpoint_if_grown() -> Checkpoint | None:
    """A new head when the journal grew since the last signed one (beat, hourly, and
    after every ``LEDGER_HEAD_EVERY`` transactions)."""
    return checkpoint_create(only_if_grown=True)


def head_document(checkpoint: Checkpoint) -> dict:
    """One line of tree-heads.jsonl: everything needed to check the signature, and the
    consistency proof from the head before it."""
    return {
        "log": checkpoint.log,
        "size": checkpoint.sequence,
        "root": checkpoint.root_hash,
        "chain": checkpoint.hash,
        "audit": f"{checkpoint.audit_sequence} {checkpoint.audit_hash}",
        "closed": _day(checkpoint.closed_through) or None,
        "time": format_recorded_at(checkpoint.created_at),
        "release": checkpoint.release_hash or None,
        "key": checkpoint.public_key,
        "signature": checkpoint.signature,
        "previous_size": checkpoint.previous_sequence,
        "consistency": checkpoint.consistency,
    }


def heads_jsonl(checkpoints) -> str:
    """tree-heads.jsonl: one head per line, oldest first, keys sorted, no spaces."""
    return "".join(
        json.dumps(head_document(c), sort_keys=True, separators=(",", ":")) + "\n"
        for c in checkpoints
    )


def signed_heads():
    return Checkpoint.objects.exclude(signature="").order_by("sequence", "pk")


def verify_signature(public_hex: str, signature_hex: str, text: bytes) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
        key.verify(bytes.fromhex(signature_hex), text)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def signature_valid(checkpoint: Checkpoint) -> bool:
    return verify_signature(
        checkpoint.public_key, checkpoint.signature, checkpoint_text(checkpoint)
    )


def head_text_of_document(head: dict) -> bytes:
    """The signed text of a head document (a line of tree-heads.jsonl)."""
    try:
        return head_text(
            log=head["log"],
            size=int(head["size"]),
            root=head["root"],
            chain=head["chain"],
            audit=head["audit"],
            closed=head.get("closed") or "",
            time=head["time"],
            release=head.get("release") or "",
        )
    except (KeyError, TypeError, ValueError):
        return b""


def heads_problems(
    computed: dict[int, tuple[bytes, list[bytes]]], journal_size: int, audit: dict[int, str]
) -> list[tuple[str, int | None]]:
    """Each signed head against the journal (``verify_ledger``): its root and frontier as
    recomputed at its size (``computed``: size -> (root, frontier)), the audit chain's hash
    at its event (``audit``: event -> hash), its signature by a trusted key, and its
    consistency proof from the head before it. Returns (problem, first sequence concerned)
    pairs."""
    problems: list[tuple[str, int | None]] = []
    trusted = trusted_public_keys()
    for checkpoint in signed_heads():
        name = f"the head signed on {checkpoint.created_at:%Y-%m-%d %H:%M} (#{checkpoint.sequence})"
        if checkpoint.sequence > journal_size:
            problems.append(
                (
                    f"{name} holds transactions #{journal_size + 1} to #{checkpoint.sequence}, "
                    "which the journal no longer has",
                    journal_size + 1,
                )
            )
            continue
        if audit.get(checkpoint.audit_sequence) != checkpoint.audit_hash:
            problems.append(
                (
                    f"{name}: the audit log's event {checkpoint.audit_sequence} is not the one "
                    "it signed",
                    None,
                )
            )
        if not signature_valid(checkpoint):
            problems.append((f"{name}: its signature does not verify", None))
        elif checkpoint.public_key not in trusted:
            problems.append((f"{name} is signed by a key the fund does not use", None))
        root, frontier = computed[checkpoint.sequence]
        if checkpoint.root_hash != root.hex():
            problems.append((f"{name}: the journal no longer has its Merkle root", None))
        if checkpoint.frontier != [node.hex() for node in frontier]:
            problems.append((f"{name}: its stored frontier does not match the journal", None))
        previous = checkpoint.previous_sequence
        if previous and previous in computed:
            proof = [bytes.fromhex(node) for node in checkpoint.consistency]
            old_root = computed[previous][0]
            if not merkle.consistent(previous, old_root, checkpoint.sequence, root, proof):
                problems.append((f"{name}: its consistency proof does not verify", None))
    return problems

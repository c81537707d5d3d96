"""Inclusion proofs: one transaction is in a signed tree head, and no other is revealed.

The proof document (``inclusion_document``) holds the transaction's own content (the
canonical JSON its hash covers, ``ledger.books.hashing``), its hash and the hash before it,
its leaf index, the signed head, and the RFC 9162 audit path: hashes of subtrees, which
say nothing about the entries under them. ``proof_problems`` checks one against a head;
``docs/verify_export.py --proof`` does the same with the standard library and
``cryptography``.
"""

from __future__ import annotations

import json

from ledger.books import merkle
from ledger.books.hashing import canonical_content, chain_hash
from ledger.books.tree_heads import (
    head_document,
    head_text_of_document,
    leaf_reader,
    signed_heads,
    verify_signature,
)
from ledger.models import Checkpoint, JournalTransaction, Posting


def entry_content(txn: JournalTransaction) -> bytes:
    """What the transaction's hash covers."""
    legs = Posting.objects.filter(transaction=txn).values_list("account__code", "amount")
    reverses = txn.reverses.sequence if txn.reverses_id else None
    return canonical_content(
        sequence=txn.sequence,
        kind=txn.kind,
        date=txn.date,
        recorded_at=txn.recorded_at,
        currency=txn.currency,
        memo=txn.memo,
        source_ref=txn.source_ref,
        idempotency_key=txn.idempotency_key,
        reverses=reverses,
        actor=txn.actor_id,
        postings=list(legs),
    )


def first_head_with(sequence: int) -> Checkpoint | None:
    """The earliest signed head that holds transaction ``sequence``."""
    return signed_heads().filter(sequence__gte=sequence).order_by("sequence", "pk").first()


def audit_path(index: int, size: int) -> list[bytes]:
    """The inclusion proof of leaf ``index`` in the journal's first ``size`` transactions,
    read from the newest head below the leaf: the work is the leaves after that head."""
    known = signed_heads().filter(sequence__lte=index).order_by("-sequence", "-pk").first()
    tree = merkle.Tree(
        size,
        leaf_reader,
        known.sequence if known else 0,
        [bytes.fromhex(node) for node in known.frontier] if known else [],
    )
    return tree.inclusion_proof(index)


def inclusion_document(txn: JournalTransaction, head: Checkpoint) -> dict:
    return {
        "entry": {
            "sequence": txn.sequence,
            "prev_hash": txn.prev_hash,
            "hash": txn.hash,
            "content": entry_content(txn).decode(),
        },
        "leaf_index": txn.sequence - 1,
        "head": head_document(head),
        "proof": [node.hex() for node in audit_path(txn.sequence - 1, head.sequence)],
    }


def proof_problems(document: dict, head: dict | None = None) -> list[str]:
    """What is wrong with an inclusion proof, checked against ``head`` (a head document,
    such as a line of an archived tree-heads.jsonl) or the head it carries. Empty: the
    entry is in the books that head signed."""
    head = head or document.get("head") or {}
    try:
        entry = document["entry"]
        content = entry["content"]
        index, size = int(document["leaf_index"]), int(head["size"])
        proof = [bytes.fromhex(node) for node in document["proof"]]
        root = bytes.fromhex(head["root"])
        leaf = bytes.fromhex(entry["hash"])
    except (KeyError, TypeError, ValueError):
        return ["the proof or the head is not complete"]
    problems = []
    if json.loads(content).get("sequence") != entry["sequence"] or index != entry["sequence"] - 1:
        problems.append("the entry's content does not name its position")
    if chain_hash(entry["prev_hash"], content.encode()) != entry["hash"]:
        problems.append("the entry's hash does not match its content")
    try:
        reached = merkle.root_from_inclusion_proof(index, size, leaf, proof)
    except ValueError as error:
        problems.append(f"the proof does not fit the head: {error}")
    else:
        if reached != root:
            problems.append("the proof does not lead to the head's root")
    if not verify_signature(
        head.get("key", ""), head.get("signature", ""), head_text_of_document(head)
    ):
        problems.append("the head's signature does not verify")
    return problems

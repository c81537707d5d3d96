"""Signed tree heads and inclusion proofs of a Bail Fund Ledger, checked with the standard
library (and the ``cryptography`` package for Ed25519 signatures): RFC 9162's Merkle tree,
audit paths and consistency proofs (docs/ledger.md, "Signed tree heads"). Used by
verify_export.py, which sits beside it; it has no command of its own.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import re
import urllib.request

HEAD_TITLE = "Bail Fund Ledger tree head v1"


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class MerkleRoots:
    """RFC 9162 roots of the leaves so far, in O(log n) memory."""

    def __init__(self):
        self.size, self.stack = 0, []

    def append(self, data: bytes) -> None:
        self.stack.append(leaf_hash(data))
        self.size += 1
        merged = self.size
        while merged % 2 == 0:
            right = self.stack.pop()
            self.stack.append(node_hash(self.stack.pop(), right))
            merged //= 2

    def root(self) -> bytes:
        if not self.stack:
            return hashlib.sha256(b"").digest()
        root = self.stack[-1]
        for subtree in reversed(self.stack[:-1]):
            root = node_hash(subtree, root)
        return root


def consistent(m: int, old: bytes, n: int, new: bytes, proof: list[bytes]) -> bool:
    """RFC 9162, 2.1.4.2."""
    if m == n:
        return not proof and old == new
    if not 0 < m < n or not proof:
        return False
    path = ([old] if m & (m - 1) == 0 else []) + list(proof)
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old and sr == new


def root_from_path(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes | None:
    """RFC 9162, 2.1.3.2; None when the path does not fit the tree."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf_hash(leaf)
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def proof_problems(document: dict, heads: list[dict], keys: list[str]) -> list[str]:
    """An inclusion proof: the entry, its path to the head's root, and the head."""
    try:
        entry, head = document["entry"], document["head"]
        index, size = int(document["leaf_index"]), int(head["size"])
        path = [bytes.fromhex(node) for node in document["proof"]]
        recomputed = hashlib.sha256(
            entry["prev_hash"].encode() + b"\n" + entry["content"].encode()
        ).hexdigest()
        named = json.loads(entry["content"])["sequence"]
    except (KeyError, TypeError, ValueError):
        return ["the proof is not complete"]
    what = f"entry #{entry['sequence']}"
    problems = []
    if recomputed != entry["hash"] or named != entry["sequence"] or index != named - 1:
        problems.append(f"{what}: its hash does not recompute from its content")
    if root_from_path(index, size, bytes.fromhex(entry["hash"]), path) != bytes.fromhex(
        head["root"]
    ):
        problems.append(f"{what}: the proof does not lead to the root of {name(head)}")
    problems += head_problems([head], keys)
    if heads:
        same = [h for h in heads if h["size"] == size]
        if any(h["root"] != head["root"] for h in same):
            problems.append(f"{name(head)} disagrees with a head of that size you gave")
        elif not same:
            print(f"NOTE: {name(head)} is not among the heads given")
        else:
            print(f"{what} is in {name(head)}, which is among the heads given")
    if not problems:
        print(f"{what} is proved to be in {name(head)}; no other entry was shown")
    return problems


def read_text(source: str) -> str:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310
            return response.read().decode()
    with open(source, encoding="utf-8") as handle:
        return handle.read()


def text_of(source: str) -> str:
    """The file's text; a saved email's decoded body."""
    text = read_text(source)
    if re.match(r"[A-Za-z-]+: ", text):
        message = email.message_from_string(text, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        return body.get_content() if body is not None else ""
    return text


def load_heads(sources: list[str]) -> list[dict]:
    """Every head in the files given: each line that is a JSON head (so a saved email
    works as well as the published file), once each, by size."""
    heads = {}
    for source in sources:
        for line in text_of(source).splitlines():
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                head = json.loads(line)
            except ValueError:
                continue
            if isinstance(head, dict) and {"size", "root", "signature"} <= head.keys():
                heads[head["signature"]] = head
    return sorted(heads.values(), key=lambda h: (h["size"], h["time"]))


def head_text(head: dict) -> bytes:
    return (
        f"{HEAD_TITLE}\nlog: {head['log']}\nsize: {head['size']}\nroot: {head['root']}\n"
        f"chain: {head['chain']}\naudit: {head['audit']}\nclosed: {head.get('closed') or '-'}\n"
        f"time: {head['time']}\nrelease: {head['release'] or '-'}\n"
    ).encode()


def name(head: dict) -> str:
    return f"the head of {head['time']} ({head['size']} transactions)"


def head_problems(heads: list[dict], keys: list[str]) -> list[str]:
    """Signatures, pinned keys, forks, and each consistency proof whose earlier head is
    among those given."""
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        return ["checking signatures needs the cryptography package: pip install cryptography"]
    problems, by_size = [], {}
    for head in heads:
        try:
            key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(head["key"]))
            key.verify(bytes.fromhex(head["signature"]), head_text(head))
        except (ValueError, InvalidSignature):
            problems.append(f"{name(head)}: its signature does not verify")
            continue
        if keys and head["key"] not in keys:
            problems.append(f"{name(head)} is signed by a key other than the one given")
        earlier = by_size.setdefault(head["size"], head)
        if any(earlier[k] != head[k] for k in ("root", "chain", "audit")):
            problems.append(f"two heads of {head['size']} transactions disagree: the books forked")
    for head in heads:
        previous = by_size.get(head.get("previous_size"))
        if previous is None or head.get("previous_size") == head["size"]:
            continue
        proof = [bytes.fromhex(node) for node in head.get("consistency") or []]
        old, new = bytes.fromhex(previous["root"]), bytes.fromhex(head["root"])
        if not consistent(previous["size"], old, head["size"], new, proof):
            problems.append(f"{name(head)} does not extend {name(previous)}")
    return problems


class HeadCheck:
    """Each signed head against the export's Merkle roots, as the walk reaches its size."""

    def __init__(self, heads: list[dict]):
        self.pending = sorted(heads, key=lambda h: h["size"])
        self.roots, self.good, self.failed, self.extended = MerkleRoots(), 0, None, 0

    def reached(self, size: int, chain_hash: str) -> None:
        root = self.roots.root().hex()
        while self.pending and self.pending[0]["size"] == size:
            head = self.pending.pop(0)
            if head["root"] == root and head["chain"] == chain_hash:
                self.extended += 1
                self.good = max(self.good, size) if self.failed is None else self.good
            elif self.failed is None:
                self.failed = head

    def problems(self, last: int) -> list[str]:
        found = []
        if self.failed is not None:
            found.append(
                f"the books no longer extend {name(self.failed)}: they first differ within "
                f"entries #{self.good + 1} to #{self.failed['size']}"
            )
        if self.pending and self.failed is None:
            head = self.pending[-1]
            found.append(
                f"the export ends at #{last}, before {name(head)}: entries #{last + 1} to "
                f"#{head['size']} are missing from the books"
            )
        return found

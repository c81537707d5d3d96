"""The Merkle tree over the journal, as Certificate Transparency defines it (RFC 9162, 2.1).

The leaves are the journal's transactions in sequence order; leaf ``i`` (from 0) is
transaction ``i + 1``, and its data is the 32 bytes of that transaction's chain hash
(``ledger.books.hashing``):

    leaf hash  = SHA-256(0x00 || bytes of the transaction's hash)
    node hash  = SHA-256(0x01 || left || right)
    MTH(D[n])  = SHA-256("") for n = 0; the leaf hash for n = 1; otherwise, with k the
                 largest power of two below n, the node hash of MTH(D[0:k]) and MTH(D[k:n])

A signed tree head fixes the root of the first n leaves. An inclusion proof shows one
transaction is among them and reveals no other; a consistency proof shows a later head
extends an earlier one. Both are RFC 9162's (2.1.3 and 2.1.4), and ``verify_export.py``
checks them with the standard library alone.

Making a head costs the leaves added since the one before: each head keeps its
*frontier*, the roots of the perfect subtrees its leaves split into (one per bit of n),
and a tree that knows a frontier reads only the leaves after it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def frontier_ranges(size: int) -> list[tuple[int, int]]:
    """The perfect subtrees ``size`` leaves split into, largest first."""
    ranges, start = [], 0
    for bit in reversed(range(size.bit_length())):
        if size & (1 << bit):
            ranges.append((start, start + (1 << bit)))
            start += 1 << bit
    return ranges


def root_from_frontier(frontier: Sequence[bytes]) -> bytes:
    if not frontier:
        return EMPTY_ROOT
    root = frontier[-1]
    for subtree in reversed(frontier[:-1]):
        root = node_hash(subtree, root)
    return root


class Frontier:
    """Appends leaves one at a time and gives the root at any moment, in O(log n) memory:
    how verification walks millions of transactions."""

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[bytes] = []  # roots of the perfect subtrees, largest first

    def append(self, data: bytes) -> None:
        self._stack.append(leaf_hash(data))
        self.size += 1
        merged = self.size
        while merged % 2 == 0:  # each trailing zero bit of the size merges two subtrees
            right = self._stack.pop()
            self._stack.append(node_hash(self._stack.pop(), right))
            merged //= 2

    def root(self) -> bytes:
        return root_from_frontier(self._stack)

    def nodes(self) -> list[bytes]:
        return list(self._stack)


class Tree:
    """The first ``size`` leaves, from an earlier head's frontier (``known_size`` leaves)
    and ``leaves(start, end)``, which returns the data of leaves start..end-1."""

    def __init__(
        self,
        size: int,
        leaves: Callable[[int, int], Sequence[bytes]],
        known_size: int = 0,
        known_frontier: Sequence[bytes] = (),
    ) -> None:
        if not 0 <= known_size <= size:
            raise ValueError("the known frontier must be of a smaller tree")
        self.size = size
        self._known = dict(zip(frontier_ranges(known_size), known_frontier, strict=True))
        self._first_new = known_size
        self._new = [leaf_hash(data) for data in leaves(known_size, size)] if size else []
        self._memo: dict[tuple[int, int], bytes] = {}

    def hash(self, start: int, end: int) -> bytes:
        """MTH of leaves start..end-1."""
        if start == end:
            return EMPTY_ROOT
        key = (start, end)
        if key in self._known:
            return self._known[key]
        if key in self._memo:
            return self._memo[key]
        if end - start == 1:
            if start < self._first_new:
                raise ValueError(f"leaf {start} is inside the known frontier")
            return self._new[start - self._first_new]
        k = _split(end - start)
        digest = node_hash(self.hash(start, start + k), self.hash(start + k, end))
        self._memo[key] = digest
        return digest

    def root(self) -> bytes:
        return self.hash(0, self.size)

    def frontier(self) -> list[bytes]:
        return [self.hash(start, end) for start, end in frontier_ranges(self.size)]

    def inclusion_proof(self, index: int) -> list[bytes]:
        """RFC 9162 PATH(index, D[size]): the hashes from the leaf's sibling up."""
        if not 0 <= index < self.size:
            raise ValueError("the leaf is not in this tree")
        return self._path(index, 0, self.size)

    def _path(self, index: int, start: int, end: int) -> list[bytes]:
        if end - start == 1:
            return []
        k = _split(end - start)
        if index < start + k:
            return self._path(index, start, start + k) + [self.hash(start + k, end)]
        return self._path(index, start + k, end) + [self.hash(start, start + k)]

    def consistency_proof(self, old_size: int) -> list[bytes]:
        """RFC 9162 PROOF(old_size, D[size])."""
        if not 0 < old_size <= self.size:
            raise ValueError("a consistency proof needs 0 < old size <= new size")
        return self._subproof(old_size, 0, self.size, True)

    def _subproof(self, m: int, start: int, end: int, whole: bool) -> list[bytes]:
        if m == end - start:
            return [] if whole else [self.hash(start, end)]
        k = _split(end - start)
        if m <= k:
            return self._subproof(m, start, start + k, whole) + [self.hash(start + k, end)]
        return self._subproof(m - k, start + k, end, False) + [self.hash(start, start + k)]


def root_from_inclusion_proof(
    index: int, size: int, leaf_data: bytes, proof: Sequence[bytes]
) -> bytes:
    """RFC 9162 2.1.3.2: the root an inclusion proof leads to (compare it with the head's)."""
    if not 0 <= index < size:
        raise ValueError("the leaf index is outside the tree")
    fn, sn, r = index, size - 1, leaf_hash(leaf_data)
    for p in proof:
        if sn == 0:
            raise ValueError("the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("the proof is shorter than the tree is deep")
    return r


def consistent(
    old_size: int, old_root: bytes, new_size: int, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2: whether ``proof`` shows the tree of ``new_size`` leaves extends
    the one of ``old_size``."""
    if old_size == new_size:
        return not proof and old_root == new_root
    if not 0 < old_size < new_size or not proof:
        return old_size == 0 and not proof
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root starts the path
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root

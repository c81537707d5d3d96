"""The journal's Merkle tree is RFC 9162's: Certificate Transparency's reference vectors
(the test data of google/certificate-transparency-go, merkle/testonly/constants.go), and
every proof of every small tree against the definition itself."""

from __future__ import annotations

import hashlib

import pytest

from ledger.books import merkle

LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    bytes(range(0x60, 0x70)),
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
PATHS = {
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}
CONSISTENCY = {
    (1, 8): PATHS[(0, 8)],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}


def tree(leaves, known_size=0):
    known = merkle.Tree(known_size, lambda a, b: leaves[a:b]).frontier()
    return merkle.Tree(len(leaves), lambda a, b: leaves[a:b], known_size, known)


def test_the_reference_roots_proofs_and_empty_tree():
    assert merkle.Tree(0, lambda a, b: []).root() == hashlib.sha256(b"").digest()
    for size in range(1, 9):
        assert tree(LEAVES[:size]).root().hex() == ROOTS[size - 1]
    for (index, size), path in PATHS.items():
        assert [p.hex() for p in tree(LEAVES[:size]).inclusion_proof(index)] == path
    for (old, size), path in CONSISTENCY.items():
        assert [p.hex() for p in tree(LEAVES[:size]).consistency_proof(old)] == path


def _mth(leaves):
    """RFC 9162 2.1.1, as written."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:])).digest()


LEAF_DATA = [hashlib.sha256(str(i).encode()).digest() for i in range(37)]


@pytest.mark.parametrize("size", range(1, 38))
def test_every_proof_of_small_trees_verifies_and_a_changed_one_does_not(size):
    leaves = LEAF_DATA[:size]
    full = tree(leaves)
    root = full.root()
    assert root == _mth(leaves)

    frontier = merkle.Frontier()
    for data in leaves:
        frontier.append(data)
    assert frontier.root() == root

    for index in range(size):
        proof = full.inclusion_proof(index)
        assert merkle.root_from_inclusion_proof(index, size, leaves[index], proof) == root
        assert merkle.root_from_inclusion_proof(index, size, b"forged", proof) != root
        if proof:
            bent = [proof[0][::-1], *proof[1:]]
            assert merkle.root_from_inclusion_proof(index, size, leaves[index], bent) != root

    for old in range(1, size + 1):
        old_root = _mth(leaves[:old])
        # The same proof whether the tree is read whole or from the old head's frontier.
        proof = full.consistency_proof(old)
        assert tree(leaves, known_size=old).consistency_proof(old) == proof
        assert tree(leaves, known_size=old).root() == root
        assert merkle.consistent(old, old_root, size, root, proof)
        if old < size:
            assert not merkle.consistent(old, _mth(LEAF_DATA[1 : old + 1]), size, root, proof)
            assert not merkle.consistent(old, old_root, size, _mth(LEAF_DATA[1:size]), proof)
            assert not merkle.consistent(old, old_root, size, root, proof[:-1])

"""The Merkle tree against RFC 6962's published test vectors, pymerkle's roots, and properties.

The vectors are the ones Certificate Transparency's reference implementations test
with (eight leaves, their roots, and inclusion and consistency proofs between them);
RFC 9162 keeps RFC 6962's hashing, so they hold unchanged.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portreg.services.translog import merkle

LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")]
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
#: (leaf index, tree size, audit path)
INCLUSION = [
    (0, 1, []),
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
#: (first size, second size, consistency proof)
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]
HASHES = [merkle.leaf_hash(leaf) for leaf in LEAVES]


def test_the_empty_tree_hashes_the_empty_string() -> None:
    assert merkle.root([]) == hashlib.sha256(b"").digest()


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_published_vectors(size: int) -> None:
    assert merkle.root(HASHES[:size]).hex() == ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_proofs_match_the_published_vectors(index: int, size: int, path: list[str]) -> None:
    made = merkle.inclusion_proof(index, HASHES[:size])
    assert [p.hex() for p in made] == path
    assert merkle.verify_inclusion(HASHES[index], index, size, made, bytes.fromhex(ROOTS[size - 1]))


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY)
def test_consistency_proofs_match_the_published_vectors(first: int, second: int, path: list[str]) -> None:
    made = merkle.consistency_proof(first, HASHES[:second])
    assert [p.hex() for p in made] == path
    assert merkle.verify_consistency(first, second, bytes.fromhex(ROOTS[first - 1]), bytes.fromhex(ROOTS[second - 1]), made)


def _flip(data: bytes, bit: int = 3) -> bytes:
    return bytes([data[0] ^ (1 << bit)]) + data[1:]


@pytest.mark.parametrize(("index", "size", "path"), [v for v in INCLUSION if v[2]])
def test_corrupted_inclusion_proofs_fail(index: int, size: int, path: list[str]) -> None:
    proof = [bytes.fromhex(p) for p in path]
    good = bytes.fromhex(ROOTS[size - 1])
    leaf = HASHES[index]
    bad = [
        (leaf, index - 1, size, proof, good),
        (leaf, index + 1, size, proof, good),
        (leaf, index ^ 2, size, proof, good),
        (leaf, index, size * 2, proof, good),
        (leaf, index, size // 2, proof, good),
        (merkle.leaf_hash(b"WrongLeaf"), index, size, proof, good),
        (leaf, index, size, proof, merkle.EMPTY_ROOT),
        (leaf, index, size, [*proof, good], good),
        (leaf, index, size, [good, *proof], good),
        (leaf, index, size, proof[:-1], good),
        (leaf, index, size, [proof[0], hashlib.sha256(b"x").digest(), *proof[1:]], good),
        *((leaf, index, size, [*proof[:i], _flip(p), *proof[i + 1 :]], good) for i, p in enumerate(proof)),
    ]
    for probe in bad:
        assert not merkle.verify_inclusion(*probe), probe[1:3]


@pytest.mark.parametrize(("first", "second", "path"), [v for v in CONSISTENCY if v[2]])
def test_corrupted_consistency_proofs_fail(first: int, second: int, path: list[str]) -> None:
    proof = [bytes.fromhex(p) for p in path]
    r1, r2 = bytes.fromhex(ROOTS[first - 1]), bytes.fromhex(ROOTS[second - 1])
    bad = [
        (first - 1, second, r1, r2, proof),
        (first + 1, second, r1, r2, proof),
        (first ^ 2, second, r1, r2, proof),
        (first, second * 2, r1, r2, proof),
        (first, second // 2, r1, r2, proof),
        (first, second, hashlib.sha256(b"WrongRoot").digest(), r2, proof),
        (first, second, r1, hashlib.sha256(b"WrongRoot").digest(), proof),
        (first, second, r2, r1, proof),
        (first, second, r1, r2, []),
        (first, second, r1, r2, [*proof, r1]),
        (first, second, r1, r2, [r2, *proof]),
        (first, second, r1, r2, [proof[0], *proof]),
        (first, second, r1, r2, proof[:-1]),
        *((first, second, r1, r2, [*proof[:i], _flip(p, 4), *proof[i + 1 :]]) for i, p in enumerate(proof)),
    ]
    for probe in bad:
        assert not merkle.verify_consistency(*probe), probe[:2]


def test_trivial_consistency() -> None:
    r = bytes.fromhex(ROOTS[0])
    assert merkle.verify_consistency(0, 0, merkle.EMPTY_ROOT, merkle.EMPTY_ROOT, [])
    assert merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, r, [])
    assert merkle.verify_consistency(1, 1, r, r, [])
    assert not merkle.verify_consistency(1, 1, r, merkle.EMPTY_ROOT, [])
    assert not merkle.verify_consistency(2, 1, r, r, [])
    assert not merkle.verify_consistency(1, 1, r, r, [r])


def test_roots_agree_with_pymerkle() -> None:
    """An independent implementation of the same hashing (pymerkle, security prefixes on)."""
    pymerkle = pytest.importorskip("pymerkle")
    tree = pymerkle.InmemoryTree(algorithm="sha256")
    leaves = [f"leaf {i}".encode() for i in range(70)]
    for size, leaf in enumerate(leaves, start=1):
        tree.append_entry(leaf)
        assert tree.get_root(size) == merkle.root([merkle.leaf_hash(x) for x in leaves[:size]])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=8), min_size=1, max_size=40), st.data())
def test_every_inclusion_proof_verifies_and_no_altered_leaf_does(leaves: list[bytes], data: st.DataObject) -> None:
    hashes = [merkle.leaf_hash(x) for x in leaves]
    top = merkle.root(hashes)
    index = data.draw(st.integers(0, len(leaves) - 1))
    path = merkle.inclusion_proof(index, hashes)
    assert merkle.verify_inclusion(hashes[index], index, len(leaves), path, top)
    altered = leaves[index] + b"!"
    assert not merkle.verify_inclusion(merkle.leaf_hash(altered), index, len(leaves), path, top)
    others = [i for i in range(len(leaves)) if hashes[i] != hashes[index]]
    if others:
        assert not merkle.verify_inclusion(hashes[others[0]], index, len(leaves), path, top)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=8), min_size=1, max_size=40), st.data())
def test_every_consistency_proof_verifies_and_a_rewritten_past_fails(leaves: list[bytes], data: st.DataObject) -> None:
    hashes = [merkle.leaf_hash(x) for x in leaves]
    second = len(leaves)
    first = data.draw(st.integers(0, second))
    proof = merkle.consistency_proof(first, hashes)
    assert merkle.verify_consistency(first, second, merkle.root(hashes[:first]), merkle.root(hashes), proof)
    if first > 0:
        changed = data.draw(st.integers(0, first - 1))
        rewritten = list(hashes)
        rewritten[changed] = merkle.leaf_hash(leaves[changed] + b"!")
        # the server rewrote leaf `changed` and proves from the old head: the proof cannot hold
        forged = merkle.consistency_proof(first, rewritten)
        assert not merkle.verify_consistency(first, second, merkle.root(hashes[:first]), merkle.root(rewritten), forged)

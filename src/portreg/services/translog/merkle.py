"""Merkle trees exactly as RFC 9162 §2.1 (Certificate Transparency v2) defines them.

Leaf hash ``SHA-256(0x00 || leaf)``, node hash ``SHA-256(0x01 || left || right)``, the
tree split at the largest power of two below its size, the empty tree's hash
``SHA-256("")``; inclusion proofs (§2.1.3) and consistency proofs (§2.1.4), made and
verified by the RFC's own algorithms, so that any Certificate Transparency client
library checks our proofs unchanged. Pure functions over lists of leaf hashes; no I/O.

Why not pymerkle: its hashing and tree shape are the RFC's (the tests check its roots
against ours), but its proofs are in a format of its own (rule bits and a path that
starts with the leaf), not the RFC's audit paths, and it keeps leaves in storage of its
own rather than in our store's tables on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = [
    "EMPTY_ROOT",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

#: MTH({}), the hash of an empty tree.
EMPTY_ROOT = hashlib.sha256(b"").digest()

HASH_SIZE = 32


def leaf_hash(leaf: bytes) -> bytes:
    """MTH({d(0)}) = SHA-256(0x00 || d(0))."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of the leaves whose hashes are ``hashes``.

    Computed bottom-up with a stack of complete subtrees (each leaf costs one push and
    as many node hashes as it completes), which gives the RFC's recursive definition's
    result without its recursion.
    """
    if not hashes:
        return EMPTY_ROOT
    stack: list[tuple[int, bytes]] = []  # (size of the complete subtree, its hash)
    for h in hashes:
        size, node = 1, h
        while stack and stack[-1][0] == size:
            left_size, left = stack.pop()
            size, node = size + left_size, node_hash(left, node)
        stack.append((size, node))
    node = stack.pop()[1]
    while stack:  # the incomplete right edge: fold the smaller subtrees into the bigger ones
        node = node_hash(stack.pop()[1], node)
    return node


def inclusion_proof(index: int, hashes: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1: the audit path of leaf ``index`` in the tree of ``hashes``."""
    n = len(hashes)
    if not 0 <= index < n:
        raise ValueError(f"leaf {index} is not in a tree of {n} leaves")
    path: list[bytes] = []
    start, end = 0, n
    while end - start > 1:  # walk down from the root; the siblings are collected top-down
        k = _split(end - start)
        if index - start < k:
            path.append(root(hashes[start + k : end]))
            end = start + k
        else:
            path.append(root(hashes[start : start + k]))
            start += k
    path.reverse()
    return path


def consistency_proof(first: int, hashes: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 §2.1.4.1: that the tree of the first ``first`` leaves is a prefix."""
    n = len(hashes)
    if not 0 <= first <= n:
        raise ValueError(f"a tree of {n} leaves has no prefix of {first}")
    if first == 0 or first == n:
        return []
    path: list[bytes] = []
    start, end, m, whole = 0, n, first, True
    while m != end - start:  # SUBPROOF(m, D[start:end], whole)
        k = _split(end - start)
        if m <= k:
            path.append(root(hashes[start + k : end]))
            end = start + k
        else:
            path.append(root(hashes[start : start + k]))
            start += k
            m -= k
            whole = False
    if not whole:
        path.append(root(hashes[start:end]))
    path.reverse()
    return path


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes], expected_root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does ``path`` prove that ``leaf`` (a leaf hash) is leaf ``index``
    of the tree with ``expected_root``?"""
    if not 0 <= index < size or len(leaf) != HASH_SIZE or any(len(p) != HASH_SIZE for p in path):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, path: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: does ``path`` prove that the tree of size ``first`` is a prefix of the one of size ``second``?

    A tree is consistent with itself (an empty path, equal roots) and with every tree
    grown from empty (an empty path); a tree never shrinks.
    """
    if not 0 <= first <= second or any(len(p) != HASH_SIZE for p in path):
        return False
    if first == second:
        return not path and first_root == second_root
    if first == 0:
        return not path
    if not path:
        return False
    nodes = list(path)
    if first & (first - 1) == 0:  # an exact power of two: the first tree is a subtree of the second
        nodes.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = nodes[0]
    for c in nodes[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0

"""Which stored record a newly imported row continues, and where rows sit in the order.

IANA gives records no id, so the store matches each row of an imported version to a
record of the current version, in three passes (each only among rows still unmatched):

1. **Same key**: same port or range, same transport, same case-folded name (rows
   without a name or without a port have None there). When several rows share a key
   (duplicates do occur), the k-th old one pairs with the k-th new one, in registry
   order.
2. **Rename**: both rows named, same port or range, same transport, and the same
   non-empty assignee (the ids :attr:`Record.assignees` gives). ``foo`` renamed ``bar``
   by its assignee is one record whose name changed.
3. **Move**: both rows named, same case-folded name, same transport, same non-empty
   assignee, but a different port or range (a range widened, a name-only registration
   that got a port).

Anything left is a removal (old) or an addition (new, with a fresh id). An Unassigned
row that becomes an assignment is therefore a removal plus an addition: the new
service is a new record, not a continuation of "nothing was here".

Order: each revision carries a ``sort_key``; a version's rows sorted by it give the
registry's order. Keys are spaced 2**32 apart; an import keeps the keys of the longest
run of rows that kept their relative order (a longest increasing subsequence) and gives
the others keys in the gaps, so inserting a row touches that row alone.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict, deque
from itertools import compress
from typing import Callable, Hashable, Sequence

GAP = 1 << 32


Key = tuple[int | None, int | None, str | None, str | None]  # port low, port high, transport, name key


def match(
    old: Sequence[Key],
    new: Sequence[Key],
    old_assignees: Callable[[int], tuple[str, ...]],
    new_assignees: Callable[[int], tuple[str, ...]],
) -> list[int | None]:
    """For each new row, the index of the old row it continues, or None (see module doc).

    ``old`` and ``new`` are the rows' keys; ``*_assignees(i)`` give a row's assignee ids
    and are asked only of rows the first pass left unmatched (reading them may cost).
    """
    # Pass 1 in C for all but the keys held twice (one or two in IANA's registry).
    first: dict[Key, int] = dict(zip(reversed(old), range(len(old) - 1, -1, -1)))  # the first holder of each key
    pop = first.pop
    result: list[int | None] = [pop(key, None) for key in new]
    old_left = sorted(first.values())
    if len(first) + len(result) - result.count(None) != len(old):  # some key is held by several old rows
        twice = {key for key, n in Counter(old).items() if n > 1}
        holders: dict[Key, list[int]] = defaultdict(list)
        for i in compress(range(len(old)), map(twice.__contains__, old)):
            holders[old[i]].append(i)
        taken_twice: dict[Key, int] = defaultdict(int)
        for j in compress(range(len(new)), map(twice.__contains__, new)):
            key = new[j]
            rank = taken_twice[key]
            taken_twice[key] = rank + 1
            result[j] = holders[key][rank] if rank < len(holders[key]) else None
        paired = {m for m in result if m is not None}
        old_left = [i for i in range(len(old)) if i not in paired]
    for slot in (_rename_slot, _move_slot):
        if not old_left or None not in result:
            break
        candidates: dict[Hashable, deque[int]] = defaultdict(deque)
        for i in old_left:
            found = slot(old[i], old_assignees, i)
            if found is not None:
                candidates[found].append(i)
        taken = set()
        for j, matched in enumerate(result):
            if matched is None:
                found = slot(new[j], new_assignees, j)
                queue = candidates.get(found) if found is not None else None
                if queue:
                    result[j] = queue.popleft()
                    taken.add(result[j])
        old_left = [i for i in old_left if i not in taken]
    return result


def _rename_slot(key: Key, assignees: Callable[[int], tuple[str, ...]], i: int) -> Hashable | None:
    low, high, transport, name = key
    if name is None:
        return None
    ids = assignees(i)
    return (low, high, transport, ids) if ids else None


def _move_slot(key: Key, assignees: Callable[[int], tuple[str, ...]], i: int) -> Hashable | None:
    _low, _high, transport, name = key
    if name is None:
        return None
    ids = assignees(i)
    return (name, transport, ids) if ids else None


def sort_keys(kept: Sequence[int | None]) -> list[int]:
    """Strictly increasing keys for rows in their new order, keeping as many old ones as possible.

    ``kept[i]`` is the key row i had (None for a new row). Old keys that are out of
    order after the longest increasing run is kept are replaced, as are neighbours when
    a gap is too narrow for the rows that go into it.
    """
    present = [k for k in kept if k is not None]
    if present == sorted(present):  # keys are distinct, so sorted means increasing
        keys = list(kept)  # the usual case: nothing moved
    else:
        keys = [None] * len(kept)
        for i in _longest_increasing(kept):
            keys[i] = kept[i]
    n = len(keys)
    for i in [i for i, k in enumerate(keys) if k is None]:
        if keys[i] is not None:
            continue  # filled with the run before it
        j = i
        while j < n and keys[j] is None:
            j += 1
        low = keys[i - 1] if i > 0 else None
        # Widen the gap over kept neighbours until the new rows fit between two keys.
        while j < n and low is not None and keys[j] - low <= j - i:  # type: ignore[operator]
            keys[j] = None
            while j < n and keys[j] is None:
                j += 1
        high = keys[j] if j < n else None
        count = j - i
        for k in range(count):
            if low is None and high is None:
                keys[i + k] = (k + 1) * GAP
            elif low is None:
                keys[i + k] = high - (count - k) * GAP  # type: ignore[operator]
            elif high is None:
                keys[i + k] = low + (k + 1) * GAP
            else:
                keys[i + k] = low + (k + 1) * (high - low) // (count + 1)
    return keys  # type: ignore[return-value]


def _longest_increasing(values: Sequence[int | None]) -> list[int]:
    """Indices of a longest strictly increasing subsequence of the non-None values."""
    tails: list[int] = []  # tails[k]: the smallest last value of an increasing run of length k+1
    tail_at: list[int] = []  # index in values of that last value
    previous: dict[int, int] = {}
    for i, value in enumerate(values):
        if value is None:
            continue
        k = bisect_left(tails, value)
        if k == len(tails):
            tails.append(value)
            tail_at.append(i)
        else:
            tails[k] = value
            tail_at[k] = i
        if k:
            previous[i] = tail_at[k - 1]
    run: list[int] = []
    i = tail_at[-1] if tail_at else -1
    while i >= 0:
        run.append(i)
        i = previous.get(i, -1)
    return run[::-1]

"""What the asker may have meant, for every "not found": one function, one ranking.

A service name, a person id or anything else looked up by name gets the same
suggestions from the CLI, the API (``suggestions`` in a 404's body) and the pages (links
under "did you mean"): names within a small edit of the word (``htpp``, ``postgre``), in
any case, letters swapped first (the likeliest typo), then names that start with it.
"""

from __future__ import annotations

import difflib
from typing import Iterable

__all__ = ["suggest"]

#: How close a name must be (difflib's ratio) to be suggested.
CUTOFF = 0.7


def suggest(word: str, candidates: Iterable[str], limit: int = 5) -> list[str]:
    """Up to ``limit`` of ``candidates`` close to ``word``, best first, as the candidates spell them."""
    folded: dict[str, str] = {}
    for candidate in candidates:
        folded.setdefault(candidate.casefold(), candidate)
    key = word.casefold()
    if not key:
        return []
    near = difflib.get_close_matches(key, folded, n=limit, cutoff=CUTOFF)
    # Two letters swapped (htpp for http) is the likeliest typo: same letters first.
    near.sort(key=lambda c: sorted(c) != sorted(key))
    if len(near) < limit:
        near += sorted(c for c in folded if c.startswith(key) and c not in near)[: limit - len(near)]
    return [folded[c] for c in near]

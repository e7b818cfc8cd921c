"""Ranked search: the records people mean, first, whichever database holds them.

``portreg search``, ``/api/v1/search`` and the registry page's ranked mode all call
:meth:`SearchIndex.search`. The index is built in memory from one version's records
(the same :class:`~portreg.services.query.Hit` values every other answer is made of),
so SQLite and PostgreSQL give the same hits in the same order: ranking in SQL would
mean two rankers (FTS5's bm25, PostgreSQL's ts_rank, two stemmers) that never quite
agree.

What comes first, tier by tier (within a tier, the better match, then registry order):

1. a port or a range (``5432``, ``6000-6063``, ``53/udp``): the records holding it;
2. the exact service name, in any case (``Kerberos``; words joined by hyphens or
   run together count: ``ms wbt server`` is ``ms-wbt-server``, ``my sql`` ``mysql``);
3. the names it replaces or that replace it: legacy aliases whose notes say "alias
   to" / "duplicate of", replacements whose description says "replacement for", and
   RFC 6335 §10.1's mended names (``sql*net`` <-> ``sql-net``);
4. names that start with the query (``postgres`` -> ``postgresql``), shortest first;
5. names holding every word as one of their parts (``ssh`` -> ``netconf-ssh``);
6. every word somewhere in the name, description, people or notes (``Tom Lane`` ->
   ``postgresql``), weighed in that order; a word matches a whole word (best), the
   word with a plural "s" removed, or the start of a longer word (three letters or
   more); a number also matches the records holding that port (``ssh 22``).

A word that matches nothing at all is taken as a typo: it is replaced by the
registry's nearest words (one letter added, dropped, changed or two swapped; two
such edits for words of eight letters or more), so ``kerbros`` finds ``kerberos``,
``mongdb`` finds ``mongodb`` and ``telent`` finds ``telnet``.
"""

from __future__ import annotations

import gc
import re
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import chain, product
from typing import TYPE_CHECKING, NamedTuple

from ..model import PortRange
from ..rules import MAX_PORT, name_key, replacement_name

if TYPE_CHECKING:
    from ..model import Person, Record
    from .query import Hit

__all__ = ["SearchIndex", "SearchResult", "parse_port_query", "words"]

_WORD = re.compile(r"[^\W_]+")
_POINTS_TO = re.compile(r'(?:alias to|duplicate of the)\s+"([^"]+)"', re.IGNORECASE)
_REPLACES = re.compile(r'replacement for\s+"([^"]+)"', re.IGNORECASE)
_PLAIN_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_PORT_QUERY = re.compile(r"\s*([0-9]{1,5})(?:\s*-\s*([0-9]{1,5}))?(?:\s*/\s*([A-Za-z]+))?\s*")

#: Field weights of tier 6: a word in the name counts most, then description, people, notes.
NAME, DESCRIPTION, PEOPLE, NOTES = 8.0, 4.0, 2.0, 1.0
_FIELDS = (NAME, DESCRIPTION, PEOPLE, NOTES)
#: How well a word matches a document word: the same word, its singular, its start.
_EXACT, _SINGULAR, _PREFIX, _TYPO = 1.0, 0.9, 0.6, 0.5
#: Shortest word matched as the start of longer words (``ht`` would match half the registry).
_MIN_PREFIX = 3
#: Most query words and spellings considered (a pasted paragraph stays cheap).
_MAX_WORDS = 12
_MAX_SPELLINGS = 16

PORT, EXACT, LINKED, STARTS, PARTS, WORDS = range(6)


class SearchResult(NamedTuple):
    """One page of a ranked search: ``total`` matches in all, ``hits`` from ``offset``."""

    total: int
    offset: int
    hits: tuple[Hit, ...]

    def as_json(self) -> dict[str, object]:
        return {"total": self.total, "offset": self.offset, "records": [h.as_json() for h in self.hits]}


def words(text: str) -> list[str]:
    """The words of ``text`` as search compares them: runs of letters and digits, case-folded."""
    return _WORD.findall(text.casefold())


def parse_port_query(text: str) -> tuple[PortRange, str | None] | None:
    """``5432``, ``6000-6063``, ``53/udp`` as (ports, transport); None when ``text`` is not one.

    A number above 65535 or a range running backwards is not a port query: it is
    searched for as a word.
    """
    match = _PORT_QUERY.fullmatch(text)
    if match is None:
        return None
    low = int(match.group(1))
    high = int(match.group(2) or low)
    if high > MAX_PORT or low > high:
        return None
    transport = match.group(3)
    return PortRange(low, high), None if transport is None else transport.lower()


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _typo_budget(word: str) -> int:
    """How many edits a word may be from what it meant: none for short words and numbers
    (``5433`` is not a typo of ``5432``)."""
    if len(word) < 4 or word.isdigit():
        return 0
    return 1 if len(word) < 8 else 2


class SearchIndex:
    """One version's records arranged for ranked search (see the module docstring).

    ``hits`` in registry order; ``people`` by id, to search by the names of the people
    a record names. Building costs a few tens of milliseconds; a search a fraction of
    a millisecond to a few.
    """

    def __init__(self, version: int, hits: Sequence[Hit], people: Mapping[str, Person]) -> None:
        # Tens of thousands of small values and no cycles: a collection pass would only
        # walk the whole registry again, several times over.
        enabled = gc.isenabled()
        gc.disable()
        try:
            self._build(version, hits, people)
        finally:
            if enabled:
                gc.enable()

    def _build(self, version: int, hits: Sequence[Hit], people: Mapping[str, Person]) -> None:
        self.version = version
        self.hits = tuple(hits)
        keys = [name_key(h.record.name) if h.record.name else "" for h in self.hits]
        self._keys = keys
        by_name: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            if key:
                by_name.setdefault(key, []).append(i)
        self._by_name = by_name
        self._sorted_names = sorted(by_name)
        self._name_parts = {key: tuple(words(key)) for key in by_name}
        by_part: dict[str, set[str]] = {}
        for key, parts in self._name_parts.items():
            for part in parts:
                by_part.setdefault(part, set()).add(key)
        self._by_part = by_part
        self._sorted_parts = sorted(by_part)
        self._postings, descriptions, notes = _postings(self.hits, people)
        self._links = _links(keys, by_name, descriptions, notes)
        vocabulary = set().union(*(p.keys() for p in self._postings))
        self._vocabulary = sorted(vocabulary)
        by_length: dict[int, list[str]] = {}
        for word in self._vocabulary:
            by_length.setdefault(len(word), []).append(word)
        self._by_length = by_length
        singles: dict[int, list[int]] = {}
        ranges: list[tuple[int, int, int]] = []
        for i, hit in enumerate(self.hits):
            port = hit.record.port
            if port is None:
                continue
            if port.is_range:
                ranges.append((port.low, port.high, i))
            else:
                singles.setdefault(port.low, []).append(i)
        self._singles = singles
        self._ranges = ranges

    # -- the search

    def search(
        self,
        text: str,
        *,
        keep: Callable[[Hit], bool] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> SearchResult:
        """Records matching ``text``, best first; ``keep`` filters them (transport, state, ...)."""
        ranked = self.rank(text)
        hits = self.hits
        found = [hits[i] for i in ranked]
        if keep is not None:
            found = [h for h in found if keep(h)]
        return SearchResult(len(found), offset, tuple(found[offset : offset + limit]))

    def rank(self, text: str) -> list[int]:
        """Positions (in ``hits``) of every record matching ``text``, best first."""
        scores: dict[int, tuple[int, float, int]] = {}

        def offer(i: int, tier: int, score: float = 0.0) -> None:
            key = (tier, -score, i)
            best = scores.get(i)
            if best is None or key < best:
                scores[i] = key

        asked = parse_port_query(text)
        if asked is not None:
            ports, transport = asked
            for i, exact in self._at(ports):
                if transport is None or self.hits[i].record.transport in (None, transport):
                    offer(i, PORT, (2.0 if exact else 0.0) + _strength(self.hits[i].state))
        query_words = words(text)[:_MAX_WORDS]
        if not query_words:
            return _ordered(scores)
        spellings = self._spellings(query_words)
        whole = name_key(text.strip())
        names = {whole} | {"-".join(s) for s in spellings} | {"".join(s) for s in spellings}
        for key in names:
            literal = 1.0 if key == whole else 0.0  # "sql*net" as typed before "sql-net"
            for i in self._by_name.get(key, ()):
                offer(i, EXACT, literal)
            for linked in self._links.get(key, ()):
                for i in self._by_name.get(linked, ()):
                    offer(i, LINKED, literal)
        for key in names:
            for name in self._names_starting(key):
                for i in self._by_name[name]:
                    offer(i, STARTS, -len(name))
        for spelling in spellings:
            for name, closeness in self._names_with_parts(spelling).items():
                for i in self._by_name[name]:
                    offer(i, PARTS, closeness - len(name) / 100)
        for spelling in spellings:
            for i, score in self._full_text(spelling).items():
                offer(i, WORDS, score + _strength(self.hits[i].state) / 10)
        return _ordered(scores)

    # -- tiers

    def _at(self, ports: PortRange) -> Iterable[tuple[int, bool]]:
        """(position, same ports exactly) of the records overlapping ``ports``."""
        if not ports.is_range:
            for i in self._singles.get(ports.low, ()):
                yield i, True
        else:
            for port, found in self._singles.items():
                if ports.low <= port <= ports.high:
                    for i in found:
                        yield i, False
        for low, high, i in self._ranges:
            if low <= ports.high and high >= ports.low:
                yield i, (low, high) == (ports.low, ports.high)

    def _names_starting(self, prefix: str) -> Iterable[str]:
        names = self._sorted_names
        at = bisect_left(names, prefix)
        while at < len(names) and names[at].startswith(prefix):
            if names[at] != prefix:
                yield names[at]
            at += 1

    def _names_with_parts(self, spelling: tuple[str, ...]) -> dict[str, float]:
        """Names holding every word as a part, or (3+ letters) as the start of one."""
        found: dict[str, float] | None = None
        for word in spelling:
            here: dict[str, float] = {}
            for part, quality in self._matching(word, self._sorted_parts, self._by_part):
                for name in self._by_part[part]:
                    if here.get(name, 0.0) < quality:
                        here[name] = quality
            if found is None:
                found = here
            else:
                found = {name: q + here[name] for name, q in found.items() if name in here}
            if not found:
                return {}
        return found or {}

    def _full_text(self, spelling: tuple[str, ...]) -> dict[int, float]:
        found: dict[int, float] | None = None
        for word in spelling:
            here: dict[int, float] = {}
            if word.isascii() and word.isdigit() and len(word) <= 5 and int(word) <= MAX_PORT:
                # "ssh 22": a number beside words is also a port the record may hold.
                for i, _ in self._at(PortRange(int(word), int(word))):
                    here[i] = NAME
            for token, quality in self._matching(word, self._vocabulary, None):
                for weight, postings in zip(_FIELDS, self._postings):
                    positions = postings.get(token)
                    if positions is None:
                        continue
                    score = weight * quality
                    for i in positions:
                        if here.get(i, 0.0) < score:
                            here[i] = score
            if found is None:
                found = here
            else:
                found = {i: s + here[i] for i, s in found.items() if i in here}
            if not found:
                return {}
        return found or {}

    @staticmethod
    def _matching(
        word: str, sorted_words: Sequence[str], exists: Mapping[str, object] | None
    ) -> Iterable[tuple[str, float]]:
        """Words of ``sorted_words`` that ``word`` matches, with how well (see the module doc)."""
        at = bisect_left(sorted_words, word)
        if at < len(sorted_words) and sorted_words[at] == word:
            yield word, _EXACT
            at += 1
        single = _singular(word)
        if single != word:
            found = bisect_left(sorted_words, single)
            if found < len(sorted_words) and sorted_words[found] == single:
                yield single, _SINGULAR
        if len(word) >= _MIN_PREFIX:
            while at < len(sorted_words) and sorted_words[at].startswith(word):
                yield sorted_words[at], _PREFIX
                at += 1

    # -- typos

    def _spellings(self, query_words: list[str]) -> list[tuple[str, ...]]:
        """The query as typed, or with each word that matches nothing replaced by its nearest words."""
        choices: list[list[str]] = []
        for word in query_words:
            if self._known(word):
                choices.append([word])
            else:
                choices.append(self._nearest(word) or [word])
        spellings = []
        for spelling in product(*choices):
            spellings.append(tuple(spelling))
            if len(spellings) >= _MAX_SPELLINGS:
                break
        return spellings

    def _known(self, word: str) -> bool:
        vocabulary = self._vocabulary
        at = bisect_left(vocabulary, word)
        if at < len(vocabulary) and vocabulary[at].startswith(word):
            return True
        single = _singular(word)
        return single != word and self._known(single)

    def _nearest(self, word: str) -> list[str]:
        budget = _typo_budget(word)
        if not budget:
            return []
        from rapidfuzz.distance import OSA
        from rapidfuzz.process import extract

        best: dict[str, int] = {}
        for length in range(len(word) - budget, len(word) + budget + 1):
            candidates = self._by_length.get(length)
            if candidates:
                for token, distance, _ in extract(
                    word, candidates, scorer=OSA.distance, score_cutoff=budget, limit=None
                ):
                    best[token] = int(distance)
        if not best:
            return []
        closest = min(best.values())
        return sorted(t for t, d in best.items() if d == closest)


def _ordered(scores: Mapping[int, tuple[int, float, int]]) -> list[int]:
    return sorted(scores, key=scores.__getitem__)


def _strength(state: str) -> float:
    return {"assigned": 1.0, "reserved": 0.5}.get(state, 0.0)


def _links(
    keys: Sequence[str],
    by_name: Mapping[str, list[int]],
    descriptions: Mapping[str, list[int]],
    notes: Mapping[str, list[int]],
) -> dict[str, set[str]]:
    """Name key -> the keys of the names it replaces or that replace it (both ways).

    ``descriptions`` and ``notes``: each distinct text -> the positions of the records
    saying it, so that each text is searched once.
    """
    links: dict[str, set[str]] = {}

    def link(a: str, b: str) -> None:
        a, b = name_key(a), name_key(b)
        if a != b and a in by_name and b in by_name:
            links.setdefault(a, set()).add(b)
            links.setdefault(b, set()).add(a)

    for texts, pattern in ((notes, _POINTS_TO), (descriptions, _REPLACES)):
        for text, positions in texts.items():
            for match in pattern.finditer(text):
                for i in positions:
                    if keys[i]:
                        link(keys[i], match.group(1))
    for key in by_name:
        if len(key) <= 15 and _PLAIN_NAME.fullmatch(key):
            continue  # a well-formed name is its own replacement
        mended = replacement_name(key)
        if mended:
            link(key, mended)
    return links


def _people_named(record: Record) -> Iterator[str]:
    """The assignees and contacts of a record (people a text merely mentions are found by its words)."""
    for ref in record.assignee:
        if ref.data:
            yield ref.data
    for ref in record.references:
        if ref.type == "person" and ref.data:
            yield ref.data


def _postings(
    hits: Sequence[Hit], people: Mapping[str, Person]
) -> tuple[tuple[dict[str, list[int]], ...], dict[str, list[int]], dict[str, list[int]]]:
    """Per field (name, description, people, notes): word -> positions of the records
    holding it; and each distinct description and note -> the positions saying it.

    Records are first grouped by the text of each field (a service's tcp and udp rows
    share theirs, thousands of rows say "Unassigned"), so each distinct text is split
    into words once.
    """
    names: dict[str, list[int]] = {}
    descriptions: dict[str, list[int]] = {}
    named: dict[tuple[str, ...], list[int]] = {}
    notes: dict[str, list[int]] = {}
    unauthorized: dict[str, list[int]] = {}
    for i, hit in enumerate(hits):
        record = hit.record
        if record.name:
            names.setdefault(record.name, []).append(i)
        if record.description is not None:
            descriptions.setdefault(str(record.description), []).append(i)
        if record.assignee or record.references:
            ids = tuple(dict.fromkeys(_people_named(record)))
            if ids:
                named.setdefault(ids, []).append(i)
        if record.notes is not None:
            notes.setdefault(str(record.notes), []).append(i)
        if record.unauthorized is not None:
            unauthorized.setdefault(str(record.unauthorized), []).append(i)

    def person_text(ids: tuple[str, ...]) -> str:
        parts = []
        for person_id in ids:
            parts.append(person_id)
            person = people.get(person_id)
            if person is not None:
                parts.extend(v for v in (person.name, person.org) if v)
        return " ".join(parts)

    texts = (
        names.items(),
        descriptions.items(),
        ((person_text(k), v) for k, v in named.items()),
        chain(notes.items(), unauthorized.items()),
    )
    fields: tuple[dict[str, list[int]], ...] = ({}, {}, {}, {})
    for field, grouped in zip(fields, texts):
        for text, positions in grouped:
            for word in set(words(text)):
                found = field.get(word)
                if found is None:
                    field[word] = list(positions)
                else:
                    found.extend(positions)
    return fields, descriptions, notes


class SearchIndexes:
    """The search index of each version asked for, built once (a few are kept)."""

    def __init__(self, build: Callable[[int], SearchIndex], keep: int = 2) -> None:
        self._build = build
        self._keep = keep
        self._lock = threading.Lock()
        self._indexes: dict[int, SearchIndex] = {}

    def get(self, version: int) -> SearchIndex:
        with self._lock:
            index = self._indexes.get(version)
            if index is None:
                index = self._build(version)
                self._indexes[version] = index
                while len(self._indexes) > self._keep:
                    del self._indexes[next(iter(self._indexes))]
            return index

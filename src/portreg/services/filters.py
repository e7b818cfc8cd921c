"""One meaning for every filter on records, wherever it runs.

The registry page, ``/api/v1/records``, ``/api/v1/search``, the page's ranked search and
``portreg search`` all filter records the same way, because they all build one
:class:`RecordFilter` and run it: in memory over a snapshot's hits (:meth:`RecordFilter.matcher`)
or in SQL through the store (:meth:`RecordFilter.sql`). The tests run a grid of filters both
ways on SQLite and PostgreSQL and require the same records.

The meaning of each filter:

- ``transport``: records on that transport, and records without one (Reserved and
  Unassigned rows speak for every transport, as a port lookup says);
- ``range_class``: the range class of the record's first port (records without a port
  have none);
- ``state``: assigned, reserved or unassigned (RFC 6335 §6), as the rules give it;
- ``person``: a person id in any case (``iesg`` is ``IESG``) when one matches exactly;
  otherwise every person whose id or name holds the text, in any case. A record passes
  when it names one of them, in any role;
- dates: ``registered_after``, ``registered_before``, ``modified_after``,
  ``modified_before`` are ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, inclusive bounds at
  the precision given: ``registered_after=2005&registered_before=2005`` is "registered in
  2005" (``2005-08-15`` is in it). A record compares by its date cut to the bound's
  length, so ``2005`` is not after ``2005-08``. A record without the date fails a
  filter on it. ``year=2005`` is both bounds at 2005.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Callable, Iterable, Mapping

from .. import rules
from ..errors import InvalidQuery
from ..model import TRANSPORTS
from ..rules import ASSIGNED, RESERVED, UNASSIGNED

if TYPE_CHECKING:
    from ..model import Person
    from .query import Hit

__all__ = ["RANGE_CLASSES", "STATES", "RecordFilter"]

#: The states a record can be in (RFC 6335 §6), strongest first.
STATES: tuple[str, ...] = (ASSIGNED, RESERVED, UNASSIGNED)
#: Range class -> its ports (RFC 6335 §6).
RANGE_CLASSES = rules.RANGE_CLASSES
_DATES = ("registered_after", "registered_before", "modified_after", "modified_before")
MAX_PERSON = 200


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """Which records a question is about; every field None means "any" (see the module docstring)."""

    transport: str | None = None
    range_class: str | None = None
    state: str | None = None
    person: str | None = None
    registered_after: str | None = None
    registered_before: str | None = None
    modified_after: str | None = None
    modified_before: str | None = None

    @classmethod
    def parse(
        cls,
        *,
        transport: str | None = None,
        range_class: str | None = None,
        state: str | None = None,
        person: str | None = None,
        year: str | int | None = None,
        registered_after: str | None = None,
        registered_before: str | None = None,
        modified_after: str | None = None,
        modified_before: str | None = None,
        names: Mapping[str, str] | None = None,
    ) -> RecordFilter:
        """A filter from an interface's parameters, checked: InvalidQuery names a bad one.

        Empty strings are "not given" (a form sends every field). ``names`` maps this
        method's parameter names to the interface's own (``range_class`` is ``range`` in
        a URL, ``person`` is ``assignee`` in the API), so an error names what the user typed.
        """
        from .params import parse_date, parse_year

        named = {**{f.name: f.name for f in fields(cls)}, "year": "year", **(names or {})}

        def choice(key: str, value: str | None, allowed: Iterable[str]) -> str | None:
            if not value:
                return None
            allowed = tuple(allowed)
            if value not in allowed:
                raise InvalidQuery(f"must be one of: {', '.join(allowed)}; got {value!r}", parameter=named[key])
            return value

        dates: dict[str, str | None] = {}
        for key, value in zip(_DATES, (registered_after, registered_before, modified_after, modified_before)):
            dates[key] = parse_date(value, named[key]).text if value else None
        if year is not None and year != "":
            text = parse_year(str(year), named["year"])
            bound = f"{text:04d}"
            for key in ("registered_after", "registered_before"):
                if dates[key] is not None and dates[key] != bound:
                    raise InvalidQuery(
                        f"year={bound} and {named[key]} both bound the registration date", parameter=named["year"]
                    )
                dates[key] = bound
        person = " ".join((person or "").split()) or None
        if person is not None and len(person) > MAX_PERSON:
            raise InvalidQuery(f"a person id or name of at most {MAX_PERSON} characters", parameter=named["person"])
        return cls(
            transport=choice("transport", transport, TRANSPORTS),
            range_class=choice("range_class", range_class, RANGE_CLASSES),
            state=choice("state", state, STATES),
            person=person,
            **dates,
        )

    @property
    def empty(self) -> bool:
        """Whether every record passes."""
        return all(getattr(self, f.name) is None for f in fields(self))

    def people(self, people: Mapping[str, Person]) -> frozenset[str] | None:
        """The ids the person filter stands for among ``people`` (None: no person filter)."""
        if self.person is None:
            return None
        folded = self.person.casefold()
        exact = frozenset(pid for pid in people if pid.casefold() == folded)
        if exact:
            return exact
        return frozenset(
            p.id for p in people.values() if folded in p.id.casefold() or folded in (p.name or "").casefold()
        )

    def matcher(self, people: Mapping[str, Person]) -> Callable[[Hit], bool] | None:
        """The filter as a test of one hit, over a version whose people are ``people``;
        None when every record passes."""
        if self.empty:
            return None
        transport, range_class, state = self.transport, self.range_class, self.state
        wanted = self.people(people)
        bounds = [
            (attr, bound, after)
            for attr, bound, after in (
                ("registered", self.registered_after, True),
                ("registered", self.registered_before, False),
                ("modified", self.modified_after, True),
                ("modified", self.modified_before, False),
            )
            if bound is not None
        ]

        def keep(hit: Hit) -> bool:
            record = hit.record
            if transport is not None and record.transport not in (None, transport):
                return False
            if range_class is not None and hit.range_class != range_class:
                return False
            if state is not None and hit.state != state:
                return False
            if wanted is not None and wanted.isdisjoint(record.person_ids()):
                return False
            for attr, bound, after in bounds:
                value = getattr(record, attr)
                if not value:
                    return False
                cut = value[: len(bound)]
                if (cut < bound) if after else (cut > bound):
                    return False
            return True

        return keep

    def sql(self, people: Mapping[str, Person]) -> dict[str, object]:
        """The store's arguments for this filter (see :meth:`portreg.store.Store.search`)."""
        wanted = self.people(people)
        return {
            "transport": self.transport,
            "range_class": self.range_class,
            "state": self.state,
            "person_ids": None if wanted is None else sorted(wanted),
            "registered_after": self.registered_after,
            "registered_before": self.registered_before,
            "modified_after": self.modified_after,
            "modified_before": self.modified_before,
        }

"""``portreg lookup | search | show | people | free | stats``: asking the registry.

Each command parses its arguments, asks :class:`portreg.query.Query`, and hands a
:class:`~portreg.cli._output.Listing` to the shared output switches. The JSON shapes
written in the help texts are stable: scripts may rely on them.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterable, Iterator

import click

from ..model import TRANSPORTS, Person
from ._context import open_store
from ._output import Listing, Table, listing

if TYPE_CHECKING:
    from ..services.query import Query

RECORD_JSON = """\b
A record in JSON:
  {"id": 17, "name": "http", "port": "80" | "6000-6063" | null,
   "port_low": 80, "port_high": 80, "transport": "tcp" | null,
   "state": "assigned" | "reserved" | "unassigned",
   "range_class": "system" | "user" | "dynamic" | null,
   "description": "...", "assignee": ["IESG"], "contact": ["IETF_Chair"],
   "references": [{"type": "rfc", "data": "rfc9110", "text": null, "label": "RFC9110"}],
   "registered": "YYYY[-MM[-DD]]" | null, "modified": ... | null,
   "notes": ... | null, "unauthorized": ... | null, "service_code": ... | null}
  With local registries in the store, each record also names its registry:
  "source": "acme" | "iana" (see --registry)."""

PERSON_JSON = """\b
A person in JSON:
  {"id": "Jon_Postel", "name": ... | null, "org": ... | null, "uris": ["mailto:..."],
   "updated": "YYYY-MM-DD" | null}"""

RECORD_COLUMNS = ("name", "port", "transport", "state", "description", "assignee")

REGISTRY_HELP = (
    "Ask one registry (iana, or a local one such as acme) or 'stack': every registry, local first. "
    "Default: the stack when the store holds a local registry, else IANA's alone."
)


def _registry_option(func: Any) -> Any:
    return click.option("--registry", "registry", metavar="NAME", default=None, help=REGISTRY_HELP)(func)


def _records_table(hits: Iterable[Any], title: str | None = None) -> Table:
    """The records as rows; with a source column first when they name their registry."""
    hits = list(hits)
    rows: list[tuple[Any, ...]] = [
        (
            h.record.name,
            _text(h.record.port),
            h.record.transport,
            h.state,
            _text(h.record.description),
            h.record.assignees,
        )
        for h in hits
    ]
    if any(h.source is not None for h in hits):
        return Table(("source", *RECORD_COLUMNS), [(h.source, *row) for h, row in zip(hits, rows)], title)
    return Table(RECORD_COLUMNS, rows, title)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


@contextmanager
def _query(registry: str | None = None) -> Iterator[Query]:
    """A Query over the store of ``--db``, closed afterwards: of the view ``--registry``
    names (see :func:`portreg.services.stack.layers_query`)."""
    from ..services.stack import layers_query, parse_registry

    chosen = parse_registry(registry)
    with open_store() as store:
        yield layers_query(store, chosen)


# --------------------------------------------------------------------------- lookup


@click.command(
    epilog=f"""\b
JSON (--json): one object, by what was asked:
  a port:  {{"query": "6010", "kind": "port", "port": 6010, "range_class": "user",
            "states": {{"tcp": "assigned", "udp": ..., "sctp": ..., "dccp": ...}},
            "records": [record, ...]}}
  a range: {{"query": "6000-6010", "kind": "range", "low": 6000, "high": 6010,
            "records": [...]}}
  a name:  {{"query": "www", "kind": "name", "name": "www", "aliases": ["http", ...],
            "preferred": "http" | null, "legacy": [...], "records": [...]}}

{RECORD_JSON}

Exit status: 0 when a record was found, 1 when none, 2 for a malformed query."""
)
@click.argument("query")
@click.option("--proto", "transport", type=click.Choice(TRANSPORTS), help="Only this transport.")
@_registry_option
@listing
def lookup(query: str, transport: str | None, registry: str | None) -> Listing:
    """Look up a port (5432), a port range (6000-6010) or a service name (http, any case).

    A port shows every record holding it, ranges included (6010 finds x11 on
    6000-6063), its range class, and its state on each transport. A name shows its
    records, its aliases (other names on the same port and transport) and the names it
    replaces or is replaced by (www -> http, sql*net <-> sql-net).
    """
    from ..services.query import NameAnswer, PortAnswer

    with _query(registry) as asked:
        answer = asked.lookup(query, transport=transport)
    data = {"query": query, **answer.as_json()}
    if isinstance(answer, PortAnswer):
        states = ", ".join(f"{t} {s}" for t, s in answer.states.items())
        title = f"port {answer.port} ({answer.range_class} range): {states}"
        missing = f"no record holds port {answer.port} ({answer.range_class} range): {states}"
        tables = [_records_table(answer.hits, title)]
    elif isinstance(answer, NameAnswer):
        missing = f"no service is named {query!r}"
        links = [("alias", a) for a in answer.aliases] + [("legacy", n) for n in answer.legacy]
        if answer.preferred:
            links.insert(0, ("use instead", answer.preferred))
        tables = [_records_table(answer.hits, answer.name), Table(("link", "name"), links, "linked names")]
    else:
        missing = f"no record overlaps ports {answer.low}-{answer.high}"
        tables = [_records_table(answer.hits, f"ports {answer.low}-{answer.high}")]
    return Listing(data, tables, found=answer.found, message=None if answer.found else missing)


# --------------------------------------------------------------------------- search


@click.command(
    epilog=f"""\b
JSON (--json): {{"query": "TEXT" | null, "total": 123, "offset": 0, "records": [record, ...]}}
records ranked best first (registry order when searching by filters alone).

{RECORD_JSON}"""
)
@click.argument("text", required=False)
@click.option("--proto", "transport", type=click.Choice(TRANSPORTS), help="Records on this transport.")
@click.option("--range", "range_class", type=click.Choice(("system", "user", "dynamic")), help="Ports of this class.")
@click.option("--state", type=click.Choice(("assigned", "reserved", "unassigned")), help="Records in this state.")
@click.option("--person", metavar="ID", help="Records naming this person: an id in any case, or words of names.")
@click.option("--year", metavar="YYYY", help="Registered in this year.")
@click.option("--registered-after", metavar="DATE", help="Registered on or after DATE (YYYY[-MM[-DD]]).")
@click.option("--registered-before", metavar="DATE", help="Registered on or before DATE.")
@click.option("--modified-after", metavar="DATE", help="Modified on or after DATE.")
@click.option("--modified-before", metavar="DATE", help="Modified on or before DATE.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True, help="How many records.")
@click.option("--offset", type=click.IntRange(0), default=0, help="Skip this many records first.")
@_registry_option
@listing
def search(text: str | None, registry: str | None, **filters: Any) -> Listing:
    """Search names, ports, people and words of descriptions and notes, best first; narrow with filters.

    The exact name comes first (any case), then the names it replaces or that replace
    it, names starting with TEXT, names holding its words, then descriptions, people and
    notes. A port or range (5432, 6000-6063, 53/udp) is a port lookup; a word matching
    nothing is taken as a typo (kerbros finds kerberos).

    Example: portreg search "remote desktop" --proto tcp --range user
    """
    if not text and not any(v for k, v in filters.items() if k not in ("limit", "offset")):
        raise ValueError("give some TEXT to search for, or at least one filter")
    with _query(registry) as asked:
        result = asked.search(text, **filters)
    shown = f"{result.offset + 1}-{result.offset + len(result.hits)}" if result.hits else "none"
    title = f"{result.total} records match (showing {shown})"
    return Listing(
        {"query": text, **result.as_json()},
        [_records_table(result.hits, title)],
        found=result.total > 0,
        message=None if result.total else "no record matches",
    )


# --------------------------------------------------------------------------- show


@click.command(
    epilog=f"""\b
JSON (--json): {{"query": "http", "records": [record, ...], "people": [person, ...]}}

{RECORD_JSON}

{PERSON_JSON}"""
)
@click.argument("query")
@_registry_option
@listing
def show(query: str, registry: str | None) -> Listing:
    """Show every field of the records of a service NAME or PORT, and the people they name."""
    from ..services.query import person_json

    with _query(registry) as asked:
        hits = asked.lookup(query).hits
        people = asked.people_of(hits)
    tables = [_record_fields(h) for h in hits]
    if people:
        tables.append(_people_table(people))
    return Listing(
        {"query": query, "records": [h.as_json() for h in hits], "people": [person_json(p) for p in people]},
        tables,
        found=bool(hits),
        message=None if hits else f"nothing registered under {query!r}",
    )


def _record_fields(hit: Any) -> Table:
    doc = hit.as_json()
    refs = [ref["label"] for ref in doc.pop("references")]
    rows = [(key.replace("_", " "), value) for key, value in doc.items() if key not in ("port_low", "port_high")]
    rows.append(("references", refs))
    title = " ".join(filter(None, (hit.record.name, doc["port"], doc["transport"]))) or f"record {hit.id}"
    return Table(("field", "value"), rows, title)


def _people_table(people: Iterable[Person]) -> Table:
    rows = [(p.id, p.name, p.org, p.uris, p.updated) for p in people]
    return Table(("id", "name", "org", "uris", "updated"), rows, "people")


# --------------------------------------------------------------------------- people


@click.command(
    epilog=f"""\b
JSON (--json): {{"query": "Postel", "people": [{{"person": person, "records": [record, ...]}}, ...]}}

{PERSON_JSON}

{RECORD_JSON}"""
)
@click.argument("query")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True, help="How many people.")
@_registry_option
@listing
def people(query: str, limit: int, registry: str | None) -> Listing:
    """Find a person (an exact id such as Jon_Postel, or words of a name or an organization)
    and list every record that names them."""
    with _query(registry) as asked:
        answers = asked.people(query, limit=limit)
    tables: list[Table] = []
    for answer in answers:
        tables.append(_people_table([answer.person]))
        tables.append(_records_table(answer.hits, f"records naming {answer.person.id}"))
    return Listing(
        {"query": query, "people": [a.as_json() for a in answers]},
        tables,
        found=bool(answers),
        message=None if answers else f"no person matches {query!r}",
    )


# --------------------------------------------------------------------------- free


def _transports(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    chosen = tuple(t.strip().lower() for t in value.split(",") if t.strip())
    unknown = [t for t in chosen if t not in TRANSPORTS]
    if unknown or not chosen:
        raise click.BadParameter(f"choose among {', '.join(TRANSPORTS)}, comma-separated")
    return chosen


@click.command(
    epilog="""\b
JSON (--json): {"range_class": "user", "transports": ["tcp", "udp"], "ports": [1234, ...]}"""
)
@click.option("--proto", "transports", default="tcp,udp", show_default=True, callback=_transports,
              help="The transports the port must be free on, comma-separated.")
@click.option("--range", "range_class", type=click.Choice(("user", "system")), default="user", show_default=True,
              help="The range to suggest from (dynamic ports are never assigned).")
@click.option("--count", type=click.IntRange(1, 65536), default=10, show_default=True, help="How many ports.")
@_registry_option
@listing
def free(transports: tuple[str, ...], range_class: str, count: int, registry: str | None) -> Listing:
    """Suggest port numbers a new service could ask for, lowest first.

    A suggested port is unassigned on the transports asked for, reserved on none,
    and no unauthorized use of it is reported (so 11711, inside the Unassigned range
    11624-11719 but known to be used, is never suggested).
    """
    with _query(registry) as asked:
        ports = asked.free(transports=transports, range_class=range_class, count=count)
    return Listing(
        {"range_class": range_class, "transports": list(transports), "ports": ports},
        [Table(("port",), [(p,) for p in ports], f"free {range_class} ports on {', '.join(transports)}")],
        found=bool(ports),
        message=None if ports else f"no free {range_class} port on {', '.join(transports)}",
    )


# --------------------------------------------------------------------------- stats


@click.command(
    epilog="""\b
JSON (--json): {"version": 1, "records": 14444, "people": 5554,
  "by_state": {"assigned": ..., "reserved": ..., "unassigned": ...},
  "by_transport": {"tcp": ..., "udp": ..., "sctp": ..., "dccp": ..., "none": ...},
  "by_range_class": {"system": ..., "user": ..., "dynamic": ..., "none": ...},
  "by_year": {"2024": ..., ..., "none": ...}}"""
)
@click.option("--version", "version", type=int, metavar="N", help="Count version N instead of the current one.")
@_registry_option
@listing
def stats(version: int | None, registry: str | None) -> Listing:
    """Count the records: by state, transport, range class and year of registration."""
    with _query(registry) as asked:
        counts = asked.stats(version=version)
    doc = counts.as_json()
    rows: list[tuple[object, ...]] = [("total", "records", counts.records), ("total", "people", counts.people)]
    for group in ("by_state", "by_transport", "by_range_class", "by_year"):
        rows.extend((group[3:].replace("_", " "), key, n) for key, n in doc[group].items())
    return Listing(doc, [Table(("group", "key", "count"), rows, f"version {counts.version}")])

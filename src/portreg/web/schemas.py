"""The shapes of the JSON API, as Pydantic models: the OpenAPI document is built from them.

They document and validate; they are not on the hot path. The API builds plain dicts of
exactly these shapes (:mod:`portreg.web.api`) and serializes them once per registry
version, and the tests check every response against this document (schemathesis).

Stability: fields are only ever added. Every response carries ``registry`` (which
version of the registry it reflects, and that version's own date), lists are in the
registry's order unless a ``sort`` says otherwise, and absent values are ``null``,
never missing.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = [
    "ErrorBody",
    "ErrorResponse",
    "FreePorts",
    "Links",
    "PageLinks",
    "PeoplePage",
    "PersonHit",
    "PersonOut",
    "PersonRecords",
    "PortLookup",
    "RangeLookup",
    "RecordHistory",
    "RecordOut",
    "RecordPage",
    "RecordResponse",
    "RecordState",
    "ReferenceOut",
    "RegistryRef",
    "ServiceLookup",
    "Stats",
    "VersionOut",
    "Versions",
]

State = Literal["assigned", "reserved", "unassigned"]
RangeClass = Literal["system", "user", "dynamic"]
Transport = Literal["tcp", "udp", "sctp", "dccp"]


class StackLayer(BaseModel):
    """One registry of the view a response reads, at the version it reads."""

    name: str = Field(description="The registry: `iana` (the upstream) or a local one such as `acme`.")
    version: int
    updated: str | None


class RegistryRef(BaseModel):
    """Which registry version a response reflects.

    When the store holds local registries, also which registry was read (`name`:
    `stack` or one registry), each registry of that view at its version, and the
    registry this instance operates (null: it only mirrors)."""

    version: int = Field(description="The store's version number (1, 2, 3 … in publication order).")
    updated: str | None = Field(description="The registry's own Last Updated date of that version (YYYY-MM-DD).")
    name: str | None = Field(None, description="`stack` (every registry, top first) or the one registry read.")
    stack: list[StackLayer] | None = Field(None, description="The registries read, top of the stack first.")
    operates: str | None = Field(None, description="The registry this instance operates; null when it mirrors.")


class ReferenceOut(BaseModel):
    """A reference of a record: an RFC, a draft, a URI, free text or a footnote."""

    type: Literal["person", "rfc", "draft", "uri", "text", "note"]
    data: str | None
    text: str | None
    label: str = Field(description="How IANA's CSV and text formats show it inside brackets, e.g. RFC9110.")


class Links(BaseModel):
    """Where to read more, as root-relative URLs of this API."""

    self: str
    service: str | None = Field(description="The service-name lookup for this record's name, when it has one.")
    port: str | None = Field(description="The port (or range) lookup for this record's port, when it has one.")


class RecordOut(BaseModel):
    """One row of the registry, with the stable id the store gives it across versions."""

    id: int
    source: str | None = Field(
        None, description="The registry the record belongs to (`iana`, `acme`); only when the store holds several."
    )
    name: str | None
    port: str | None = Field(description='"80", or "6000-6063" for a range; null for a name-only registration.')
    port_low: int | None
    port_high: int | None
    transport: Transport | None
    state: State
    range_class: RangeClass | None = Field(
        description="The range class of the record's (first) port; null without a port."
    )
    description: str | None = Field(description="Plain text: line breaks as \\n, inline references as [label].")
    assignee: list[str] = Field(description="Person ids of the assignee (IANA's Assignee column).")
    contact: list[str] = Field(description="Person ids of the contact (IANA's Contact column).")
    references: list[ReferenceOut] = Field(description="Every reference that is not a person, in document order.")
    registered: str | None = Field(description="Registration date as written (YYYY-MM-DD or YYYY-MM).")
    modified: str | None
    notes: str | None
    unauthorized: str | None = Field(description="Unauthorized use reported on this port.")
    service_code: str | None = Field(description="DCCP service code.")
    links: Links


class PersonOut(BaseModel):
    """A person, an organization or a role that records name."""

    id: str
    name: str | None
    org: str | None
    uris: list[str] = Field(description="Contact URIs; mailto: addresses are written with & for @ as in IANA's data.")
    updated: str | None
    links: dict[str, str] = Field(description="self: this person's API URL.")


class PageLinks(BaseModel):
    """Pagination: root-relative URLs that keep every parameter of the request."""

    self: str
    next: str | None
    prev: str | None


class PortLookup(BaseModel):
    """Everything the registry says about one port: its records (ranges included) and states."""

    registry: RegistryRef
    port: int
    range_class: RangeClass
    states: dict[str, State] = Field(
        description="Each transport (tcp, udp, sctp, dccp, or only the one asked for) and its state: "
        "the strongest claim of the records covering the port, unassigned where none does."
    )
    records: list[RecordOut] = Field(description="Records on this port or on a range that contains it.")
    people: list[PersonOut] = Field(description="The people these records name.")


class RangeLookup(BaseModel):
    """Every record whose port or range overlaps ``low``-``high``."""

    registry: RegistryRef
    low: int
    high: int
    total: int = Field(description="How many records overlap the range, over all pages.")
    page: int
    page_size: int
    records: list[RecordOut] = Field(description="This page's records, in registry order.")
    people: list[PersonOut] = Field(description="The people this page's records name.")
    links: PageLinks


class ServiceLookup(BaseModel):
    """A service name, its records, and the names linked to it."""

    registry: RegistryRef
    name: str = Field(description="The name as the registry writes it.")
    records: list[RecordOut]
    aliases: list[str] = Field(description="Other names registered on the same port and transport.")
    preferred: str | None = Field(description="The name to use instead, when this one is a legacy alias (www → http).")
    legacy: list[str] = Field(description="Legacy names that point to this one.")
    people: list[PersonOut]


class RecordResponse(BaseModel):
    registry: RegistryRef
    record: RecordOut
    people: list[PersonOut]


class RecordPage(BaseModel):
    """A page of search results."""

    registry: RegistryRef
    total: int = Field(description="How many records match, over all pages.")
    page: int
    page_size: int
    items: list[RecordOut]
    people: list[PersonOut] = Field(description="The people the records of this page name.")
    links: PageLinks


class PersonHit(PersonOut):
    records: list[int] = Field(description="Ids of the records that name this person.")


class RecordState(BaseModel):
    first: int = Field(description="The first version that held this content.")
    last: int | None = Field(description="The last version that held it; null while it is current.")
    record: RecordOut


class RecordHistory(BaseModel):
    """A record's history across the stored versions."""

    registry: RegistryRef
    id: int
    history: list[RecordState] = Field(description="Oldest first.")


class PeoplePage(BaseModel):
    registry: RegistryRef
    total: int
    items: list[PersonHit]


class PersonRecords(BaseModel):
    registry: RegistryRef
    person: PersonOut
    records: list[RecordOut]


class Stats(BaseModel):
    """Counts over the whole registry of one version."""

    registry: RegistryRef
    records: int
    people: int | None
    by_state: dict[str, int]
    by_transport: dict[str, int] = Field(description='Records per transport; "none" for rows without one.')
    by_range_class: dict[str, int]
    by_year: dict[str, int] = Field(description="Records per year of registration.")


class FreePorts(BaseModel):
    """Ports no record assigns or reserves on any of the asked transports, nor reports unauthorized use on."""

    registry: RegistryRef
    transports: list[Transport]
    range: Literal["system", "user"]
    ports: list[int]


class VersionOut(BaseModel):
    registry: str | None = Field(None, description="Whose version it is; only when the store holds several registries.")
    version: int
    updated: str | None = Field(description="The registry's own date of that version.")
    stored_at: str = Field(description="When portreg stored it (ISO 8601, UTC).")
    source: str
    actor: str | None
    records: int


class Versions(BaseModel):
    registry: RegistryRef
    versions: list[VersionOut] = Field(description="Every stored version, oldest first.")


class RangeOut(BaseModel):
    low: int
    high: int
    transport: str | None = Field(description="tcp, udp, sctp or dccp; null: every transport.")
    text: str = Field(description="As the CLI writes it: 20000-20999 or 30000-30099/udp.")


class RegistryVersionOut(BaseModel):
    number: int
    published: str | None = Field(description="The registry's own date of that version.")
    created_at: str = Field(description="When portreg stored it (ISO 8601, UTC).")
    source: str
    actor: str | None
    record_count: int


class RegistryOut(BaseModel):
    name: str = Field(description="iana (the upstream), or a local registry's name.")
    kind: Literal["upstream", "local"]
    title: str
    position: int = Field(description="Stack order: the highest is consulted first.")
    created_at: str
    created_by: str | None
    ranges: list[RangeOut] = Field(description="The ports a local registry allocates from (none for iana).")
    current: RegistryVersionOut | None = Field(description="Its current version; null before its first import.")
    links: dict[str, str] = Field(description="self, and its documents: xml, csv, json, services, …")


class RegistriesOut(BaseModel):
    registries: list[RegistryOut] = Field(description="In stack order: the one consulted first first.")
    stack: bool = Field(description="Whether any local registry is stacked on the upstream.")
    operates: str | None = Field(
        description="The registry this instance operates ($PORTREG_RUNS_REGISTRY); null: it mirrors."
    )


class ErrorBody(BaseModel):
    code: Literal[
        "invalid_parameter",
        "invalid_request",
        "unauthorized",
        "forbidden",
        "not_found",
        "method_not_allowed",
        "conflict",
        "precondition_failed",
        "checks_failed",
        "precondition_required",
        "too_many_requests",
        "csrf_failed",
        "store_unavailable",
        "http_error",
        "internal_error",
    ]
    message: str
    parameter: str | None = Field(default=None, description="The query or path parameter at fault.")
    suggestions: list[str] | None = Field(default=None, description="Near names or containing ranges (404 only).")
    findings: list[dict[str, Any]] | None = Field(
        default=None, description="Each check a refused request failed, with field and RFC section (422 only)."
    )


class ErrorResponse(BaseModel):
    """Every 4xx and 5xx of the API."""

    error: ErrorBody
    registry: RegistryRef | None = Field(
        default=None, description="The version a 404 is about (absent when no version was read)."
    )

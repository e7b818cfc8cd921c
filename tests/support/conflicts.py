"""Small registries for the overlay-conflict tests: IANA before and after it assigns
20100/tcp, and a local registry acme that uses that port (and a few IANA assigns)."""

from __future__ import annotations

from portreg.model import PortRange, Record, Registry, Text

__all__ = ["ACME", "AFTER", "BEFORE", "rec"]


def rec(name: str | None, port: str | None, transport: str | None, description: str | None = None) -> Record:
    return Record(
        name=name, port=PortRange.parse(port) if port else None, transport=transport, description=Text.of(description)
    )


def iana(updated: str, *records: Record) -> Registry:
    return Registry(title="Service Name and Transport Protocol Port Number Registry", updated=updated, records=records)


BEFORE = iana(
    "2024-03-18",
    rec("postgresql", "5432", "tcp"),
    rec("ssh", "22", "tcp"),
    rec("ssh", "22", "udp"),
    rec("dnp", "20000", "tcp"),
    rec(None, "20001-20999", None, "Unassigned"),
)
#: IANA assigns 20100/tcp, the port acme-sync uses.
AFTER = iana(
    "2024-04-01",
    rec("postgresql", "5432", "tcp"),
    rec("ssh", "22", "tcp"),
    rec("ssh", "22", "udp"),
    rec("dnp", "20000", "tcp"),
    rec(None, "20001-20099", None, "Unassigned"),
    rec("newsvc", "20100", "tcp", "New"),
    rec(None, "20101-20999", None, "Unassigned"),
)
ACME = Registry(
    title="acme",
    records=(
        rec("acme-db", "5432", "tcp"),  # postgresql's port, and outside acme's range
        rec("acme-sync", "20100", "tcp"),  # free until AFTER
        rec("acme-sync", "20100", "udp"),
        rec("ssh", "2222", "tcp"),  # a name IANA assigns on 22 (and outside the range)
    ),
)

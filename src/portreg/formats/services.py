"""services(5): the registry as ``/etc/services``, for glibc and every tool that reads it.

A line is ``name<TAB>port/transport<TAB>aliases… # description``, laid out on tab stops
as Debian's ``/etc/services`` is. services(5) has one port and one transport per line
and names without white space or ``#``, so the writer keeps the records that fit
(a name, a single port, a transport) and says in its header how many it left out and
why. Names on the same port and transport share one line: the first in the registry
is the official name, the others its aliases, so ``getservbyport`` answers with the
registry's first name. Lines go by port, then transport in the registry's order
(tcp, udp, sctp, dccp); a name registered on several ports of one transport
therefore resolves by name to its lowest port, and each of its ports still answers
by number with its own line.

glibc compares names as written, but RFC 6335 §5.1 says service names compare ignoring
case: so a name written in mixed case in the registry (``warmspotMgmt``) also gets its
lower-case form as an alias, and ``getservbyname("warmspotmgmt", "tcp")`` finds it.

A :class:`Profile` narrows the file to some names (``small``: the services Debian's
netbase lists; a user's own list), and the header says which profile, and how many
named records it left out besides those services(5) cannot hold.

The reader takes any services(5) file, IANA-generated or hand-written: each name,
alias included, becomes a record on the line's port and transport, with the line's
comment as its description, except an alias that is only the lower-case form of a
name before it on the line (the writer's own, and the same name by RFC 6335). The
header's ``Source:`` and ``Updated:`` lines, when present, give back the registry's
title and date. Writing what was read therefore gives the same entry lines and header,
except the counts of records left out (those records are not in the file to be read
back); writing it once more gives the same bytes.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import BinaryIO, Iterable

from ..errors import FormatError
from ..model import TRANSPORTS, PortRange, Record, Registry, Text
from . import FORMATS
from ._decode import utf8_text

__all__ = ["EXTENSION", "FULL", "MEDIA_TYPE", "Profile", "holdable", "read", "write"]

MEDIA_TYPE = FORMATS["services"].media_type
EXTENSION = FORMATS["services"].extension

#: The title of a registry read from a services file that does not name its source.
DEFAULT_TITLE = "Network services"
MAX_PORT = 65535
_UNFIT_NAME = re.compile(r"[\s#]")
_SOURCE = "# Source:  "
_UPDATED = "# Updated: "

#: Why a named record is left out, in the order the reasons are checked.
_LEFT_OUT = {
    "no port": "with a name but no port (name-only registrations)",
    "range": "with a port range",
    "no transport": "with a port but no transport",
    "name": "whose name holds white space or '#'",
}


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class Profile:
    """Which of the registry's named records a services file keeps, and how its header says so.

    ``names`` (compared ignoring case, RFC 6335 §5.1) keeps the records with those
    names; None keeps every record. ``description`` is the header's account of the
    profile (where its names come from), ``empty_reason`` what the header says when
    the profile cannot hold anything in this registry yet.
    """

    name: str
    description: str
    names: frozenset[str] | None = None
    empty_reason: str | None = None
    #: How the header counts the named records the profile leaves out.
    left_out_as: str = "named records whose names it does not list"

    @classmethod
    def of_names(cls, name: str, description: str, names: Iterable[str]) -> Profile:
        return cls(name, description, frozenset(n.lower() for n in names))


#: Every record services(5) can hold: the default.
FULL = Profile("full", "every named record services(5) can hold")


def holdable(record: Record) -> bool:
    """True when services(5) can hold ``record``: a name, a single port, a transport."""
    return _unfit(record) is None


def _unfit(record: Record) -> str | None:
    """Why a named record cannot be a services(5) entry, or None when it can."""
    if record.port is None:
        return "no port"
    if record.port.is_range:
        return "range"
    if not record.transport:
        return "no transport"
    if _UNFIT_NAME.search(record.name or ""):
        return "name"
    return None


def write(registry: Registry, out: BinaryIO, *, profile: Profile = FULL) -> None:
    """Write the records services(5) can hold and ``profile`` keeps, one line per (port, transport)."""
    lines: dict[tuple[int, int, str], list[Record]] = {}  # (port, transport's rank, transport)
    left_out: Counter[str] = Counter()
    wanted = profile.names
    found: set[str] = set()
    for record in registry.records:
        if not record.name:
            continue  # Reserved and Unassigned rows name no service
        if wanted is not None:
            folded = record.name.lower()
            if folded not in wanted:
                left_out["profile"] += 1
                continue
            found.add(folded)
        reason = _unfit(record)
        if reason:
            left_out[reason] += 1
            continue
        assert record.port is not None and record.transport is not None
        key = (record.port.low, _RANK.get(record.transport, len(_RANK)), record.transport)
        lines.setdefault(key, []).append(record)
    missing = sorted(wanted - found) if wanted is not None else []
    text = "".join(_header(registry, profile, left_out, missing))
    text += "".join(_line(port, transport, lines[port, rank, transport]) for port, rank, transport in sorted(lines))
    out.write(text.encode("utf-8"))


_RANK = {transport: rank for rank, transport in enumerate(TRANSPORTS)}


def _header(registry: Registry, profile: Profile, left_out: Counter[str], missing: list[str]) -> Iterable[str]:
    yield "# Network services, Internet style\n#\n"
    yield f"{_SOURCE}{_one_line(registry.title)}\n"
    if registry.updated:
        yield f"{_UPDATED}{registry.updated}\n"
    yield f"{_PROFILE}{profile.name} ({_one_line(profile.description)})\n"
    if profile.empty_reason:
        yield f"#          {_one_line(profile.empty_reason)}\n"
    yield "#\n# Generated by portreg from the registry above: change the registry, not this file.\n"
    yield "# One line per port and transport; further names on it are aliases, and a name in\n"
    yield "# mixed case has its lower-case form as an alias (names ignore case, RFC 6335 5.1).\n"
    if left_out["profile"]:
        yield f"# Left out as the profile asks: {left_out['profile']:>6} {profile.left_out_as}\n"
    if any(left_out[reason] for reason in _LEFT_OUT):
        yield "# Left out on purpose, as services(5) cannot hold them, named records:\n"
        for reason, words in _LEFT_OUT.items():
            if left_out[reason]:
                yield f"#   {left_out[reason]:>6} {words}\n"
    if missing:
        yield f"# Names the profile lists that this registry does not hold ({len(missing)}):\n"
        yield from _wrapped(missing[:_MISSING_SHOWN] + (["…"] if len(missing) > _MISSING_SHOWN else []))
    yield "\n"


_PROFILE = "# Profile: "
#: Names of a profile missing from the registry that the header lists, at most.
_MISSING_SHOWN = 400


def _wrapped(words: list[str], width: int = 88) -> Iterable[str]:
    line = "#  "
    for word in words:
        if len(line) + 1 + len(word) > width and line != "#  ":
            yield line + "\n"
            line = "#  "
        line += " " + word
    if line != "#  ":
        yield line + "\n"


def _line(port: int, transport: str, records: list[Record]) -> str:
    """``name<TAB>port/transport<TAB>aliases<TAB># description``, on tab stops 16, 32 and 48."""
    name = records[0].name or ""
    if len(records) == 1 and name.islower():
        aliases = ""
    else:
        names = dict.fromkeys(n for r in records if r.name for n in (r.name, r.name.lower()))
        aliases = " ".join(n for n in names if n != name)
    description = next((_plain(r.description) for r in records if r.description), "")
    line = f"{name}{_tabs(len(name), 16)}{port}/{transport}"
    if description:
        description = _one_line(description)
    if not (aliases or description):
        return line + "\n"
    line += _tabs(len(line.expandtabs()), 32) + aliases
    if description:
        line += f"{_tabs(len(line.expandtabs()), 48)}# {description}"
    return line + "\n"


def _tabs(at: int, column: int) -> str:
    """The tabs that take text ending at ``at`` to ``column``, or one tab past ``at``."""
    return "\t" * max(1, column // 8 - at // 8)


def _plain(text: Text) -> str:
    parts = text.parts
    return parts[0] if len(parts) == 1 and type(parts[0]) is str else str(text)


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- reading


def read(data: bytes, *, source: str | None = None) -> Registry:
    """Read a services(5) file: every name and alias becomes a record on its line's port."""
    text = utf8_text(data, source)
    title, updated = DEFAULT_TITLE, None
    records: list[Record] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        entry, hash_, comment = raw.partition("#")
        if not entry.strip():
            if not records and raw.startswith(_SOURCE):
                title = raw[len(_SOURCE) :].strip() or title
            elif not records and raw.startswith(_UPDATED):
                updated = raw[len(_UPDATED) :].strip() or None
            continue
        records.extend(_entry(entry.split(), comment.strip() if hash_ else "", source, number))
    return Registry(title=title, records=tuple(records), updated=updated)


def _entry(fields: list[str], comment: str, source: str | None, line: int) -> list[Record]:
    if len(fields) < 2:
        raise FormatError(
            f"expected 'name port/transport [aliases]', got {' '.join(fields)!r}", source=source, line=line
        )
    name, where, *aliases = fields
    number, slash, transport = where.partition("/")
    plain = number.isascii() and number.isdigit() and len(number) <= 5
    if not slash or not transport or not plain or int(number) > MAX_PORT:
        raise FormatError(
            f"expected port/transport (such as 80/tcp), got {where!r}", source=source, line=line, field="port"
        )
    port = PortRange.single(int(number))
    description = Text.of(comment or None)
    names = [name]
    for alias in aliases:
        if not (alias.islower() and any(alias == n.lower() for n in names)):
            names.append(alias)  # a lower-case alias of a name before it is that name (RFC 6335 §5.1)
    return [Record(name=n, port=port, transport=transport, description=description) for n in names]

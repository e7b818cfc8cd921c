"""RFC 6335 (BCP 165), with RFC 5595 for DCCP service codes, as pure functions.

Each function names the section it implements. Nothing here does I/O or knows about
formats or the store: the rules take model values and plain strings, so that the
validator, the workflow and the web forms all ask the same questions and get the same
answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .errors import RuleViolation
from .model import DYNAMIC, SYSTEM, TRANSPORTS, USER, PortRange, Record

__all__ = [
    "ASSIGNED",
    "DYNAMIC_PORTS",
    "EXPERIMENTAL_PORTS",
    "EXPERT_REVIEW",
    "IESG_APPROVAL",
    "IETF_REVIEW",
    "MAX_PORT",
    "RANGE_CLASSES",
    "RESERVED",
    "SERVICE_CODE_INVALID",
    "SERVICE_CODE_MAX",
    "SERVICE_CODE_NONE",
    "SERVICE_NAME_MAX_LENGTH",
    "SERVICE_NAME_PATTERN",
    "SYSTEM_PORTS",
    "UNASSIGNED",
    "USER_PORTS",
    "assignment_procedures",
    "experts_by_group",
    "format_service_code",
    "is_legacy_name",
    "is_private_service_code",
    "is_reserved_service_code",
    "is_valid_service_name",
    "name_key",
    "parse_service_code",
    "port_state",
    "range_class",
    "range_classes",
    "record_state",
    "replacement_name",
    "service_code_allocation",
    "service_code_ascii",
    "service_code_needs_specification",
    "service_name_problems",
]

# --------------------------------------------------------------------------------------
# Service names (§5, §5.1, §10.1)

#: §5.1: a service name is 1 to 15 characters long.
SERVICE_NAME_MAX_LENGTH = 15

#: §5.1 as one expression: 1-15 of A-Z a-z 0-9 and '-', at least one letter, no hyphen
#: at either end, no two hyphens in a row. The RFC's own ABNF leaves out the length.
SERVICE_NAME_PATTERN = re.compile(r"(?=.{1,15}\Z)(?=.*[A-Za-z])[A-Za-z0-9](?:-?[A-Za-z0-9])*", re.ASCII)

_NAME_CHAR = re.compile(r"[A-Za-z0-9-]")
_LETTER = re.compile(r"[A-Za-z]")
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]+")


def is_valid_service_name(name: str) -> bool:
    """True when ``name`` meets the service name syntax of RFC 6335 §5.1."""
    return SERVICE_NAME_PATTERN.fullmatch(name) is not None


def service_name_problems(name: str) -> list[str]:
    """Each way ``name`` breaks RFC 6335 §5.1, as a sentence; empty when it is valid.

    Written from the RFC's prose rather than from the pattern, so that the two can be
    checked against each other, and so that a requester is told every fault at once.
    Positions count from 1.
    """
    if not name:
        return ["the name is empty; a service name has 1 to 15 characters"]
    problems = []
    if len(name) > SERVICE_NAME_MAX_LENGTH:
        problems.append(f"the name is {len(name)} characters long; at most {SERVICE_NAME_MAX_LENGTH} are allowed")
    for position, char in enumerate(name, start=1):
        if not _NAME_CHAR.fullmatch(char):
            problems.append(
                f"character {char!r} at position {position} is not allowed; "
                "use only letters A-Z and a-z, digits 0-9 and '-'"
            )
    if not _LETTER.search(name):
        problems.append("the name has no letter, so it could be mistaken for a port number")
    if name.startswith("-"):
        problems.append("the name starts with a hyphen")
    if name.endswith("-") and len(name) > 1:
        problems.append("the name ends with a hyphen")
    position = name.find("--")
    while position >= 0:
        problems.append(f"two hyphens in a row at position {position + 1}")
        position = name.find("--", position + 2)
    return problems


def name_key(name: str) -> str:
    """The identity of a service name: names that differ only in case are the same name.

    §5.1 lets a name be stored in mixed case, and §8.1.1 compares names without regard
    to case when checking that a new name is not already assigned.
    """
    return name.casefold()


def is_legacy_name(name: str) -> bool:
    """True for a name that breaks §5.1 but is of the kind the registry kept (§10, §10.1).

    Before RFC 6335 names such as ``sql*net``, ``acmaint_dbd`` or ``Apple Remote Desktop
    (Net Assistant)`` were registered; §10 keeps them rather than breaking deployed
    software. What they share is that they are printable US-ASCII, written without
    surrounding blanks. A name outside even that (empty, a control character, a letter
    outside ASCII) was never in the registry and is simply invalid. A legacy name may
    stay in a registry; a new request must still pass :func:`is_valid_service_name`.
    """
    return (
        not is_valid_service_name(name)
        and _PRINTABLE_ASCII.fullmatch(name) is not None
        and name == name.strip()
    )


def replacement_name(name: str) -> str | None:
    """The well-formed name §10.1 gives a legacy name, or None when the rule gives none.

    Each character §5.1 does not allow becomes a hyphen (``sql*net`` -> ``sql-net``,
    ``z39.50`` -> ``z39-50``), except ``whois++``, which §10.1 renames ``whoispp`` after
    its media type. A name the rule cannot mend (``Escale (Newton Dock)`` would become
    ``Escale--Newton-Dock-``) has no replacement. A valid name is its own replacement.
    """
    if is_valid_service_name(name):
        return name
    if name == "whois++":
        return "whoispp"
    candidate = re.sub(r"[^A-Za-z0-9-]", "-", name)
    return candidate if is_valid_service_name(candidate) else None


# --------------------------------------------------------------------------------------
# Port ranges (§6, §8.1.2)

MAX_PORT = 65535
SYSTEM_PORTS = PortRange(0, 1023)
USER_PORTS = PortRange(1024, 49151)
DYNAMIC_PORTS = PortRange(49152, MAX_PORT)
#: Range class -> its ports (§6): the one table every layer reads.
RANGE_CLASSES: dict[str, PortRange] = {SYSTEM: SYSTEM_PORTS, USER: USER_PORTS, DYNAMIC: DYNAMIC_PORTS}
#: §6.1, §10.2 (RFC 4727): ``exp1`` and ``exp2``, RFC 3692-style experiments, on every transport.
EXPERIMENTAL_PORTS = PortRange(1021, 1022)

_CLASSES = ((SYSTEM, SYSTEM_PORTS), (USER, USER_PORTS), (DYNAMIC, DYNAMIC_PORTS))

IETF_REVIEW = "IETF Review"
IESG_APPROVAL = "IESG Approval"
EXPERT_REVIEW = "Expert Review"

_PROCEDURES = {
    SYSTEM: (IETF_REVIEW, IESG_APPROVAL),
    USER: (IETF_REVIEW, IESG_APPROVAL, EXPERT_REVIEW),
    DYNAMIC: (),
}


def range_class(port: int) -> str:
    """``"system"`` (0-1023), ``"user"`` (1024-49151) or ``"dynamic"`` (49152-65535), §6.

    A port outside 0-65535 is a RuleViolation: the transports have 16-bit ports.
    """
    for name, ports in _CLASSES:
        if port in ports:
            return name
    raise RuleViolation(f"port {port} is outside 0-{MAX_PORT}", section="6")


def range_classes(ports: PortRange) -> tuple[str, ...]:
    """The classes a range touches, lowest first: ``6000-6063`` is ``("user",)``,
    ``1000-1100`` is ``("system", "user")``. §6; a range must lie in 0-65535."""
    range_class(ports.low)
    range_class(ports.high)
    return tuple(name for name, span in _CLASSES if ports.low <= span.high and span.low <= ports.high)


def assignment_procedures(port_class: str) -> tuple[str, ...]:
    """The procedures by which ports of ``port_class`` are assigned (§8.1.2).

    System ports: IETF Review or IESG Approval. User ports: those two, or Expert Review
    for most requests outside the IETF. Dynamic ports: none, they are never assigned.
    """
    try:
        return _PROCEDURES[port_class]
    except KeyError:
        raise ValueError(f"unknown port range class {port_class!r}; one of {', '.join(_PROCEDURES)}") from None


# --------------------------------------------------------------------------------------
# The state of a record and of a (port, transport) (§6)

ASSIGNED = "assigned"
RESERVED = "reserved"
UNASSIGNED = "unassigned"

_STATE_ORDER = {ASSIGNED: 0, RESERVED: 1, UNASSIGNED: 2}


def record_state(record: Record) -> str:
    """``"assigned"``, ``"reserved"`` or ``"unassigned"``: what a row says, §6.

    Defined on the registry as published (2024-03-18):

    - A row with a service name is **assigned**, whatever its description says (no
      named row says Reserved or Unassigned). Name-only rows are assigned names.
    - A row without a name (no ``name`` element, or an empty one, as on the de-assigned
      ports 359, 914, 915, 1301, 1302, 8077) is **unassigned** when its description
      starts with "Unassigned" in any case, also in brackets: ``Unassigned``,
      ``unassigned``, ``Unassigned [was netstat]``, ``(unassigned) Possibly assigned``.
    - Every other nameless row is **reserved**: IANA holds the number. That covers
      ``Reserved``, ``IANA Reserved``, ``Reserved - IANA``, and the rows that record a
      past use (``De-registered``, ``Removed``, ``Deprecated``, ``De-Commissioned Port``,
      ``any private mail system``, ...): §8.2 de-assignment leaves a port Reserved.
    """
    if record.name and record.name.strip():
        return ASSIGNED
    description = str(record.description or "").strip().lstrip("([").casefold()
    return UNASSIGNED if description.startswith("unassigned") else RESERVED


def port_state(records: Iterable[Record], port: int, transport: str) -> str:
    """The state of ``port`` on ``transport``, from every row that covers it (§6).

    A row covers the port when its number or range contains it and its transport is
    ``transport`` or absent (rows without a transport, mostly Unassigned ranges, speak
    for every transport). The strongest claim wins: assigned over reserved over
    unassigned, because the published registry sometimes keeps an Unassigned range
    across a port assigned later (7748-7776 still covers ``inetfs`` on 7775/tcp). A port
    no row covers is unassigned; that includes the whole dynamic range, where the
    registry lists nothing and nothing is ever assigned (see :func:`range_class`).
    This is a scan: the query layer keeps an index for hot lookups.
    """
    if transport not in TRANSPORTS:
        raise ValueError(f"unknown transport {transport!r}; one of {', '.join(TRANSPORTS)}")
    states = [
        record_state(r)
        for r in records
        if r.port is not None and port in r.port and r.transport in (None, transport)
    ]
    return min(states, key=_STATE_ORDER.__getitem__, default=UNASSIGNED)


# --------------------------------------------------------------------------------------
# DCCP service codes (RFC 5595 §2.2-2.5, §5; RFC 6335 §8.1.1, §10.3)

SERVICE_CODE_MAX = 0xFFFFFFFF
#: RFC 5595 §2.4: 0 means "no meaningful service code"; permanently reserved.
SERVICE_CODE_NONE = 0
#: RFC 5595 §2.5: 4294967295 is invalid; a server must not accept it.
SERVICE_CODE_INVALID = SERVICE_CODE_MAX
#: RFC 5595 §2.3: codes whose high byte is 63 (``?``) are for private use.
_PRIVATE_HIGH_BYTE = 0x3F
#: RFC 5595 §5: codes made only of these bytes (space, ``-./0-9``, ``A-Z``) need a specification.
_SPECIFICATION_BYTES = frozenset({32, *range(45, 58), *range(65, 91)})

_DECIMAL = re.compile(r"[0-9]{1,10}", re.ASCII)
_HEX = re.compile(r"0[xX]([0-9A-Fa-f]{1,8})", re.ASCII)


def parse_service_code(text: str) -> int:
    """The 32-bit value of a DCCP service code written in any of its forms.

    RFC 5595 §2.2 (after RFC 4340 §8.1.2) writes a code three ways: decimal, the
    canonical form and the one the registry's ``sc`` element holds (``1145656131``);
    ASCII characters after ``SC:`` (``SC:DISC``; fewer than four characters stand for
    leading zero bytes, so ``SC:ltp`` is 7107696, the code of ``ltp-deepspace``); and
    hexadecimal, which we read only with a ``0x`` prefix (``0x44495343``), because
    eight bare digits would read as decimal too. Raises RuleViolation otherwise.
    """
    if text.startswith("SC:"):
        chars = text[3:]
        if not 1 <= len(chars) <= 4 or _PRINTABLE_ASCII.fullmatch(chars) is None:
            raise RuleViolation(
                f"service code {text!r}: after 'SC:' come 1 to 4 printable ASCII characters", section="8.1.1"
            )
        return int.from_bytes(chars.encode("ascii"), "big")
    if (hex_match := _HEX.fullmatch(text)) is not None:
        return int(hex_match.group(1), 16)
    if _DECIMAL.fullmatch(text) is not None and int(text) <= SERVICE_CODE_MAX:
        return int(text)
    raise RuleViolation(
        f"service code {text!r} is not a 32-bit number (decimal, 0x-hex or SC:chars)", section="8.1.1"
    )


def service_code_ascii(code: int) -> str | None:
    """The characters of the ``SC:`` form of ``code``, or None when it has none.

    Leading zero bytes are dropped (7107696 is ``ltp``); every other byte must be
    printable ASCII (32-126). RFC 4340 §8.1.2 has the exact character rules; the
    registry's own note says only that codes "may be represented in SC: format".
    """
    _check_code(code)
    raw = code.to_bytes(4, "big").lstrip(b"\x00")
    return raw.decode("ascii") if raw and all(32 <= b <= 126 for b in raw) else None


def format_service_code(code: int, form: str = "decimal") -> str:
    """``code`` written as ``"decimal"`` (``1145656131``), ``"ascii"`` (``SC:DISC``) or
    ``"hex"`` (``0x44495343``); RFC 5595 §2.2. Raises RuleViolation when a code has no
    ASCII form."""
    _check_code(code)
    if form == "decimal":
        return str(code)
    if form == "hex":
        return f"0x{code:08X}"
    if form == "ascii":
        chars = service_code_ascii(code)
        if chars is None:
            raise RuleViolation(f"service code {code} has no SC: form", section="8.1.1")
        return f"SC:{chars}"
    raise ValueError(f"unknown service code form {form!r}; one of decimal, ascii, hex")


def is_reserved_service_code(code: int) -> bool:
    """0 (no meaningful code, RFC 5595 §2.4) and 4294967295 (invalid, §2.5) are never assigned."""
    return code in (SERVICE_CODE_NONE, SERVICE_CODE_INVALID)


def is_private_service_code(code: int) -> bool:
    """Codes whose high byte is ``?`` (0x3F000000-0x3FFFFFFF) are for private use, never
    centrally assigned (RFC 5595 §2.3, §2.4)."""
    return code >> 24 == _PRIVATE_HIGH_BYTE


def service_code_needs_specification(code: int) -> bool:
    """True when every byte of ``code`` is a space, ``-``, ``.``, ``/``, a digit or a capital
    letter: such codes are assigned only with a specification (RFC 5595 §5); all others
    are First Come First Served."""
    _check_code(code)
    return all(b in _SPECIFICATION_BYTES for b in code.to_bytes(4, "big"))


def service_code_allocation(code: int) -> str:
    """How IANA allocates ``code`` (RFC 5595 §5): ``"reserved"``, ``"private use"``,
    ``"specification required"`` or ``"first come first served"``."""
    if is_reserved_service_code(code):
        return "reserved"
    if is_private_service_code(code):
        return "private use"
    if service_code_needs_specification(code):
        return "specification required"
    return "first come first served"


def _check_code(code: int) -> None:
    if not 0 <= code <= SERVICE_CODE_MAX:
        raise RuleViolation(f"service code {code} is not a 32-bit number", section="8.1.1")


# --------------------------------------------------------------------------------------
# Experts (§1, §8.1; the registry's ``expert`` element)

# A group label opens a line ("Service Codes:"), or is a word in capitals ("SCTP:") or
# the one label that is not ("Service Codes:"), which finds the labels also in a copy
# that lost its line breaks (the registry page as text).
_GROUP_LABEL = re.compile(
    r"(?m)(?:^[ \t]*([A-Za-z][A-Za-z/ ]*?)|\b([A-Z]{2,}(?:/[A-Z]{2,})*|Service Codes)):(?=\s|\Z)"
)
_NAME_SEPARATOR = re.compile(r"\s*[;,]\s*(?:and\s+)?|\s+and\s+")


def experts_by_group(expert_text: str | None) -> dict[str, tuple[str, ...]]:
    """The registry's ``expert`` text as {transport group: expert names}, in order.

    ``"TCP/UDP: Joe Touch; Eliot Lear, ... Brian Trammell, \\nJana Iyengar, and Michael
    Scharf\\nSCTP: Michael Tuexen\\nDCCP: ..."`` gives ``{"TCP/UDP": ("Joe Touch", "Eliot
    Lear", ..., "Michael Scharf"), "SCTP": ("Michael Tuexen",), ...}``. Lines wrap inside
    a group, and names are separated by ``;``, ``,`` and ``and``. RFC 6335 names no
    experts: they are IESG-appointed, and only this text says who they are.
    """
    text = expert_text or ""
    labels = list(_GROUP_LABEL.finditer(text))
    groups: dict[str, tuple[str, ...]] = {}
    for label, following in zip(labels, labels[1:] + [None]):
        members = " ".join(text[label.end() : following.start() if following else len(text)].split())
        names = tuple(n for n in _NAME_SEPARATOR.split(members) if n)
        groups[(label.group(1) or label.group(2)).strip()] = names
    return groups

"""The request template of RFC 6335 §8.1.1, field for field, and the kinds' own fields.

A request arrives as a mapping (from JSON, TOML or command-line options) and is
normalized here into plain JSON-ready data: names trimmed, transports lower-cased and
in the registry's order, the port a number or ``"user"``/``"system"`` or absent. Only
the shape is judged here (a wrong type names its field, :class:`InvalidQuery`); what the
RFC requires of the values is the checks' business (:mod:`.checks`), so that a
requester hears every problem at once.
"""

from __future__ import annotations

from typing import Any, Mapping

from ...errors import InvalidQuery
from ...model import TRANSPORTS
from .states import KINDS

#: The template's fields (§8.1.1) with what each holds, for the docs and the API.
FIELDS: dict[str, str] = {
    "service_name": "REQUIRED: 1-15 letters, digits and hyphens (§5.1)",
    "transports": "REQUIRED: one or more of tcp, udp, sctp, dccp, also for a name only",
    "assignee": "REQUIRED: {name, email} of the party responsible",
    "contact": "REQUIRED: {name, email} of the person to ask",
    "description": "REQUIRED: short; only well-known acronyms",
    "reference": "REQUIRED: the protocol's specification, stating unicast / multicast / broadcast / anycast use",
    "port": "OPTIONAL: a number, or \"user\" / \"system\" for any port of that range; absent: a name only",
    "service_code": "REQUIRED with dccp, forbidden otherwise: the DCCP service code (RFC 5595)",
    "unauthorized_uses": "OPTIONAL: known uses by others",
    "notes": "OPTIONAL: assignment notes",
    "justification": "why a dynamic port (and, for a system port, a user port) will not do (§8.1.2)",
}
#: Fields of the other kinds.
KIND_FIELDS: dict[str, str] = {
    "kind": f"one of {', '.join(KINDS)} (default assignment)",
    "target": (
        "the assigned service name the request is about "
        "(add-transport, modification, de-assignment, reuse, revocation)"
    ),
    "changes": "modification: {description, contact, notes, unauthorized_uses}; never the assignee (§8.6)",
    "transfer_from": "transfer: the number of the old party's de-assignment request (§8.5)",
    "registry": "the registry asked: iana (the default) or a local registry of this store, e.g. acme",
    "clearly_unused": "revocation: true when the port is plainly unused (§8.4)",
    "community_call": "revocation otherwise: {started, ended, summary} of the four-week call (§8.4)",
}

_TEXT = (
    "service_name",
    "description",
    "reference",
    "service_code",
    "unauthorized_uses",
    "notes",
    "justification",
    "target",
)
_PARTY = ("name", "email")
_CHANGES = ("description", "contact", "notes", "unauthorized_uses", "assignee")
MAX_TEXT = 4000


def normalize(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The request as canonical data; InvalidQuery naming the field when a value has the wrong type."""
    if not isinstance(raw, Mapping):
        raise InvalidQuery("a request is an object of fields", parameter="request")
    known = set(FIELDS) | set(KIND_FIELDS)
    for key in raw:
        if key not in known:
            raise InvalidQuery(
                f"unknown field {key!r}; the template has: {', '.join(sorted(known))}", parameter=str(key)
            )
    kind = raw.get("kind") or "assignment"
    if kind not in KINDS:
        raise InvalidQuery(f"kind must be one of {', '.join(KINDS)}", parameter="kind")
    registry_of(raw)
    data: dict[str, Any] = {"kind": kind}
    for name in _TEXT:
        data[name] = _text(raw.get(name), name)
    data["transports"] = _transports(raw.get("transports"))
    for party in ("assignee", "contact"):
        data[party] = _party(raw.get(party), party)
    data["port"] = _port(raw.get("port"))
    if data["service_code"] is None and isinstance(raw.get("service_code"), int):
        data["service_code"] = str(raw["service_code"])
    changes = raw.get("changes")
    if changes is not None:
        if not isinstance(changes, Mapping):
            raise InvalidQuery("changes is an object of the fields to change", parameter="changes")
        data["changes"] = {}
        for key, value in changes.items():
            if key not in _CHANGES:
                raise InvalidQuery(
                    f"a modification changes only {', '.join(_CHANGES[:-1])}", parameter=f"changes.{key}"
                )
            data["changes"][key] = (
                _party(value, f"changes.{key}") if key in ("contact", "assignee") else _text(value, f"changes.{key}")
            )
    else:
        data["changes"] = None
    transfer = raw.get("transfer_from")
    if transfer is not None and (isinstance(transfer, bool) or not isinstance(transfer, int) or transfer < 1):
        raise InvalidQuery("transfer_from is a request number", parameter="transfer_from")
    data["transfer_from"] = transfer
    unused = raw.get("clearly_unused", False)
    if not isinstance(unused, bool):
        raise InvalidQuery("clearly_unused is true or false", parameter="clearly_unused")
    data["clearly_unused"] = unused
    call = raw.get("community_call")
    if call is not None:
        if not isinstance(call, Mapping) or set(call) - {"started", "ended", "summary"}:
            raise InvalidQuery("community_call is {started, ended, summary}", parameter="community_call")
        call = {k: _text(call.get(k), f"community_call.{k}") for k in ("started", "ended", "summary")}
    data["community_call"] = call
    return data


def _text(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidQuery(f"{field} is text", parameter=field)
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise InvalidQuery(f"{field} is longer than {MAX_TEXT} characters", parameter=field)
    return text or None


def _transports(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = list(value.replace(",", " ").split())
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise InvalidQuery("transports is a list of tcp, udp, sctp, dccp", parameter="transports")
    found = [v.strip().lower() for v in value]
    for v in found:
        if v not in TRANSPORTS:
            raise InvalidQuery(f"unknown transport {v!r}; one of {', '.join(TRANSPORTS)}", parameter="transports")
    return [t for t in TRANSPORTS if t in found]


def _party(value: Any, field: str) -> dict[str, str | None] | None:
    if value is None:
        return None
    if isinstance(value, str):  # "Name <email>"
        name, _, rest = value.partition("<")
        value = {"name": name.strip() or None, "email": rest.rstrip(">").strip() or None}
    if not isinstance(value, Mapping) or set(value) - set(_PARTY):
        raise InvalidQuery(f"{field} is {{name, email}} or \"Name <email>\"", parameter=field)
    return {k: _text(value.get(k), f"{field}.{k}") for k in _PARTY}


def _port(value: Any) -> int | str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidQuery("port is a number, \"user\" or \"system\"", parameter="port")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("user", "system"):
            return text
        if text.isascii() and text.isdigit() and len(text) <= 5:
            return int(text)
    raise InvalidQuery("port is a number, \"user\" or \"system\"", parameter="port")


def registry_of(raw: Mapping[str, Any]) -> str:
    """The registry a request asks (``iana`` unless it names another); kept beside the
    template, not in it, so that an upstream request's data is what it always was."""
    from ...store._registries import UPSTREAM, check_name

    value = raw.get("registry") if isinstance(raw, Mapping) else None
    if value is None or value == "":
        return UPSTREAM
    if not isinstance(value, str):
        raise InvalidQuery("registry is the name of a registry", parameter="registry")
    return check_name(value.strip())

"""``portreg convert`` and ``portreg check``: work on registry files, no store needed.

Both read INPUT (a path, or ``-`` for standard input), detect its format from the
content (never from the file name) unless ``--from`` says it, and read it with
:mod:`portreg.formats`. Nothing heavy is imported here: the format modules load on
first use, so ``convert`` from CSV to JSON never loads lxml.
"""

from __future__ import annotations

import gc
import sys
from collections import Counter
from typing import TYPE_CHECKING

import click

from ..errors import FormatError, RegistryError
from ..formats import FORMATS
from ..model import Registry
from ._output import Listing, listing

if TYPE_CHECKING:
    from ..validate import Finding

_FORMAT_CHOICE = click.Choice(list(FORMATS))


def read_registry(name: str, format_: str | None = None) -> Registry:
    """Read the registry in file ``name`` (``-``: standard input), in ``format_`` or detected.

    A file that cannot be opened is a FormatError naming it, like one that cannot be
    parsed, so the command line says one line either way.
    """
    from .. import formats

    if name == "-":
        source = "<stdin>"
        data = sys.stdin.buffer.read()
    else:
        source = name
        try:
            with open(name, "rb") as file:
                data = file.read()
        except OSError as exc:
            raise FormatError(exc.strerror or str(exc), source=name) from None
    return formats.read(data, format=format_, source=source)


@click.command()
@click.argument("input_", metavar="INPUT")
@click.option("--to", "to_format", type=_FORMAT_CHOICE, required=True, help="The format to write.")
@click.option(
    "--from", "from_format", type=_FORMAT_CHOICE, help="The input's format (default: detected from its content)."
)
@click.option("-o", "--output", metavar="FILE", help="Write to FILE (default: standard output).")
def convert(input_: str, to_format: str, from_format: str | None, output: str | None) -> None:
    """Convert the registry in INPUT ("-": standard input) to another format.

    \b
    portreg convert service-names-port-numbers.xml --to csv -o ports.csv
    portreg convert ports.csv --to services > /etc/services

    The output is written whole or not at all: with -o, into a temporary file beside
    FILE that replaces FILE only once complete; without, only after the conversion
    succeeded.
    """
    from .. import formats

    # A registry is 100,000 objects and no cycles: collecting while a writer turns them
    # into text would only walk them again and again (the readers pause it themselves).
    collecting = gc.isenabled()
    gc.disable()
    try:
        registry = read_registry(input_, from_format)
        if output is None or output == "-":
            sys.stdout.buffer.write(formats.to_bytes(registry, to_format))
            return
        from .._files import atomic_writer

        try:
            with atomic_writer(output) as out:
                formats.write(registry, to_format, out)
        except OSError as exc:
            raise RegistryError(f"{output}: cannot write: {exc.strerror or exc}") from None
    finally:
        if collecting:
            gc.enable()


# Legacy findings as the summary line counts them: code -> (singular, plural).
_LEGACY_NOUNS = {
    "legacy-name": ("legacy name", "legacy names"),
    "no-transport": ("named row without a transport", "named rows without a transport"),
    "name-on-several-ports": ("name on several ports", "names on several ports"),
    "dccp-without-service-code": ("DCCP port without a service code", "DCCP ports without a service code"),
    "overlaps-unassigned": ("row inside an Unassigned range", "rows inside Unassigned ranges"),
    "duplicate-name": ("name repeated without a transport", "names repeated without a transport"),
}


@click.command(
    epilog="""\b
JSON (--json): {"source": "FILE", "records": 14444, "people": 5554, "ok": true,
  "counts": {"error": {code: n}, "warning": {code: n}, "legacy": {code: n}},
  "findings": [{"severity": "error" | "warning" | "legacy", "code": "...",
                "message": "...", "record": index | null, "subject": "..." | null,
                "section": "RFC 6335 section" | null}, ...]}
Exit status: 0 when only legacy findings remain, 1 otherwise."""
)
@click.argument("input_", metavar="INPUT")
@click.option(
    "--from", "from_format", type=_FORMAT_CHOICE, help="The input's format (default: detected from its content)."
)
@click.option(
    "-v",
    "--verbose",
    "--show-legacy",
    "show_legacy",
    is_flag=True,
    help="List the legacy findings too, not only their count.",
)
@listing
def check(input_: str, from_format: str | None, show_legacy: bool) -> Listing:
    """Check the registry in INPUT against RFC 6335 and against itself.

    Errors (a port outside 0-65535, a person nobody defines, a duplicate name...) and
    warnings are listed one per line. Legacy findings (names such as sql*net and rows
    that RFC 6335 §10 keeps as they were registered) are counted on one line, and
    listed with --show-legacy. Records are numbered from 0, in file order.
    """
    from ..validate import LEGACY, SEVERITIES
    from ..validate import check as check_registry

    registry = read_registry(input_, from_format)
    findings = check_registry(registry)
    counts = {severity: Counter(f.code for f in findings if f.severity == severity) for severity in SEVERITIES}
    ok = all(f.severity == LEGACY for f in findings)
    source = "<stdin>" if input_ == "-" else input_
    lines = [_finding_line(f) for f in findings if show_legacy or f.severity != LEGACY]
    lines.extend(_summary(source, registry, findings, show_legacy))
    data = {
        "source": source,
        "records": len(registry.records),
        "people": len(registry.people),
        "ok": ok,
        "counts": {severity: dict(sorted(c.items())) for severity, c in counts.items()},
        "findings": [f.as_dict() for f in findings],
    }
    return Listing(data, lines=lines, found=ok)


def _finding_line(finding: Finding) -> str:
    where = f"record {finding.record}: " if finding.record is not None else ""
    section = f" (RFC 6335 §{finding.section})" if finding.section else ""
    return f"{finding.severity} [{finding.code}] {where}{finding.message}{section}"


def _summary(source: str, registry: Registry, findings: list, listed: bool) -> list[str]:
    by_severity = Counter(f.severity for f in findings)
    lines = [
        f"{source}: {len(registry.records)} records, {len(registry.people)} people: "
        f"{_count(by_severity['error'], 'error', 'errors')}, {_count(by_severity['warning'], 'warning', 'warnings')}"
    ]
    legacy = [f for f in findings if f.severity == "legacy"]
    if legacy:
        parts = []
        by_code = Counter(f.code for f in legacy)
        for code in sorted(by_code, key=lambda c: (list(_LEGACY_NOUNS) + [c]).index(c)):
            n = by_code[code]
            singular, plural = _LEGACY_NOUNS.get(code, (code, code))
            if code == "legacy-name":
                names = len({f.subject for f in legacy if f.code == code})
                parts.append(f"{_count(names, singular, plural)} on {_count(n, 'row', 'rows')}")
            else:
                parts.append(_count(n, singular, plural))
        hint = "" if listed else "; --show-legacy lists them"
        lines.append(f"legacy (kept, RFC 6335 §10): {', '.join(parts)}{hint}")
    return lines


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"

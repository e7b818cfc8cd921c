#!/usr/bin/env python3
"""Make the snapshot of IANA's registry that portreg ships: ``src/portreg/data/service-names-port-numbers.xml.xz``.

The snapshot is IANA's public Service Name and Transport Protocol Port Number Registry,
as https://www.iana.org/assignments/service-names-port-numbers/service-names-port-numbers.xml
serves it to anyone. To refresh it:

    curl -fsSLO https://www.iana.org/assignments/service-names-port-numbers/service-names-port-numbers.xml
    PYTHONPATH=src python3 scripts/make_snapshot.py service-names-port-numbers.xml

then commit the new ``.xz``, naming the registry's date. The XML is checked to read as a
registry and kept byte for byte; the output is the same bytes for the same XML.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from portreg.errors import RegistryError  # noqa: E402
from portreg.services import snapshot  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("xml", type=Path, help="the registry XML, as IANA publishes it")
    parser.add_argument(
        "-o", "--output", type=Path, default=ROOT / "src/portreg/data" / snapshot.FILENAME, help="where to write (default: %(default)s)"
    )
    args = parser.parse_args()
    try:
        data = args.xml.read_bytes()
        packed = snapshot.make(data, source=str(args.xml))
    except (OSError, RegistryError) as exc:
        print(f"make_snapshot: {exc}", file=sys.stderr)
        return 1
    args.output.write_bytes(packed)
    from portreg.formats import xml

    registry = xml.read(data)
    print(
        f"{args.output}: IANA's registry of {registry.updated}, {len(registry.records):,} records, "
        f"{len(registry.people):,} people; {len(data):,} bytes of XML as {len(packed):,} bytes of xz"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

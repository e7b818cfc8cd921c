#!/usr/bin/env python3
"""Make the name list of the ``small`` services(5) profile: ``src/portreg/data/netbase-services.txt``.

The ``small`` profile keeps the services a typical system resolves: those Debian's
netbase package lists in its ``/etc/services``. The list is the names only (each
line's service name and its aliases, in file order), with the package and version it
came from in its header. To refresh it on a Debian system:

    PYTHONPATH=src python3 scripts/make_netbase_names.py /etc/services "$(dpkg-query -W -f='${Version}' netbase)"

or from netbase's source (https://salsa.debian.org/md/netbase, file ``etc/services``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from portreg.errors import RegistryError  # noqa: E402
from portreg.formats import services  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("services", type=Path, help="Debian netbase's /etc/services")
    parser.add_argument("version", help="netbase's version (dpkg-query -W netbase)")
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "src/portreg/data/netbase-services.txt")
    args = parser.parse_args()
    try:
        registry = services.read(args.services.read_bytes(), source=str(args.services))
    except (OSError, RegistryError) as exc:
        print(f"make_netbase_names: {exc}", file=sys.stderr)
        return 1
    names = list(dict.fromkeys(r.name for r in registry.records if r.name))
    header = (
        "# The services Debian's netbase lists in /etc/services: each line's name and aliases, in file order.\n"
        f"# Package: netbase {args.version}\n"
        "# Source: https://salsa.debian.org/md/netbase/-/blob/master/etc/services\n"
        "# portreg's `small` services(5) profile keeps the registry's records with these names.\n"
        "# Made by scripts/make_netbase_names.py; refresh it with that script.\n"
    )
    args.output.write_text(header + "".join(f"{n}\n" for n in names), encoding="utf-8")
    print(f"{args.output}: {len(names)} names from netbase {args.version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

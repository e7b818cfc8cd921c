"""What exporting the stack costs against exporting IANA's registry alone.

One SQLite store in a temporary directory: IANA's 2024-03-18 registry as version 1 and
local registry ``acme`` (the tests' services(5) list) as version 2. For each format,
the median wall time of :func:`portreg.services.registries.export` plus the writer:

* ``iana``: IANA's registry alone (the default export, from the store's cache);
* ``stack``: acme's records then IANA's, composed into one registry, then written;
* ``local`` (services only): profile ``local``, acme alone.

Composing is measured apart (``plan`` + ``export`` without writing), so that the stack's
own cost is visible beside the writer's. The first export of each registry rebuilds it
from the store; the figures are of warm runs, as a server serves after its first download.
Last, warm downloads of ``.csv`` plain, ``?registry=acme`` and ``?registry=stack``
through the web app in process (each document rendered once, then served from the cache).

    python benchmarks/registry_exports.py [--runs 5]

The machine may be shared: the load average at the start is printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
XML = Path(os.environ.get("PORTREG_SHARED", ROOT.parent / "shared")) / "iana" / "service-names-port-numbers.xml"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))


def median_ms(run: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from tests.support.overlay import acme_registry

    from portreg import formats
    from portreg.services.registries import export
    from portreg.services.registry import RegistryService
    from portreg.store import PortRange, Store

    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores, shared: figures are noisy)")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'store.sqlite3'}"
        with Store.open(url) as store:
            store.import_registry(formats.read(XML.read_bytes(), source=str(XML)), source=str(XML))
            store.registries.create("acme", owns=(PortRange(20000, 20999),))
            store.scoped("acme").import_registry(acme_registry(), source="acme.services")
        with RegistryService.open(url) as service:
            for which in ("iana", "stack"):
                export(service, registry=which)  # warm: each layer rebuilt once
            compose = median_ms(lambda: export(service, registry="stack"), args.runs)
            print(f"compose the stack (acme 7 + iana 14,444 records): {compose:8.1f} ms")
            print(f"{'format':<10}{'iana ms':>10}{'stack ms':>10}{'stack/iana':>12}")
            for fmt in formats.FORMATS:
                figures = []
                for which in ("iana", "stack"):

                    def write(which: str = which, fmt: str = fmt) -> bytes:
                        document = export(service, registry=which)
                        return formats.to_bytes(document.registry, fmt, **document.options)

                    figures.append(median_ms(write, args.runs))
                print(f"{fmt:<10}{figures[0]:>10.1f}{figures[1]:>10.1f}{figures[1] / figures[0]:>12.2f}")

            def local() -> bytes:
                document = export(service, profile="local")
                return formats.to_bytes(document.registry, "services", **document.options)

            print(f"services, profile local (acme alone): {median_ms(local, args.runs):8.1f} ms")
        downloads(url, args.runs * 4)


def downloads(url: str, runs: int) -> None:
    """Warm downloads through the web app (in process): the document is cached per
    version, so what is left is planning it (a few small reads) and sending it."""
    import warnings

    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

    from portreg.web import create_app

    path = "/assignments/service-names-port-numbers/service-names-port-numbers.csv"
    with TestClient(create_app(url)) as client:
        print(f"{'warm download':<32}{'ms':>8}")
        for query in ("", "?registry=acme", "?registry=stack"):
            client.get(path + query)  # rendered once, then kept
            figure = median_ms(lambda q=query: client.get(path + q, headers={"Accept-Encoding": "identity"}), runs)
            print(f"{'.csv' + query:<32}{figure:>8.1f}")


if __name__ == "__main__":
    main()

"""Checking a log from outside: what ``portreg verify URL|--db URL`` does.

A verifier trusts nothing the server says without proof, and remembers what it saw:

1. the log's public key is pinned on first use (kept in the cache); a new key is a failure;
2. the signed tree head's signature must be that key's;
3. every leaf the log serves must hash to what it claims, and all of them to the signed root;
4. the log must only have grown since the head seen last: a consistency proof from that
   head to the new one (a rewritten, dropped or reordered leaf breaks it);
5. every version the verifier holds (its leaf hash, from an earlier run) must still be
   included at the same place: an inclusion proof checked against the new root with
   the leaf hash the verifier kept, not the server's;
6. every version leaf must describe a version the server still publishes, with the same
   number, registry, date, source and actor (a dropped or relabelled version fails),
   and every version the server publishes, of every registry it holds (IANA's and each
   local one), must be in the log (one not yet logged is a warning);
7. the content: a version's canonical XML must hash to its leaf's ``xml_sha256``
   (``content="new"``: versions not checked before and the current one; ``"all"``:
   every version, the only way to catch a rewritten body of a version already seen;
   ``"none"``).

The cache (``~/.cache/portreg/verify/`` by default) keeps, per log, the key, the last
head and each version's leaf hash; it is updated only after a run that found no problem,
so a failure keeps failing until someone looks.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ...errors import RegistryError
from ...store._registries import UPSTREAM
from . import merkle
from .signing import SignedTreeHead, public_key_from_pem

if TYPE_CHECKING:
    from ...store import Store

__all__ = ["HttpSource", "Report", "StoreSource", "VerifyError", "default_cache_dir", "verify"]

CONTENT = ("new", "all", "none")
#: Where a portreg server publishes a version's XML (``?version=N``), as IANA's path.
XML_PATH = "/assignments/service-names-port-numbers/service-names-port-numbers.xml"
PAGE = 1000


class VerifyError(RegistryError):
    """The log could not be asked (unreachable, not a portreg log); not a failed check."""


def default_cache_dir() -> Path:
    """``$PORTREG_VERIFY_CACHE``, else ``verify/`` in the user's cache directory."""
    configured = os.environ.get("PORTREG_VERIFY_CACHE")
    if configured:
        return Path(configured)
    from platformdirs import user_cache_path

    return user_cache_path("portreg") / "verify"


@dataclass(frozen=True)
class Published:
    """A version as the server lists it, with the registry that publishes it."""

    number: int
    published: str | None
    source: str
    actor: str | None
    registry: str = UPSTREAM

    @property
    def label(self) -> str:
        """``version 7``, or ``version 9 of acme`` for a local registry's."""
        return _label(self.number, self.registry)


class Source(Protocol):
    """What a verifier asks a log: a server over HTTP, or a store and key file directly."""

    name: str

    def public_key_pem(self) -> str: ...
    def signed_head(self) -> SignedTreeHead: ...
    def entries(self, start: int, end: int) -> list[tuple[int, bytes, bytes]]: ...
    def consistency(self, first: int, second: int) -> list[bytes]: ...
    def inclusion(self, version: int, tree_size: int) -> tuple[int, list[bytes]] | None: ...
    def versions(self, registries: Collection[str] = ()) -> list[Published]:
        """Every version of every registry the source holds, and of ``registries`` (those
        the log's leaves name, in case the source does not list its registries)."""
        ...

    def xml_sha256(self, version: int, registry: str = UPSTREAM) -> str | None: ...


@dataclass
class Report:
    """What a run found: ``problems`` make it fail; ``warnings`` do not."""

    source: str
    head: SignedTreeHead | None = None
    previous: SignedTreeHead | None = None
    included: int = 0
    content_checked: int = 0
    #: How many logged versions of each registry (``iana``, and each local one) the log holds.
    registries: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "ok": self.ok,
            "head": self.head.to_json() if self.head else None,
            "previous_size": self.previous.size if self.previous else None,
            "versions_included": self.included,
            "content_checked": self.content_checked,
            "registries": self.registries,
            "problems": self.problems,
            "warnings": self.warnings,
        }


def verify(
    source: Source,
    *,
    cache_dir: Path | None = None,
    content: str = "new",
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Run every check on ``source`` (see the module docstring); never raises for a failed check."""
    if content not in CONTENT:
        raise ValueError(content)
    cache_path = (cache_dir or default_cache_dir()) / (hashlib.sha256(source.name.encode()).hexdigest()[:24] + ".json")
    cache = _load(cache_path)
    report = Report(source.name)
    say = progress or (lambda message: None)

    pem = source.public_key_pem()
    if cache.get("key") and cache["key"].strip() != pem.strip():
        report.problems.append("the log's public key changed since the last run: a different log, or a forged one")
        return report
    public = public_key_from_pem(pem)

    head = report.head = source.signed_head()
    if not head.verify(public):
        report.problems.append(
            f"the signed tree head (size {head.size}) does not carry a valid signature of the log's key"
        )
        return report
    say(f"signed head: {head.size} leaves, root {head.root.hex()[:16]}…, signature good")

    hashes, leaves = _audit(source, head, report)
    if hashes is None:
        return report

    previous = report.previous = _previous(cache)
    if previous is not None:
        if previous.size > head.size:
            report.problems.append(f"the log shrank from {previous.size} to {head.size} leaves since the last run")
        else:
            proof = source.consistency(previous.size, head.size)
            if not merkle.verify_consistency(previous.size, head.size, previous.root, head.root, proof):
                report.problems.append(
                    f"the log was rewritten: its head of {head.size} leaves "
                    f"does not extend the head of {previous.size} seen before"
                )
            else:
                say(f"consistent with the head of {previous.size} leaves seen before")

    seen: dict[str, list[Any]] = cache.get("versions", {})
    for number_text, (index, leaf_hex) in sorted(seen.items(), key=lambda item: int(item[0])):
        number = int(number_text)
        found = source.inclusion(number, head.size)
        if found is None:
            report.problems.append(f"version {number} was in the log (leaf {index}) and no longer is: dropped")
            continue
        at, path = found
        if at != index or not merkle.verify_inclusion(bytes.fromhex(leaf_hex), index, head.size, path, head.root):
            report.problems.append(f"version {number}'s leaf is not the one seen before (leaf {index}): rewritten")
            continue
        report.included += 1

    values = {index: value for index, leaf in leaves.items() if (value := _leaf_json(leaf)) is not None}
    named_registries = {str(value["registry"]) for value in values.values() if isinstance(value.get("registry"), str)}
    published = {v.number: v for v in source.versions(sorted(named_registries))}
    logged: dict[int, tuple[int, dict[str, Any]]] = {}
    for index, value in values.items():
        if value.get("kind") != "version":
            continue
        named = value.get("number")
        if not isinstance(named, int):
            report.problems.append(f"leaf {index} names no version number")
            continue
        logged[named] = (index, value)
        registry = value.get("registry", UPSTREAM)
        report.registries[str(registry)] = report.registries.get(str(registry), 0) + 1
        version = published.get(named)
        if version is None:
            report.problems.append(
                f"{_label(named, registry)} is in the log (leaf {index}) "
                "but the registry no longer publishes it: dropped"
            )
        elif version.registry != registry:
            report.problems.append(
                f"version {named} is published by registry {version.registry}, "
                f"its leaf says {registry}: moved between registries"
            )
        elif (version.published, version.source, version.actor) != (
            value.get("published"),
            value.get("source"),
            value.get("actor"),
        ):
            report.problems.append(
                f"{version.label} is published with a date, source or actor other than its leaf's: rewritten"
            )
    unlogged = sorted(set(published) - set(logged))
    if unlogged:
        report.warnings.append(f"{len(unlogged)} published version(s) not in the log yet: {_numbers(unlogged)}")

    if content != "none":
        # The current version of each registry is checked at every run.
        current = {v.registry: v.number for v in sorted(published.values(), key=lambda v: v.number)}
        currents = set(current.values())
        for number, (_index, value) in sorted(logged.items()):
            held = published.get(number)
            if held is None or held.registry != value.get("registry", UPSTREAM):
                continue
            if content == "new" and str(number) in seen and number not in currents:
                continue
            digest = source.xml_sha256(number, held.registry)
            report.content_checked += 1
            if digest is None:
                report.problems.append(f"{held.label}'s XML cannot be had from the registry")
            elif digest != value.get("xml_sha256"):
                report.problems.append(
                    f"{held.label}'s XML does not hash to its leaf's xml_sha256: its content was rewritten"
                )
        say(f"content of {report.content_checked} version(s) matches the log" if report.ok else "content checked")

    if report.ok:
        cache = {
            "source": source.name,
            "key": pem,
            "head": head.to_json(),
            "versions": {str(n): [i, hashes[i].hex()] for n, (i, _) in sorted(logged.items())},
        }
        _save(cache_path, cache)
    return report


def _audit(source: Source, head: SignedTreeHead, report: Report) -> tuple[list[bytes] | None, dict[int, bytes]]:
    """Every leaf, rehashed, must make the signed root."""
    hashes: list[bytes] = []
    leaves: dict[int, bytes] = {}
    while len(hashes) < head.size:
        page = source.entries(len(hashes), min(head.size, len(hashes) + PAGE))
        if not page:
            break
        for index, leaf, claimed in page:
            if index != len(hashes):
                report.problems.append(f"the log served leaf {index} where leaf {len(hashes)} was due")
                return None, leaves
            if merkle.leaf_hash(leaf) != claimed:
                report.problems.append(f"leaf {index}'s bytes do not hash to the hash served with them")
            hashes.append(merkle.leaf_hash(leaf))
            leaves[index] = leaf
    if len(hashes) != head.size or merkle.root(hashes) != head.root:
        report.problems.append(f"the {len(hashes)} leaves the log serves do not make the root of its signed head")
        return None, leaves
    return hashes, leaves


def _leaf_json(leaf: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(leaf)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _label(number: int, registry: Any) -> str:
    return f"version {number}" if registry == UPSTREAM else f"version {number} of {registry}"


def _numbers(numbers: list[int]) -> str:
    shown = ", ".join(map(str, numbers[:10]))
    return shown + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")


def _previous(cache: dict[str, Any]) -> SignedTreeHead | None:
    return SignedTreeHead.from_json(cache["head"]) if cache.get("head") else None


def _load(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise VerifyError(
            f"{path}: the verifier's cache cannot be read ({exc}); move it away to start afresh"
        ) from None
    return value if isinstance(value, dict) else {}


def _save(path: Path, cache: dict[str, Any]) -> None:
    from ..._files import atomic_writer

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(path) as out:
        out.write(json.dumps(cache, indent=1, sort_keys=True).encode("utf-8"))


# --------------------------------------------------------------------------- sources


class HttpSource:
    """A portreg server, through its log API, its version list and its XML downloads."""

    def __init__(self, base_url: str, *, timeout: float = 60.0) -> None:
        import httpx

        self.name = base_url.rstrip("/")
        self._client = httpx.Client(base_url=self.name, timeout=timeout, follow_redirects=True)

    def close(self) -> None:
        self._client.close()

    def _get(self, path: str, params: dict[str, Any] | None = None, *, missing_ok: bool = False) -> Any:
        import httpx

        try:
            response = self._client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise VerifyError(f"{self.name}{path}: {exc}") from None
        if missing_ok and response.status_code == 404:
            return None
        if response.status_code != 200:
            raise VerifyError(f"{self.name}{path}: HTTP {response.status_code}: {response.text[:200]}")
        return response

    def public_key_pem(self) -> str:
        return str(self._get("/.well-known/portreg-log-key").text)

    def signed_head(self) -> SignedTreeHead:
        return SignedTreeHead.from_json(self._json("/api/v1/log/head"))

    def _json(self, path: str, params: dict[str, Any] | None = None, *, missing_ok: bool = False) -> Any:
        response = self._get(path, params, missing_ok=missing_ok)
        if response is None:
            return None
        try:
            return response.json()
        except ValueError:
            raise VerifyError(f"{self.name}{path}: the answer is not JSON") from None

    def entries(self, start: int, end: int) -> list[tuple[int, bytes, bytes]]:
        body = self._json("/api/v1/log/entries", {"start": start, "end": end})
        return [(e["leaf_index"], e["leaf"].encode("utf-8"), bytes.fromhex(e["leaf_hash"])) for e in body["entries"]]

    def consistency(self, first: int, second: int) -> list[bytes]:
        body = self._json("/api/v1/log/consistency", {"first": first, "second": second})
        return [bytes.fromhex(h) for h in body["proof"]]

    def inclusion(self, version: int, tree_size: int) -> tuple[int, list[bytes]] | None:
        body = self._json("/api/v1/log/inclusion", {"version": version, "tree_size": tree_size}, missing_ok=True)
        if body is None:
            return None
        return body["leaf_index"], [bytes.fromhex(h) for h in body["audit_path"]]

    def registries(self) -> list[str]:
        """The registries the server lists (``/api/v1/registries``); IANA's alone when it lists none."""
        body = self._json("/api/v1/registries", missing_ok=True)
        listed = body.get("registries", []) if isinstance(body, dict) else body if isinstance(body, list) else []
        names = [str(r["name"]) if isinstance(r, dict) else str(r) for r in listed]
        return names or [UPSTREAM]

    def versions(self, registries: Collection[str] = ()) -> list[Published]:
        """``/api/v1/versions`` lists every registry's versions, each naming its ``registry``
        when the server holds local ones; a registry it lists (``/api/v1/registries``) or a
        leaf names, whose versions that list lacks, is asked alone (``?registry=NAME``)."""
        found: dict[int, Published] = {}
        for item in self._versions(None):
            found[item.number] = item
        held = {item.registry for item in found.values()}
        for name in dict.fromkeys([*self.registries(), *registries]):
            if name in held:
                continue
            for item in self._versions(name):
                found.setdefault(item.number, item)
        return sorted(found.values(), key=lambda item: item.number)

    def _versions(self, registry: str | None) -> list[Published]:
        params = None if registry is None else {"registry": registry}
        body = self._json("/api/v1/versions", params, missing_ok=True)
        if body is None:  # an empty registry, or one the server does not hold
            return []
        return [
            Published(v["version"], v["updated"], v["source"], v["actor"], v.get("registry", registry or UPSTREAM))
            for v in body["versions"]
        ]

    def xml_sha256(self, version: int, registry: str = UPSTREAM) -> str | None:
        params: dict[str, Any] = {"version": version}
        if registry != UPSTREAM:
            params = {"registry": registry, **params}
        response = self._get(XML_PATH, params, missing_ok=True)
        return None if response is None else hashlib.sha256(response.content).hexdigest()


class StoreSource:
    """A store read directly (``portreg verify --db``), with the public half of its key file."""

    def __init__(self, store: Store, key_path: str | Path | None = None) -> None:
        from . import TransparencyLog
        from .signing import load_key

        self.name = store.url
        self.store = store
        self.log = TransparencyLog(store, load_key(key_path, create=False))

    def public_key_pem(self) -> str:
        assert self.log.key is not None
        return self.log.key.public_pem

    def signed_head(self) -> SignedTreeHead:
        return self.log.signed_head()

    def entries(self, start: int, end: int) -> list[tuple[int, bytes, bytes]]:
        return [(e.index, e.leaf, e.leaf_hash) for e in self.log.entries(start, end)]

    def consistency(self, first: int, second: int) -> list[bytes]:
        return self.log.consistency(first, second)

    def inclusion(self, version: int, tree_size: int) -> tuple[int, list[bytes]] | None:
        from ...errors import NotFound

        try:
            proof = self.log.inclusion(version, tree_size)
        except NotFound:
            return None
        return proof.entry.index, proof.path

    def versions(self, registries: Collection[str] = ()) -> list[Published]:
        """Every registry's versions: those the store holds (a registry a leaf names and
        the store does not hold has none)."""
        found = []
        for info in self.store.registries.all():
            scoped = self.store.scoped(info.name)
            found += [Published(v.number, v.published, v.source, v.actor, info.name) for v in scoped.versions()]
        return found

    def xml_sha256(self, version: int, registry: str = UPSTREAM) -> str | None:
        from . import xml_sha256

        return xml_sha256(self.store.scoped(registry).registry(version))

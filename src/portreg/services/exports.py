"""What an export holds beyond its format: the profiles of ``/etc/services``.

People ship ``/etc/services`` in several sizes, and :func:`services_profile` turns the
name of one into a :class:`~portreg.formats.services.Profile`:

- ``full``: every named record services(5) can hold (today's file, 11,000+ lines);
- ``small``: the services a typical system resolves, those Debian's netbase package
  lists (``portreg/data/netbase-services.txt``, with its package version; made by
  ``scripts/make_netbase_names.py``);
- ``local``: the records of the organization's own registries (``portreg registry
  create``), without IANA's (:func:`portreg.services.registries.export` gives it
  them, see :func:`local_profile`). A store that holds no local registry gets a file
  that lists no service, and a header that says so rather than pass IANA's records
  off as local ones;
- ``names:FILE``: the names a user lists in FILE (one or more a line, ``#`` comments).

Names compare ignoring case, as RFC 6335 §5.1 says.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..errors import FormatError, InvalidQuery
from ..formats.services import FULL, Profile

__all__ = ["NETBASE_FILE", "PROFILES", "local_profile", "netbase_names", "services_profile"]

#: The profiles named by a word; ``names:FILE`` is the one more.
PROFILES = ("full", "small", "local")
#: The name list of the ``small`` profile, inside ``portreg/data/``.
NETBASE_FILE = "netbase-services.txt"

_LOCAL = Profile(
    "local",
    "the records of local registries stacked on IANA's; IANA's own are left out",
    frozenset(),
    empty_reason="This store holds no local registry (`portreg registry create NAME` makes one), "
    "so this file lists no service.",
    left_out_as="named records of the upstream registry (IANA's)",
)


def services_profile(spec: str) -> Profile:
    """The profile ``spec`` names: ``full``, ``small``, ``local`` or ``names:FILE``.

    An unknown word is an :class:`InvalidQuery` on ``profile``; a names file that
    cannot be read or lists nothing is a :class:`FormatError` naming it.
    """
    if spec == "full":
        return FULL
    if spec == "small":
        package, source, names = netbase_names()
        return Profile.of_names(
            "small", f"the {len(names)} service names Debian's {package} lists in /etc/services, from {source}", names
        )
    if spec == "local":
        return _LOCAL
    kind, colon, path = spec.partition(":")
    if kind == "names" and colon and path:
        names = _names_file(Path(path))
        return Profile.of_names("names", f"the {len(names)} names listed in {path}", names)
    raise InvalidQuery(f"unknown profile {spec!r}; choose full, small, local or names:FILE", parameter="profile")


def local_profile(registries: list[str]) -> Profile:
    """Profile ``local`` over a document holding only the local ``registries`` (named in
    the header): every one of their records is kept."""
    which = f"registry {registries[0]}" if len(registries) == 1 else f"registries {', '.join(registries)}"
    return Profile("local", f"the records of the local {which}; IANA's own are left out")


def netbase_names() -> tuple[str, str, list[str]]:
    """Debian's netbase list: (``netbase 6.4``, where it comes from, the names in file order)."""
    text = resources.files("portreg").joinpath("data", NETBASE_FILE).read_text("utf-8")
    package = source = ""
    names: list[str] = []
    for line in text.splitlines():
        if line.startswith("# Package: "):
            package = line.removeprefix("# Package: ").strip()
        elif line.startswith("# Source: "):
            source = line.removeprefix("# Source: ").strip()
        elif line.strip() and not line.startswith("#"):
            names.append(line.strip())
    return package, source, names


def _names_file(path: Path) -> list[str]:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise FormatError(f"cannot read the profile's names: {reason}", source=str(path)) from None
    names = list(dict.fromkeys(word for line in text.splitlines() for word in line.partition("#")[0].split()))
    if not names:
        raise FormatError("lists no service names (one or more a line, # starts a comment)", source=str(path))
    return names

"""Strict parsing of the numbers people type into URLs, forms and command lines.

Every interface (pages, JSON API, downloads, CLI) reads ports, port ranges, page numbers,
page sizes, version numbers, record ids and dates through these functions, so that one
value means the same everywhere and a value that means nothing is refused the same way:
with :class:`~portreg.errors.InvalidQuery` naming the parameter and saying what is allowed.

Why not ``str.isdigit()`` and ``int()``: ``"²".isdigit()`` is true and ``int("²")`` raises;
``int("٣")`` is 3, so an Arabic-Indic digit would silently become a port; ``int()`` takes
``"+80"``, ``" 80 "`` and ``"8_0"``; and more than 4,300 digits make it raise (CPython's
guard against quadratic conversion). Here a number is 1 to a few ASCII digits, nothing
else, and its length is checked before it is converted.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final, NamedTuple

from ..errors import InvalidQuery
from ..model import PortRange
from ..rules import MAX_PORT

__all__ = [
    "MAX_ID",
    "MAX_PAGE",
    "DateBound",
    "parse_date",
    "parse_id",
    "parse_int",
    "parse_page",
    "parse_page_size",
    "parse_port",
    "parse_range",
    "parse_version",
    "parse_year",
    "shown",
]

#: Record ids and version numbers fit a 32-bit database integer (PostgreSQL ``integer``).
MAX_ID: Final = 2**31 - 1
#: No listing has a millionth page; a bound keeps offsets small.
MAX_PAGE: Final = 1_000_000

_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?", re.ASCII)
#: How much of a refused value an error message quotes.
_SHOWN = 40


def shown(value: str, limit: int = _SHOWN) -> str:
    """``value`` quoted for an error message, cut when long (a query may be megabytes)."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


def parse_int(text: str, *, parameter: str, low: int, high: int, what: str | None = None) -> int:
    """``text`` as a whole number from ``low`` to ``high``, written in ASCII digits only.

    No sign, no blanks, no underscores, no decimal point, no other script's digits.
    Leading zeros are allowed within the length of ``high`` (``080`` is 80). ``what``
    names the kind of number in the message ("a port number").
    """
    kind = what or "an integer"
    allowed = f"{parameter} must be {kind} from {low} to {high}"
    digits = "only ASCII digits 0-9, no sign, blanks or decimal point"
    if not isinstance(text, str):
        raise InvalidQuery(f"{allowed}, got {text!r}: {digits}", parameter=parameter)
    if not text:
        raise InvalidQuery(f"{allowed}, got nothing: {digits}", parameter=parameter)
    if len(text) > len(str(high)) + 2 or _DIGITS.fullmatch(text) is None:
        raise InvalidQuery(f"{allowed}, got {shown(text)}: {digits}", parameter=parameter)
    number = int(text)
    if not low <= number <= high:
        raise InvalidQuery(f"{allowed}, got {number}", parameter=parameter)
    return number


def parse_port(text: str, parameter: str = "port") -> int:
    """A port number, 0-65535 (RFC 6335 §6)."""
    return parse_int(text, parameter=parameter, low=0, high=MAX_PORT)


def parse_range(text: str, parameter: str = "ports") -> PortRange:
    """A port (``80``) or an inclusive range (``6000-6063``) with low <= high."""
    if not isinstance(text, str):
        raise InvalidQuery(f"{parameter} must be a port or a range LOW-HIGH, got {text!r}", parameter=parameter)
    low_text, sep, high_text = text.partition("-")
    if not sep:
        return PortRange.single(parse_port(text, parameter))
    allowed = f"{parameter} must be a port or a range LOW-HIGH of ports 0-{MAX_PORT} with LOW <= HIGH"
    if _DIGITS.fullmatch(low_text) is None or _DIGITS.fullmatch(high_text) is None or len(text) > 15:
        raise InvalidQuery(f"{allowed}, got {shown(text)}", parameter=parameter)
    low = parse_port(low_text, parameter)
    high = parse_port(high_text, parameter)
    if low > high:
        raise InvalidQuery(f"{allowed}, got {shown(text)}", parameter=parameter)
    return PortRange(low, high)


def parse_page(text: str, parameter: str = "page", *, last: int = MAX_PAGE) -> int:
    """A page number, from 1."""
    return parse_int(text, parameter=parameter, low=1, high=last, what="a page number")


def parse_page_size(text: str, parameter: str = "page_size", *, most: int, allow_all: bool = False) -> int | None:
    """Items per page, 1 to ``most``; ``all`` (any case) is None when ``allow_all``."""
    if allow_all and isinstance(text, str) and text.lower() == "all":
        return None
    try:
        return parse_int(text, parameter=parameter, low=1, high=most, what="a page size")
    except InvalidQuery as error:
        if allow_all:
            raise InvalidQuery(error.message + " (or all)", parameter=parameter) from None
        raise


def parse_version(text: str, parameter: str = "version") -> int:
    """A registry version number, from 1."""
    return parse_int(text, parameter=parameter, low=1, high=MAX_ID, what="a version number")


def parse_id(text: str, parameter: str = "id") -> int:
    """A stored id (a record's, a request's), from 1."""
    return parse_int(text, parameter=parameter, low=1, high=MAX_ID, what="an id")


def parse_year(text: str, parameter: str = "year") -> int:
    """A year of four digits."""
    if not isinstance(text, str) or len(text) != 4:
        raise InvalidQuery(
            f"{parameter} must be a year of four ASCII digits, got {shown(str(text))}", parameter=parameter
        )
    return parse_int(text, parameter=parameter, low=1, high=9999, what="a year of four digits")


class DateBound(NamedTuple):
    """A date as precise as it was written: ``2011``, ``2011-08`` or ``2011-08-31``.

    ``text`` is the value as written, which compares with the registry's own dates by
    prefix; ``first`` is the earliest day it covers.
    """

    text: str
    first: date


def parse_date(text: str, parameter: str = "date") -> DateBound:
    """YYYY, YYYY-MM or YYYY-MM-DD naming a day (or month, or year) on the calendar."""
    allowed = f"{parameter} must be a date YYYY, YYYY-MM or YYYY-MM-DD on the calendar"
    if not isinstance(text, str) or len(text) > 10:
        raise InvalidQuery(f"{allowed}, got {shown(str(text))}", parameter=parameter)
    match = _DATE.fullmatch(text)
    if match is None:
        raise InvalidQuery(f"{allowed}, got {shown(text)}", parameter=parameter)
    year, month, day = match.groups()
    try:
        first = date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise InvalidQuery(f"{allowed}, got {shown(text)}", parameter=parameter) from None
    return DateBound(text, first)

"""Bytes to text for the line-based formats, with an error that names the line."""

from __future__ import annotations

from ..errors import FormatError


def utf8_text(data: bytes, source: str | None) -> str:
    """``data`` decoded as UTF-8; otherwise a FormatError naming the line of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FormatError(f"not UTF-8 (byte {data[exc.start]:#04x})", source=source, line=line) from None

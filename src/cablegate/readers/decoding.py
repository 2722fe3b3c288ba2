"""What a reader changes in the bytes it reads is said on the record (``Cable.warnings``)."""

from __future__ import annotations

NOT_UTF8 = "not UTF-8: read as Latin-1"


def drop_nuls(text: str, warnings: list[str]) -> str:
    """The text without NUL characters (no cable has them; PostgreSQL text cannot hold them
    and HTML parsers drop them), with a warning saying how many were removed."""
    if "\0" not in text:
        return text
    count = text.count("\0")
    warnings.append(f"{count:,} NUL byte{'s' if count > 1 else ''} removed")
    return text.replace("\0", "")


def decode(data: bytes, warnings: list[str]) -> str:
    """UTF-8, or Latin-1 (every byte kept) with a warning; NULs removed (see
    :func:`drop_nuls`)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        warnings.append(NOT_UTF8)
    return drop_nuls(text, warnings)

"""Turn a parsed :class:`Cable` into the rows the archive stores (pure; runs in workers)."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading

import msgspec
import zstandard

from cablegate.model import Cable

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Cable)
_zstd = threading.local()
"""zstd (de)compressors are not thread-safe: one of each per thread (web server threads)."""


def _compressor() -> zstandard.ZstdCompressor:
    if not hasattr(_zstd, "compressor"):
        _zstd.compressor = zstandard.ZstdCompressor(level=1)
    compressor: zstandard.ZstdCompressor = _zstd.compressor
    return compressor


def _decompressor() -> zstandard.ZstdDecompressor:
    if not hasattr(_zstd, "decompressor"):
        _zstd.decompressor = zstandard.ZstdDecompressor()
    decompressor: zstandard.ZstdDecompressor = _zstd.decompressor
    return decompressor


class Prepared(msgspec.Struct, frozen=True, array_like=True):
    """One parsed cable, ready to store: its columns and its whole record, compressed."""

    canonical_id: str
    reference_id: str
    text_sha256: str
    created: str | None
    released: str | None
    classification: str | None
    origin: str | None
    subject: str | None
    tags: list[str]
    refs: list[tuple[str, str, str, str | None]]
    """(kind, target, text, label) per reference; target is a canonical ID for cables."""
    data: bytes
    articles: list[tuple[str, str | None]] = []
    """(URL, title) of press articles citing the cable."""


def stamp(value: dt.datetime | None) -> str | None:
    """A UTC timestamp as sortable text, ``2010-11-28 18:06:00``."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat(sep=" ", timespec="seconds")


_INVERT = str.maketrans("0123456789", "9876543210")


def sort_key(released: str | None, created: str | None, canonical_id: str) -> str:
    """The browse order of the original site as one sortable string: released cables first,
    newest release first, then oldest creation, then ID (``ORDER BY released IS NULL,
    released DESC, created, canonical_id``), so listings page through an index."""
    newest_first = "0" + released.translate(_INVERT) if released else "1"
    return f"{newest_first}\x1f{created or ''}\x1f{canonical_id}"


def released_prefix(day: str) -> str:
    """What the sort keys of cables released on ``day`` (``2010-11-28``) start with."""
    return "0" + day.translate(_INVERT)


def text_sha256(cable: Cable) -> str:
    """What makes a version: the header and body text exactly as published."""
    digest = hashlib.sha256(cable.header.encode())
    digest.update(b"\0")
    digest.update(cable.body.encode())
    return digest.hexdigest()


def encode_cable(cable: Cable) -> bytes:
    """The whole record as zstd-compressed JSON (a fifth of its size; fast both ways)."""
    return _compressor().compress(_encoder.encode(cable))


def decode_cable(data: bytes) -> Cable:
    return _decoder.decode(_decompressor().decompress(data))


class _Body(msgspec.Struct):
    body: str


_body_decoder = msgspec.json.Decoder(_Body)


def decode_body(data: bytes) -> str:
    """The body of a stored record alone (msgspec skips the other fields: search snippets
    need only this, 20 at a time)."""
    return _body_decoder.decode(_decompressor().decompress(data)).body


def prepare(cable: Cable) -> Prepared:
    return Prepared(
        canonical_id=cable.canonical_id,
        reference_id=cable.reference_id,
        text_sha256=text_sha256(cable),
        created=stamp(cable.created),
        released=stamp(cable.released),
        classification=cable.classification,
        origin=cable.origin,
        subject=cable.subject,
        tags=list(dict.fromkeys(cable.tags)),
        refs=[(r.kind, r.value, r.text, r.label) for r in cable.references],
        data=encode_cable(cable),
        articles=[(a.url, a.title) for a in cable.articles],
    )


def browse_keys(
    released: str | None,
    created: str | None,
    origin: str | None,
    classification: str | None,
    tags: list[str],
) -> list[tuple[str, str]]:
    """The ``browse`` rows a current cable counts in."""
    keys = []
    if released:
        keys.append(("reldate", released[:10]))
    if created:
        keys.append(("month", created[:7]))
    if origin:
        keys.append(("origin", origin))
    if classification:
        keys.append(("classification", classification))
    keys.extend(("tag", tag) for tag in tags)
    return keys


_NOT_SAVED = 1 << 62


def version_order(
    released: str | None, number: int, saved: int | None = None
) -> tuple[str, int, int]:
    """Sort key of a cable's versions: by release time (unknown first); versions released
    at the same time (the site kept a cable's Released time when it corrected its text) by
    when their pages were saved (``saved``: the site's counter on the page, see
    :attr:`cablegate.model.Provenance.site_count`), then by ingest order."""
    return (released or "", _NOT_SAVED if saved is None else saved, number)


def current_order(
    released: str | None, number: int, data: bytes
) -> tuple[bool, tuple[str, int, int]]:
    """Which version is current: the last by :func:`version_order`, except that a partial
    copy (an extract, a transmission header alone) never displaces a full text."""
    cable = decode_cable(data)
    saved = cable.provenance.site_count if cable.provenance else None
    return (not cable.partial, version_order(released, number, saved))

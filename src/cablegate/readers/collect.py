"""Walk files, folders and archives; pick each document's reader by its content.

Reading is split in two steps so that the slow one can run on many cores:

1. :func:`iter_documents` walks the inputs (I/O only) and yields :class:`Document` items:
   one per page or export file, one per ``cables.csv`` row, streamed, archives read without
   unpacking to disk;
2. :func:`parse_document` turns one document into a :class:`Cable` (CPU only, picklable in and
   out).

:func:`read_paths` chains both. Problems come out as :class:`ReadError` items (and files that
are no cables as :class:`Skipped` items): one bad input never stops the batch.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import lzma
import os
import queue
import re
import stat
import tarfile
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from cablegate.errors import ReadError
from cablegate.model import Cable
from cablegate.readers import cables_csv, pdf, plusd, site, site_text, telegram, text_export

_SNIFF = 8192
KEEP_RAW = 16 << 20
"""Unreadable inputs up to this size travel with their error (for quarantine)."""
MISSING = "no such file or folder"
LINK_OUT = "symbolic link out of the folder (use --follow-links)"
LINK_INSIDE = "symbolic link inside the folder (its target is read there)"
LINK_BROKEN = "broken symbolic link (its target does not exist)"
LINK_LOOP = "symbolic link to a folder it is in (a loop)"
LINK_IN_ARCHIVE = "link inside an archive"
NOT_REGULAR = "not a regular file (a FIFO, socket or device)"
EMPTY = "empty file"
_MAGIC_7Z = b"7z\xbc\xaf\x27\x1c"
_MAGIC_ZIP = b"PK\x03\x04"
_COMPRESSED: dict[bytes, Callable[[IO[bytes]], IO[bytes]]] = {
    b"\x1f\x8b": gzip.open,  # type: ignore[dict-item]  # (a binary stream) -> a binary stream
    b"\xfd7zXZ": lzma.open,
    b"BZh": bz2.open,
}


@dataclass(slots=True)
class Document:
    """One readable unit of input: a page, an export file or a CSV row."""

    path: str
    format: str
    data: bytes
    line: int | None = None


@dataclass(slots=True)
class Skipped:
    """An input that is not a cable (an image, a stylesheet, a browse page), with the reason."""

    path: str
    reason: str


Item = Cable | ReadError | Skipped


def detect_format(head: bytes, name: str = "") -> str | None:
    """The cable format of a document from its first bytes (never its name): ``site-html``,
    ``text-export``, ``cables-csv``, ``pdf``, ``plusd-html``, ``site-text``, ``telegram``
    or None."""
    if cables_csv.looks_like(head):
        return cables_csv.FORMAT
    if pdf.looks_like(head):
        return pdf.FORMAT
    text = head[:_SNIFF].decode("utf-8", "replace")
    if text_export.looks_like(text):
        return text_export.FORMAT
    if plusd.looks_like(text):
        return plusd.FORMAT
    if site.looks_like(text):
        return site.FORMAT
    if site_text.looks_like(text):
        return site_text.FORMAT
    if telegram.looks_like(text):
        return telegram.FORMAT
    return None


def parse_document(doc: Document) -> Cable | ReadError:
    """Parse one document; a :class:`ReadError` is returned, not raised."""
    try:
        if doc.format == site.FORMAT:
            return site.read_site_page(doc.data, doc.path)
        if doc.format == site_text.FORMAT:
            return site_text.read_site_text(doc.data, doc.path)
        if doc.format == text_export.FORMAT:
            return text_export.read_text_export(doc.data, doc.path)
        if doc.format == pdf.FORMAT:
            return pdf.read_pdf(doc.data, doc.path)
        if doc.format == telegram.FORMAT:
            return telegram.read_telegram(doc.data, doc.path)
        if doc.format == plusd.FORMAT:
            return plusd.read_plusd_page(doc.data, doc.path)
        if doc.format == cables_csv.FORMAT:
            where = f"{doc.path}:{doc.line}"
            try:
                record = doc.data.decode("utf-8")
            except UnicodeDecodeError as exc:
                return ReadError(where, f"row is not UTF-8 ({exc.reason} at byte {exc.start})")
            return cables_csv.parse_row(record, doc.path, doc.line or 0)
        return ReadError(doc.path, f"unknown format {doc.format!r}")
    except ReadError as exc:
        return exc
    except Exception as exc:  # a parser bug must not stop the batch; report it with the file
        return ReadError(doc.path, f"parser failed: {type(exc).__name__}: {exc}")


def _member_documents(name: str, stream: IO[bytes]) -> Iterator[Document | ReadError | Skipped]:
    """Documents of one file-like input (a file or an archive member)."""
    head = stream.read(_SNIFF)
    if not head:
        yield Skipped(name, EMPTY)  # not judged by its name: there is nothing to read
        return
    if _is_archive(head):
        yield from _archive_documents(name, io.BytesIO(head + stream.read()), head)
        return
    fmt = detect_format(head, name)
    if fmt == cables_csv.FORMAT:
        lines = _lines(head, stream)
        for line, row in cables_csv.iter_rows(lines):
            yield Document(path=name, format=fmt, data=row, line=line)
        return
    if fmt is None:
        unknown = _unknown(name, head)
        if isinstance(unknown, ReadError):
            rest = stream.read(KEEP_RAW - len(head) + 1)
            raw = head + rest if len(head) + len(rest) <= KEEP_RAW else None
            unknown = ReadError(unknown.path, unknown.reason, raw)
        yield unknown
        return
    data = head + stream.read()
    if fmt == site.FORMAT and (b"<table class='cable'>" not in data or b"<pre>" not in data):
        if b"</html>" not in data[-2048:]:
            yield ReadError(
                name,
                "truncated Cable Viewer page: it ends before the cable "
                "(no 'pane big' section, no closing </html>)",
                data,
            )
        else:
            yield Skipped(name, "Cable Viewer page without a cable (browse or index page)")
        return
    yield Document(path=name, format=fmt, data=data)


def _unknown(name: str, head: bytes) -> ReadError | Skipped:
    lower = name.lower()
    if lower.endswith(
        (
            ".css",
            ".js",
            ".png",
            ".gif",
            ".jpg",
            ".jpeg",
            ".ico",
            ".svg",
            ".pdf",
            ".php",
            ".pub",
            ".tsv",
            ".md",
            ".gz",
        )
    ):
        return Skipped(name, "not a cable (asset or other file type)")
    if b"\x00" in head:
        return Skipped(name, NOT_CABLE_BINARY)
    if lower.endswith((".html", ".htm")):
        return Skipped(name, "HTML page that is not a Cable Viewer cable page")
    text = head.decode("utf-8", "replace")
    marks = _CABLE_MARKS.findall(text)
    if marks:  # looks like a cable: quarantine, so a reader fix can take it in later
        shown = ", ".join(dict.fromkeys(" ".join(m.split()) for m in marks[:3]))
        return ReadError(
            name,
            f"looks like a cable ({shown}) but is in no form cablegate reads "
            "(Cable Viewer page, text export, cables.csv, PDF, bare telegram, PlusD page)",
        )
    return Skipped(name, NOT_CABLE_TEXT)


NOT_CABLE_BINARY = "not a cable: binary data in no document or archive format"
NOT_CABLE_TEXT = (
    "not a cable: text with none of a cable's marks (date-time group, FM/TO lines, "
    "TAGS, SUBJECT, classification line)"
)
_CABLE_MARKS = re.compile(
    r"(?m)^[ \t]*(?:TAGS|SUBJECT|SUBJ)[ \t]*:|\b\d{6}Z[ \t]+[A-Z]{3}[ \t]+\d{2}\b|"
    r"^[ \t]*FM[ \t]+(?:AMEMBASSY|AMCONSUL|SECSTATE|USMISSION)\b|"
    r"^[ \t]*(?:UNCLAS|C O N F I D E N T I A L|S E C R E T|(?:CONFIDENTIAL|SECRET)[ \t]+"
    r"(?:SECTION[ \t]+\d|[A-Z ]+[ \t]\d{3,6}\b))"
)
"""What makes a text look like a cable (and so worth quarantine when it cannot be read)."""


def _lines(head: bytes, stream: IO[bytes]) -> Iterator[bytes]:
    """The stream in blocks (``head`` first): the CSV reader finds rows in any blocks."""
    yield head
    while block := stream.read(1 << 20):
        yield block


class _Prepend(io.RawIOBase):
    """A raw stream that first returns bytes already read, then the rest of ``stream``."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self._head = head
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        chunk = self._stream.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _is_archive(head: bytes) -> bool:
    return (
        head.startswith((_MAGIC_7Z, _MAGIC_ZIP))
        or any(head.startswith(m) for m in _COMPRESSED)
        or (len(head) > 262 and head[257:262] == b"ustar")
    )


def _archive_documents(
    name: str,
    stream: IO[bytes],
    head: bytes,
) -> Iterator[Document | ReadError | Skipped]:
    try:
        if head.startswith(_MAGIC_ZIP):
            yield from _zip_documents(name, stream)
        elif head.startswith(_MAGIC_7Z):
            yield from _7z_documents(name, stream)
        else:
            yield from _tar_or_compressed(name, stream, head)
    except ReadError as exc:
        yield exc
    except (
        tarfile.TarError,
        zipfile.BadZipFile,
        EOFError,
        OSError,
        lzma.LZMAError,
        ValueError,
    ) as exc:
        yield ReadError(name, f"corrupt or truncated archive: {type(exc).__name__}: {exc}")


def _tar_or_compressed(
    name: str,
    stream: IO[bytes],
    head: bytes,
) -> Iterator[Document | ReadError | Skipped]:
    opener = next((o for m, o in _COMPRESSED.items() if head.startswith(m)), None)
    if opener is not None:
        inner = opener(stream)
        inner_head = inner.read(_SNIFF)
        if not (len(inner_head) > 262 and inner_head[257:262] == b"ustar"):
            # A single compressed file, e.g. cables.csv.gz.
            reader = cast(IO[bytes], _Reader(inner_head, inner))  # reads as a stream does
            yield from _member_documents(_strip_suffix(name), reader)
            return
        stream.seek(0)
    with tarfile.open(fileobj=stream, mode="r|*") as tar:
        for member in tar:
            if member.isdir():
                continue
            member_name = f"{name}!{member.name}"
            if member.issym() or member.islnk():
                yield Skipped(member_name, LINK_IN_ARCHIVE)
                continue
            if not member.isfile():
                yield Skipped(member_name, NOT_REGULAR)
                continue
            fileobj = tar.extractfile(member)
            if fileobj is None:
                continue
            try:
                yield from _member_documents(member_name, fileobj)
            except (tarfile.TarError, EOFError, OSError, lzma.LZMAError) as exc:
                yield ReadError(member_name, f"corrupt archive member: {exc}")
                return


def _strip_suffix(name: str) -> str:
    for suffix in (".gz", ".xz", ".bz2"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


class _Reader(io.RawIOBase):
    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self._inner = _Prepend(head, stream)

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            chunks = []
            while chunk := self.read(1 << 20):
                chunks.append(chunk)
            return b"".join(chunks)
        buf = bytearray(size)
        n = self._inner.readinto(memoryview(buf))
        return bytes(buf[:n])


def _zip_documents(name: str, stream: IO[bytes]) -> Iterator[Document | ReadError | Skipped]:
    with zipfile.ZipFile(stream) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            member_name = f"{name}!{info.filename}"
            if stat.S_ISLNK(info.external_attr >> 16):
                yield Skipped(member_name, LINK_IN_ARCHIVE)
                continue
            try:
                with archive.open(info) as fileobj:
                    yield from _member_documents(member_name, fileobj)
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
                yield ReadError(member_name, f"corrupt archive member: {exc}")


def _7z_documents(name: str, stream: IO[bytes]) -> Iterator[Document | ReadError | Skipped]:
    """Members of a 7z archive, decompressed by py7zr in a thread, one member at a time."""
    import py7zr
    from py7zr.io import Py7zIO, WriterFactory

    done = object()
    chunks: queue.Queue[object] = queue.Queue(maxsize=64)

    class _Writer(Py7zIO):
        def __init__(self, filename: str) -> None:
            self.filename = filename
            self.length = 0
            chunks.put(("start", filename))

        def write(self, s: bytes | bytearray) -> int:
            self.length += len(s)
            chunks.put(("data", bytes(s)))
            return len(s)

        def read(self, size: int | None = None) -> bytes:
            return b""

        def seek(self, offset: int, whence: int = 0) -> int:
            return 0

        def flush(self) -> None:
            return None

        def size(self) -> int:
            return self.length

        def close(self) -> None:
            chunks.put(("end", self.filename))

    class _Factory(WriterFactory):
        def create(self, filename: str) -> Py7zIO:
            return _Writer(filename)

    failure: list[BaseException] = []

    def work() -> None:
        try:
            with py7zr.SevenZipFile(stream, mode="r") as archive:
                archive.extract(factory=_Factory())
        except BaseException as exc:  # reported to the reading side below
            failure.append(exc)
        finally:
            chunks.put(done)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    current: list[bytes] = []
    member = ""
    while (item := chunks.get()) is not done:
        kind, value = cast(tuple[str, Any], item)  # (kind, value); only ``done`` is not
        if kind == "start":
            member, current = value, []
        elif kind == "data":
            current.append(value)
        else:
            yield from _member_documents(f"{name}!{member}", io.BytesIO(b"".join(current)))
            current = []
    thread.join()
    if failure:
        yield ReadError(name, f"corrupt 7z archive: {type(failure[0]).__name__}: {failure[0]}")


class Meter:
    """How many bytes of the input files have been read so far (for progress and ETA)."""

    def __init__(self) -> None:
        self.done = 0
        self._current: IO[bytes] | None = None

    @property
    def position(self) -> int:
        current = self._current
        try:
            return self.done + (current.tell() if current is not None else 0)
        except (OSError, ValueError):  # closed meanwhile
            return self.done


def walk(
    paths: Iterable[str | os.PathLike[str]], follow_links: bool = False
) -> Iterator[Path | ReadError | Skipped]:
    """The regular files under the given paths, in reading order, and what is not read
    (with why): a path given is read as named (a symbolic link too); in folders, symbolic
    links out of the given folders are followed only with ``follow_links``, and links
    inside them are skipped (their targets are read where they are, once)."""
    given = [Path(p) for p in paths]
    roots = [p.resolve() for p in given if p.is_dir()]
    for path in given:
        try:
            mode = path.stat().st_mode  # follows a link: the user named it
        except OSError:
            yield ReadError(str(path), MISSING)
            continue
        if stat.S_ISDIR(mode):
            yield from _walk_folder(path, roots, follow_links, {path.resolve()})
        elif stat.S_ISREG(mode):
            yield path
        else:
            yield Skipped(str(path), NOT_REGULAR)


def _walk_folder(
    folder: Path, roots: list[Path], follow_links: bool, open_folders: set[Path]
) -> Iterator[Path | ReadError | Skipped]:
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        yield ReadError(str(folder), f"cannot be read: {exc.strerror}")
        return
    for entry in entries:
        try:
            mode = entry.lstat().st_mode
            if stat.S_ISLNK(mode):
                target = entry.resolve()
                if not target.exists():
                    yield Skipped(str(entry), LINK_BROKEN)
                    continue
                if any(target == root or target.is_relative_to(root) for root in roots):
                    yield Skipped(str(entry), LINK_INSIDE)
                    continue
                if not follow_links:
                    yield Skipped(str(entry), LINK_OUT)
                    continue
                if target in open_folders or any(o.is_relative_to(target) for o in open_folders):
                    yield Skipped(str(entry), LINK_LOOP)
                    continue
                mode = target.stat().st_mode
        except OSError as exc:
            yield ReadError(str(entry), f"cannot be read: {exc.strerror}")
            continue
        if stat.S_ISDIR(mode):
            inner = open_folders | {entry.resolve()}
            yield from _walk_folder(entry, roots, follow_links, inner)
        elif stat.S_ISREG(mode):
            yield entry
        else:
            yield Skipped(str(entry), NOT_REGULAR)


def input_files(
    paths: Iterable[str | os.PathLike[str]], follow_links: bool = False
) -> Iterator[Path]:
    """The files under the given paths, in reading order (what is not read is left out)."""
    for item in walk(paths, follow_links):
        if isinstance(item, Path):
            yield item


def input_size(paths: Iterable[str | os.PathLike[str]], follow_links: bool = False) -> int:
    """Total bytes of the files under the given paths."""
    total = 0
    for path in input_files(paths, follow_links):
        with contextlib.suppress(OSError):  # gone meanwhile: reported when read
            total += path.stat().st_size
    return total


def iter_documents(
    paths: Iterable[str | os.PathLike[str]],
    meter: Meter | None = None,
    follow_links: bool = False,
) -> Iterator[Document | ReadError | Skipped]:
    """Every document under the given files, folders and archives, in a stable order,
    and every input not read, with why (see :func:`walk`)."""
    for item in walk(paths, follow_links):
        if isinstance(item, Path):
            yield from _file_documents(item, meter)
        else:
            yield item


def _file_documents(path: Path, meter: Meter | None) -> Iterator[Document | ReadError | Skipped]:
    try:
        with path.open("rb") as stream:
            if meter is not None:
                meter._current = stream
            yield from _member_documents(str(path), stream)
    except OSError as exc:  # unreadable, or gone since the folder was listed
        yield ReadError(str(path), f"cannot be read: {exc.strerror or exc}")
    finally:
        if meter is not None:
            meter._current = None
            meter.done += path.stat().st_size if path.exists() else 0


def read_paths(
    paths: Iterable[str | os.PathLike[str]], follow_links: bool = False
) -> Iterator[Item]:
    """Read every cable under the given files, folders and archives (any format, mixed)."""
    for doc in iter_documents(paths, follow_links=follow_links):
        yield parse_document(doc) if isinstance(doc, Document) else doc


def bytes_documents(data: bytes, name: str) -> Iterator[Document | ReadError | Skipped]:
    """The documents in one in-memory input (a page, an export, a CSV, an archive)."""
    yield from _member_documents(name, io.BytesIO(data))


def read_bytes(data: bytes, name: str = "<bytes>") -> Iterator[Item]:
    """Read every cable in one in-memory input (a page, an export, a CSV, an archive)."""
    for doc in _member_documents(name, io.BytesIO(data)):
        yield parse_document(doc) if isinstance(doc, Document) else doc

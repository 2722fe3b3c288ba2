"""The static mirror's search: a `Pagefind <https://pagefind.app>`_ index of every public
cable, written by ``cablegate build-site`` into ``OUT/pagefind/`` and searched in the
reader's browser by ``/search.html`` (``static/search.js``), from any static host or from a
folder served by ``python -m http.server``.

The index is fed from the archive's records, not from the written pages: one record per
public cable, its current version (the text of the cable's own page), so no private,
scheduled or withdrawn text can reach it. Its content is plain text (subject and body), as the
served site's search reads by default; its filters the tags, the origin, the classification
and the year of creation, as the served site's search filters them (``tag:``, ``origin:``,
``classification:``, ``created:YYYY``); a result shows its origin and classification from
them. Pagefind also makes the words of a record's metadata searchable, so it holds only the
subject (a title), the reference ID (a search for one finds its cable) and the date of
creation (its numbers find the cables of that day).

Pagefind holds an index in memory while it writes it (some 60 times the text: 3 GB for the
6,711 real cables), and cannot update one. So the index is in parts of :data:`PART_SIZE`
cables by the order they were first stored (``pagefind/0/``, ``pagefind/1/``...; a new
cable goes to the last part), each a Pagefind index of its own, written one after the
other, that the search page merges (Pagefind's ``mergeIndex``). ``pagefind/index.json``
(:data:`STATE`) lists the parts with what each holds (the SHA-256 of its records, this
module's format, Pagefind's version); the build re-indexes only the parts whose records
changed (a new cable: the last part), not when only pages did (the counter, an earlier
version) nor when nothing did. Pagefind writes each filter's values in an order that
differs from run to run: :func:`in_order` sorts them, so the same records give the same
bytes (a mirror's rsync, a bundle's checksum).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import gzip
import hashlib
import json
import shutil
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from pathlib import Path
from typing import Any, cast

import cbor2
from pagefind.index import IndexConfig
from pagefind.service import PagefindService
from pagefind.service.types import InternalResponsePayload

from cablegate.archive import Archive
from cablegate.archive.records import decode_cable
from cablegate.model import Cable
from cablegate.urls import cable_url

FOLDER = "pagefind"
"""The index's folder in the mirror (Pagefind's default: ``/pagefind/pagefind.js``)."""
STATE = f"{FOLDER}/index.json"
"""The parts of the index and what each holds (:func:`index_state`); the search page reads
it to find the parts."""
PART_SIZE = 10_000
"""Cables a part of the index holds at most (by row: part ``k`` holds rows ``k * PART_SIZE +
1`` to ``(k + 1) * PART_SIZE``); Pagefind needs some 3 GB of memory for 6,711 cables."""
FORMAT = 1
"""The version of what is indexed (bump it when :func:`record` changes: every mirror then
re-indexes)."""
LANGUAGE = "en"
UNUSED = {
    "pagefind-ui.js",
    "pagefind-ui.css",
    "pagefind-modular-ui.js",
    "pagefind-modular-ui.css",
    "pagefind-component-ui.js",
    "pagefind-component-ui.css",
    "pagefind-highlight.js",
}
"""Pagefind's ready-made interfaces: the search page has its own (``static/search.js``)."""
CLOSE_WAIT = 600.0
"""Seconds Pagefind may take to finish writing and end."""
IN_FLIGHT = 500
"""Records sent to Pagefind before waiting for its answers."""


def pagefind_version() -> str:
    return version("pagefind")


class Digest:
    """What a part of the index holds, as its records are read: equal, equal contents."""

    def __init__(self) -> None:
        self.count = 0
        self._sha = hashlib.sha256()

    def add(self, item: dict[str, Any]) -> dict[str, Any]:
        self.count += 1
        self._sha.update(json.dumps(item, sort_keys=True).encode() + b"\n")
        return item

    def state(self) -> dict[str, Any]:
        return {"cables": self.count, "sha256": self._sha.hexdigest()}


def version_state() -> dict[str, Any]:
    """What every part depends on besides its records."""
    return {"format": FORMAT, "pagefind": pagefind_version()}


def index_state(db: str | None) -> dict[str, Any]:
    """What an index built now from the archive at ``db`` would hold, part by part (reads
    every record): ``{"format", "pagefind", "parts": {"0": {"cables", "sha256"}, ...}}``."""
    digests: dict[int, Digest] = {}
    with Archive.open(db, read_only=True) as archive, archive.snapshot():
        for batch in archive.all_current_data():
            for row, item in _records(archive, batch):
                digests.setdefault(part_of(row), Digest()).add(item)
    parts = {str(k): digests[k].state() for k in sorted(digests)}
    return version_state() | {"parts": parts}


def part_of(row: int) -> int:
    return max(row - 1, 0) // PART_SIZE


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def record(url: str, cable: Cable) -> dict[str, Any]:
    """The Pagefind record of a public cable's current version, whose page is at ``url``."""
    created = _utc(cable.created)
    meta = {"title": cable.subject or cable.canonical_id, "id": cable.canonical_id}
    filters: dict[str, list[str]] = {}
    if tags := list(dict.fromkeys(cable.tags)):
        filters["tag"] = tags
    if cable.origin:
        filters["origin"] = [cable.origin]
    if cable.classification:
        filters["classification"] = [cable.classification]
    if created is not None:
        meta["date"] = f"{created:%Y-%m-%d}"
        filters["year"] = [f"{created:%Y}"]
    content = "\n".join(filter(None, [cable.subject, cable.body]))
    return {"url": url, "content": content, "meta": meta, "filters": filters}


def _records(
    archive: Archive, batch: list[tuple[int, bytes]]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The records of a batch of (row ID, stored record), each with its page's URL (looked
    up for the batch alone: a map of every cable's URL would grow with the archive, and was
    read again for each part)."""
    listed = archive.listed([row for row, _ in batch])
    for row, data in batch:
        if (cable_row := listed.get(row)) is not None:
            url = cable_url(cable_row.canonical_id, cable_row.created)
            yield row, record(url, decode_cable(data))


def part_records(archive: Archive, part: int) -> Iterator[dict[str, Any]]:
    """The records of one part of the index, in row order; call inside one read
    transaction (:meth:`Archive.snapshot`)."""
    first = part * PART_SIZE + 1
    rows = list(range(first, first + PART_SIZE))
    for start in range(0, len(rows), 1000):
        batch = sorted(archive.current_data(rows[start : start + 1000]))
        for _, item in _records(archive, batch):
            yield item


def write_part(db: str | None, part: int, folder: Path) -> dict[str, Any]:
    """Index one part of the public cables of the archive at ``db`` (:data:`PART_SIZE`)
    and write its Pagefind files (its search bundle: the script, the WebAssembly, the index)
    into ``folder``: what it holds (as :func:`index_state` gives it). A part Pagefind left
    incomplete (an empty or cut file: it was stopped before it ended) is written again."""
    for attempt in range(WRITE_ATTEMPTS):
        shutil.rmtree(folder, ignore_errors=True)
        # In a thread of its own: the caller may be running an event loop (a server, a test).
        with ThreadPoolExecutor(1) as thread:
            state = thread.submit(asyncio.run, _write_part(db, part, folder)).result()
        problem = _incomplete(folder)
        if problem is None:
            in_order(folder)
            return state
        if attempt == WRITE_ATTEMPTS - 1:
            raise RuntimeError(problem)
    raise AssertionError("unreachable")  # pragma: no cover


WRITE_ATTEMPTS = 3


def _incomplete(folder: Path) -> str | None:
    """What is wrong with a part's files as Pagefind left them (None: all whole)."""
    for path in sorted(folder.rglob("*")):
        if path.name in UNUSED:
            path.unlink()
            continue
        if not path.is_file():
            continue
        data = path.read_bytes()
        if not data:
            return f"pagefind left {path.name} empty"
        if path.suffix.startswith(".pf_") or path.suffix == ".pagefind":
            try:  # whole (a file cut short would fail the reader's search)
                gzip.decompress(data)
            except (OSError, EOFError) as exc:
                return f"pagefind wrote {path.name} cut short: {exc}"
        if path.suffix == ".js" and not data.rstrip().endswith((b";", b"}", b")")):
            return f"pagefind wrote {path.name} cut short (it ends mid-statement)"
        if path.parent == folder and path.suffix in (".js", ".pagefind"):
            # Pagefind's own script and WebAssembly: the same in every part of a build.
            with _ASSETS_LOCK:
                first = _ASSETS.setdefault(path.name, data)
            if data != first:
                return f"pagefind wrote {path.name} other than in the other parts (cut short?)"
    return None


_ASSETS: dict[str, bytes] = {}
"""Pagefind's script and WebAssembly files as the parts written so far hold them."""
_ASSETS_LOCK = threading.Lock()


async def _write_part(db: str | None, part: int, folder: Path) -> dict[str, Any]:
    service = await _Service().launch()
    try:
        index = await service.create_index(IndexConfig(force_language=LANGUAGE))
        pending: list[Any] = []
        digest = Digest()
        with Archive.open(db, read_only=True) as archive, archive.snapshot():
            for item in part_records(archive, part):
                pending.append(index.add_custom_record(language=LANGUAGE, **digest.add(item)))
                if len(pending) >= IN_FLIGHT:
                    await asyncio.gather(*pending)
                    pending = []
        await asyncio.gather(*pending)
        await index.write_files(str(folder))
        return digest.state()
    finally:
        await service.close()


SIGNATURE = b"pagefind_dcd"
"""What every Pagefind data file starts with, unpacked (CBOR follows)."""


def _read(path: Path) -> Any:
    """A Pagefind data file's CBOR value; ValueError unless re-encoding it gives its bytes."""
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(SIGNATURE):
        raise ValueError(f"{path.name}: not a Pagefind file")
    value = cbor2.loads(data[len(SIGNATURE) :])
    if cbor2.dumps(value) != data[len(SIGNATURE) :]:
        raise ValueError(f"{path.name}: not read as written")
    return value


def _write(path: Path, digits: int, value: Any) -> str:
    """Write a Pagefind data file beside ``path`` (``DIR/[pagefind.]en_HASH.SUFFIX``) named
    by its content, and remove ``path``: the new name's ``en_HASH``."""
    data = gzip.compress(SIGNATURE + cbor2.dumps(value), mtime=0)
    prefix, _, stem = path.stem.rpartition(".")
    name = f"{stem.split('_', 1)[0]}_{hashlib.sha256(data).hexdigest()[:digits]}"
    path.unlink()
    path.with_name(
        f"{prefix}.{name}{path.suffix}" if prefix else f"{name}{path.suffix}"
    ).write_bytes(data)
    return name


def in_order(folder: Path) -> bool:
    """Make an index's bytes depend on its records only: Pagefind writes each filter's values
    (and the filters in its metadata) in an order that differs from run to run, and names
    the files by their bytes. Sorted and renamed; False (the files left as written) when
    they are not as this expects."""
    try:
        entry = json.loads((folder / "pagefind-entry.json").read_text("utf-8"))
        plan = []
        for about in entry["languages"].values():
            meta_path = folder / f"pagefind.{about['hash']}.pf_meta"
            meta = _read(meta_path)
            filters = []
            for name, stem in meta[3]:
                path = folder / "filter" / f"{stem}.pf_filter"
                value = _read(path)
                if not (isinstance(value, list) and len(value) == 2 and value[0] == name):
                    raise ValueError(f"{path.name}: not the filter {name}")
                value[1] = sorted(value[1], key=lambda item: str(item[0]))
                filters.append((name, path, value))
            plan.append((about, meta_path, meta, filters))
    except (OSError, ValueError, KeyError, IndexError, TypeError, cbor2.CBORError):
        return False
    for about, meta_path, meta, filters in plan:
        meta[3] = sorted([name, _write(path, 7, value)] for name, path, value in filters)
        about["hash"] = _write(meta_path, 10, meta)
    (folder / "pagefind-entry.json").write_text(
        json.dumps(entry, ensure_ascii=False, separators=(",", ":")), "utf-8"
    )
    return True


class _Service(PagefindService):
    """Pagefind's service, reading its answers as they come: the package's own reader waits
    0.1 s before each answer (an hour or more for a whole archive), and forever when the
    binary dies."""

    async def _wait_for_responses(self) -> None:
        stdout = self._backend.stdout
        assert stdout is not None
        try:
            while True:
                answer = json.loads(base64.b64decode((await stdout.readuntil(b","))[:-1]))
                if not isinstance(answer, dict):
                    continue
                future = self._responses.pop(answer.get("message_id", -1), None)
                payload = answer.get("payload") or {}
                if future is None or future.done():
                    continue
                if payload.get("type") == "Error":
                    future.set_exception(RuntimeError(f"pagefind: {payload.get('message')}"))
                else:
                    future.set_result(cast(InternalResponsePayload, payload))
        except (asyncio.IncompleteReadError, ValueError) as exc:
            for future in self._responses.values():
                if not future.done():
                    future.set_exception(RuntimeError(f"pagefind stopped: {exc}"))
            self._responses.clear()

    async def close(self) -> None:
        """Let the binary end by itself once its input is closed: it is still writing files
        after it answers that it wrote them (the package's own close kills it, and leaves
        them cut short)."""
        stdin = self._backend.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.close()
        try:
            await asyncio.wait_for(self._backend.wait(), timeout=CLOSE_WAIT)
        except TimeoutError:
            self._backend.terminate()
            await self._backend.wait()
        self._poll_task.cancel()

"""The search index: a Tantivy index of the published cables, derived from the archive.

The archive is the source of truth; the index is an artifact beside it (``cablegate.db`` ->
``cablegate.index/``, or ``--index DIR`` / ``$CABLEGATE_INDEX``; every web server of a
PostgreSQL deployment keeps its own). It holds exactly what the public tables hold: the
current version of each published cable, so nothing private can leak through it.

It is kept in step through the archive's change log (the ``changes`` table, written in the
same transaction as each publication): the index stores, in the same Tantivy commit as the
documents, a *state* document naming the archive (``meta.archive_id``) and the last change
it holds. :meth:`SearchIndex.sync` applies the changes logged since (each one: take the
cable's documents out, put its current public record in), so re-applying one is harmless
and an index that is behind (a crash between the database commit and the index commit, a
second server, a restored backup) catches up by itself. One that is missing, damaged,
of another format or of another archive is rebuilt (:func:`rebuild`), into a new folder
swapped in when complete, so a crash never leaves half an index in use.

Tantivy lets one writer at a time hold an index (a lock file the OS releases when a process
dies); other processes wait for its commit and reload.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import tantivy

from cablegate import settings
from cablegate.archive import Archive
from cablegate.archive.records import decode_cable
from cablegate.archive.url import POSTGRESQL_MISSING
from cablegate.errors import CablegateError
from cablegate.model import HANDLING_RESTRICTIONS, Cable

log = logging.getLogger(__name__)

FORMAT = 2
"""Bumped when the schema or the analysis of text changes: an index of another format is
rebuilt (2: handling restrictions, concepts, person tags and the current classification).
New fields go after the old ones, so that an index of an older format can still be read
far enough to see that it is one."""

ENV_VAR = settings.INDEX.env

STEM, EXACT, LOWER = "stem", "exact", "lower"
"""Analyzers: words cut on anything not a letter or digit, lower case, accents folded; STEM
also reduces them to their English stem (Snowball); LOWER keeps a value whole."""


def _analyzer(stem: bool) -> tantivy.TextAnalyzer:
    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(255))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
    )
    if stem:
        builder = builder.filter(tantivy.Filter.stemmer("english"))
    return builder.build()


ANALYZERS: dict[str, tantivy.TextAnalyzer] = {
    STEM: _analyzer(stem=True),
    EXACT: _analyzer(stem=False),
    LOWER: tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.raw())
    .filter(tantivy.Filter.lowercase())
    .build(),
}


def _schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_text_field("doctype", tokenizer_name="raw", index_option="basic")
    b.add_unsigned_field("row", indexed=True, fast=True)
    b.add_text_field("id", tokenizer_name="raw", index_option="basic")
    # Unquoted words search the stems (no positions needed); phrases, proximity, prefixes and
    # fuzzy words the words as written (with positions).
    for name in ("subject", "body"):
        b.add_text_field(name, tokenizer_name=STEM, index_option="freq")
        b.add_text_field(f"{name}_exact", tokenizer_name=EXACT, index_option="position")
    for name in ("sender", "recipients", "origin_words"):
        b.add_text_field(name, tokenizer_name=EXACT, index_option="position")
    for name in ("tag", "origin", "classification", "year", "month"):
        b.add_text_field(name, tokenizer_name="raw", fast=True, index_option="basic")
    for name in ("origin_key", "classification_key"):
        b.add_text_field(name, tokenizer_name=LOWER, index_option="basic")
    b.add_text_field("ref", tokenizer_name="raw", index_option="basic")
    for name in ("created", "released"):
        b.add_date_field(name, indexed=True, fast=True)
    b.add_integer_field("newest", fast=True)
    b.add_integer_field("oldest", fast=True)
    b.add_text_field("state", stored=True, tokenizer_name="raw", index_option="basic")
    # Format 2: a catalogue's fields (PlusD's), and the handling restrictions of any cable.
    for name in CATALOG_FACETS:
        b.add_text_field(name, tokenizer_name="raw", fast=True, index_option="basic")
        b.add_text_field(f"{name}_key", tokenizer_name=LOWER, index_option="basic")
    b.add_text_field("person_words", tokenizer_name=EXACT, index_option="position")
    return b.build()


CATALOG_FACETS = ("restriction", "concept", "person", "current_classification")
"""Fields counted and filtered as written (``*_key``: the same, any case)."""


SCHEMA = _schema()

_NO_DATE = 2**62
"""``newest`` / ``oldest`` of a cable without a creation date: last either way."""


def routing_text(cable: Cable) -> tuple[str, str]:
    """The FM line's name, and the TO and INFO names one a line (``from:`` and ``to:``)."""
    sent = cable.transmission
    sender = sent.sender.name if sent.sender else ""
    return sender, "\n".join(r.name for r in [*sent.to, *sent.info])


def restrictions(cable: Cable) -> list[str]:
    """A cable's handling restrictions: as the record gives them, else the caveats of its
    text that are such (records stored before restrictions were a field have none)."""
    if cable.restrictions:
        return list(dict.fromkeys(cable.restrictions))
    return list(dict.fromkeys(c for c in cable.caveats if c in HANDLING_RESTRICTIONS))


def _catalog_fields(cable: Cable) -> dict[str, Any]:
    """The index fields of :data:`CATALOG_FACETS` (each also as ``*_key``)."""
    values = {
        "restriction": restrictions(cable),
        "concept": list(dict.fromkeys(cable.concepts)),
        "person": list(dict.fromkeys(cable.persons)),
        "current_classification": [cable.current_classification]
        if cable.current_classification
        else [],
    }
    doc: dict[str, Any] = {}
    for name, found in values.items():
        if found:
            doc[name] = doc[f"{name}_key"] = found
    if values["person"]:
        doc["person_words"] = values["person"]
    return doc


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def document(row: int, cable: Cable) -> dict[str, Any]:
    """The index document of a cable's record (pure; runs in worker processes)."""
    sender, recipients = routing_text(cable)
    created, released = _utc(cable.created), _utc(cable.released)
    seconds = int(created.replace(tzinfo=dt.UTC).timestamp()) if created else None
    doc: dict[str, Any] = {
        "doctype": "cable",
        "row": row,
        "id": cable.canonical_id,
        "subject": cable.subject or "",
        "subject_exact": cable.subject or "",
        "body": cable.body,
        "body_exact": cable.body,
        "sender": sender,
        "recipients": recipients,
        "tag": list(dict.fromkeys(cable.tags)),
        "ref": sorted({r.value for r in cable.references if r.kind == "cable"}),
        "newest": seconds if seconds is not None else -_NO_DATE,
        "oldest": seconds if seconds is not None else _NO_DATE,
    }
    if cable.origin:
        doc |= {"origin": cable.origin, "origin_key": cable.origin, "origin_words": cable.origin}
    if cable.classification:
        doc |= {"classification": cable.classification}
        doc["classification_key"] = cable.classification
    if created:
        doc |= {"created": created.isoformat() + "Z", "year": f"{created:%Y}"}
        doc["month"] = f"{created:%Y-%m}"
    if released:
        doc["released"] = released.isoformat() + "Z"
    doc |= _catalog_fields(cable)
    return doc


_json = msgspec.json.Encoder()


def document_json(row: int, data: bytes) -> bytes:
    """The index document of a stored record (``versions.data``), as JSON."""
    return _json.encode(document(row, decode_cable(data)))


def documents_json(rows: list[tuple[int, bytes]]) -> list[bytes]:
    return [document_json(row, data) for row, data in rows]


@dataclass(frozen=True)
class IndexState:
    archive: str
    seq: int
    format: int


def default_path(archive: Archive) -> Path:
    """Where an archive's index lives unless told: beside an SQLite file (``x.db`` ->
    ``x.index``); for PostgreSQL in the user's cache, one per server and database."""
    if (configured := settings.INDEX.get()) is not None:
        return configured
    url = archive.url
    if url.backend == "sqlite":
        return Path(url.target).with_suffix(".index")
    try:
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:  # not reached once a PostgreSQL archive is open, but say why
        raise CablegateError(POSTGRESQL_MISSING.format(url=url.safe())) from None

    info = conninfo_to_dict(url.target.replace("postgresql+psycopg://", "postgresql://", 1))
    name = "-".join(str(info.get(k) or "") for k in ("host", "port", "dbname", "user"))
    cache = settings.CACHE_HOME.get() or Path.home() / ".cache"
    return cache / "cablegate" / (_safe(name) + ".index")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "default"


_HEAP = 50_000_000
"""Bytes a writer's indexing thread may fill before it writes a segment."""


class RebuildNeeded(Exception):
    """The index cannot be used as it is (missing, damaged, another archive): rebuild it."""


class SearchIndex:
    """An open index (thread-safe): searchers for queries, and catching up with the archive."""

    def __init__(self, path: Path | None, index: tantivy.Index) -> None:
        self.path = path
        self.index = index
        for name, analyzer in ANALYZERS.items():
            index.register_tokenizer(name, analyzer)
        index.config_reader("Manual")
        self._lock = threading.Lock()
        self._state: IndexState | None = None
        self._held: tantivy.IndexWriter | None = None
        self.inode = _inode(path) if path else None

    # -- reading -----------------------------------------------------------------------------

    def searcher(self) -> tantivy.Searcher:
        return self.index.searcher()

    @property
    def state(self) -> IndexState | None:
        """What the last commit holds (None: no state, an index not made here)."""
        if self._state is None:
            self._state = read_state(self.searcher())
        return self._state

    def reload(self) -> None:
        self.index.reload()
        self._state = None

    # -- keeping in step -------------------------------------------------------------------

    def current(self, archive: Archive, wait: float = 5.0) -> bool:
        """Bring the index up to the archive's last change, unless it is there (one query
        then); False if another process holds the writer for longer than ``wait``."""
        state = self.state
        if state is not None and state.seq == archive.last_change():
            return True
        return self.sync(archive, wait)

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Keep one writer for a run of catch-ups (an ingest's batches): each commits without
        waiting for Tantivy's merges, which go on in the background and are waited for once
        at the end (waiting after every batch tripled the index's share of an ingest).
        Other processes find the index current after each commit and need no writer; if one
        holds the writer now, the catch-ups take turns as usual."""
        with self._lock:
            if self._held is None:
                try:
                    self._held = self.index.writer(2 * _HEAP, 2)
                except ValueError as exc:
                    if "LockBusy" not in str(exc):
                        raise
        try:
            yield
        finally:
            with self._lock:
                held, self._held = self._held, None
            if held is not None:
                try:
                    held.wait_merging_threads()
                except (ValueError, OSError) as exc:  # the folder was rebuilt meanwhile
                    log.warning("%s: %s", self, exc)

    def sync(self, archive: Archive, wait: float = 5.0) -> bool:
        """Apply the changes the archive logged since the index's last one. Raises
        :class:`RebuildNeeded` when the index must be rebuilt instead."""
        with self._lock:
            writer = self._held or self._writer(archive, wait)
            if writer is None:
                return False
            try:
                self.reload()
                state = self.state
                with archive.snapshot():
                    identity, last = archive.index_identity()
                    if state is None or state.archive != identity or state.format != FORMAT:
                        raise RebuildNeeded("the index is of another archive or format")
                    if last < state.seq:
                        raise RebuildNeeded(
                            "the index is ahead of the archive (a restored backup?)"
                        )
                    if last == state.seq:
                        return True
                    changed = archive.changed_since(state.seq)
                    for start in range(0, len(changed), 1000):
                        chunk = changed[start : start + 1000]
                        # By a query: the bindings' delete_documents_by_term reads a Python int
                        # as i64, whose term never matches this u64 field (tantivy-py 0.27).
                        writer.delete_documents_by_query(
                            tantivy.Query.term_set_query(SCHEMA, "row", list(chunk))
                        )
                        for row, data in archive.current_data(chunk):
                            writer.add_json(document_json(row, data).decode())
                _put_state(writer, IndexState(identity, last, FORMAT))
                writer.commit()
            finally:
                if writer is not self._held:
                    writer.wait_merging_threads()
            self.reload()
            return True

    def _writer(self, archive: Archive, wait: float) -> tantivy.IndexWriter | None:
        """The index's writer, waiting while another process holds it; None if it is
        still held after ``wait`` seconds or that process brought the index up to date."""
        deadline = time.monotonic() + wait
        while True:
            try:
                return self.index.writer(_HEAP, 1)
            except ValueError as exc:
                if "LockBusy" not in str(exc):
                    raise
            self.reload()
            state = self.state
            if state is not None and state.seq >= archive.last_change():
                return None
            if time.monotonic() > deadline:
                log.warning("%s: another process holds the index writer; searching as is", self)
                return None
            time.sleep(0.02)

    def __str__(self) -> str:
        return str(self.path or "in-memory index")


def _inode(path: Path) -> int | None:
    """The folder's inode: a rebuild swaps in a new folder (each commit writes a new
    ``meta.json``, so that file's inode says nothing)."""
    try:
        return path.stat().st_ino
    except OSError:
        return None


def read_state(searcher: tantivy.Searcher) -> IndexState | None:
    hits = searcher.search(tantivy.Query.term_query(SCHEMA, "doctype", "state"), 1).hits
    if not hits:
        return None
    text = searcher.doc(hits[0][1]).get_first("state")
    if not isinstance(text, str):
        return None
    try:
        return msgspec.json.decode(text, type=IndexState)
    except (msgspec.DecodeError, TypeError):
        return None


def _put_state(writer: tantivy.IndexWriter, state: IndexState) -> None:
    writer.delete_documents_by_term("doctype", "state")
    writer.add_json(
        _json.encode({"doctype": "state", "state": _json.encode(state).decode()}).decode()
    )


# -- opening and rebuilding ----------------------------------------------------------------

_open: dict[str, SearchIndex] = {}
_open_lock = threading.RLock()

Progress = Callable[[int, int], None]
"""Called with (cables indexed so far, cables in all) while rebuilding."""


def for_archive(archive: Archive, path: Path | None = None, wait: float = 5.0) -> SearchIndex:
    """The index of an archive, opened once per process, brought up to date (rebuilt when
    it is missing, damaged or of another archive)."""
    path = path or default_path(archive)
    key = str(path.resolve())
    with _open_lock:
        found = _open.get(key)
        if found is not None and found.inode != _inode(path):  # rebuilt by another process
            found = None
        if found is None:
            found = _open[key] = open_index(archive, path)
    try:
        found.current(archive, wait)
    except RebuildNeeded as exc:
        log.warning("%s: %s; rebuilding it", path, exc)
        with _open_lock:
            found = _open[key] = rebuild(archive, path)
    return found


def ready(archive: Archive, path: Path | None = None) -> SearchIndex | None:
    """The archive's index as it is, without bringing it up to date or building it: the
    one this process has open, else the one on disk if it is sound and of this archive;
    None when there is none yet (or only one of another archive or format). For what can
    do without the index rather than wait for it (a cable page's related cables); an index
    being rebuilt is still there, the old one, until the new one is swapped in."""
    path = path or default_path(archive)
    key = str(path.resolve())
    with _open_lock:
        found = _open.get(key)
    if found is not None and found.inode == _inode(path):
        return found
    if not (path / "meta.json").is_file():
        return None
    try:
        found = SearchIndex(path, tantivy.Index.open(str(path)))
        state = found.state
    except (ValueError, OSError):
        return None
    identity, last = archive.index_identity()
    if state is None or state.format != FORMAT or state.archive != identity or state.seq > last:
        return None
    with _open_lock:
        held = _open.get(key)
        if held is not None and held.inode == found.inode:
            return held
        _open[key] = found
        return found


def forget(path: Path | None = None) -> None:
    """Close the indexes this process holds open (all, or the one at ``path``)."""
    with _open_lock:
        if path is None:
            _open.clear()
        else:
            _open.pop(str(path.resolve()), None)


def open_index(archive: Archive, path: Path) -> SearchIndex:
    """The index at ``path`` if it is sound and of this archive, else a new one built."""
    try:
        index = SearchIndex(path, tantivy.Index.open(str(path)))
        state = index.state
        if state is not None and state.format == FORMAT:
            identity, last = archive.index_identity()
            if state.archive == identity and state.seq <= last:
                return index
    except (ValueError, OSError) as exc:  # missing or damaged
        log.info("%s: %s", path, exc)
    return rebuild(archive, path)


def rebuild(
    archive: Archive,
    path: Path,
    progress: Progress | None = None,
    jobs: int | None = None,
) -> SearchIndex:
    """Build the index anew from the archive (on ``jobs`` cores), in a new folder swapped in
    when it is complete. One process at a time; one that waited finds the index another
    built and uses it when it is current."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _rebuild_lock(path):
        for stale in path.parent.glob(f"{path.name}.new-*"):
            shutil.rmtree(stale, ignore_errors=True)
        for stale in path.parent.glob(f"{path.name}.old-*"):
            shutil.rmtree(stale, ignore_errors=True)
        new = path.with_name(f"{path.name}.new-{os.getpid()}")
        new.mkdir()
        index = SearchIndex(new, tantivy.Index(SCHEMA, str(new)))
        jobs = jobs or os.cpu_count() or 1
        writer = index.index.writer(min(1_000_000_000, 100_000_000 * jobs), jobs)
        try:
            with archive.snapshot():
                identity, last = archive.index_identity()
                total = archive.public_count()
                done = 0
                for docs in _documents(archive.all_current_data(), jobs):
                    for doc in docs:
                        writer.add_json(doc.decode())
                    done += len(docs)
                    if progress:
                        progress(done, total)
            _put_state(writer, IndexState(identity, last, FORMAT))
            writer.commit()
        finally:
            writer.wait_merging_threads()
        old = path.with_name(f"{path.name}.old-{os.getpid()}")
        with contextlib.suppress(FileNotFoundError):
            path.rename(old)
        new.rename(path)
        shutil.rmtree(old, ignore_errors=True)
    forget(path)
    opened = SearchIndex(path, tantivy.Index.open(str(path)))
    with _open_lock:
        _open[str(path.resolve())] = opened
    return opened


@contextlib.contextmanager
def _rebuild_lock(path: Path) -> Iterator[None]:
    with open(path.with_name(f"{path.name}.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _documents(batches: Iterable[list[tuple[int, bytes]]], jobs: int) -> Iterator[list[bytes]]:
    """Index documents of stored records, made on ``jobs`` worker processes (decoding and
    laying out the records is most of the work outside Tantivy)."""
    if jobs <= 1:
        for batch in batches:
            yield documents_json(batch)
        return
    from cablegate.workers import pool

    with pool(jobs) as executor:
        pending = []
        for batch in batches:
            pending.append(executor.submit(documents_json, batch))
            if len(pending) > 2 * jobs:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()


def in_memory(records: Iterable[tuple[int, Cable]]) -> SearchIndex:
    """A throwaway index of the given records, in memory (to run a query over records that
    are not public, e.g. choosing what to release, with the same compiler)."""
    index = SearchIndex(None, tantivy.Index(SCHEMA))
    writer = index.index.writer(50_000_000, 1)
    for row, cable in records:
        writer.add_json(_json.encode(document(row, cable)).decode())
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return index

"""Ingest: read inputs (I/O, main process), parse them on every core, store them in batches.

The order of inputs is stable and results are written in that order, one transaction per
batch, so a run that is killed and started again ends in the same state as one run: inputs
whose bytes are already stored are no-ops, the rest is written as if for the first time.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from cablegate import workers
from cablegate.archive import Archive, Outcome, Source, utc_now
from cablegate.archive.records import Prepared, prepare, stamp
from cablegate.archive.store import PUBLIC, Visibility, Writer
from cablegate.errors import ReadError, Unidentified
from cablegate.model import Cable, Inferred
from cablegate.parse.ids import split_id
from cablegate.readers.collect import (
    MISSING,
    Document,
    Meter,
    Skipped,
    bytes_documents,
    input_size,
    iter_documents,
    parse_document,
)
from cablegate.search import index as search_index

BATCH_DOCS = 1000
BATCH_BYTES = 16 << 20


@dataclass
class Report:
    """What an ingest did. Every input read is counted in exactly one of new, versions,
    unchanged, quarantined and skipped (files that are not cables, or not read, with
    why: ``skipped_reasons``)."""

    read: int = 0
    new: int = 0
    versions: int = 0
    unchanged: int = 0
    quarantined: int = 0
    skipped: int = 0
    skipped_reasons: Counter[str] = field(default_factory=Counter)
    dated: int = 0
    """Of new cables and versions, those whose source gives no release date: they took the
    one chosen at ingest (``--released``, by default the ingest time)."""
    missing: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """The reason of each input quarantined in this run (``path: reason``)."""
    seconds: float = 0.0
    index_seconds: float = 0.0
    """Of ``seconds``, the time spent bringing the search index up to date."""

    @property
    def balanced(self) -> bool:
        stored = self.new + self.versions
        return self.read == stored + self.unchanged + self.quarantined + self.skipped

    def skip(self, reason: str) -> None:
        self.read += 1
        self.skipped += 1
        self.skipped_reasons[reason] += 1

    def count(self, outcome: Outcome) -> None:
        self.read += 1
        if outcome is Outcome.NEW:
            self.new += 1
        elif outcome is Outcome.VERSION:
            self.versions += 1
        elif outcome is Outcome.UNCHANGED:
            self.unchanged += 1
        else:
            self.quarantined += 1

    def summary(self) -> str:
        rate = self.read / self.seconds if self.seconds else 0.0
        text = (
            f"read {self.read:,} inputs = {self.new:,} new cables + {self.versions:,} new "
            f"versions + {self.unchanged:,} unchanged + {self.quarantined:,} quarantined + "
            f"{self.skipped:,} skipped (not cables, or not read); "
            f"{self.seconds:.1f} s ({rate:,.0f} inputs/s, of which {self.index_seconds:.1f} s "
            "for the search index)"
        )
        if self.dated:
            text += f"; {self.dated:,} without a release date took the ingest's"
        if self.missing:
            text += f"; {len(self.missing)} path(s) not found: {', '.join(self.missing)}"
        return text


Parsed = Prepared | ReadError
Progress = Callable[[Report, int, int], None]
"""Called after each batch with the report so far, bytes read and total bytes."""


def parse_batch(docs: list[Document]) -> list[Parsed]:
    """Parse and prepare documents (runs in worker processes)."""
    results: list[Parsed] = []
    for doc in docs:
        item = parse_document(doc)
        results.append(prepare(item) if isinstance(item, Cable) else item)
    return results


@dataclass
class _Batch:
    items: list[Document | ReadError | Skipped]
    shas: dict[int, str]
    """Index of each Document in ``items`` -> SHA-256 of its bytes."""
    parsed: Future[list[Parsed]] | list[Parsed] | None = None
    todo: list[int] = field(default_factory=list)
    """Indexes of the Documents sent to parsing (their bytes were not in the archive)."""


def _batches(items: Iterator[Document | ReadError | Skipped]) -> Iterator[_Batch]:
    batch: list[Document | ReadError | Skipped] = []
    size = 0
    for item in items:
        batch.append(item)
        if isinstance(item, Document):
            size += len(item.data)
        if len(batch) >= BATCH_DOCS or size >= BATCH_BYTES:
            yield _hashed(batch)
            batch, size = [], 0
    if batch:
        yield _hashed(batch)


def _hashed(items: list[Document | ReadError | Skipped]) -> _Batch:
    shas = {
        i: hashlib.sha256(item.data).hexdigest()
        for i, item in enumerate(items)
        if isinstance(item, Document)
    }
    return _Batch(items, shas)


def _catch_up(archive: Archive, report: Report) -> None:
    """Bring the search index up to the archive's last commit, timed."""
    started = time.perf_counter()
    search_index.for_archive(archive)
    report.index_seconds += time.perf_counter() - started


def _no_index(archive: Archive, report: Report) -> None:
    """No search index to bring up to date (``ingest(update_index=False)``)."""


def ingest(
    archive: Archive,
    paths: Iterable[str | os.PathLike[str]],
    jobs: int | None = None,
    progress: Progress | None = None,
    visibility: Visibility = PUBLIC,
    follow_links: bool = False,
    update_index: bool = True,
) -> Report:
    """Read every input under ``paths`` into the archive; see :class:`Report`. What they
    bring is public at once (by default), private, or scheduled (``visibility``).
    ``follow_links``: follow symbolic links out of the folders given too.
    ``update_index``: bring this machine's search index up to date after each batch (not:
    it catches up by itself when it is next used, as every web server's own index of a
    PostgreSQL archive does)."""
    paths = [Path(p) for p in paths]
    jobs = jobs or os.cpu_count() or 1
    report = Report()
    started = time.perf_counter()
    total = input_size(paths, follow_links)
    _tick(progress, report, started, 0, total)
    meter = Meter()
    writer = archive.writer(utc_now(), visibility)
    pool = workers.pool(jobs) if jobs > 1 else None
    pending: deque[_Batch] = deque()
    index = search_index.for_archive(archive) if update_index else None
    catch_up = _catch_up if update_index else _no_index
    with index.writing() if index else contextlib.nullcontext():  # one writer for the run
        try:
            for batch in _batches(iter_documents(paths, meter, follow_links)):
                known = writer.known(list(batch.shas.values()))
                batch.todo = [i for i, sha in batch.shas.items() if sha not in known]
                docs = [batch.items[i] for i in batch.todo]
                batch.parsed = pool.submit(parse_batch, docs) if pool else parse_batch(docs)  # type: ignore[arg-type]
                pending.append(batch)
                while len(pending) > 2 * jobs:
                    _write(archive, writer, pending.popleft(), report)
                    catch_up(archive, report)  # the index catches up after each commit
                    _tick(progress, report, started, meter.position, total)
            while pending:
                _write(archive, writer, pending.popleft(), report)
                catch_up(archive, report)
                _tick(progress, report, started, meter.position, total)
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
        merging = time.perf_counter()  # leaving the block waits for the index's merges
    report.index_seconds += time.perf_counter() - merging
    archive.publish_due()  # a release time given in the past
    catch_up(archive, report)
    report.dated = writer.dated_at_ingest
    report.seconds = time.perf_counter() - started
    return report


def _tick(progress: Progress | None, report: Report, started: float, done: int, total: int) -> None:
    report.seconds = time.perf_counter() - started
    if progress is not None:
        progress(report, done, total)


def _write(archive: Archive, writer: Writer, batch: _Batch, report: Report) -> None:
    parsed = batch.parsed.result() if isinstance(batch.parsed, Future) else batch.parsed or []
    results = dict(zip(batch.todo, parsed, strict=True))
    with archive.transaction():
        stored: list[tuple[Prepared, Source]] = []
        """Cables to store, written together (:meth:`Writer.add_many`) before anything else
        is, so that every row is written in input order."""

        def store() -> None:
            for outcome in writer.add_many(stored):
                report.count(outcome)
            stored.clear()

        for i, item in enumerate(batch.items):
            if isinstance(item, Skipped):
                report.skip(item.reason)
                continue
            result = results.get(i)
            if isinstance(result, Prepared) and isinstance(item, Document):
                stored.append((result, Source(batch.shas[i], item.path, item.format, item.line)))
                continue
            store()
            if isinstance(item, ReadError):
                if item.reason == MISSING:
                    report.missing.append(item.path)
                    continue
                report.count(writer.quarantine(item.path, item.reason, item.raw))
                report.problems.append(str(item))
                continue
            source = Source(batch.shas[i], item.path, item.format, item.line)
            if isinstance(result, ReadError):
                result = identify(archive, result)
            if result is None:  # bytes already in the archive
                if not writer.seen(source):  # pragma: no cover - known() said otherwise
                    raise RuntimeError(f"{item.path}: input vanished from the archive")
                report.count(Outcome.UNCHANGED)
            elif isinstance(result, ReadError):
                outcome = writer.quarantine(
                    item.path, result.reason, item.data, item.format, item.line
                )
                report.count(outcome)
                report.problems.append(str(result))
            else:
                report.count(writer.add(result, source))
        store()


def identify(archive: Archive, error: ReadError) -> Prepared | ReadError:
    """A telegram whose text does not give its ID (:class:`Unidentified`: a copy that kept
    only the transmission header) is the archive's cable sent from the same station at the
    same minute, when there is exactly one; else the error stays, saying why."""
    if not isinstance(error, Unidentified):
        return error
    if error.station is None or error.created is None:
        return error
    when = stamp(error.created)
    year = f"{error.created.year % 100:02d}"
    matches = [
        cable_id
        for cable_id in archive.sent_at(when or "")
        if (parts := split_id(cable_id)) and parts[:2] == (year, error.station)
    ]
    where = f"{error.station} at {error.created:%Y-%m-%d %H:%M} UTC"
    if len(matches) != 1:
        found = "no public cable" if not matches else f"{len(matches)} cables"
        return ReadError(
            error.path,
            f"{error.reason}, and the archive holds {found} sent from {where} to match it "
            "with (ingest the cable's full text first, then: cablegate quarantine --retry)",
            error.raw,
        )
    cable_id = matches[0]
    how = Inferred(
        "reference_id",
        f"the text names no reference number; {cable_id} is the one cable of this archive "
        f"sent from {where}, the telegram's sender and date-time group",
    )
    cable = msgspec.structs.replace(
        error.cable,
        reference_id=cable_id,
        canonical_id=cable_id,
        inferred=[how, *error.cable.inferred],
    )
    return prepare(cable)


def retry_quarantine(
    archive: Archive, ids: Iterable[int] | None = None, visibility: Visibility = PUBLIC
) -> Report:
    """Read quarantined inputs again (after a parser fix): those that now parse are stored
    (with ``visibility``) and leave the quarantine; the others stay, with the new error and
    one more attempt."""
    wanted = set(ids) if ids is not None else None
    report = Report()
    started = time.perf_counter()
    writer = archive.writer(utc_now(), visibility)
    for entry in archive.quarantined():
        if wanted is not None and entry.id not in wanted:
            continue
        raw = archive.quarantine_raw(entry.id)
        if raw is None:
            _retry_file(archive, entry.id, entry.path, report, visibility)
            continue
        if entry.format is not None:
            docs: list[Document | ReadError | Skipped] = [
                Document(entry.path, entry.format, raw, entry.row)
            ]
        else:
            docs = list(bytes_documents(raw, entry.path))
        with archive.transaction():
            failures = []
            outcomes = []
            for doc in docs:
                if isinstance(doc, Skipped):
                    report.skip(doc.reason)
                    continue
                parsed = doc if isinstance(doc, ReadError) else parse_document(doc)
                result = identify(archive, parsed) if isinstance(parsed, ReadError) else parsed
                if isinstance(result, ReadError):
                    failures.append(result)
                    continue
                assert isinstance(doc, Document)
                sha = hashlib.sha256(doc.data).hexdigest()
                source = Source(sha, doc.path, doc.format, doc.line)
                ready = result if isinstance(result, Prepared) else prepare(result)
                outcomes.append(writer.add(ready, source))
            if failures:
                writer.quarantine_failed_again(entry.id, failures[0].reason)
                report.count(Outcome.QUARANTINED)
                report.problems.append(str(failures[0]))
            else:
                writer.unquarantine(entry.id)
                for outcome in outcomes:
                    report.count(outcome)
    search_index.for_archive(archive)
    report.dated += writer.dated_at_ingest
    report.seconds = time.perf_counter() - started
    return report


def _retry_file(
    archive: Archive, entry_id: int, path: str, report: Report, visibility: Visibility
) -> None:
    """A quarantined input without stored bytes (e.g. a corrupt archive): read its file again."""
    outer = Path(path.split("!", 1)[0])
    if not outer.is_file():
        with archive.transaction():
            archive.writer(utc_now()).quarantine_failed_again(entry_id)
        report.count(Outcome.QUARANTINED)
        report.problems.append(f"{path}: cannot retry, {outer} is gone")
        return
    with archive.transaction():
        archive.writer(utc_now()).unquarantine(entry_id)
    again = ingest(archive, [outer], jobs=1, visibility=visibility)
    for name in ("read", "new", "versions", "unchanged", "quarantined", "skipped", "dated"):
        setattr(report, name, getattr(report, name) + getattr(again, name))
    report.skipped_reasons.update(again.skipped_reasons)
    report.problems.extend(again.problems)

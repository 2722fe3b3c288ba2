"""``cablegate build-site OUT/``: the whole Cable Viewer as static files.

The pages are the served site's pages (:class:`cablegate.site.pages.Site`), at the same
paths, so any web server or CDN can serve the folder and old links keep working. Rendering
runs on every core. A build is incremental: a page is written only when its bytes differ
from the last build's (the manifest says what they were), so unchanged files keep their
mtime and a mirror's rsync moves only what changed; pages that no longer exist are removed.

``MANIFEST.sha256`` lists every file with its SHA-256, in ``sha256sum`` format, so a mirror
can check its copy with ``sha256sum -c MANIFEST.sha256``.

A build's memory does not grow with the number of files (some 10 million for PlusD's 2.3
million records): the last manifest and the files this build wrote are kept on disk, in two
scratch ledgers in the output folder (:class:`cablegate.archive.ledger.Ledger`), and the
rendering processes are fed a few tasks at a time.

The mirror's search is ``/search.html`` over a Pagefind index in ``pagefind/``
(:mod:`cablegate.site.static_search`). Pagefind writes an index whole, so it is rebuilt only
when what it would hold changed (the report says why); its files too are written only when
their bytes differ (most are named by their content: a new cable adds one record file and
rewrites the word lists).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import shutil
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cablegate import workers
from cablegate.archive import Archive
from cablegate.archive.ledger import Ledger
from cablegate.site import static_search
from cablegate.site.pages import SEARCH_PAGE, STATIC_PAGES, Page, Site
from cablegate.site.views import PAGE_SIZE

MANIFEST = "MANIFEST.sha256"
NOT_FOUND_PAGE = "/404.html"
"""The page a web server shows for a missing path (``ErrorDocument 404 /404.html``)."""
STATIC = Path(__file__).resolve().parent / "static"
CABLES_PER_TASK = 400
TEMPORARY = re.compile(r"\..+\.(?:\d+\.)?tmp")
"""Names of the temporary files a build writes and renames (``.NAME.PID.tmp``, and
``.MANIFEST.sha256.tmp``), and of its scratch ledgers (``.manifest-old.PID.tmp``,
``.manifest-new.PID.tmp``): one left over is a killed build's."""
LAST_LEDGER = ".manifest-old.{pid}.tmp"
"""The last build's manifest, as a ledger the rendering processes look files up in."""
NEW_LEDGER = ".manifest-new.{pid}.tmp"
"""The files this build wrote or found unchanged: the next manifest."""
TASKS_AHEAD = 4
"""Tasks sent to the rendering processes and not yet done, per process at most."""
WRITTEN_PATHS = 10_000
"""The written files a report lists at most (:attr:`BuildReport.written_paths`)."""
ROWS_PER_TASK = 4000
SEARCH_JOBS = 2
"""Parts of the search index written at once at most (Pagefind needs some 5 GB for one part
of 10,000 cables)."""
SEARCH_LEFTOVER = re.compile(r"\.pagefind\.\d+\.tmp")
"""The folder a build writes the search index to before moving its files into place."""

Progress = Callable[["BuildReport", int, int], None]


@dataclass
class BuildReport:
    files: int = 0
    written: int = 0
    removed: int = 0
    bytes: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    written_paths: list[str] = field(default_factory=list)
    """The first :data:`WRITTEN_PATHS` (10,000) written files, in path order: all of them
    on a small build (``written`` counts them all)."""
    search: str = ""
    """What became of the search index, and why (one line)."""
    search_seconds: float = 0.0
    """The time spent on the search index."""

    @property
    def unchanged(self) -> int:
        return self.files - self.written

    def summary(self) -> str:
        rate = self.files / self.seconds if self.seconds else 0.0
        search = f"; search index: {self.search} in {self.search_seconds:.1f} s"
        return (
            f"{self.files:,} files ({self.bytes / 2**20:,.1f} MiB): {self.written:,} written, "
            f"{self.unchanged:,} unchanged, {self.removed:,} removed; "
            f"{len(self.errors)} errors; {self.seconds:.1f} s ({rate:,.0f} files/s)"
            + (search if self.search else "")
        )


@dataclass(frozen=True)
class _Entry:
    path: str
    """Relative to the output folder (``cable/2008/04/08STATE37957.html``)."""
    sha256: str
    size: int
    written: bool


# -- worker side (one Site per process) ------------------------------------------------------

_state: dict[str, object] = {}


def _open_site(db: str | None, out: str, base_url: str, last: str) -> None:
    """A process's site, and the last build's ledger at ``last`` (opened to read)."""
    site = Site(Archive.open(db, read_only=True), base_url, served=False)
    _state.update(site=site, out=Path(out), old=Ledger.open(Path(last)))


def _close_ledger() -> None:
    """Close this process's copy of the last build's ledger (before it is deleted)."""
    old = _state.pop("old", None)
    if isinstance(old, Ledger):
        old.close()


def _site() -> Site:
    site = _state["site"]
    assert isinstance(site, Site)
    return site


def _save(url_path: str, data: bytes) -> _Entry:
    """Write one file unless the last build wrote the same bytes (and it is still there)."""
    out = _state["out"]
    old = _state["old"]
    assert isinstance(out, Path) and isinstance(old, Ledger)
    rel = file_path(url_path)
    sha = hashlib.sha256(data).hexdigest()
    target = out / rel
    if old.get(rel) == sha and target.is_file():
        return _Entry(rel, sha, len(data), False)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    temporary.replace(target)
    return _Entry(rel, sha, len(data), True)


def _pages(pages: Iterable[tuple[str, Page]], status: int = 200) -> Iterator[_Entry | str]:
    for url_path, page in pages:
        if page.status != status:
            yield f"{url_path}: rendered as {page.status} {page.location or ''}".rstrip()
        else:
            yield _save(url_path, page.html.encode())


def _task(kind: str, items: list[Any]) -> list[_Entry | str]:
    """Render one task's pages; an error names the page and the build goes on."""
    site = _site()
    results: list[_Entry | str] = []
    for item in items:
        try:
            if kind == "cable":
                results.extend(_pages([(item, site.page(item))]))
            elif kind == "browse":
                results.extend(_pages(site.browse_all(*item)))
            elif kind == "page" and item == NOT_FOUND_PAGE:
                results.extend(_pages([(item, site.not_found("such page", item))], 404))
            elif kind == "page" and item == SEARCH_PAGE:
                results.extend(_pages([(item, site.search_page())]))
            elif kind == "page":
                results.extend(_pages([(item, site.page(item))]))
            elif kind == "static":
                results.append(_save("/static/" + item, (STATIC / item).read_bytes()))
        except Exception as exc:  # reported with the page, and the build goes on
            results.append(f"{item}: {type(exc).__name__}: {exc}")
    return results


# -- main side ------------------------------------------------------------------------------


def file_path(url_path: str) -> str:
    """The file that holds a URL path (``/`` is ``index.html``); never outside the folder."""
    rel = url_path.lstrip("/") or "index.html"
    parts = rel.split("/")
    if any(part in ("", ".", "..") for part in parts) or "\\" in rel or "\0" in rel:
        raise ValueError(f"{url_path!r} is not a page path")
    return rel


def read_manifest(out: Path) -> dict[str, str]:
    """The manifest in ``out`` as a dict of path to SHA-256 (for a look at a small mirror:
    a build reads it into a ledger instead)."""
    return dict(_manifest(out / MANIFEST))


def _manifest(path: Path) -> Iterator[tuple[str, str]]:
    """(path, SHA-256) of each line of a manifest, read a line at a time (none if there is
    no manifest)."""
    if not path.is_file():
        return
    with path.open("rb") as lines:
        for line in lines:
            sha, _, rel = line.rstrip(b"\r\n").decode("utf-8").partition("  ")
            if rel:
                yield rel, sha


def _entry(entry: _Entry) -> tuple[str, str, int, bool]:
    return entry.path, entry.sha256, entry.size, entry.written


def _tasks(site: Site) -> tuple[Iterator[tuple[str, list[Any]]], int]:
    """The build's tasks, made as they are taken (the cables' a chunk at a time), and how
    many pages they will give (for the progress bar)."""
    pages = [
        "/index.html",
        *(f"/{name}" for name in STATIC_PAGES),
        *site.index_paths(),
        *site.feed_paths(),
        *site.sitemap_paths(),
    ]
    statics = sorted(p.relative_to(STATIC).as_posix() for p in STATIC.rglob("*") if p.is_file())
    expected = len(pages) + 2 + len(statics)
    expected += sum(1 for _ in site.cable_paths())
    browse: list[tuple[str, list[Any]]] = []
    batch: list[tuple[str, str]] = []
    rows = 0
    for kind, key, count in site.browse_listings():
        expected += max(1, -(-count // PAGE_SIZE))
        batch.append((kind, key))
        rows += count
        if rows >= ROWS_PER_TASK:
            browse.append(("browse", batch))
            batch, rows = [], 0
    if batch:
        browse.append(("browse", batch))

    def tasks() -> Iterator[tuple[str, list[Any]]]:
        yield "page", [*pages, NOT_FOUND_PAGE, SEARCH_PAGE]
        yield "static", statics
        cables = (path for _, path in site.cable_paths())
        while chunk := list(itertools.islice(cables, CABLES_PER_TASK)):
            yield "cable", chunk
        yield from browse

    return tasks(), expected


def _run(
    pool: ProcessPoolExecutor, tasks: Iterator[tuple[str, list[Any]]], ahead: int
) -> Iterator[list[_Entry | str]]:
    """The tasks' results in order, with at most ``ahead`` tasks sent and not taken back
    (``pool.map`` would send them all at once, and hold every result not yet read)."""
    pending: deque[Future[list[_Entry | str]]] = deque()
    for kind, items in tasks:
        pending.append(pool.submit(_task, kind, items))
        if len(pending) >= ahead:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def build_site(
    db: str | None,
    out: Path,
    jobs: int = 1,
    base_url: str = "",
    progress: Progress | None = None,
) -> BuildReport:
    """Render every page of the archive at ``db`` into ``out`` (see the module doc), after
    publishing the releases that are due."""
    started = time.perf_counter()
    with Archive.open(db, create=False) as archive:
        archive.publish_due()
    out.mkdir(parents=True, exist_ok=True)
    report = BuildReport()
    report.removed = _remove_leftovers(out)
    last = out / LAST_LEDGER.format(pid=os.getpid())
    scratch = out / NEW_LEDGER.format(pid=os.getpid())
    new: Ledger | None = None
    try:
        # Before the workers start (they read it); a manifest is in path order.
        with Ledger.create(last, in_order=True) as loading:
            loading.put((rel, sha, 0, False) for rel, sha in _manifest(out / MANIFEST))
        _open_site(db, str(out), base_url, str(last))
        old = _state["old"]
        assert isinstance(old, Ledger)
        tasks, expected = _tasks(_site())
        new = Ledger.create(scratch)
        _render(db, out, base_url, last, new, tasks, expected, jobs, report, progress, started)
        indexing = time.perf_counter()
        try:
            report.search = _search_index(db, out, old, new, jobs)
        except Exception as exc:  # reported, and the build goes on with what is there
            report.errors.append(f"search index: {type(exc).__name__}: {exc}")
            report.search = "not rebuilt (see the errors); the next build tries again"
            (out / static_search.STATE).unlink(missing_ok=True)
            # (only the search index is in its folder: what it put there is read anew)
            new.drop_under(static_search.FOLDER + "/")
            new.put(_entry(e) for e in _files(out, out / static_search.FOLDER))
        report.search_seconds = time.perf_counter() - indexing
        report.removed += _remove_stale(out, last, new)
        _write_manifest(out, new)
        report.files, report.written, report.bytes = new.totals()
        report.written_paths = new.written_paths(WRITTEN_PATHS)
    finally:
        _close_ledger()
        if new is not None:
            new.close()
        last.unlink(missing_ok=True)
        scratch.unlink(missing_ok=True)
    report.seconds = time.perf_counter() - started
    return report


def _render(
    db: str | None,
    out: Path,
    base_url: str,
    last: Path,
    new: Ledger,
    tasks: Iterator[tuple[str, list[Any]]],
    expected: int,
    jobs: int,
    report: BuildReport,
    progress: Progress | None,
    started: float,
) -> None:
    """Render the pages on ``jobs`` processes, into the ledger ``new`` as they come."""
    pool = workers.pool(jobs, _open_site, (db, str(out), base_url, str(last))) if jobs > 1 else None
    try:
        results: Iterable[list[_Entry | str]]
        if pool is None:
            results = (_task(kind, items) for kind, items in tasks)
        else:
            results = _run(pool, tasks, TASKS_AHEAD * jobs)
        done = 0
        for batch in results:
            report.errors += [result for result in batch if isinstance(result, str)]
            done += new.put(_entry(e) for e in batch if isinstance(e, _Entry))
            if progress is not None:
                report.files, report.seconds = done, time.perf_counter() - started
                progress(report, done, expected)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _files(out: Path, folder: Path) -> Iterator[_Entry]:
    """The files in a folder of ``out`` as they are (none written)."""
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            rel = path.relative_to(out).as_posix()
            data = path.read_bytes()
            yield _Entry(rel, hashlib.sha256(data).hexdigest(), len(data), False)


def _search_index(db: str | None, out: Path, old: Ledger, new: Ledger, jobs: int = 1) -> str:
    """Put the search index's files in ``new``: its parts rebuilt where they would not hold
    what they hold (:mod:`.static_search`); and what was done, and why."""
    folder = static_search.FOLDER
    state = static_search.index_state(db)
    try:
        last = json.loads((out / static_search.STATE).read_text("utf-8"))
        last_parts = last["parts"] if static_search.STATE in old else {}
        if {k: last.get(k) for k in static_search.version_state()} != static_search.version_state():
            last_parts = {}
    except (OSError, ValueError, KeyError, TypeError):
        last, last_parts = None, {}
    rebuild: dict[str, str] = {}
    for part, holds in state["parts"].items():
        files = old.under(f"{folder}/{part}/")
        if last_parts.get(part) != holds:
            rebuild[part] = "changed" if part in last_parts else "new"
        elif not files or any(not (out / rel).is_file() for rel, _ in files):
            rebuild[part] = "files missing"
        else:
            new.put((rel, sha, (out / rel).stat().st_size, False) for rel, sha in files)
    work = out / f".pagefind.{os.getpid()}.tmp"
    shutil.rmtree(work, ignore_errors=True)
    try:
        # Parts side by side on up to SEARCH_JOBS cores (each Pagefind holds its part in memory)
        with ThreadPoolExecutor(max(1, min(jobs, SEARCH_JOBS))) as pool:
            done = pool.map(lambda k: static_search.write_part(db, int(k), work / k), rebuild)
            written = dict(zip(rebuild, done, strict=True))
        for part, holds in written.items():
            state["parts"][part] = holds  # (as read while indexing)
            paths = sorted(p for p in (work / part).rglob("*") if p.is_file())
            new.put(
                _entry(_move(path, out / rel, rel, old))
                for path in paths
                for rel in [f"{folder}/{part}/{path.relative_to(work / part).as_posix()}"]
            )
            shutil.rmtree(work / part)
        # Last: it says the parts are done (and the search page reads it to find them).
        (work / "index.json").parent.mkdir(parents=True, exist_ok=True)
        (work / "index.json").write_text(json.dumps(state, sort_keys=True) + "\n", "utf-8")
        state_file = _move(work / "index.json", out / static_search.STATE, static_search.STATE, old)
        new.put([_entry(state_file)])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    count = sum(p["cables"] for p in state["parts"].values())
    parts = f"{len(state['parts']):,} part" + ("" if len(state["parts"]) == 1 else "s")
    if not rebuild:
        return f"unchanged ({count:,} cables in {parts}, as indexed)"
    if last is None:
        return f"built, {count:,} cables in {parts} (no index yet)"
    why = ", ".join(f"part {k} {v}" for k, v in rebuild.items())
    return f"{len(rebuild):,} of {parts} rebuilt, {count:,} cables ({why})"


def _move(path: Path, target: Path, rel: str, old: Ledger) -> _Entry:
    """Put a new file of the search index in place unless the same bytes are there."""
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    written = not (old.get(rel) == sha and target.is_file())
    if written:
        target.parent.mkdir(parents=True, exist_ok=True)
        path.replace(target)
    return _Entry(rel, sha, len(data), written)


def _remove_leftovers(out: Path) -> int:
    """Remove the temporary files of a build that was killed before renaming them (in no
    manifest, and a mirror would publish them)."""
    removed = 0
    for folder in out.glob(".pagefind.*.tmp"):
        if SEARCH_LEFTOVER.fullmatch(folder.name) and folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    for path in out.rglob(".*tmp"):
        if TEMPORARY.fullmatch(path.name) and path.is_file() and not path.is_symlink():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _remove_stale(out: Path, last: Path, new: Ledger) -> int:
    """Remove the files of the last build (its ledger at ``last``) that this one did not
    write or keep."""
    removed = 0
    for rel in new.stale(last):
        if (out / rel).is_file():
            (out / rel).unlink()
            removed += 1
    return removed


def _write_manifest(out: Path, new: Ledger) -> None:
    """``MANIFEST.sha256`` of the files in the ledger, in path order, a line at a time."""
    temporary = out / f".{MANIFEST}.tmp"
    with temporary.open("w", encoding="utf-8") as manifest:
        manifest.writelines(f"{sha}  {rel}\n" for sha, rel in new.lines())
    temporary.replace(out / MANIFEST)

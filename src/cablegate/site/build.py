"""``cablegate build-site OUT/``: the whole Cable Viewer as static files.

The pages are the served site's pages (:class:`cablegate.site.pages.Site`), at the same
paths, so any web server or CDN can serve the folder and old links keep working. Rendering
runs on every core. A build is incremental: a page is written only when its bytes differ
from the last build's (the manifest says what they were), so unchanged files keep their
mtime and a mirror's rsync moves only what changed; pages that no longer exist are removed.

``MANIFEST.sha256`` lists every file with its SHA-256, in ``sha256sum`` format, so a mirror
can check its copy with ``sha256sum -c MANIFEST.sha256``.

The mirror's search is ``/search.html`` over a Pagefind index in ``pagefind/``
(:mod:`cablegate.site.static_search`). Pagefind writes an index whole, so it is rebuilt only
when what it would hold changed (the report says why); its files too are written only when
their bytes differ (most are named by their content: a new cable adds one record file and
rewrites the word lists).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cablegate import workers
from cablegate.archive import Archive
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
``.MANIFEST.sha256.tmp``): one left over was cut short by a killed build."""
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


def _open_site(db: str | None, out: str, base_url: str, old: dict[str, str]) -> None:
    site = Site(Archive.open(db, read_only=True), base_url, served=False)
    _state.update(site=site, out=Path(out), old=old)


def _site() -> Site:
    site = _state["site"]
    assert isinstance(site, Site)
    return site


def _save(url_path: str, data: bytes) -> _Entry:
    """Write one file unless the last build wrote the same bytes (and it is still there)."""
    out = _state["out"]
    old = _state["old"]
    assert isinstance(out, Path) and isinstance(old, dict)
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
    path = out / MANIFEST
    if not path.is_file():
        return {}
    found: dict[str, str] = {}
    for line in path.read_text("utf-8").splitlines():
        sha, _, rel = line.partition("  ")
        if rel:
            found[rel] = sha
    return found


def _tasks(site: Site) -> tuple[list[tuple[str, list[Any]]], int]:
    """The build's tasks, and how many pages they will give (for the progress bar)."""
    tasks: list[tuple[str, list[Any]]] = []
    pages = [
        "/index.html",
        *(f"/{name}" for name in STATIC_PAGES),
        *site.index_paths(),
        *site.feed_paths(),
        *site.sitemap_paths(),
    ]
    tasks.append(("page", [*pages, NOT_FOUND_PAGE, SEARCH_PAGE]))
    statics = sorted(p.relative_to(STATIC).as_posix() for p in STATIC.rglob("*") if p.is_file())
    tasks.append(("static", statics))
    expected = len(pages) + 2 + len(statics)
    cables = [path for _, path in site.cable_paths()]
    expected += len(cables)
    for start in range(0, len(cables), CABLES_PER_TASK):
        tasks.append(("cable", cables[start : start + CABLES_PER_TASK]))
    batch: list[tuple[str, str]] = []
    rows = 0
    for kind, key, count in site.browse_listings():
        expected += max(1, -(-count // PAGE_SIZE))
        batch.append((kind, key))
        rows += count
        if rows >= ROWS_PER_TASK:
            tasks.append(("browse", batch))
            batch, rows = [], 0
    if batch:
        tasks.append(("browse", batch))
    return tasks, expected


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
    old = read_manifest(out)
    report = BuildReport()
    report.removed = _remove_leftovers(out)
    entries: dict[str, _Entry] = {}
    _open_site(db, str(out), base_url, old)
    tasks, expected = _tasks(_site())
    pool = workers.pool(jobs, _open_site, (db, str(out), base_url, old)) if jobs > 1 else None
    try:
        results: Iterable[list[_Entry | str]]
        if pool is None:
            results = (_task(kind, items) for kind, items in tasks)
        else:
            results = pool.map(_task, *zip(*tasks, strict=True))
        for batch in results:
            for result in batch:
                if isinstance(result, str):
                    report.errors.append(result)
                    continue
                entries[result.path] = result
            if progress is not None:
                report.files, report.seconds = len(entries), time.perf_counter() - started
                progress(report, len(entries), expected)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    indexing = time.perf_counter()
    try:
        found, report.search = _search_index(db, out, old, jobs)
        entries.update((entry.path, entry) for entry in found)
    except Exception as exc:  # reported, and the build goes on with what is there
        report.errors.append(f"search index: {type(exc).__name__}: {exc}")
        report.search = "not rebuilt (see the errors); the next build tries again"
        (out / static_search.STATE).unlink(missing_ok=True)
        for path in (out / static_search.FOLDER).rglob("*"):
            if path.is_file() and not path.is_symlink():
                rel = path.relative_to(out).as_posix()
                data = path.read_bytes()
                entries[rel] = _Entry(rel, hashlib.sha256(data).hexdigest(), len(data), False)
    report.search_seconds = time.perf_counter() - indexing
    report.removed += _remove_stale(out, old, entries)
    _write_manifest(out, entries)
    report.files = len(entries)
    report.written_paths = sorted(e.path for e in entries.values() if e.written)
    report.written = len(report.written_paths)
    report.bytes = sum(e.size for e in entries.values())
    report.seconds = time.perf_counter() - started
    return report


def _search_index(
    db: str | None, out: Path, old: dict[str, str], jobs: int = 1
) -> tuple[list[_Entry], str]:
    """The search index's files: its parts rebuilt where they would not hold what they hold
    (:mod:`.static_search`); and what was done, and why."""
    folder = static_search.FOLDER
    state = static_search.index_state(db)
    try:
        last = json.loads((out / static_search.STATE).read_text("utf-8"))
        last_parts = last["parts"] if static_search.STATE in old else {}
        if {k: last.get(k) for k in static_search.version_state()} != static_search.version_state():
            last_parts = {}
    except (OSError, ValueError, KeyError, TypeError):
        last, last_parts = None, {}
    listed: dict[str, dict[str, str]] = {}
    for rel, sha in old.items():
        part = rel.split("/")[1] if rel.startswith(folder + "/") and rel.count("/") >= 2 else None
        if part is not None:
            listed.setdefault(part, {})[rel] = sha
    entries: list[_Entry] = []
    rebuild: dict[str, str] = {}
    for part, holds in state["parts"].items():
        files = listed.get(part, {})
        if last_parts.get(part) != holds:
            rebuild[part] = "changed" if part in last_parts else "new"
        elif not files or any(not (out / rel).is_file() for rel in files):
            rebuild[part] = "files missing"
        else:
            entries += [
                _Entry(rel, sha, (out / rel).stat().st_size, False) for rel, sha in files.items()
            ]
    work = out / f".pagefind.{os.getpid()}.tmp"
    shutil.rmtree(work, ignore_errors=True)
    try:
        # Parts side by side on up to SEARCH_JOBS cores (each Pagefind holds its part in memory)
        with ThreadPoolExecutor(max(1, min(jobs, SEARCH_JOBS))) as pool:
            done = pool.map(lambda k: static_search.write_part(db, int(k), work / k), rebuild)
            written = dict(zip(rebuild, done, strict=True))
        for part, holds in written.items():
            state["parts"][part] = holds  # (as read while indexing)
            for path in sorted(p for p in (work / part).rglob("*") if p.is_file()):
                rel = f"{folder}/{part}/{path.relative_to(work / part).as_posix()}"
                entries.append(_move(path, out / rel, rel, old))
            shutil.rmtree(work / part)
        # Last: it says the parts are done (and the search page reads it to find them).
        (work / "index.json").parent.mkdir(parents=True, exist_ok=True)
        (work / "index.json").write_text(json.dumps(state, sort_keys=True) + "\n", "utf-8")
        entries.append(
            _move(work / "index.json", out / static_search.STATE, static_search.STATE, old)
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    count = sum(p["cables"] for p in state["parts"].values())
    parts = f"{len(state['parts']):,} part" + ("" if len(state["parts"]) == 1 else "s")
    if not rebuild:
        return entries, f"unchanged ({count:,} cables in {parts}, as indexed)"
    if last is None:
        return entries, f"built, {count:,} cables in {parts} (no index yet)"
    why = ", ".join(f"part {k} {v}" for k, v in rebuild.items())
    return entries, f"{len(rebuild):,} of {parts} rebuilt, {count:,} cables ({why})"


def _move(path: Path, target: Path, rel: str, old: dict[str, str]) -> _Entry:
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


def _remove_stale(out: Path, old: dict[str, str], entries: dict[str, _Entry]) -> int:
    removed = 0
    for rel in old:
        if rel not in entries and (out / rel).is_file():
            (out / rel).unlink()
            removed += 1
    return removed


def _write_manifest(out: Path, entries: dict[str, _Entry]) -> None:
    lines = [f"{entries[rel].sha256}  {rel}\n" for rel in sorted(entries)]
    temporary = out / f".{MANIFEST}.tmp"
    temporary.write_text("".join(lines), "utf-8")
    temporary.replace(out / MANIFEST)

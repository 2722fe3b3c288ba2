"""The static build's memory does not grow with the number of files (issue 22): the last
manifest and this build's files are kept in scratch ledgers on disk (SQLite files in the
output folder), removed after the build and after a killed one; the rendering processes look
files up there rather than each holding a copy of the manifest."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cablegate.archive import Archive
from cablegate.archive.ledger import Ledger
from cablegate.ingest import ingest
from cablegate.site import build
from cablegate.site.build import MANIFEST, build_site, read_manifest
from tests.conftest import requires_corpus, write_first_pages

pytestmark = requires_corpus
linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

PAGES = 40
FAKE = 500_000
"""Paths of files no longer there that an old manifest lists (a dict of them would take
some 130 MiB in the build's process and in every rendering process)."""
MIB = 2**20


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An SQLite archive of the corpus's first cable pages."""
    folder = tmp_path_factory.mktemp("pages")
    write_first_pages(folder, PAGES)
    path = str(folder.parent / "small.db")
    with Archive.open(path) as archive:
        assert ingest(archive, [folder], jobs=1).new == PAGES
    return path


def _scratch(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith(".manifest-"))


def test_a_killed_builds_scratch_ledgers_are_removed(db: str, tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    assert not build_site(db, clean).errors
    out = tmp_path / "out"
    out.mkdir()
    # What a build killed by SIGKILL leaves: its two ledgers (one a real SQLite file).
    with Ledger.create(out / ".manifest-old.123.tmp") as ledger:
        ledger.put([("index.html", "0" * 64, 0, False)])
    (out / ".manifest-new.123.tmp").write_bytes(b"SQLite format 3\0half")
    report = build_site(db, out, jobs=2)
    assert not report.errors and report.removed == 2
    assert _scratch(out) == [] and _scratch(clean) == []
    manifest = (out / MANIFEST).read_bytes()
    assert b".manifest-" not in manifest
    assert manifest == (clean / MANIFEST).read_bytes()
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == sorted([*read_manifest(out), MANIFEST])


def test_the_report_lists_the_first_written_paths_and_counts_them_all(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build, "WRITTEN_PATHS", 5)
    out = tmp_path / "www"
    report = build_site(db, out)
    manifest = read_manifest(out)
    # Every file is new: the first five paths of all, in the order of their code points.
    assert report.written == report.files == len(manifest) > PAGES
    assert report.written_paths == sorted(manifest)[:5]
    assert report.bytes == sum((out / rel).stat().st_size for rel in manifest)
    again = build_site(db, out)
    assert (again.written, again.written_paths, again.files) == (0, [], report.files)


def test_the_ledger_keeps_pythons_order_and_a_folders_range(tmp_path: Path) -> None:
    paths = ["a/z", "a/Z", "a/é", "a/\u4e2d", "a/\U0001f600", "a/0", "a/0/x", "a/00/x", "a.x"]
    paths += ["pagefind/0/f", "pagefind/0.x", "pagefind/00/f", "pagefind/1/f", "pagefind/0/g/h"]
    with Ledger.create(tmp_path / ".ledger.tmp") as ledger:
        ledger.put((p, f"sha-{i}", i, i % 2 == 0) for i, p in enumerate(reversed(paths)))
        ledger.put([("a/z", "again", 7, False)])  # the last one put wins
        assert [p for _, p in ledger.lines()] == sorted(paths)
        assert ledger.get("a/z") == "again" and ledger.get("a/y") is None
        assert "a/é" in ledger and "a/e" not in ledger
        assert [p for p, _ in ledger.under("pagefind/0/")] == ["pagefind/0/f", "pagefind/0/g/h"]
        assert [p for p, _ in ledger.under("a/0/")] == ["a/0/x"]
        ledger.drop_under("pagefind/0/")
        assert "pagefind/0/f" not in ledger and "pagefind/00/f" in ledger
    with Ledger.create(tmp_path / ".last.tmp") as last:
        last.put(
            [("a/z", "x", 0, False), ("gone/1", "x", 0, False), ("pagefind/0/f", "x", 0, False)]
        )
    with Ledger.open(tmp_path / ".ledger.tmp") as ledger:
        assert list(ledger.stale(tmp_path / ".last.tmp")) == ["gone/1", "pagefind/0/f"]
        assert list(ledger.stale(tmp_path / ".last.tmp")) == ["gone/1", "pagefind/0/f"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".last.tmp", ".ledger.tmp"]


_BUILD = """
import json, re, resource, sys
from pathlib import Path
from cablegate.site.build import build_site
report = build_site(sys.argv[1], Path(sys.argv[2]), jobs=2)
status = Path("/proc/self/status").read_text()
print(json.dumps({
    "files": report.files, "written": report.written, "removed": report.removed,
    "errors": report.errors, "written_paths": report.written_paths,
    "self": int(re.search(r"VmHWM:\\s*(\\d+) kB", status).group(1)),
    "workers": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
}))
"""


def _build(db: str, out: Path) -> dict[str, object]:
    """Build in a process of its own: its report, and the peak RSS (KiB) of the process and
    of its largest rendering process. (The process's own peak is its memory's, VmHWM: its
    ``ru_maxrss`` would count this process's too, from before ``exec``.)"""
    done = subprocess.run(
        [sys.executable, "-c", _BUILD, db, str(out)], capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


@linux
def test_a_huge_old_manifest_is_read_from_disk_and_its_stale_files_dropped(
    db: str, tmp_path: Path
) -> None:
    out = tmp_path / "www"
    assert not build_site(db, out, jobs=2).errors
    manifest = (out / MANIFEST).read_bytes()
    before = _build(db, out)  # (nothing to write: the same work as the build below)
    assert (before["written"], before["removed"], before["errors"]) == (0, 0, [])
    # The last manifest also lists half a million files of a folder since removed, and a
    # few that are still there (one with a name beyond ASCII), out of order.
    stale = [out / "gone-too" / "é.html", out / "gone-too" / "deep" / "x.html", out / "z.html"]
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("stale")
    with (out / MANIFEST).open("a", encoding="utf-8") as lines:
        for n in reversed(range(FAKE)):
            rel = f"gone/{n % 997:03}/{n:06}.html"
            lines.write(f"{hashlib.sha256(rel.encode()).hexdigest()}  {rel}\n")
        for path in stale:
            lines.write(f"{'0' * 64}  {path.relative_to(out).as_posix()}\n")
    assert len(read_manifest(out)) == before["files"] + FAKE + len(stale)

    after = _build(db, out)
    assert after["errors"] == [] and after["written_paths"] == []
    assert (after["files"], after["written"], after["removed"]) == (before["files"], 0, 3)
    assert (out / MANIFEST).read_bytes() == manifest
    assert not any(path.exists() for path in stale) and _scratch(out) == []
    # Neither the build's process nor a rendering process held the old manifest: their
    # peaks are those of the same build with a manifest of its own files alone.
    for process in ("self", "workers"):
        grown = (int(str(after[process])) - int(str(before[process]))) * 1024
        assert grown < 48 * MIB, (process, before, after)


def test_a_failed_search_index_leaves_its_folder_listed_as_it_is(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "www"
    first = build_site(db, out)
    assert not first.errors
    index = sorted(p for p in (out / "pagefind").rglob("*") if p.is_file())
    assert (out / "pagefind" / "index.json") in index
    index[-2].unlink()  # a file of the index gone: its part is indexed again, and fails

    def fail(*args: object) -> None:
        raise OSError("no room")

    monkeypatch.setattr(build.static_search, "write_part", fail)
    failed = build_site(db, out)
    assert failed.errors == ["search index: OSError: no room"]
    assert failed.search == "not rebuilt (see the errors); the next build tries again"
    assert not (out / "pagefind" / "index.json").exists()
    # The manifest lists what is there (the index's files as they are, none written).
    manifest = read_manifest(out)
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert set(manifest) == files - {MANIFEST}
    assert failed.files == first.files - 2 and failed.written == 0 and failed.removed == 0
    monkeypatch.undo()
    mended = build_site(db, out)
    assert not mended.errors and mended.files == first.files
    assert set(mended.written_paths) >= {
        "pagefind/index.json",
        index[-2].relative_to(out).as_posix(),
    }

"""No input breaks cablegate, and every input is accounted for: symbolic links are not
followed out of the folders given, a damaged archive is one line (and problems for
`cablegate check`), a killed static build leaves nothing behind, and every input read is
counted (stored, unchanged, quarantined or skipped with why) with every change to its bytes
said on the record."""

from __future__ import annotations

import io
import os
import random
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cablegate.archive import Archive
from cablegate.cli import app
from cablegate.demo import write_demo
from cablegate.errors import ReadError
from cablegate.ingest import ingest
from cablegate.model import Cable
from cablegate.readers.collect import (
    EMPTY,
    LINK_IN_ARCHIVE,
    LINK_INSIDE,
    LINK_OUT,
    NOT_REGULAR,
    Skipped,
    read_bytes,
    read_paths,
)
from cablegate.readers.decoding import NOT_UTF8
from cablegate.site.build import build_site
from cablegate.writers import write_row
from tests.conftest import NewDb, iter_tar_html, requires_corpus, requires_seeds

SECRET = b"root:x:0:0:root:/root:/bin/bash\n"


def _demo(folder: Path, count: int = 3, seed: int = 2010) -> list[Path]:
    return write_demo(folder, count, seed)


def _cable(data: bytes, name: str = "x.txt") -> Cable:
    (item,) = list(read_bytes(data, name))
    assert isinstance(item, Cable), item
    return item


def _skipped(items: list[object]) -> dict[str, str]:
    return {Path(i.path).name: i.reason for i in items if isinstance(i, Skipped)}


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


# -- 1. symbolic links ------------------------------------------------------------------


def test_links_out_of_the_folder_are_skipped_and_named(tmp_path: Path) -> None:
    folder = tmp_path / "dump"
    _demo(folder, 2)
    secret = tmp_path / "outside" / "passwd"
    secret.parent.mkdir()
    secret.write_bytes(SECRET)
    (folder / "passwd").symlink_to(secret)
    (folder / "etc").symlink_to(secret.parent)  # a folder out of it too
    db = tmp_path / "a.db"
    with Archive.open(db) as archive:
        report = ingest(archive, [folder], jobs=1)
        quarantined = [archive.quarantine_raw(e.id) for e in archive.quarantined()]
    assert report.new == 2 and report.quarantined == 0 and quarantined == []
    assert report.skipped_reasons[LINK_OUT] == 2
    assert report.balanced and report.read == 4
    assert SECRET not in db.read_bytes()


def test_follow_links_reads_them(tmp_path: Path) -> None:
    folder = tmp_path / "dump"
    _demo(folder, 1)
    (outside,) = _demo(tmp_path / "elsewhere", 1, seed=7)
    (folder / "more.txt").symlink_to(outside)
    (folder / "loop").symlink_to(tmp_path)  # a folder holding the dump: not walked forever
    items = list(read_paths([folder], follow_links=True))
    assert sum(isinstance(i, Cable) for i in items) == 2
    assert _skipped(items) == {"loop": "symbolic link to a folder it is in (a loop)"}
    code, output = _cli("ingest", str(folder), "--db", str(tmp_path / "a.db"), "-q")
    assert code == 0 and f"skipped 2 file(s): {LINK_OUT}" in output
    code, output = _cli(
        "ingest", str(folder), "--db", str(tmp_path / "b.db"), "-q", "--follow-links"
    )
    assert code == 0 and "2 new cables" in output


def test_links_inside_the_folder_are_skipped_once_read(tmp_path: Path) -> None:
    """A link to a file or folder inside the folders given is skipped (its target is read
    where it is: reading it twice would only add a duplicate, and a link to a folder above
    it would loop)."""
    folder = tmp_path / "dump"
    (cable,) = _demo(folder / "a", 1)
    (folder / "b").mkdir()
    (folder / "b" / "same.txt").symlink_to(cable)
    (folder / "b" / "up").symlink_to(folder)
    items = list(read_paths([folder]))
    assert sum(isinstance(i, Cable) for i in items) == 1
    assert _skipped(items) == {"same.txt": LINK_INSIDE, "up": LINK_INSIDE}


def test_a_link_named_on_the_command_line_is_read(tmp_path: Path) -> None:
    (cable,) = _demo(tmp_path / "real", 1)
    link = tmp_path / "given.txt"
    link.symlink_to(cable)
    folder_link = tmp_path / "given-folder"
    folder_link.symlink_to(cable.parent, target_is_directory=True)
    items = list(read_paths([link, folder_link]))
    assert [type(i) for i in items] == [Cable, Cable]


# -- 2. damaged databases ---------------------------------------------------------------


@pytest.fixture(scope="module")
def good_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("good")
    _demo(folder / "dump", 30)
    db = folder / "good.db"
    with Archive.open(db) as archive:
        ingest(archive, [folder / "dump"], jobs=1)
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db


def _damaged(kind: str, good: Path, folder: Path) -> tuple[Path, str]:
    path = folder / f"{kind}.db"
    if kind == "truncated":
        path.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
        return path, "database disk image is malformed"
    if kind == "text":
        path.write_text("cables go here\n")
        return path, "not an SQLite database"
    if kind == "empty":
        path.write_bytes(b"")
        return path, "an empty file, not an archive"
    path.write_bytes(random.Random(1).randbytes(50_000))
    return path, "not an SQLite database"


COMMANDS = {
    "stats": [],
    "check": [],
    "ingest": ["INPUT", "-q"],
    "serve": ["--port", "1"],
    "build-site": ["OUT", "-q"],
    "search": ["telegram"],
}


@pytest.mark.parametrize("kind", ["truncated", "text", "empty", "random"])
def test_a_damaged_archive_is_one_line_for_every_command(
    kind: str, good_db: Path, tmp_path: Path
) -> None:
    db, expected = _damaged(kind, good_db, tmp_path)
    before = db.read_bytes()
    (cable,) = _demo(tmp_path / "in", 1)
    for command, extra in COMMANDS.items():
        args = [{"INPUT": str(cable), "OUT": str(tmp_path / "out")}.get(a, a) for a in extra]
        code, output = _cli(command, *args, "--db", str(db))
        assert code != 0, (command, output)
        lines = output.strip().splitlines()
        assert len(lines) == 1 and str(db) in lines[0] and expected in lines[0], (command, output)
    assert db.read_bytes() == before  # not made into an archive, not touched


def test_the_command_itself_prints_one_line(good_db: Path, tmp_path: Path) -> None:
    db, _ = _damaged("truncated", good_db, tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "cablegate", "stats", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == (
        f"error {db}: database disk image is malformed (truncated: "
        f"{db.stat().st_size:,} bytes, its header says {good_db.stat().st_size:,})"
    )


def test_damage_inside_is_reported_by_check(good_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "inside.db"
    shutil.copy(good_db, db)
    with sqlite3.connect(db) as conn:
        (page_size,) = conn.execute("PRAGMA page_size").fetchone()
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'entries'"
        ).fetchone()
    with db.open("r+b") as file:  # the pages from the entries table's on: garbage
        file.seek((root - 1) * page_size)
        file.write(b"\xa5" * (db.stat().st_size - file.tell()))
    code, output = _cli("check", "--db", str(db))
    assert code == 1 and output.startswith("problem ") and "malformed" in output
    assert "Traceback" not in output
    code, output = _cli("stats", "--db", str(db))
    assert code == 2 and output == f"error {db}: database disk image is malformed\n"


def test_missing_tables_are_problems(new_db: NewDb, tmp_path: Path) -> None:
    db = new_db()
    _demo(tmp_path / "dump", 3)
    with Archive.open(db) as archive:
        ingest(archive, [tmp_path / "dump"], jobs=1)
        assert archive.check() == []
        archive.conn.execute("DROP TABLE tags")
        assert archive.check() == ["table tags is missing"]
    code, output = _cli("check", "--db", db)
    assert code == 1 and output.strip() == "problem table tags is missing"


def test_only_a_path_where_nothing_is_becomes_an_archive(tmp_path: Path) -> None:
    (cable,) = _demo(tmp_path / "in", 1)
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    code, output = _cli("ingest", str(cable), "--db", str(empty), "-q")
    assert code == 2 and "an empty file, not an archive" in output
    assert empty.stat().st_size == 0
    new = tmp_path / "sub" / "new.db"
    code, output = _cli("ingest", str(cable), "--db", str(new), "-q")
    assert code == 0 and new.stat().st_size > 0


# -- 3. build leftovers -----------------------------------------------------------------


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_killed_build_leaves_nothing_after_a_rerun(tmp_path: Path) -> None:
    _demo(tmp_path / "dump", 40)
    db = str(tmp_path / "a.db")
    with Archive.open(db) as archive:
        ingest(archive, [tmp_path / "dump"], jobs=1)
    clean = tmp_path / "clean"
    assert not build_site(db, clean).errors
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "cablegate", "build-site", str(out), "--db", db, "-j", "1", "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if (out / "cable").is_dir():  # pages are being written
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    # What a build killed while writing leaves (its temporary files, never renamed):
    (out / "cable" / "2005").mkdir(parents=True, exist_ok=True)
    (out / "cable" / "2005" / ".05STATE149.html.4242.tmp").write_bytes(b"<html>half")
    (out / ".index.html.4243.tmp").write_bytes(b"")
    (out / ".MANIFEST.sha256.tmp").write_bytes(b"0123  index.html\n")
    report = build_site(db, out)
    assert not report.errors
    assert _files(out) == _files(clean)


# -- 4. every input counted, every change said -------------------------------------------


def _tar(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def _member(name: str, kind: bytes = tarfile.REGTYPE, data: bytes | None = None) -> tuple:
    info = tarfile.TarInfo(name)
    info.type = kind
    if data is not None:
        info.size = len(data)
    if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
        info.linkname = "cables/one.txt"
    return info, data


def _tar_with_links(cable: bytes) -> bytes:
    return _tar(
        [
            _member("cables", tarfile.DIRTYPE),
            _member("cables/one.txt", data=cable),
            _member("cables/soft.txt", tarfile.SYMTYPE),
            _member("cables/hard.txt", tarfile.LNKTYPE),
            _member("cables/fifo", tarfile.FIFOTYPE),
            _member("cables/tty", tarfile.CHRTYPE),
        ]
    )


def test_tar_links_and_devices_are_counted(tmp_path: Path) -> None:
    (cable,) = _demo(tmp_path / "in", 1)
    items = list(read_bytes(_tar_with_links(cable.read_bytes()), "dump.tar"))
    assert [type(i) for i in items].count(Cable) == 1
    assert {i.path: i.reason for i in items if isinstance(i, Skipped)} == {
        "dump.tar!cables/soft.txt": LINK_IN_ARCHIVE,
        "dump.tar!cables/hard.txt": LINK_IN_ARCHIVE,
        "dump.tar!cables/fifo": NOT_REGULAR,
        "dump.tar!cables/tty": NOT_REGULAR,
    }


def test_zip_links_are_counted(tmp_path: Path) -> None:
    (cable,) = _demo(tmp_path / "in", 1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("one.txt", cable.read_bytes())
        link = zipfile.ZipInfo("link.txt")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "one.txt")
    items = list(read_bytes(buffer.getvalue(), "dump.zip"))
    assert [type(i) for i in items] == [Cable, Skipped]
    assert items[1] == Skipped("dump.zip!link.txt", LINK_IN_ARCHIVE)


def test_a_fifo_is_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    folder = tmp_path / "dump"
    folder.mkdir()
    os.mkfifo(folder / "pipe")
    items = list(read_paths([fifo, folder, tmp_path / "missing.txt"]))  # and never blocks
    assert [(type(i), getattr(i, "reason", None)) for i in items] == [
        (Skipped, NOT_REGULAR),
        (Skipped, NOT_REGULAR),
        (ReadError, "no such file or folder"),
    ]


def test_an_empty_file_is_empty_whatever_its_name(tmp_path: Path) -> None:
    for name in ("page.html", "cables.csv", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    items = list(read_paths([tmp_path]))
    assert _skipped(items) == {"page.html": EMPTY, "cables.csv": EMPTY, "notes.txt": EMPTY}


def test_nul_bytes_removed_with_a_warning(tmp_path: Path) -> None:
    (path,) = _demo(tmp_path, 1)
    data = path.read_bytes()
    clean = _cable(data)
    assert clean.warnings == []
    cable = _cable(data.replace(b"Summary:", b"Sum\0mary:\0\0"))
    assert cable.warnings == ["3 NUL bytes removed"] and "\0" not in cable.body
    assert cable.body == clean.body
    row = write_row(clean, 1).replace("Summary:", "Summ\0ary:").encode()
    from_csv = _cable(row, "cables.csv")
    assert from_csv.warnings == ["1 NUL byte removed"] and from_csv.body == clean.body


@requires_corpus
def test_site_page_changes_are_warnings() -> None:
    name, page = next(iter_tar_html("cablegate-site.tar.xz"))
    clean = _cable(page, name)
    assert clean.warnings == []
    at = page.index(b"<pre>", page.index(b"pane big")) + 5
    nuls = _cable(page[:at] + b"\0\0" + page[at:], name)
    assert nuls.warnings == ["2 NUL bytes removed"] and nuls.header == clean.header
    latin = _cable(page[:at] + b"caf\xe9 " + page[at:], name)
    assert latin.warnings == [NOT_UTF8] and "caf\xe9 " in latin.header + latin.body


@requires_seeds
def test_site_text_not_utf8_is_a_warning(seed_page_text: Path) -> None:
    data = seed_page_text.read_bytes()
    assert _cable(data).warnings == []
    at = data.index(b"\n\n", data.index(b"Reference ID")) + 2
    changed = _cable(data[:at] + b"caf\xe9\0 " + data[at:])
    assert changed.warnings == [NOT_UTF8, "1 NUL byte removed"]
    assert "caf\xe9 " in changed.header + changed.body


def test_every_input_is_counted(new_db: NewDb, tmp_path: Path) -> None:
    """A folder of every kind: read = new + versions + unchanged + quarantined + skipped."""
    folder = tmp_path / "dump"
    first, second, third = _demo(folder / "cables", 3)
    (folder / "copy.txt").write_bytes(first.read_bytes())  # unchanged
    (folder / "nul.txt").write_bytes(third.read_bytes().replace(b"Summary:", b"Sum\0mary:"))
    nul_id = third.read_text().split("\n", 1)[0]
    third.unlink()
    (folder / "notes.txt").write_text("not a cable\n")  # skipped: no cable
    (folder / "draft.txt").write_text("TAGS: PREL\nSUBJECT: A DRAFT\n")  # quarantined
    (folder / "style.css").write_text("body {}\n")  # skipped: asset
    (folder / "empty.html").write_bytes(b"")  # skipped: empty
    os.mkfifo(folder / "pipe")  # skipped: not a regular file
    outside = tmp_path / "passwd"
    outside.write_bytes(SECRET)
    (folder / "passwd").symlink_to(outside)  # skipped: link out
    (folder / "again.txt").symlink_to(second)  # skipped: link inside
    (cable,) = _demo(tmp_path / "tarred", 1, seed=5)
    (folder / "dump.tar").write_bytes(_tar_with_links(cable.read_bytes()))  # 1 new + 4 skipped
    db = new_db()
    with Archive.open(db) as archive:
        report = ingest(archive, [folder], jobs=1)
        again = ingest(archive, [folder], jobs=1)
        nul = archive.cable(nul_id)
    expected = (report.new, report.unchanged, report.quarantined, report.skipped)
    assert expected == (4, 1, 1, 10), report.summary()
    for r in (report, again):
        assert r.read == 16 == r.new + r.versions + r.unchanged + r.quarantined + r.skipped
        assert r.balanced and not r.missing
    assert again.unchanged == 5 and again.quarantined == 1 and again.skipped == 10
    assert "read 16 inputs = 4 new cables" in report.summary()
    assert nul is not None and nul.warnings == ["1 NUL byte removed"]

"""Bundles (issue 21): ``cablegate bundle OUT --release DAY|--all`` writes the static mirror,
``cables.jsonl``, ``cables.csv`` and ``MANIFEST.sha256`` as one reproducible ``.tar.zst``
with its ``.sha256`` (and optionally a ``.7z`` and minisign signatures); ``cablegate
verify`` checks them.

On a real archive: the first 50 cable pages of the corpus's site archive. What a release
day's bundle must hold comes from the pages themselves: each page's Released cell links
``/reldate/DAY_0.html``, so the cables of the bundle of DAY are the pages whose day is DAY
or earlier (2010-12-18: 10 of the 50; the last day, 2011-04-08: all 50).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tarfile
import time
from pathlib import Path

import minisign
import pytest
import zstandard
from typer.testing import CliRunner

from cablegate.bundle import (
    MANIFEST,
    SIGNATURE,
    _pack_7z,
    _pack_tar,
    make_bundle,
    verify_bundle,
)
from cablegate.cli import app
from tests.conftest import BACKENDS, _database, requires_corpus, write_first_pages

pytestmark = requires_corpus

runner = CliRunner()
DAY = "2010-12-18"
DAY_MIDNIGHT = 1292630400  # 2010-12-18T00:00:00Z
RELDATE = re.compile(
    rb"<a href='/cable/[^']+'>\w+</a>\s*</td>\s*<td>\s*<a href='/date/[^']+'>[^<]*</a>\s*"
    rb"</td>\s*<td>\s*<a href='/reldate/(\d{4}-\d{2}-\d{2})_0\.html'>"
)
"""The Released cell of a cable page's own row (ID, created, released)."""


def clean(result: object, code: int) -> str:
    """The output of a run that ended as the CLI meant it to, its exit code checked."""
    exc = getattr(result, "exception", None)
    output = str(getattr(result, "output", ""))
    assert exc is None or isinstance(exc, SystemExit), (type(exc), exc, output[-800:])
    assert "Traceback" not in output, output[-800:]
    assert getattr(result, "exit_code", None) == code, output[-800:]
    return output


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pages")
    write_first_pages(folder, 50)
    return folder


@pytest.fixture(scope="module")
def released(pages: Path) -> dict[str, str]:
    """Each page's cable ID -> its release day, read from the page."""
    days = {}
    for page in pages.iterdir():
        found = RELDATE.search(page.read_bytes())
        assert found, page
        days[page.stem] = found.group(1).decode()
    return days


def _ingest(db: str, pages: Path) -> str:
    got = runner.invoke(app, ["ingest", str(pages), "--db", db, "-q", "-j", "1"])
    clean(got, 0)
    return db


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, pages: Path) -> str:
    return _ingest(str(tmp_path_factory.mktemp("db") / "archive.db"), pages)


def bundle(db: str, out: Path, *args: str) -> str:
    return clean(runner.invoke(app, ["bundle", str(out), "--db", db, "-q", "-j", "1", *args]), 0)


def members(path: Path) -> list[tuple[tarfile.TarInfo, bytes]]:
    with path.open("rb") as raw:
        reader = zstandard.ZstdDecompressor().stream_reader(raw)
        with tarfile.open(fileobj=reader, mode="r|") as tar:
            found = []
            for member in tar:
                handle = tar.extractfile(member)
                assert handle is not None
                found.append((member, handle.read()))
            return found


def repack(path: Path, files: list[tuple[str, bytes]]) -> None:
    with (
        path.open("wb") as raw,
        zstandard.ZstdCompressor().stream_writer(raw) as packed,
        tarfile.open(fileobj=packed, mode="w|", format=tarfile.GNU_FORMAT) as tar,
    ):
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def verify(path: Path, *args: str, code: int = 0) -> str:
    return clean(runner.invoke(app, ["verify", str(path), *args]), code)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    prefix = tmp_path_factory.mktemp("keys") / "mirror"
    out = clean(runner.invoke(app, ["bundle-key", str(prefix), "--no-password"]), 0)
    assert "mirror.key" in out and "mirror.pub" in out
    return prefix


@pytest.fixture(scope="module")
def day_bundles(tmp_path_factory: pytest.TempPathFactory, db: str, keys: Path) -> list[Path]:
    """The signed bundle of DAY (with its .7z), built twice into two folders."""
    folders = [tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")]
    for folder in folders:
        out = bundle(db, folder, "--release", DAY, "--sign", f"{keys}.key", "--7z")
        assert "cablegate-2010-12-18: 10 cables" in out, out
    return folders


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


SEARCH_INDEX = "site/pagefind/"
"""The static search index, and the manifests that list its files: Pagefind 1.5.2 writes
its filter files in an order of its own hash maps, which changes from run to run."""


def comparable(found: list[tuple[tarfile.TarInfo, bytes]]) -> dict[str, tuple[object, bytes]]:
    """A bundle's files but the search index and the manifests that list it: path in the
    bundle -> (tar header, bytes)."""
    manifests = {MANIFEST, SIGNATURE, "site/MANIFEST.sha256"}
    files = {i.name.split("/", 1)[1]: (i.get_info(), d) for i, d in found}
    return {n: v for n, v in files.items() if not n.startswith(SEARCH_INDEX) and n not in manifests}


def test_same_archive_same_files(day_bundles: list[Path]) -> None:
    first, second = day_bundles
    names = sorted(p.name for p in first.iterdir())
    assert names == [
        "cablegate-2010-12-18.7z",
        "cablegate-2010-12-18.7z.minisig",
        "cablegate-2010-12-18.7z.sha256",
        "cablegate-2010-12-18.tar.zst",
        "cablegate-2010-12-18.tar.zst.minisig",
        "cablegate-2010-12-18.tar.zst.sha256",
    ]  # and no staging folder left behind
    assert sorted(p.name for p in second.iterdir()) == names
    a, b = (comparable(members(f / names[3])) for f in (first, second))
    assert len(a) > 150 and a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], name


def test_same_archive_same_bytes(day_bundles: list[Path]) -> None:
    first, second = day_bundles
    a, b = (
        {i.name: d for i, d in members(f / "cablegate-2010-12-18.tar.zst")} for f in (first, second)
    )
    if {n: d for n, d in a.items() if SEARCH_INDEX in n} != {
        n: d for n, d in b.items() if SEARCH_INDEX in n
    }:
        pytest.xfail("Pagefind's index differs between two builds of the same archive")
    for path in sorted(first.iterdir()):
        assert sha(path) == sha(second / path.name), path.name


def test_packing_is_reproducible(tmp_path: Path) -> None:
    """The same files, written at other times with other modes, pack to the same bytes."""
    stage = tmp_path / "stage"
    (stage / "site" / "cable").mkdir(parents=True)
    files = {MANIFEST: b"x  y\n", "site/cable/a.html": b"<p>a</p>" * 999, "cables.csv": b"1"}
    digests: list[tuple[str, str, str]] = []
    for run, mode in ((1, 0o600), (2, 0o664)):
        for rel, data in files.items():
            (stage / rel).write_bytes(data)
            os.chmod(stage / rel, mode)
            os.utime(stage / rel, (run * 1_000_000, run * 1_000_000))
        out = tmp_path / f"out{run}"
        out.mkdir()
        tar_sha = _pack_tar(stage, "cablegate-x", out / "x.tar.zst", DAY_MIDNIGHT, None)
        _pack_7z(stage, "cablegate-x", out / "x.7z", DAY_MIDNIGHT)
        digests.append((tar_sha, sha(out / "x.tar.zst"), sha(out / "x.7z")))
        time.sleep(1.1)  # a second later: any clock in the output would show
    assert digests[0] == digests[1]
    assert digests[0][0] == digests[0][1]


def test_checksum_file_is_sha256sum_format(day_bundles: list[Path]) -> None:
    path = day_bundles[0] / "cablegate-2010-12-18.tar.zst"
    line = (day_bundles[0] / "cablegate-2010-12-18.tar.zst.sha256").read_text()
    assert line == f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n"


def test_release_bundle_is_the_archive_as_of_that_day(
    day_bundles: list[Path], released: dict[str, str]
) -> None:
    expected = {cid for cid, day in released.items() if day <= DAY}
    assert len(expected) == 10
    found = members(day_bundles[0] / "cablegate-2010-12-18.tar.zst")
    files = {info.name.removeprefix("cablegate-2010-12-18/"): data for info, data in found}
    jsonl = [json.loads(line) for line in files["cables.jsonl"].decode().splitlines()]
    assert {r["canonical_id"] for r in jsonl} == expected
    csv_ids = set(re.findall(r'^"\d+","[^"]*","(\w+)"', files["cables.csv"].decode(), re.M))
    assert csv_ids == expected, files["cables.csv"][:300]
    pages = {Path(n).stem for n in files if re.fullmatch(r"site/cable/\d{4}/\d\d/\w+\.html", n)}
    assert pages == expected
    later = sorted(set(released) - expected)
    assert later and not any(f"/{cid}.html" in name for cid in later for name in files)
    assert "site/MANIFEST.sha256" in files and "site/index.html" in files


def test_members_are_normalised(day_bundles: list[Path]) -> None:
    found = members(day_bundles[0] / "cablegate-2010-12-18.tar.zst")
    names = [info.name for info, _ in found]
    assert names[:2] == [f"cablegate-2010-12-18/{MANIFEST}", f"cablegate-2010-12-18/{SIGNATURE}"]
    assert names[2:] == sorted(names[2:])
    for info, _ in found:
        assert info.isfile() and info.mtime == DAY_MIDNIGHT and info.mode == 0o644, info.name
        assert (info.uid, info.gid, info.uname, info.gname) == (0, 0, "", ""), info.name
        assert not info.pax_headers, info.name
    listed = {line.split("  ", 1)[1] for line in found[0][1].decode().splitlines()}
    assert listed == {n.removeprefix("cablegate-2010-12-18/") for n in names[2:]}


def test_verify_passes_and_checks_the_signature(day_bundles: list[Path], keys: Path) -> None:
    path = day_bundles[0] / "cablegate-2010-12-18.tar.zst"
    out = verify(path, "--key", f"{keys}.pub")
    assert "cablegate-2010-12-18.tar.zst.sha256 matches" in out
    assert "signature good" in out and "files match MANIFEST.sha256" in out
    assert "signed, not checked: give --key" in verify(path)
    seven = day_bundles[0] / "cablegate-2010-12-18.7z"
    assert "signature good" in verify(seven, "--key", f"{keys}.pub")
    # minisign's own format: the library (as `minisign -Vm`) checks the file beside it
    public = minisign.PublicKey.from_file(f"{keys}.pub")
    public.verify_file(path)


def test_verify_fails_with_another_key(day_bundles: list[Path], tmp_path: Path) -> None:
    clean(runner.invoke(app, ["bundle-key", str(tmp_path / "other"), "--no-password"]), 0)
    path = day_bundles[0] / "cablegate-2010-12-18.tar.zst"
    out = verify(path, "--key", str(tmp_path / "other.pub"), code=1)
    assert "MANIFEST.sha256: the signature does not verify" in out
    assert "cablegate-2010-12-18.tar.zst: the signature does not verify" in out


def test_one_changed_byte_fails(day_bundles: list[Path], tmp_path: Path) -> None:
    original = (day_bundles[0] / "cablegate-2010-12-18.tar.zst").read_bytes()
    data = bytearray(original)
    data[len(data) // 2] ^= 0x01
    path = tmp_path / "cablegate-2010-12-18.tar.zst"
    path.write_bytes(data)
    (tmp_path / (path.name + ".sha256")).write_bytes(
        (day_bundles[0] / (path.name + ".sha256")).read_bytes()
    )
    out = verify(path, code=1)
    assert "SHA-256" in out and "is not the one in cablegate-2010-12-18.tar.zst.sha256" in out
    (tmp_path / (path.name + ".sha256")).unlink()  # without it, the contents still tell
    out = verify(path, code=1)
    assert "damaged" in out or "changed" in out, out


def test_a_changed_file_inside_is_named(day_bundles: list[Path], tmp_path: Path) -> None:
    found = members(day_bundles[0] / "cablegate-2010-12-18.tar.zst")
    target = next(info.name for info, _ in found if info.name.endswith("00HARARE5461.html"))
    files = []
    for info, data in found:
        if info.name == target:
            changed = bytearray(data)
            changed[len(changed) // 2] ^= 0x20
            data = bytes(changed)
        files.append((info.name, data))
    path = tmp_path / "cablegate-2010-12-18.tar.zst"
    repack(path, files)
    rel = target.removeprefix("cablegate-2010-12-18/")
    out = verify(path, code=1)
    assert f"{rel}: changed" in out
    assert out.count("problem") == 1, out
    # one file gone, one added: both named
    files = [(n, d) for n, d in files if n != target] + [("cablegate-2010-12-18/extra.txt", b"x")]
    repack(path, files)
    out = verify(path, code=1)
    assert f"{rel}: in MANIFEST.sha256 but missing from the bundle" in out
    assert "extra.txt: in the bundle but not in MANIFEST.sha256" in out


def test_whole_archive(db: str, released: dict[str, str], tmp_path: Path) -> None:
    out = bundle(db, tmp_path, "--all")
    assert "cablegate-all: 50 cables" in out
    path = tmp_path / "cablegate-all.tar.zst"
    files = {i.name: d for i, d in members(path)}
    jsonl = files["cablegate-all/cables.jsonl"].decode().splitlines()
    assert {json.loads(line)["canonical_id"] for line in jsonl} == set(released)
    assert "not signed" in verify(path)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_last_release_day_is_the_whole_archive(db: str, tmp_path: Path) -> None:
    """The day of the newest release holds what --all holds (the search index aside)."""
    last = "2011-04-08"
    make_bundle(db, tmp_path / "day", last)
    make_bundle(db, tmp_path / "all", None)
    day = comparable(members(tmp_path / f"day/cablegate-{last}.tar.zst"))
    whole = comparable(members(tmp_path / "all/cablegate-all.tar.zst"))
    assert len(day) > 400 and day.keys() == whole.keys()
    assert [n for n in day if day[n][1] != whole[n][1]] == []  # the bytes (not the times)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "say which: --release YYYY-MM-DD"),
        (["--all", "--release", DAY], "say which"),
        (["--release", "18.12.2010"], "give a day as YYYY-MM-DD"),
        (["--release", "2010-02-30"], "no such day"),
        (["--release", "2010-11-27"], "no cables were released on or before 2010-11-27"),
        (["--all", "--sign", "/nonexistent/key"], "/nonexistent/key"),
    ],
)
def test_bundle_errors(db: str, tmp_path: Path, args: list[str], message: str) -> None:
    got = runner.invoke(app, ["bundle", str(tmp_path / "out"), "--db", db, "-q", *args])
    out = clean(got, 2)
    assert message in out and len(out.strip().splitlines()) == 1, out
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_verify_errors(tmp_path: Path, day_bundles: list[Path]) -> None:
    out = verify(tmp_path / "missing.tar.zst", code=2)
    assert "missing.tar.zst: no such file" in out and len(out.strip().splitlines()) == 1
    text = tmp_path / "notes.tar.zst"
    text.write_text("not a bundle\n")
    out = verify(text, code=2)
    assert "not a bundle" in out and len(out.strip().splitlines()) == 1
    empty = tmp_path / "empty.tar.zst"
    repack(empty, [("x/readme.txt", b"hello")])
    assert "not a bundle (no MANIFEST.sha256" in verify(empty, code=2)
    path = day_bundles[0] / "cablegate-2010-12-18.tar.zst"
    assert "not a minisign public key" in verify(path, "--key", "nonsense", code=2)


def test_verify_module_reports(day_bundles: list[Path]) -> None:
    found = verify_bundle(day_bundles[0] / "cablegate-2010-12-18.tar.zst")
    assert found.ok and found.files > 10


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b == "postgresql"])
def test_postgresql_archive(
    backend: str, pg_server: object, tmp_path: Path, pages: Path, db: str
) -> None:
    """A PostgreSQL archive of the same pages gives a bundle with the same files."""
    pg = _ingest(_database(backend, pg_server, tmp_path, "bundle"), pages)  # type: ignore[arg-type]
    make_bundle(pg, tmp_path / "pg", DAY)
    make_bundle(db, tmp_path / "sqlite", DAY)
    name = f"cablegate-{DAY}.tar.zst"
    assert verify_bundle(tmp_path / "pg" / name).ok
    from_pg = comparable(members(tmp_path / "pg" / name))
    from_sqlite = comparable(members(tmp_path / "sqlite" / name))
    assert len(from_pg) > 150 and from_pg.keys() == from_sqlite.keys()
    assert [n for n in from_pg if from_pg[n] != from_sqlite[n]] == []


def test_a_later_version_waits_for_its_day(tmp_path: Path, pages: Path) -> None:
    """A cable re-released with a corrected text on a later day (00HARARE5461, released
    2010-12-18, again 2011-01-12 with one word more): the bundle of 2010-12-18 has its first
    text only, that of 2011-01-12 both versions, the second current."""
    page = (pages / "00HARARE5461.html").read_text("utf-8")
    assert page.count("2010-12-18 21:09") == 1 and "THE CLOCK IS TICKING" in page
    later = page.replace(
        "/reldate/2010-12-18_0.html'>2010-12-18 21:09",
        "/reldate/2011-01-12_0.html'>2011-01-12 21:09",
    )
    later = later.replace("THE CLOCK IS TICKING", "THE CLOCK IS STILL TICKING")
    (tmp_path / "again").mkdir()
    (tmp_path / "again" / "00HARARE5461.html").write_text(later, "utf-8")
    db = _ingest(str(tmp_path / "archive.db"), pages)
    _ingest(db, tmp_path / "again")
    texts = {}
    for day in (DAY, "2011-01-12"):
        make_bundle(db, tmp_path / day, day)
        files = {
            i.name.split("/", 1)[1]: d
            for i, d in members(tmp_path / day / f"cablegate-{day}.tar.zst")
        }
        record = next(
            json.loads(line)
            for line in files["cables.jsonl"].decode().splitlines()
            if json.loads(line)["canonical_id"] == "00HARARE5461"
        )
        versions = sorted(n for n in files if re.search(r"/00HARARE5461/version-\d+\.html$", n))
        texts[day] = ("STILL TICKING" in record["body"], len(versions))
    assert texts == {DAY: (False, 1), "2011-01-12": (True, 2)}

"""Shared fixtures: the real corpus in ../shared/corpus, read straight from its archives."""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.pgserver import Server

ROOT = Path(__file__).resolve().parents[1]


def corpus_dir() -> Path:
    env = os.environ.get("CABLEGATE_CORPUS")
    return Path(env) if env else ROOT.parent / "shared" / "corpus"


def seeds_dir() -> Path:
    return corpus_dir().parent / "seeds"


CORPUS = corpus_dir()
SEEDS = seeds_dir()

requires_corpus = pytest.mark.skipif(
    not (CORPUS / "cablegate-site.tar.xz").exists() and not os.environ.get("CI"),
    reason="the real corpus (../shared/corpus) is not here",
)


@pytest.fixture(scope="session", autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The indexes of PostgreSQL archives go to the user's cache unless told: for the tests,
    a folder of the run's own (also for the processes they start), not ~/.cache."""
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before


@pytest.fixture(autouse=True)
def _settings_restored() -> Iterator[None]:
    """Each test starts with cablegate's settings as the run began: a command run in this
    process (CliRunner) exports the settings it was given (``--index``, ``--db`` ...) to the
    environment for its worker processes, and one test's ``--index /missing`` must not
    become every later test's search index."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("CABLEGATE_")}
    yield
    for key in [k for k in os.environ if k.startswith("CABLEGATE_") and k not in saved]:
        del os.environ[key]
    os.environ.update(saved)


requires_seeds = pytest.mark.skipif(
    not (SEEDS / "000_6b405a9335b029f2.txt").exists() and not os.environ.get("CI"),
    reason="the seeds (../shared/seeds) are not here",
)


def iter_tar_html(name: str) -> Iterator[tuple[str, bytes]]:
    """(member name, bytes) of every .html member of a corpus archive, streamed."""
    with tarfile.open(CORPUS / name, "r|*") as tar:
        for member in tar:
            if member.isfile() and member.name.endswith(".html"):
                fileobj = tar.extractfile(member)
                assert fileobj is not None
                yield member.name, fileobj.read()


def write_first_pages(folder: Path, count: int) -> None:
    """The first ``count`` cable pages of the corpus's site archive, as files in ``folder``."""
    for name, data in itertools.islice(iter_tar_html("cablegate-site.tar.xz"), count):
        (folder / Path(name).name).write_bytes(data)


@pytest.fixture(scope="session")
def site_pages() -> dict[str, bytes]:
    """All 6,712 cable pages of cablegate-site.tar.xz, by reference ID."""
    pages = {Path(name).stem: data for name, data in iter_tar_html("cablegate-site.tar.xz")}
    return pages


@pytest.fixture(scope="session")
def seed_export() -> Path:
    return SEEDS / "000_6b405a9335b029f2.txt"


@pytest.fixture(scope="session")
def seed_page_text() -> Path:
    return SEEDS / "002_9bf8a78e29ea3dab.txt"


NewDb = Callable[..., str]
"""The type of the ``new_db`` fixture: ``new_db("name")`` is a new database's URL or path."""

BACKENDS = ("sqlite", "postgresql")
"""Every test of the archive runs on both databases (``-k sqlite`` / ``-k postgresql``)."""


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server | None]:
    """A real PostgreSQL server (see :mod:`tests.pgserver`); None where there is none, and
    then the PostgreSQL tests are skipped, except in CI, where they fail."""
    server = Server.start()
    try:
        yield server
    finally:
        if server is not None:
            server.stop()


def _database(backend: str, server: Server | None, folder: Path, name: str) -> str:
    """A new, empty database of a backend: an SQLite path or a PostgreSQL URL."""
    if backend == "sqlite":
        return str(folder / f"{name}.db")
    if server is None:
        if os.environ.get("CI"):
            pytest.fail("CI must test PostgreSQL: no server (set CABLEGATE_TEST_PG)")
        pytest.skip("no PostgreSQL server here (install postgresql or set CABLEGATE_TEST_PG)")
    return server.create_database(name)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def new_db(backend: str, pg_server: Server | None, tmp_path: Path) -> NewDb:
    """Makes new, empty databases of this test's backend (``new_db("name")``)."""
    return lambda name="archive": _database(backend, pg_server, tmp_path, name)


def _ingested(
    request: pytest.FixtureRequest,
    factory: pytest.TempPathFactory,
    server: Server | None,
    name: str,
    paths: list[Path],
) -> str:
    from cablegate.archive import Archive
    from cablegate.ingest import ingest

    db = _database(request.param, server, factory.mktemp(name), name)
    with Archive.open(db) as archive:
        ingest(archive, paths, jobs=2)
    return db


@pytest.fixture(scope="session", params=BACKENDS)
def site_db(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    pg_server: Server | None,
) -> str:
    """An archive of the corpus's cable pages and their older versions, on each backend
    (site tests; mark them ``xdist_group("site")`` so one worker builds it once)."""
    paths = [CORPUS / "cablegate-site.tar.xz", CORPUS / "cablegate-versions.tar.xz"]
    return _ingested(request, tmp_path_factory, pg_server, "site", paths)


@pytest.fixture(scope="session", params=BACKENDS)
def search_db(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    pg_server: Server | None,
) -> str:
    """An archive of the corpus's 6,712 cable pages, on each backend (search and API
    tests; mark them ``xdist_group("search")``)."""
    paths = [CORPUS / "cablegate-site.tar.xz"]
    return _ingested(request, tmp_path_factory, pg_server, "search", paths)


@contextlib.contextmanager
def server_process(
    command: Callable[[int], list[str]],
    probe: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    tries: int = 200,
) -> Iterator[str]:
    """A server in a process of its own on a free loopback port (``command(port)``), once
    ``probe`` answers 200 on it: its base URL; stopped afterwards."""
    import socket
    import subprocess
    import time

    import httpx

    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]
    proc = subprocess.Popen(
        command(port), env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(tries):
            try:
                if httpx.get(base + probe, timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            proc.kill()
            assert proc.stderr is not None
            raise RuntimeError(f"{command(port)[:4]} did not start: {proc.stderr.read()!r}")
        yield base
    finally:
        proc.terminate()
        proc.wait(10)
        assert proc.stderr is not None
        proc.stderr.close()


@pytest.fixture(scope="session")
def live_site(site_db: str) -> Iterator[str]:
    """``cablegate serve`` on the site archive, in its own process: the base URL."""
    import sys

    command = [sys.executable, "-m", "cablegate", "serve", "--db", site_db, "--port"]
    with server_process(lambda port: [*command, str(port)], "/faq.html") as base:
        yield base


def dump_archive(db: str | Path) -> dict[str, list[tuple]]:
    """Everything an archive holds except ingest timestamps, for comparing two archives."""
    from cablegate.archive import Archive
    from cablegate.search.engine import all_hits

    with Archive.open(db, create=False) as archive:
        queries = {
            "entries": "SELECT * FROM entries ORDER BY id",
            "cables": "SELECT * FROM cables ORDER BY id",
            "versions": "SELECT cable_id, number, text_sha256, released, data, "
            "release_at IS NULL, published_at IS NULL FROM versions ORDER BY cable_id, number",
            "articles": "SELECT a.url, a.title, a.outlet, a.published, l.canonical_id "
            "FROM article_cables l JOIN articles a ON a.id = l.article_id ORDER BY 1, 5",
            "inputs": "SELECT id, sha256, path, row, format, cable_id, version FROM inputs "
            "ORDER BY id",
            "quarantine": "SELECT key, path, row, format, error, raw, attempts FROM quarantine "
            "ORDER BY id",
            "refs": "SELECT * FROM refs ORDER BY cable_id, position",
            "tags": "SELECT * FROM tags ORDER BY cable_id, position",
            "browse": "SELECT * FROM browse ORDER BY kind, key",
        }
        dump = {
            name: [tuple(_plain(v) for v in row) for row in archive.conn.execute(sql)]
            for name, sql in queries.items()
        }
        dump["fts"] = sorted(hit.canonical_id for hit in all_hits(archive, "the OR embassy"))
        return dump


def _plain(value: object) -> object:
    """A value as SQLite gives it (PostgreSQL's booleans as 0 and 1, bytes as bytes)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def slow_search(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every search runs past its time limit: the limit a millionth of a second, each query
    held back 50 ms in the engine's pool."""
    import time

    from cablegate.search import engine

    monkeypatch.setenv("CABLEGATE_SEARCH_TIMEOUT", "0.000001")
    real = engine._POOL.submit

    def slow_submit(fn, *args):  # type: ignore[no-untyped-def]
        def slowly():  # type: ignore[no-untyped-def]
            time.sleep(0.05)
            return fn(*args)

        return real(slowly)

    monkeypatch.setattr(engine._POOL, "submit", slow_submit)


CHROMIUM = os.environ.get("CABLEGATE_CHROMIUM") or shutil.which("chromium") or ""
"""Debian's Chromium, which the browser tests drive with Playwright."""


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium, headless, for one test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield chromium
        chromium.close()

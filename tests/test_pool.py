"""A web server's connections to a PostgreSQL archive come from a pool: at most
``CABLEGATE_DB_POOL`` of them per process however many requests come at once, checked as
they are lent (one the database server dropped is replaced, not handed out), and every one
given back when its request is over, whatever the answer was."""

from __future__ import annotations

import concurrent.futures
import contextlib
import itertools
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cablegate.archive import Archive
from cablegate.archive.db import DB_ERRORS
from cablegate.archive.pool import ArchivePool, exhausted
from cablegate.archive.store import PRIVATE
from cablegate.ingest import ingest
from cablegate.releases import schedule
from cablegate.site.app import too_slow
from cablegate.urls import cable_url
from tests.conftest import _database, iter_tar_html, requires_corpus, server_process
from tests.pgserver import Server

pytestmark = requires_corpus
READ, WRITE = "cablegate serve (read)", "cablegate serve (write)"
"""The names the server's two pools give their connections (pg_stat_activity shows them)."""
OTHERS = (
    "datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
)
"""The connections of clients to the archive's database but the test's own."""


def _write(folder: Path, pages: list[tuple[str, bytes]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in pages:
        (folder / Path(name).name).write_bytes(data)
    return folder


@pytest.fixture(scope="module")
def pooled(pg_server: Server | None, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A PostgreSQL archive of 60 cable pages of the corpus."""
    folder = tmp_path_factory.mktemp("pool")
    db = _database("postgresql", pg_server, folder, "pooled")  # skips without a server
    pages = list(itertools.islice(iter_tar_html("cablegate-site.tar.xz"), 60))
    with Archive.open(db) as archive:
        ingest(archive, [_write(folder / "in", pages)])
    return db


def _cable_paths(db: str, count: int) -> list[str]:
    with Archive.open(db, create=False) as archive:
        paths = []
        for cable_id in archive.ids()[:count]:
            cable = archive.cable(cable_id)
            assert cable is not None
            paths.append(cable_url(cable_id, cable.created))
    return paths


@contextlib.contextmanager
def serving(db: str, pool: int, **environ: str) -> Iterator[str]:
    """``cablegate serve`` (one process) on ``db`` with ``CABLEGATE_DB_POOL=pool``."""
    env = {**os.environ, "CABLEGATE_DB_POOL": str(pool), **environ}
    command = [sys.executable, "-m", "cablegate", "serve", "--db", db, "--port"]
    with server_process(lambda port: [*command, str(port)], "/api/stats", env, tries=600) as base:
        yield base


def _connections(archive: Archive) -> dict[str, int]:
    """The other connections to the archive's database now, by application name."""
    rows = archive.conn.execute(
        f"SELECT application_name, count(*) FROM pg_stat_activity WHERE {OTHERS} GROUP BY 1"
    ).fetchall()
    return dict(rows)


class Sampler:
    """Counts the connections to a database every few milliseconds, in a thread: the most
    there were at once (:attr:`peak`), and every application name seen."""

    def __init__(self, db: str) -> None:
        self.db = db
        self.peak = 0
        self.names: set[str] = set()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with Archive.open(self.db, create=False) as archive:
            while not self._stop.is_set():
                now = _connections(archive)
                self.peak = max(self.peak, sum(now.values()))
                self.names.update(now)
                self.samples += 1
                time.sleep(0.005)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)


def _get(url: str) -> int:
    return httpx.get(url, timeout=60).status_code


def test_fifty_requests_at_once_use_no_more_connections_than_the_cap(pooled: str) -> None:
    cables = _cable_paths(pooled, 20)
    paths = [
        *cables,
        *["/", "/api/stats", "/search?q=embassy", "/search.csv?q=embassy"] * 6,
        "/feeds/search.atom?q=embassy",
        "/api/cables/" + cables[0].rsplit("/", 1)[1].removesuffix(".html"),
        "/search?q=iran",
        "/search.jsonl?q=iran",
        "/api/stats",
        "/",
    ]
    assert len(paths) == 50
    with serving(pooled, pool=3) as base:
        with Sampler(pooled) as sampler, concurrent.futures.ThreadPoolExecutor(50) as load:
            answers = list(load.map(_get, [base + path for path in paths]))
        assert answers == [200] * 50
        assert sampler.samples >= 10
        # 8 server threads at work, 3 connections between them (not a read and a write
        # connection per thread, as before pools); none to write, as no release fell due.
        assert sampler.peak == 3, sampler.peak
        assert sampler.names == {READ}, sampler.names
        csv = httpx.get(base + "/search.csv?q=embassy", timeout=60)
        assert csv.status_code == 200 and len(csv.text.splitlines()) > 2
        with Archive.open(pooled, create=False) as archive:
            assert _connections(archive) == {READ: 3}  # kept for the next requests


def test_connections_the_database_server_ended_are_replaced(pooled: str) -> None:
    cables = _cable_paths(pooled, 10)
    with serving(pooled, pool=4) as base:
        with concurrent.futures.ThreadPoolExecutor(16) as load:
            assert set(load.map(_get, [base + p for p in cables * 4])) == {200}
        with Archive.open(pooled, create=False) as archive:  # as a restart or failover would
            assert _connections(archive) == {READ: 4}
            ended = archive.conn.execute(
                f"SELECT application_name, pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE {OTHERS}"
            ).fetchall()
            assert ended == [(READ, True)] * 4
        # Every request answers, at once: the pool checks a connection before lending it,
        # and when one was lost, the others it holds.
        started = time.monotonic()
        answers = [_get(base + path) for path in [*cables, "/api/stats", "/"]]
        assert time.monotonic() - started < 5
        with concurrent.futures.ThreadPoolExecutor(8) as load:
            answers += list(load.map(_get, [base + p for p in cables * 2]))
        assert answers == [200] * len(answers)
        with Archive.open(pooled, create=False) as archive:
            assert 1 <= _connections(archive)[READ] <= 4


def test_every_request_gives_its_connections_back(pooled: str) -> None:
    """With one connection to read and one to write (a request that kept its connection
    would leave the next ones to wait 10 s for one and fail with 503)."""
    cables = _cable_paths(pooled, 5)
    expected = {
        "/search.csv?q=embassy": 200,  # a download
        "/search.csv?q=embassy&sort=bogus": 400,  # a query the search cannot run
        "/cable/2099/01/NOSUCH.html": 404,
        "/api/cables/09NOSUCH1": 404,
        "/api/admin/releases": 401,  # reads where the admin token is, with the write pool
        "/api/search?q=embassy&page=0": 422,
        cables[0]: 200,
        "/api/stats": 200,
    }
    paths = list(expected) * 3
    with serving(pooled, pool=1) as base:
        answers = [_get(base + path) for path in paths]
        assert answers == [expected[path] for path in paths]
        assert httpx.head(base + cables[1], timeout=60).status_code == 200
        with concurrent.futures.ThreadPoolExecutor(8) as load:
            answers = list(load.map(_get, [base + path for path in paths]))
        assert answers == [expected[path] for path in paths]
        started = time.monotonic()
        assert [_get(base + path) for path in cables] == [200] * len(cables)
        # none waited for a connection left out (that takes the pool's 10 s, then fails)
        assert time.monotonic() - started < 8
        with Archive.open(pooled, create=False) as archive:
            assert _connections(archive) == {READ: 1, WRITE: 1}
            idle = archive.conn.execute(
                f"SELECT count(*) FROM pg_stat_activity WHERE {OTHERS} AND state = 'idle'"
            ).fetchone()
            assert idle == (2,)  # not left in a transaction either


def _utc(ago: float) -> str:
    """The time ``ago`` seconds before now (negative: later), as the archive writes it."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() - ago))


def test_a_connection_to_write_is_borrowed_when_a_release_falls_due(
    pg_server: Server | None, tmp_path: Path
) -> None:
    db = _database("postgresql", pg_server, tmp_path, "due")
    pages = list(itertools.islice(iter_tar_html("cablegate-site.tar.xz"), 12))
    with Archive.open(db) as archive:
        ingest(archive, [_write(tmp_path / "now", pages[:10])])
        ingest(archive, [_write(tmp_path / "later", pages[10:])], visibility=PRIVATE)
    later = [Path(name).stem for name, _ in pages[10:]]
    with serving(db, pool=2) as base, Archive.open(db, create=False) as archive:
        assert httpx.get(f"{base}/api/cables/{later[0]}").status_code == 404
        schedule(archive, later, _utc(-3600))
        assert httpx.get(base + "/api/stats").json()["released"] == 10
        assert WRITE not in _connections(archive)  # nothing to write yet
        # Due a second ago, scheduled as if a minute ago (so not published here): the
        # server's next request publishes it.
        schedule(archive, later, _utc(1), now=_utc(60))
        assert httpx.get(base + "/api/stats").json()["released"] == 12
        assert httpx.get(f"{base}/api/cables/{later[0]}").status_code == 200
        assert _connections(archive)[WRITE] == 1


def test_a_request_that_gets_no_connection_in_time_is_told_to_come_back(pooled: str) -> None:
    pool = ArchivePool(pooled, 1, read_only=True, statement_timeout=2.5, timeout=0.5)
    try:
        held = pool.borrow()
        started = time.monotonic()
        with pytest.raises(DB_ERRORS) as raised:
            pool.borrow()
        assert 0.5 <= time.monotonic() - started < 5
        assert exhausted(raised.value)
        assert "within 0.5 s (all 1 in use" in str(raised.value)
        said = too_slow(raised.value)  # what the server answers, with 503 and Retry-After
        assert said is not None and said.startswith("the server is busy: no connection")
        assert said.endswith("try again in 10 s")
        assert "cablegate@" not in said and "127.0.0.1" not in said  # nothing of the URL
        pool.give_back(held)
        again = pool.borrow()  # the one given back
        # Set as the pool opens it: read-only, each query limited in time.
        assert again.conn.execute("SHOW statement_timeout").fetchone() == ("2500ms",)
        assert again.conn.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
        with pytest.raises(DB_ERRORS), again.transaction():
            again.writer("2026-01-01 00:00:00").put_meta("written", "yes")
        assert again.ids()  # still of use after the failed write
        pool.give_back(again)
        assert pool.stats()["pool_size"] == 1
    finally:
        pool.close()

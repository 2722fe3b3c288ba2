"""PostgreSQL as a team's archive: copies to and from SQLite that lose nothing, two ingests
and a server at once, several servers, a read replica, and a schema made once however many
processes open a new archive together."""

from __future__ import annotations

import concurrent.futures
import itertools
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from cablegate.archive import Archive
from cablegate.archive.copy import checksums, copy_archive
from cablegate.archive.schema import SCHEMA_VERSION
from cablegate.archive.store import PRIVATE, Visibility
from cablegate.cli import app
from cablegate.errors import CablegateError
from cablegate.ingest import ingest
from cablegate.search.engine import all_hits
from tests.conftest import CORPUS, _database, dump_archive, iter_tar_html, requires_corpus
from tests.pgserver import Server, _bin, free_port, owned_by_server_user

pytestmark = requires_corpus
CABLEGATE = [sys.executable, "-m", "cablegate"]
QUERIES = ["iran", '"prime minister"', "subject:nuclear", "khan*", "embassy -iran", "tag:PREL"]


@pytest.fixture
def pg(pg_server: Server | None, tmp_path: Path) -> Iterator[Server]:
    _database("postgresql", pg_server, tmp_path, "probe")  # skips (or fails in CI) without
    assert pg_server is not None
    yield pg_server


def _write(folder: Path, pages: list[tuple[str, bytes]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in pages:
        (folder / Path(name).name).write_bytes(data)
    return folder


def _mixed_archive(db: str, work: Path) -> None:
    """An archive with a bit of everything: public, private and scheduled cables, versions,
    CSV rows, articles, quarantine, an admin token."""
    pages = list(itertools.islice(iter_tar_html("cablegate-site.tar.xz"), 60))
    with Archive.open(db) as archive:
        ingest(archive, [_write(work / "public", pages[:40]), CORPUS / "cables-sample.csv"])
        ingest(archive, [_write(work / "private", pages[40:50])], visibility=PRIVATE)
        ingest(archive, [_write(work / "later", pages[50:])], visibility=Visibility("2099-01-01"))
        (work / "bad").mkdir()
        (work / "bad" / "broken.html").write_bytes(pages[0][1][:3000])
        assert ingest(archive, [work / "bad"]).quarantined == 1
        archive.writer("2010-12-01 00:00:00").article(
            "https://example.org/story", "A story", "Example", "2010-12-01", [pages[0][0][-20:]]
        )


def test_copy_sqlite_to_postgresql_and_back_loses_nothing(pg: Server, tmp_path: Path) -> None:
    source = str(tmp_path / "source.db")
    _mixed_archive(source, tmp_path)
    server_copy, back = pg.create_database("copy"), str(tmp_path / "back.db")
    runner = CliRunner()
    there = runner.invoke(app, ["copy", source, server_copy, "-q"])
    assert there.exit_code == 0, there.output
    assert "same" in there.output and "DIFFERENT" not in there.output
    again = runner.invoke(app, ["copy", server_copy, back, "-q"])
    assert again.exit_code == 0, again.output
    # Every table, row for row, on all three; the same answers from each.
    dumps = [dump_archive(db) for db in (source, server_copy, back)]
    assert dumps[0] == dumps[1] == dumps[2]
    with Archive.open(source) as a, Archive.open(server_copy) as b, Archive.open(back) as c:
        assert checksums(a) == checksums(b) == checksums(c)
        for archive in (a, b, c):
            assert archive.check() == []
            assert len(archive.plan()) == 20
        for query in QUERIES:
            found = [sorted(h.canonical_id for h in all_hits(x, query)) for x in (a, b, c)]
            assert found[0] == found[1] == found[2], query
        # The copy goes on as an archive: its next input takes the next IDs.
        more = list(itertools.islice(iter_tar_html("cablegate-site.tar.xz"), 60, 61))
        assert ingest(b, [_write(tmp_path / "more", more)]).new == 1
        assert b.check() == []
    # Copying into an archive that holds cables is refused, and the exit code says so.
    refused = runner.invoke(app, ["copy", source, server_copy, "-q"])
    assert refused.exit_code == 2 and "copy into an empty one" in refused.output
    with Archive.open(source) as a, Archive.open(back) as c, pytest.raises(CablegateError):
        copy_archive(a, c)


def _serve(db: str, *extra: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [*CABLEGATE, "serve", "--db", db, "--port", str(port), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/api/stats", timeout=5).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"cablegate serve did not start: {proc.stderr.read()!r}")


def _stop(*procs: subprocess.Popen[bytes]) -> None:
    for proc in procs:
        proc.terminate()
        proc.wait(10)


def _shape(db: str) -> dict[str, object]:
    """What an archive holds whatever order its inputs came in: every cable, every text of
    it and every input. (Which version is current, and so the counts that follow from it,
    may differ: texts released at the same time rank by the order they came in.)"""
    with Archive.open(db, create=False) as archive:
        stats = archive.stats()
        conn = archive.conn
        return {
            "counts": (stats.cables, stats.versions, stats.inputs, stats.quarantined),
            "entries": conn.execute(
                "SELECT canonical_id, versions FROM entries ORDER BY 1"
            ).fetchall(),
            "versions": sorted(
                conn.execute(
                    "SELECT e.canonical_id, v.text_sha256 FROM versions v "
                    "JOIN entries e ON e.id = v.cable_id"
                ).fetchall()
            ),
            "inputs": sorted(
                conn.execute(
                    "SELECT i.sha256, i.path, e.canonical_id, v.text_sha256 FROM inputs i "
                    "JOIN entries e ON e.id = i.cable_id "
                    "JOIN versions v ON v.cable_id = i.cable_id AND v.number = i.version"
                ).fetchall()
            ),
        }


def test_two_ingests_and_a_server_at_once_give_a_consistent_archive(
    pg: Server, tmp_path: Path
) -> None:
    db = pg.create_database("shared")
    Archive.open(db).close()
    server, base = _serve(db)
    inputs = [CORPUS / "cablegate-site.tar.xz", CORPUS / "cablegate-versions.tar.xz"]
    try:
        ingests = [
            subprocess.Popen(
                [*CABLEGATE, "ingest", str(path), "--db", db, "-q", "-j", "1"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for path in inputs
        ]
        seen: list[int] = []
        while any(p.poll() is None for p in ingests):
            stats = httpx.get(base + "/api/stats", timeout=30)
            assert stats.status_code == 200
            hits = httpx.get(base + "/api/search", params={"q": "embassy"}, timeout=30)
            assert hits.status_code == 200
            seen.append(stats.json()["released"])
            time.sleep(0.2)
        for proc in ingests:
            assert proc.wait() == 0, proc.stderr.read() if proc.stderr else ""
        assert seen == sorted(seen) and len(set(seen)) > 3  # it grew while it was served
        final = httpx.get(base + "/api/stats", timeout=30).json()
    finally:
        _stop(server)
    with Archive.open(db, create=False) as archive:
        assert archive.check() == []
        assert final["released"] == archive.stats().cables
    # The same as one ingest after the other, into SQLite.
    alone = str(tmp_path / "alone.db")
    with Archive.open(alone) as archive:
        ingest(archive, inputs, jobs=2)
    assert _shape(db) == _shape(alone)


def test_several_servers_share_one_archive_and_releases_reach_all(
    pg: Server, tmp_path: Path
) -> None:
    db = pg.create_database("servers")
    pages = list(itertools.islice(iter_tar_html("cablegate-site.tar.xz"), 30))
    with Archive.open(db) as archive:
        ingest(archive, [_write(tmp_path / "public", pages[:25])])
        ingest(archive, [_write(tmp_path / "later", pages[25:])], visibility=PRIVATE)
    later = [Path(name).stem for name, _ in pages[25:]]
    (a, base_a), (b, base_b) = _serve(db), _serve(db, "--workers", "2")
    try:
        for base in (base_a, base_b):
            assert httpx.get(base + "/api/stats").json()["released"] == 25
            assert httpx.get(f"{base}/api/cables/{later[0]}").status_code == 404
        due = time.time() + 3
        soon = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(due))
        scheduled = subprocess.run(
            [*CABLEGATE, "release", *later, "--at", soon, "--db", db], capture_output=True
        )
        assert scheduled.returncode == 0, scheduled.stderr
        for base in (base_a, base_b):
            assert httpx.get(base + "/api/stats").json()["released"] == 25
        time.sleep(max(0.0, due - time.time() + 1))
        # Every server publishes what is due on its next request: the writes take turns,
        # so each release is published once.
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda b: httpx.get(b + "/api/stats").json(),
                                    [base_a, base_b] * 8))  # fmt: skip
        assert {answer["released"] for answer in answers} == {30}
        for base in (base_a, base_b):
            assert httpx.get(f"{base}/api/cables/{later[0]}").status_code == 200
    finally:
        _stop(a, b)
    with Archive.open(db, create=False) as archive:
        assert archive.check() == [] and archive.plan() == []
        published = archive.conn.execute(
            "SELECT count(*) FROM versions WHERE published_at IS NOT NULL AND release_at = ?",
            (Visibility(soon).at,),
        ).fetchone()
        assert published == (5,)


@pytest.fixture
def replica(pg: Server, tmp_path: Path) -> Iterator[str]:
    """A streaming replica of the test server (pg_basebackup), read-only: its base URL."""
    basebackup, pg_ctl = _bin("pg_basebackup"), _bin("pg_ctl")
    if not basebackup or not pg_ctl:
        pytest.skip("no pg_basebackup here")
    folder = Path(tempfile.mkdtemp(prefix="cablegate-replica-"))
    as_user = owned_by_server_user(folder)
    host, port = pg.url.rsplit("@", 1)[1].split(":")
    subprocess.run(
        [*as_user, basebackup, "-h", host, "-p", port, "-U", "cablegate", "-D", folder / "data",
         "-R", "-X", "stream", "--no-sync"],
        check=True, capture_output=True,
    )  # fmt: skip
    mine = free_port()
    options = (  # max_connections: at least the primary's, as a standby must
        f"-p {mine} -k {folder} -c listen_addresses=127.0.0.1 -c hot_standby=on "
        "-c max_connections=1000"
    )
    subprocess.run(
        [*as_user, pg_ctl, "-D", folder / "data", "-o", options, "-l", folder / "log", "-w",
         "start"],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield f"postgresql://cablegate@127.0.0.1:{mine}"
    finally:
        subprocess.run(
            [*as_user, pg_ctl, "-D", folder / "data", "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


def test_web_servers_read_from_a_replica_and_write_to_the_primary(
    pg: Server, replica: str, tmp_path: Path
) -> None:
    db = pg.create_database("primary")
    pages = list(itertools.islice(iter_tar_html("cablegate-site.tar.xz"), 20))
    with Archive.open(db) as archive:
        ingest(archive, [_write(tmp_path / "public", pages[:15])])
        ingest(archive, [_write(tmp_path / "private", pages[15:])], visibility=PRIVATE)
    token = subprocess.run(
        [*CABLEGATE, "token", "--db", db], capture_output=True, text=True, check=True
    ).stdout.strip()
    read = f"{replica}/{db.rsplit('/', 1)[1]}"
    for _ in range(100):  # the replica catches up
        try:
            with Archive.open(read, create=False) as archive:
                if archive.stats().cables == 15:
                    break
        except CablegateError:
            pass
        time.sleep(0.1)
    server, base = _serve(db, "--read-db", read)
    try:
        assert httpx.get(base + "/api/stats").json()["released"] == 15
        private = Path(pages[15][0]).stem
        # A write through the admin API goes to the primary; the replica shows it soon after.
        body = {"ids": [private], "at": "now"}
        answer = httpx.post(
            base + "/api/admin/releases", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["published"] == [private]
        for _ in range(100):
            if httpx.get(f"{base}/api/cables/{private}").status_code == 200:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the release never showed through the replica")
        with Archive.open(db, create=False) as archive:  # the pages were read on the replica
            readers = archive.conn.execute(
                "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"
            ).fetchone()[0]
        assert readers == 1
        with Archive.open(read, create=False) as archive:
            assert archive.conn.execute("SELECT pg_is_in_recovery()").fetchone()[0] is True
            assert archive.stats().cables == 16
    finally:
        _stop(server)


def test_a_new_archive_opened_by_many_processes_at_once_is_made_once(pg: Server) -> None:
    db = pg.create_database("race")
    opening = f"from cablegate.archive import Archive; Archive.open({db!r}).close()"
    procs = [subprocess.Popen([sys.executable, "-c", opening]) for _ in range(6)]
    assert [proc.wait() for proc in procs] == [0] * 6
    with Archive.open(db, create=False) as archive:
        assert archive.conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == (
            str(SCHEMA_VERSION),
        )
        assert archive.check() == []


def test_a_server_opens_the_archive_again_when_postgresql_drops_it(
    pg: Server, tmp_path: Path
) -> None:
    db = pg.create_database("dropped")
    pages = list(itertools.islice(iter_tar_html("cablegate-site.tar.xz"), 5))
    with Archive.open(db) as archive:
        ingest(archive, [_write(tmp_path / "in", pages)])
    server, base = _serve(db)
    try:
        with concurrent.futures.ThreadPoolExecutor(4) as pool:  # several server threads
            assert set(pool.map(lambda _: httpx.get(base + "/api/stats").status_code,
                                range(20))) == {200}  # fmt: skip
        with Archive.open(db, create=False) as archive:  # as a restart or failover would
            ended = archive.conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()[0]
        assert ended >= 1
        answers = [httpx.get(base + "/api/stats").status_code for _ in range(60)]
        assert set(answers) <= {200, 500} and answers[-20:] == [200] * 20
        assert answers.count(500) <= ended  # at most one failed request per lost connection
    finally:
        _stop(server)

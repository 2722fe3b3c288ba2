"""Shared fixtures: the real corpus in ../shared/corpus, read straight from its archives."""

from __future__ import annotations

import os
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def site_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive of the corpus's cable pages and their older versions (site tests; mark
    them ``xdist_group("site")`` so one worker builds it once)."""
    from cablegate.archive import Archive
    from cablegate.ingest import ingest

    db = tmp_path_factory.mktemp("site") / "site.db"
    with Archive.open(db) as archive:
        ingest(
            archive,
            [CORPUS / "cablegate-site.tar.xz", CORPUS / "cablegate-versions.tar.xz"],
            jobs=2,
        )
    return db


@pytest.fixture(scope="session")
def search_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive of the corpus's 6,712 cable pages (search and API tests; mark them
    ``xdist_group("search")``)."""
    from cablegate.archive import Archive
    from cablegate.ingest import ingest

    path = tmp_path_factory.mktemp("search") / "search.db"
    with Archive.open(path) as archive:
        ingest(archive, [CORPUS / "cablegate-site.tar.xz"], jobs=2)
    return path


@pytest.fixture(scope="session")
def live_site(site_db: Path) -> Iterator[str]:
    """``cablegate serve`` on the site archive, in its own process: the base URL."""
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "cablegate", "serve", "--db", str(site_db), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(base + "/faq.html").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError("cablegate serve did not start")
        yield base
    finally:
        server.terminate()
        server.wait(10)


def dump_archive(db: Path) -> dict[str, list[tuple]]:
    """Everything an archive holds except ingest timestamps, for comparing two archives."""
    import sqlite3

    conn = sqlite3.connect(db)
    try:
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
            "fts": "SELECT rowid FROM cables_fts WHERE cables_fts MATCH 'the OR embassy' "
            "ORDER BY rowid",
        }
        return {name: conn.execute(sql).fetchall() for name, sql in queries.items()}
    finally:
        conn.close()

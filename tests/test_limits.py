"""No input breaks the server (issue 18): deep and long queries, huge numbers, HEAD, long
URLs, slow queries (503 with Retry-After) and exports of bounded size, on a small archive of
real pages on both databases."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from cablegate.archive import Archive
from cablegate.ingest import ingest
from cablegate.site import app as app_module
from cablegate.site.app import create_app
from tests.conftest import (
    BACKENDS,
    _database,
    requires_corpus,
    slow_search,
    write_first_pages,
)
from tests.pgserver import Server

pytestmark = [requires_corpus, pytest.mark.xdist_group("limits")]

PAGES = 60
DEEP = "(" * 500 + "iran"
LONG = "iran " * 1000


@pytest.fixture(scope="module", params=BACKENDS)
def db(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    pg_server: Server | None,
) -> str:
    """An archive of the first real cable pages of the corpus."""
    folder = tmp_path_factory.mktemp("limits")
    write_first_pages(folder, PAGES)
    url = _database(request.param, pg_server, folder, "limits")
    with Archive.open(url) as archive:
        ingest(archive, [folder], jobs=1)
    return url


@pytest.fixture(scope="module")
def client(db: str) -> Iterator[TestClient]:
    yield TestClient(create_app(db), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def cable(db: str) -> str:
    """The URL path of a cable page of the archive."""
    with Archive.open(db, create=False) as archive:
        cid = archive.ids()[0]
    return f"/api/cables/{cid}"


def test_deep_and_long_queries_give_a_message(client: TestClient, db: str) -> None:
    for q in (DEEP, "NOT " * 400 + "iran", LONG, "x" * 300):
        api = client.get("/api/search", params={"q": q})
        assert api.status_code == 400, q[:20]
        assert "nested" in api.json()["detail"] or "longer than" in api.json()["detail"]
        feed = client.get("/feeds/search.atom", params={"q": q})
        assert feed.status_code == 400 and len(feed.text) < 200
        page = client.get("/search", params={"q": q})
        assert page.status_code == 200 and ("nested" in page.text or "longer than" in page.text)
        assert len(page.content) < 40_000  # the query is not repeated in full
    assert client.get("/api/search", params={"q": "(" * 32 + "iran"}).status_code == 200
    if db.startswith("postgresql"):
        return
    run = subprocess.run(
        [sys.executable, "-m", "cablegate", "search", DEEP, "--db", db],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and "too deeply nested" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr


def test_numbers_out_of_bounds_are_404_or_422(client: TestClient, cable: str) -> None:
    for number in ("9223372036854775808", "0", "-1", "10000", "1e3", "9" * 5000):
        assert client.get(f"{cable}/versions/{number}").status_code == 422, number
    assert client.get(f"{cable}/versions/9999").status_code == 404
    for param in ("page", "per_page"):
        for value in ("9223372036854775808", "0", "-5", "9" * 5000):
            got = client.get("/api/search", params={"q": "iran", param: value})
            assert got.status_code == 422, (param, value)
    assert client.get("/api/browse/tag/PREL", params={"page": 10**20}).status_code == 422
    assert client.get("/search", params={"q": "iran", "page": "9" * 30}).status_code == 404
    assert client.get("/search", params={"q": "iran", "page": "9" * 5000}).status_code == 200
    page = client.get(cable).json()["path"]
    for number in ("0", "00", "99999", "9223372036854775808"):
        assert client.get(page.replace(".html", f"/version-{number}.html")).status_code == 404
    schema = client.get("/api/openapi.json").json()["paths"]
    version = schema["/api/cables/{id}/versions/{number}"]["get"]["parameters"][1]["schema"]
    assert version["minimum"] == 1 and version["maximum"] == 9999
    for p in schema["/api/search"]["get"]["parameters"]:
        if p["schema"].get("type") == "integer":
            assert p["schema"]["minimum"] == 1 and p["schema"]["maximum"] > 1, p


def test_head_answers_as_get(client: TestClient, cable: str) -> None:
    page = client.get(cable).json()["path"]
    paths = [cable, f"{cable}/references", "/api/search?q=iran", "/api/stats", "/api/browse/tag"]
    paths += [page, "/", "/search?q=iran", "/api/nowhere", "/no-page.html", "/search.csv?q=a"]
    for path in paths:
        get, head = client.get(path), client.head(path)
        assert head.status_code == get.status_code, path
        assert head.content == b"", path
        assert head.headers["content-length"] == get.headers["content-length"], path
        assert head.headers["content-type"] == get.headers["content-type"], path


def test_long_paths_are_not_echoed_in_full(client: TestClient, cable: str) -> None:
    long = "x" * 60_000
    small = client.get("/nothing-here")
    found = client.get(f"/{long}")
    assert found.status_code == 404
    assert len(found.content) < len(small.content) + 2_000
    api = client.get(f"/api/cables/{long}")
    # Problem details repeat the name twice at most (detail, instance), cut short.
    assert api.status_code == 404 and len(api.content) < 800
    invalid = client.get(f"{cable}/versions/{long}")
    assert invalid.status_code == 422 and len(invalid.content) < 1_000
    assert invalid.json()["errors"][0]["loc"] == ["path", "number"]
    assert client.get(f"/tag/{long}.csv").status_code == 404
    assert len(client.get(f"/tag/{long}.csv").content) < len(small.content) + 2_000


def test_database_time_limit_answers_503(
    db: str, cable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The archive's queries of a request stop after CABLEGATE_QUERY_TIMEOUT seconds: SQLite
    by a progress handler, PostgreSQL by statement_timeout."""
    if db.startswith("postgresql"):
        from cablegate.archive.db import timed_out

        with Archive.open(db, read_only=True) as archive:
            archive.dialect.limit_time(archive.conn, 0.001)()
            with pytest.raises(Exception) as error:
                archive.conn.execute("SELECT pg_sleep(1)")
            assert timed_out(error.value)
            assert archive.conn.execute("SELECT 1").fetchone() == (1,)  # still usable
    page = TestClient(create_app(db)).get(cable).json()["path"]  # a real archive page
    monkeypatch.setenv("CABLEGATE_QUERY_TIMEOUT", "0.000001")
    if db.startswith("postgresql"):  # 1 ms: not every query is that slow
        from cablegate.archive.pool import ArchivePool

        real_borrow = ArchivePool.borrow

        def borrow(pool: ArchivePool) -> Archive:
            archive = real_borrow(pool)
            if pool.read_only:  # each request's first query waits 5 ms, over the 1 ms limit
                try:
                    archive.conn.execute("SELECT pg_sleep(0.005)")
                except BaseException:
                    pool.give_back(archive)
                    raise
            return archive

        monkeypatch.setattr(ArchivePool, "borrow", borrow)
    # (the handler looks at the clock every 1,000 steps of a query: a page whose queries
    # are all shorter is served)
    assert TestClient(create_app(db)).get(page).status_code in (200, 503)
    for path in ("/api/stats", "/tag/PREL_0.html"):
        # a new server each time: the side pane (counted once) is a slow query here
        got = TestClient(create_app(db), raise_server_exceptions=False).get(path)
        assert got.status_code == 503, path
        assert got.headers["Retry-After"].isdigit()
        assert "try again" in got.text
    monkeypatch.undo()
    assert TestClient(create_app(db)).get("/api/stats").status_code == 200


def test_search_time_limit_answers_503(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    client = TestClient(create_app(db), raise_server_exceptions=False)
    slow_search(monkeypatch)
    for path in (
        "/api/search?q=the",
        "/search?q=the",
        "/feeds/search.atom?q=the",
        "/search.csv?q=the",
    ):
        got = client.get(path)
        assert got.status_code == 503, path
        assert got.headers["Retry-After"].isdigit()
        assert "narrow it down" in got.text


def test_exports_are_bounded(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = client.get("/search.csv", params={"q": ""})
    rows = whole.text.count("\n") - 1
    assert whole.status_code == 200 and rows == PAGES
    assert "X-Export-Truncated" not in whole.headers
    monkeypatch.setattr(app_module, "EXPORT_MAX", 10)
    keys = client.get("/api/browse/classification").json()
    biggest = max(keys, key=lambda k: k["count"])
    assert biggest["count"] > 10
    for path in ("/search.csv?q=", "/search.jsonl?q=", f"/classification/{biggest['key']}.csv"):
        got = client.get(path)
        assert got.status_code == 200, path
        lines = got.text.count("\n") - (1 if ".csv" in path else 0)
        assert lines == 10, path
        assert got.headers["X-Export-Truncated"] == "the first 10 rows only"


def test_nul_characters_are_no_server_error(client: TestClient, cable: str) -> None:
    """PostgreSQL's text cannot hold NUL: a name with one is found or not like any other."""
    page = client.get(cable).json()["path"]
    for path in (
        "/api/cables/%E2%80%AE%00%00",
        "/api/cables/%00/references",
        "/cable/1/2/%00.html",
    ):
        assert client.get(path).status_code == 404, path
    assert client.get("/api/cables/%00x/cited-by").json() == []
    assert client.get(f"{cable}%00").status_code == 200
    assert client.get(page.replace(".html", "%00.html")).status_code == 200
    assert client.get("/api/search", params={"q": "\0iran\0"}).status_code == 200

"""The JSON API follows the usual conventions (issue 19): one date format (ISO 8601 UTC with
``Z``) in records, hits, versions and CSV; absent values as null, never a missing key;
positive scores, higher is better; an absolute ``url`` beside each path; RFC 9457 problem
details for every error; ETag / 304, Cache-Control and HEAD; CORS ``*`` on public GET
routes (preflight included, admin routes excluded); Link headers on paged answers; no
server file path in public provenance; a docs page rendered on the server.

On a small archive of real pages (the first cable pages of the corpus, plus 09RIYADH447
and its nine earlier copies), on both databases. Expected values come from the pages: the
table of 09RIYADH447 says "Created 2009-03-22 10:10, Released 2011-03-27 01:01"; its copy
``3-released-2010-11-28-anarchivist.html`` says "Released 2010-11-28 18:06", and
``4-released-2010-11-30-anarchivist.html`` "Released 2010-11-30 17:05"; its header's
date-time group is ``221014Z MAR 09``; its REF line is ``RIYADH 427``, with no letter.

(There is no rate limiter, so no 429 can be triggered; the problem shape covers any status
the routing answers.)
"""

from __future__ import annotations

import csv
import io
import json
import re
import tarfile
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cablegate.archive import Archive
from cablegate.exports import export_archive
from cablegate.ingest import ingest
from cablegate.model import Cable, Provenance, Recipient, Reference, Transmission
from cablegate.search.serialize import public_source
from cablegate.site.app import create_app
from tests.conftest import (
    BACKENDS,
    CORPUS,
    _database,
    requires_corpus,
    slow_search,
    write_first_pages,
)
from tests.pgserver import Server

pytestmark = [requires_corpus, pytest.mark.xdist_group("api-conventions")]

CID = "09RIYADH447"
PAGES = 200
Z_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}
BASE = "http://testserver"


@pytest.fixture(scope="module", params=BACKENDS)
def db(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    pg_server: Server | None,
) -> str:
    folder = tmp_path_factory.mktemp("conventions")
    write_first_pages(folder, PAGES)
    with tarfile.open(CORPUS / "cablegate-site.tar.xz", "r|*") as tar:
        for member in tar:
            if member.name.endswith(f"/{CID}.html"):
                fileobj = tar.extractfile(member)
                assert fileobj is not None
                (folder / f"{CID}.html").write_bytes(fileobj.read())
                break
    versions = folder / "versions"
    versions.mkdir()
    with tarfile.open(CORPUS / "cablegate-versions.tar.xz", "r|*") as tar:
        for member in tar:
            if f"/{CID}/" in member.name and member.isfile():
                fileobj = tar.extractfile(member)
                assert fileobj is not None
                (versions / Path(member.name).name).write_bytes(fileobj.read())
    url = _database(request.param, pg_server, folder, "conventions")
    with Archive.open(url) as archive:
        ingest(archive, [folder], jobs=1)
    return url


@pytest.fixture(scope="module")
def client(db: str) -> Iterator[TestClient]:
    yield TestClient(create_app(db), raise_server_exceptions=False)


def walk(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """Every (key, value) of a JSON document, at any depth."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, v
            yield from walk(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v, key)


TIME_KEYS = {"created", "released", "ingested_at", "dtg_datetime", "published_at"}


def assert_times_have_z(document: Any) -> int:
    seen = 0
    for key, value in walk(document):
        if key in TIME_KEYS and value is not None:
            assert isinstance(value, str) and Z_TIME.fullmatch(value), (key, value)
            seen += 1
    return seen


# -- dates ------------------------------------------------------------------------------------


def test_one_date_format_in_records_hits_versions_and_csv(client: TestClient) -> None:
    got = client.get(f"/api/cables/{CID}").json()
    cable = got["cable"]
    assert cable["created"] == "2009-03-22T10:10:00Z"
    assert cable["released"] == "2011-03-27T01:01:00Z"
    assert cable["transmission"]["dtg_datetime"] == "2009-03-22T10:14:00Z"  # 221014Z MAR 09
    released = {v["released"] for v in got["versions"]}
    assert {"2010-11-28T18:06:00Z", "2010-11-30T17:05:00Z", "2011-03-27T01:01:00Z"} <= released
    assert len(got["versions"]) >= 3
    assert assert_times_have_z(got) >= 2 + 2 * len(got["versions"])

    hits = client.get("/api/search", params={"q": "brennan abdullah"}).json()["hits"]
    hit = next(h for h in hits if h["id"] == CID)
    assert (hit["created"], hit["released"]) == ("2009-03-22T10:10:00Z", "2011-03-27T01:01:00Z")
    assert_times_have_z(hits)

    listing = client.get("/api/browse/reldate/2011-03-27").json()
    row = next(r for r in listing["rows"] if r["id"] == CID)
    assert row["created"] == "2009-03-22T10:10:00Z"

    table = list(csv.DictReader(io.StringIO(client.get(f"/search.csv?q={CID}").text)))
    assert [(r["id"], r["created"], r["released"]) for r in table] == [
        (CID, "2009-03-22T10:10:00Z", "2011-03-27T01:01:00Z")
    ]
    line = json.loads(client.get(f"/search.jsonl?q={CID}").text.splitlines()[0])
    assert line["created"] == "2009-03-22T10:10:00Z"


# -- nulls ------------------------------------------------------------------------------------


def test_absent_values_are_null_never_missing(client: TestClient) -> None:
    got = client.get(f"/api/cables/{CID}").json()
    cable = got["cable"]
    assert set(cable) == set(Cable.__struct_fields__)
    assert set(cable["transmission"]) == set(Transmission.__struct_fields__)
    for recipient in cable["transmission"]["to"] + cable["transmission"]["info"]:
        assert set(recipient) == set(Recipient.__struct_fields__)
    assert set(cable["provenance"]) == set(Provenance.__struct_fields__)
    assert cable["provenance"]["row"] is None  # a page, not a CSV row
    # REF: RIYADH 427, with no letter: its label is there, as null.
    assert cable["references"] == [
        {"kind": "cable", "value": "09RIYADH427", "text": "RIYADH 427", "label": None}
    ]
    assert set(cable["references"][0]) == set(Reference.__struct_fields__)
    assert "comment" in cable and cable["comment"] is None
    for version in got["versions"]:
        assert "change" in version  # null for the first
    # Every record of every schema has all its properties (the schema says they are required).
    schema = client.get("/api/openapi.json").json()
    for name, component in schema["components"]["schemas"].items():
        if "properties" in component:
            assert component["required"] == list(component["properties"]), name


# -- scores -----------------------------------------------------------------------------------


def test_scores_are_positive_and_higher_is_better(client: TestClient) -> None:
    hits = client.get("/api/search", params={"q": "embassy", "per_page": 50}).json()["hits"]
    scores = [h["score"] for h in hits]
    assert len(scores) > 5 and all(s > 0 for s in scores)
    assert scores == sorted(scores, reverse=True)
    dated = client.get("/api/search", params={"q": "embassy", "sort": "newest"}).json()["hits"]
    assert dated and all(h["score"] is None for h in dated)


# -- absolute URLs ----------------------------------------------------------------------------


def test_every_path_has_its_absolute_url(client: TestClient, db: str) -> None:
    page = f"/cable/2009/03/{CID}.html"
    got = client.get(f"/api/cables/{CID}").json()
    assert (got["path"], got["url"]) == (page, BASE + page)
    assert client.get(got["url"]).status_code == 200  # the page itself
    for hit in client.get("/api/search", params={"q": "embassy"}).json()["hits"]:
        assert hit["url"] == BASE + hit["path"] and hit["path"].startswith("/cable/")
    for key in client.get("/api/browse/tag").json():
        assert key["url"] == BASE + key["path"]
    rows = list(csv.DictReader(io.StringIO(client.get(f"/search.csv?q={CID}").text)))
    assert rows[0]["url"] == BASE + page
    # The base_url setting wins over the host a request names.
    configured = TestClient(create_app(db, base_url="https://cables.example.org/"))
    assert configured.get(f"/api/cables/{CID}").json()["url"] == (
        "https://cables.example.org" + page
    )
    rows = configured.get("/api/browse/reldate/2011-03-27").json()["rows"]
    assert all(r["url"] == "https://cables.example.org" + r["path"] for r in rows)


# -- problem details --------------------------------------------------------------------------


def assert_problem(response: Any, status: int, instance: str) -> dict[str, Any]:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["title"] == HTTPStatus(status).phrase
    assert body["type"] == "about:blank"
    assert body["instance"] == instance
    assert body["detail"]
    return dict(body)


def test_errors_are_problem_details(client: TestClient) -> None:
    bad = assert_problem(client.get("/api/search?q=created:abc"), 400, "/api/search?q=created:abc")
    assert "not a date" in bad["detail"]
    assert_problem(client.get("/api/cables/99NOWHERE1"), 404, "/api/cables/99NOWHERE1")
    assert_problem(
        client.get(f"/api/cables/{CID}/versions/77"), 404, f"/api/cables/{CID}/versions/77"
    )
    assert_problem(
        client.get("/api/browse/tag/PREL?page=999"), 404, "/api/browse/tag/PREL?page=999"
    )
    assert_problem(client.get("/api/nowhere"), 404, "/api/nowhere")
    assert_problem(client.get("/api/browse/sideways"), 404, "/api/browse/sideways")
    not_allowed = client.post("/api/search", content=b"{}")
    assert_problem(not_allowed, 405, "/api/search")
    assert "GET" in not_allowed.headers["allow"]
    assert_problem(client.delete(f"/api/cables/{CID}"), 405, f"/api/cables/{CID}")
    invalid = assert_problem(client.get("/api/search?page=0"), 422, "/api/search?page=0")
    assert invalid["errors"][0]["loc"] == ["query", "page"]
    invalid = assert_problem(
        client.get(f"/api/cables/{CID}/versions/x"), 422, f"/api/cables/{CID}/versions/x"
    )
    assert invalid["errors"][0]["loc"] == ["path", "number"]
    assert_problem(client.get("/api/search?per_page=99999"), 422, "/api/search?per_page=99999")
    # The site's own pages keep their HTML errors.
    assert client.get("/no-page.html").headers["content-type"].startswith("text/html")


def test_time_limit_answers_503_as_problem(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    client = TestClient(create_app(db), raise_server_exceptions=False)
    slow_search(monkeypatch)
    got = client.get("/api/search?q=the", headers={"Origin": "https://news.example"})
    assert_problem(got, 503, "/api/search?q=the")
    assert got.headers["retry-after"].isdigit()
    assert got.headers["cache-control"] == "no-store"
    assert got.headers["access-control-allow-origin"] == "*"


def test_openapi_documents_errors_as_problem_details(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    operations = [op for ops in schema["paths"].values() for op in ops.values()]
    assert operations
    for op in operations:
        errors = {s: r for s, r in op["responses"].items() if s != "200"}
        assert {"422", "503"} <= set(errors), op["summary"]
        for status, response in errors.items():
            content = response["content"]
            assert list(content) == ["application/problem+json"], (op["summary"], status)
            wanted = "ValidationProblem" if status == "422" else "Problem"
            assert content["application/problem+json"]["schema"]["$ref"].endswith(wanted)
    problem = schema["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == PROBLEM_KEYS
    assert "HTTPValidationError" not in schema["components"]["schemas"]


# -- caching and HEAD -------------------------------------------------------------------------


def test_etag_304_cache_control_and_head(client: TestClient) -> None:
    for path in (f"/api/cables/{CID}", "/api/search?q=embassy", "/api/browse/tag", "/api/stats"):
        first = client.get(path)
        tag = first.headers["etag"]
        assert re.fullmatch(r'"[0-9a-f]{32}"', tag), path
        assert first.headers["cache-control"] == "public, max-age=300"
        again = client.get(path, headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.content == b"", path
        assert again.headers["etag"] == tag
        assert client.get(path, headers={"If-None-Match": f'"x", W/{tag}'}).status_code == 304
        assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
        head = client.head(path)
        assert head.status_code == 200 and head.content == b"", path
        assert head.headers["etag"] == tag
        assert head.headers["content-length"] == str(len(first.content))
        assert head.headers["content-type"] == "application/json"
    # A changed answer has another tag.
    assert (
        client.get("/api/search?q=iran").headers["etag"]
        != client.get("/api/search?q=embassy").headers["etag"]
    )
    missing = client.get("/api/cables/99NOWHERE1")
    assert "etag" not in missing.headers and missing.headers["cache-control"] == "no-store"
    head = client.head("/api/cables/99NOWHERE1")
    assert head.status_code == 404 and head.content == b""
    assert head.headers["content-type"] == "application/problem+json"


# -- CORS -------------------------------------------------------------------------------------


def test_cors_on_public_get_routes_not_admin(client: TestClient) -> None:
    origin = {"Origin": "https://newsroom.example"}
    for path in (f"/api/cables/{CID}", "/api/nowhere", "/api/openapi.json", "/search.csv?q=x"):
        got = client.get(path, headers=origin)
        assert got.headers["access-control-allow-origin"] == "*", path
        assert "ETag" in got.headers["access-control-expose-headers"]
        assert "Link" in got.headers["access-control-expose-headers"]
    assert client.get("/api/stats").headers["access-control-allow-origin"] == "*"  # no Origin
    preflight = client.options(
        "/api/search",
        headers={
            **origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "If-None-Match",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "GET" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["access-control-allow-headers"] == "If-None-Match"
    # Writes are not offered to other origins; nor is anything under /api/admin.
    post = client.options(
        "/api/search", headers={**origin, "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in post.headers
    admin = client.get("/api/admin/releases", headers=origin)
    assert "access-control-allow-origin" not in admin.headers
    admin = client.options(
        "/api/admin/releases", headers={**origin, "Access-Control-Request-Method": "GET"}
    )
    assert admin.status_code != 204 and "access-control-allow-origin" not in admin.headers


# -- Link headers -----------------------------------------------------------------------------


def links(response: Any) -> dict[str, str]:
    found = {}
    for part in response.headers["link"].split(", <"):
        url, rel = re.fullmatch(r'<?([^>]+)>; rel="(\w+)"', part).groups()  # type: ignore[union-attr]
        found[rel] = url
    return found


def test_link_headers_on_paged_answers(client: TestClient) -> None:
    keys = client.get("/api/browse/tag").json()
    big = max(keys, key=lambda k: k["count"])
    first = client.get(big["path"])
    pages = first.json()["pages"]
    assert pages >= 2, big  # PAGES cables: the commonest tag fills more than one page
    rel = links(first)
    assert set(rel) == {"first", "next", "last"}
    assert rel["next"] == f"{BASE}{big['path']}?page=2"
    assert rel["last"] == f"{BASE}{big['path']}?page={pages}"
    second = client.get(rel["next"])
    assert second.json()["page"] == 2
    assert links(second)["prev"] == f"{BASE}{big['path']}?page=1"
    last = client.get(rel["last"])
    assert "next" not in links(last) and last.json()["page"] == pages

    found = client.get("/api/search", params={"q": "embassy", "per_page": 3, "sort": "newest"})
    rel = links(found)
    assert rel["next"] == f"{BASE}/api/search?q=embassy&per_page=3&sort=newest&page=2"
    following = client.get(rel["next"]).json()
    assert following["page"] == 2 and following["hits"]
    assert {h["id"] for h in following["hits"]}.isdisjoint(h["id"] for h in found.json()["hits"])
    pages = found.json()["pages"]
    assert rel["last"].endswith(f"&page={pages}")


# -- no file paths ----------------------------------------------------------------------------


def test_no_server_file_paths_in_public_provenance(
    client: TestClient, db: str, tmp_path: Path
) -> None:
    where = str(CORPUS.resolve().parent)
    got = client.get(f"/api/cables/{CID}")
    assert got.json()["cable"]["provenance"]["path"] == f"{CID}.html"  # read from a folder
    sources = {s for v in got.json()["versions"] for s in v["sources"]}
    assert f"{CID}.html" in sources  # the page, ingested from a folder: its file name
    assert "3-released-2010-11-28-anarchivist.html" in sources
    for path in (f"/api/cables/{CID}", f"/api/cables/{CID}/versions/2", "/api/articles"):
        text = client.get(path).text
        assert where not in text and "/tmp" not in text and "/work" not in text, path
    page = client.get(got.json()["path"]).text
    assert where not in page and "/tmp/" not in page
    # The whole-record export (JSON Lines) names its inputs the same way.
    with Archive.open(db, create=False) as archive:
        export_archive(archive, tmp_path, "jsonl", query=CID)
        stored = archive.cable(CID)
    assert stored is not None and stored.provenance is not None
    assert stored.provenance.path.startswith("/")  # the archive keeps the whole path
    line = (tmp_path / "cables.jsonl").read_text(encoding="utf-8")
    record = json.loads(line)
    assert record["provenance"]["path"] == got.json()["cable"]["provenance"]["path"]
    assert where not in line and record["created"] == "2009-03-22T10:10:00Z"


def test_public_source_names_files_and_archive_members() -> None:
    assert public_source("/srv/dump/cablegate-site.tar.xz!cablegate-site/cable/X.html") == (
        "cablegate-site.tar.xz!cablegate-site/cable/X.html"
    )
    assert public_source("/srv/dump/cables.csv:12") == "cables.csv:12"
    assert public_source("C:\\dump\\cables.csv") == "cables.csv"
    assert public_source("relative/dir/09STATE314.txt") == "09STATE314.txt"


# -- the docs page ----------------------------------------------------------------------------


def test_docs_page_shows_routes_parameters_and_real_examples(client: TestClient) -> None:
    got = client.get("/api/docs")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/html")
    html = got.text
    assert "<script" not in html.lower()
    schema = client.get("/api/openapi.json").json()
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            assert f"<code>{method.upper()} {path}</code>" in html, path
            for param in op.get("parameters", []):
                assert f"<td><code>{param['name']}</code></td>" in html, (path, param["name"])
    # Types and bounds of the parameters, from the schema.
    assert "<td><code>per_page</code></td><td>query</td><td>integer (1 to 200)</td>" in html
    assert "<td><code>page</code></td><td>query</td><td>integer (1 to 100000)</td>" in html
    # Error answers and the record types are documented.
    assert "application/problem+json" in html and 'id="schema-Problem"' in html
    assert 'id="schema-CableResponse"' in html
    # Examples are real answers: the example request of a cable, and its answer as the API
    # gives it (the text is escaped: the page holds no markup from the cables).
    examples = re.findall(r'<pre class="example-request">GET ([^<]+)</pre>', html)
    assert any(e.startswith("/api/search?q=") for e in examples)
    cable_example = next(e for e in examples if re.fullmatch(r"/api/cables/[^/]+", e))
    cid = cable_example.rsplit("/", 1)[1]
    answers = re.findall(r'<pre class="example-response">(.*?)</pre>', html, re.S)
    assert len(answers) == len(examples) >= 9
    import html as html_module

    cable_answer = html_module.unescape(answers[examples.index(cable_example)])
    status, body = cable_answer.split("\n\n", 1)
    assert status.startswith("HTTP 200") and "etag: " in status
    record = json.loads(body)
    assert record["cable"]["canonical_id"] == cid
    assert record["cable"]["created"] == client.get(cable_example).json()["cable"]["created"]
    search_answer = html_module.unescape(
        answers[[e.startswith("/api/search") for e in examples].index(True)]
    )
    assert "link: <" in search_answer and '"hits"' in search_answer

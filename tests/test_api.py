"""The JSON API on the real corpus: records equal the archive's, and schemathesis finds no
server error and no response that breaks the OpenAPI schema."""

from __future__ import annotations

import msgspec
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from cablegate.archive import Archive
from cablegate.model import Cable
from cablegate.search.serialize import public_source
from cablegate.site.app import create_app
from tests.conftest import CORPUS, requires_corpus
from tests.corpus_counts import site_cables

pytestmark = [requires_corpus, pytest.mark.xdist_group("search")]


@pytest.fixture(scope="module")
def app(search_db: str):
    return create_app(str(search_db))


@pytest.fixture(scope="module")
def client(app) -> TestClient:
    return TestClient(app)


@pytest.fixture(scope="module")
def api_schema(app):
    return schemathesis.openapi.from_asgi("/api/openapi.json", app)


HOSTILE = (
    "9223372036854775808",  # one past the largest 64-bit integer
    "-9223372036854775809",
    "9" * 5000,  # more digits than Python converts
    "1e309",
    "(" * 500 + "iran",  # nested deeper than any parser should recurse
    "NOT " * 400 + "x",
    "x" * 60_000,  # longer than any page or message should repeat
    "\u202e\x00%00",
)
"""Values every parameter of every operation is also given (besides the generated ones)."""
VALID = {"id": "08STATE37957", "kind": "tag", "key": "PTER", "number": "1"}


def test_api_conforms_to_its_schema(api_schema) -> None:
    """Every operation, with generated parameters and with :data:`HOSTILE` values for each
    parameter in turn: no server error, and every response (status, content type, body) as
    the schema says."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == 11
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case) -> None:
            case.call_and_validate()

        check()
        names = [(p.location, p.name) for p in operation.iter_parameters()]
        for location, name in names:
            for value in HOSTILE:
                path = {n: VALID[n] for where, n in names if where == "path"}
                query = {}
                if location == "path":
                    path[name] = value
                else:
                    query[name] = value
                case = operation.Case(path_parameters=path, query=query)
                response = case.call_and_validate()
                assert response.status_code in (200, 400, 404, 422), (name, value[:20])
                assert len(response.content) < 20_000 or response.status_code == 200


def test_cable_records_are_the_archives(client: TestClient, search_db: str) -> None:
    with Archive.open(search_db, create=False) as archive:
        for cid in archive.ids()[::300]:
            got = client.get(f"/api/cables/{cid}")
            assert got.status_code == 200
            body = got.json()
            stored = archive.cable(cid)
            assert stored is not None and stored.provenance is not None
            # The API names the input by its file name (and member), not its server path.
            public = msgspec.structs.replace(
                stored.provenance, path=public_source(stored.provenance.path)
            )
            assert body["cable"]["provenance"]["path"].startswith("cablegate-site.tar.xz!")
            want = msgspec.structs.replace(stored, provenance=public)
            assert msgspec.convert(body["cable"], Cable) == want
            assert body["version"] == 1 and len(body["versions"]) == 1
            refs = client.get(f"/api/cables/{cid}/references").json()
            assert [r["canonical_id"] for r in refs] == [
                c.canonical_id for c in archive.references(cid)
            ]
    assert client.get("/api/cables/08%20STATE%2037957").json()["cable"]["canonical_id"] == (
        "08STATE37957"
    )
    assert client.get("/api/cables/08STATE37957/versions/7").status_code == 404
    assert client.get("/api/cables/99NOWHERE1").status_code == 404


def test_search_browse_and_stats(client: TestClient) -> None:
    found = client.get("/api/search", params={"q": '"A.Q. Khan" tag:PK', "per_page": 50}).json()
    assert found["total"] == len(found["hits"]) == 7
    assert sum(f["count"] for f in found["facets"]["classification"]) == 7
    assert client.get("/api/search", params={"q": "created:abc"}).status_code == 400
    keys = client.get("/api/browse/tag").json()
    pter = next(k for k in keys if k["key"] == "PTER")
    listing = client.get("/api/browse/tag/PTER", params={"page": 2}).json()
    assert listing["total"] == pter["count"] and len(listing["rows"]) == 50
    assert client.get("/api/browse/tag/PTER", params={"page": 999}).status_code == 404
    stats = client.get("/api/stats").json()
    assert stats["released"] == stats["total"] == stats["archive"]["cables"] == site_cables(CORPUS)
    docs = client.get("/api/docs").text
    assert "/api/openapi.json" in docs and "GET /api/search" in docs

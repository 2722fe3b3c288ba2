"""The JSON API under ``/api/``: cables (current and by version), references and citations,
search (the site's query language, facets), browse listings and statistics.

Responses are the archive's own msgspec records encoded as JSON; the OpenAPI schema at
``/api/openapi.json`` is generated from the same types, so it cannot drift from them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from markupsafe import escape

from cablegate import urls
from cablegate.archive import Citation, Stats, VersionInfo
from cablegate.model import Article, Cable
from cablegate.parse import canonical_id
from cablegate.search import SORTS, QueryError, SearchTimeout, search
from cablegate.search.serialize import (
    ListingRow,
    SearchResponse,
    listing_row,
    search_response,
)
from cablegate.site import views
from cablegate.site.pages import LISTING_KINDS, MAX_PAGE, MAX_VERSION, Site, echoed

PER_PAGE_MAX = 200
Endpoint = Callable[..., Response]


class Error(msgspec.Struct):
    detail: str


class CableResponse(msgspec.Struct):
    cable: Cable
    url: str
    version: int
    """The number of the version shown."""
    versions: list[VersionInfo]


class BrowseKey(msgspec.Struct):
    key: str
    label: str
    count: int
    url: str


class ListingResponse(msgspec.Struct):
    kind: str
    key: str
    title: str
    page: int
    pages: int
    total: int
    rows: list[ListingRow]


class ArticleResponse(msgspec.Struct):
    article: Article
    cables: list[ListingRow]
    """The public cables it cites."""


class StatsResponse(msgspec.Struct):
    released: int
    total: int
    archive: Stats


SCHEMAS = (
    Error,
    CableResponse,
    SearchResponse,
    BrowseKey,
    ListingResponse,
    StatsResponse,
    ArticleResponse,
    Citation,
    VersionInfo,
)
_encoder = msgspec.json.Encoder()


def _json(value: object, status: int = 200) -> Response:
    return Response(_encoder.encode(value), status, media_type="application/json")


def _error(status: int, detail: str) -> Response:
    return _json(Error(echoed(detail)), status)


def _cable_id(name: str) -> str:
    """The canonical ID a requested name means (no ID has a NUL, which PostgreSQL's text
    cannot hold: it is dropped, and the name found or not as any other)."""
    return canonical_id(name.replace("\0", ""))


def _ref(name: str, array: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"$ref": f"#/components/schemas/{name}"}
    if array:
        schema = {"type": "array", "items": schema}
    return {"content": {"application/json": {"schema": schema}}}


def _responses(name: str, array: bool = False, *errors: int) -> dict[int | str, Any]:
    out: dict[int | str, Any] = {200: {"description": "OK", **_ref(name, array)}}
    for status in errors:
        described = {404: "Not found", 503: "Too slow: try again later (Retry-After)"}
        out[status] = {"description": described.get(status, "Bad request")}
        out[status].update(_ref("Error"))
    return out


def router(site: Any) -> APIRouter:
    """The API's routes; ``site()`` gives the calling thread's :class:`Site`."""
    api = APIRouter(prefix="/api")

    def route(
        path: str, schema: str, summary: str, array: bool = False, errors: tuple[int, ...] = ()
    ) -> Callable[[Endpoint], Endpoint]:
        """A GET route answering JSON of the named schema (or a list of it), or an Error."""
        return api.get(
            path,
            response_class=Response,
            responses=_responses(schema, array, *errors),
            summary=summary,
        )

    def cable_response(name: str, version: int | None) -> Response:
        current: Site = site()
        archive = current.archive
        cid = _cable_id(name)
        cable = archive.cable(cid, version) if version else archive.cable(cid)
        history = archive.history(cid) if cable is not None else []
        if cable is None or (version and all(v.number != version for v in history)):
            return _error(404, f"no cable {name}" + (f" version {version}" if version else ""))
        shown = version or next(v.number for v in history if v.current)
        newest = archive.cable(cid)
        url = urls.cable_url(cid, newest.created if newest else cable.created)
        return _json(CableResponse(cable, url, shown, history))

    @route(
        "/cables/{id}",
        "CableResponse",
        errors=(404,),
        summary="A cable: its current record and the list of its versions",
    )
    def cable(id: str) -> Response:
        return cable_response(id, None)

    @route(
        "/cables/{id}/versions/{number}",
        "CableResponse",
        errors=(404,),
        summary="One version of a cable",
    )
    def cable_version(id: str, number: Annotated[int, Path(ge=1, le=MAX_VERSION)]) -> Response:
        return cable_response(id, number)

    @route(
        "/cables/{id}/references",
        "Citation",
        array=True,
        errors=(404,),
        summary="The cables this cable cites, in order (in the archive or not)",
    )
    def references(id: str) -> Response:
        archive = site().archive
        cid = _cable_id(id)
        if archive.cable(cid) is None:
            return _error(404, f"no cable {id}")
        return _json(archive.references(cid))

    @route(
        "/cables/{id}/cited-by",
        "Citation",
        array=True,
        summary="The cables of the archive that cite this ID (known to the archive or not)",
    )
    def cited_by(id: str) -> Response:
        archive = site().archive
        cid = _cable_id(id)
        return _json([Citation(c, True) for c in archive.cited_by(cid)])

    @route(
        "/search",
        "SearchResponse",
        errors=(400, 503),
        summary="Search (the query language of the site: words, phrases, operators, fields)",
    )
    def search_api(
        q: str = "",
        page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
        per_page: Annotated[int, Query(ge=1, le=PER_PAGE_MAX)] = 20,
        sort: Annotated[str, Query(pattern="^(" + "|".join(SORTS) + ")$")] = "relevance",
        facets: bool = True,
    ) -> Response:
        try:
            results = search(site().archive, q, page - 1, per_page, sort, facets)
        except SearchTimeout:
            raise  # 503 and Retry-After (cablegate.site.app)
        except QueryError as exc:
            return _error(400, str(exc))
        return _json(search_response(results))

    @route(
        "/browse/{kind}",
        "BrowseKey",
        array=True,
        errors=(404,),
        summary="The keys of a browse listing (reldate, date, origin, tag, classification)",
    )
    def browse_keys(kind: str) -> Response:
        current: Site = site()
        pane, _ = current.pane()
        if kind not in LISTING_KINDS:
            return _error(404, f"no browse kind {kind}")
        names = pane.names(kind)
        return _json(
            [
                BrowseKey(key, names.get(key, key), n, f"/api/browse/{kind}/{key}")
                for k, key, n in views.browse_keys(pane)
                if k == kind
            ]
        )

    @route(
        "/browse/{kind}/{key}",
        "ListingResponse",
        errors=(404,),
        summary="One page of a browse listing, in the original site's order",
    )
    def browse_listing(
        kind: str, key: str, page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1
    ) -> Response:
        current: Site = site()
        pane, _ = current.pane()
        listing = views.browse_page(current.archive, pane, kind, key, page - 1)
        if listing is None:
            return _error(404, f"no page {page} of {kind} {key}")
        rows = [listing_row(r) for r in listing.rows]
        return _json(
            ListingResponse(kind, key, listing.title, page, listing.pages, listing.total, rows)
        )

    @route(
        "/stats",
        "StatsResponse",
        summary="Counts: cables released and known, versions, inputs, references",
    )
    def stats() -> Response:
        current: Site = site()
        pane, _ = current.pane()
        return _json(StatsResponse(pane.released, pane.total, current.archive.stats()))

    @route(
        "/articles",
        "ArticleResponse",
        array=True,
        summary="Press articles citing cables of the archive, newest first, with those cables",
    )
    def articles() -> Response:
        archive = site().archive
        return _json(
            [
                ArticleResponse(article, [listing_row(c) for c in cited])
                for article, cited in archive.articles()
            ]
        )

    return api


def openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI schema of the API, with the response types' schemas from msgspec."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title="cablegate API",
        version="1",
        description=__doc__ or "",
        routes=app.routes,  # the site's own routes are not in the schema
    )
    _, components = msgspec.json.schema_components(
        SCHEMAS, ref_template="#/components/schemas/{name}"
    )
    schema.setdefault("components", {}).setdefault("schemas", {}).update(components)
    app.openapi_schema = schema
    return schema


def docs_page(request: Request) -> Response:
    html = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>cablegate API</title><link rel="stylesheet" href="/static/cables.css"></head>
<body><main class="pane big" id="content"><h1>cablegate API</h1>
<p>The schema: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3). Routes:</p><ul>"""
    for path, ops in openapi(request.app).get("paths", {}).items():
        for method, op in ops.items():
            summary = escape(op.get("summary", ""))
            html += f"<li><code>{method.upper()} {escape(path)}</code>: {summary}</li>"
    html += "</ul></main></body></html>"
    return Response(html, media_type="text/html; charset=utf-8")

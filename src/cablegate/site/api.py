"""The JSON API under ``/api/``: cables (current and by version), references and citations,
search (the site's query language, facets), browse listings and statistics.

Responses are the archive's own msgspec records encoded as JSON; the OpenAPI schema at
``/api/openapi.json`` is generated from the same types, so it cannot drift from them.

Conventions: times in ISO 8601 UTC with ``Z`` (``2009-03-30T12:34:00Z``); every field
present, ``null`` when absent; search scores positive, higher is better; every site path
(``path``) comes with its absolute ``url``; errors are RFC 9457 problem details
(``application/problem+json``); answers carry an ``ETag`` (``If-None-Match`` gives 304)
and ``Cache-Control``; ``HEAD`` works; any origin may read them (CORS ``*``); paged answers
link their neighbours (``Link``: first, prev, next, last). Inputs are named by their file
name, never by a path on the server.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from http import HTTPStatus
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import msgspec
from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response

from cablegate import citation, urls
from cablegate.archive import Citation, Stats, VersionInfo
from cablegate.model import Article, Cable
from cablegate.parse import canonical_id
from cablegate.search import SORTS, QueryError, SearchTimeout, search
from cablegate.search.serialize import (
    TIMESTAMP_FIELDS,
    ListingRow,
    SearchResponse,
    absolute,
    listing_row,
    public_record,
    search_response,
)
from cablegate.site import views
from cablegate.site.pages import LISTING_KINDS, MAX_PAGE, MAX_VERSION, Site, echoed

PER_PAGE_MAX = 200
KIND = "reldate, date, origin, tag or classification"
Endpoint = Callable[..., Response]


PROBLEM_MEDIA = "application/problem+json"


class Problem(msgspec.Struct):
    """An error, as RFC 9457 problem details (``application/problem+json``)."""

    type: str
    """``about:blank``: the status says what kind of problem it is."""
    title: str
    """The HTTP status phrase (``Not Found``)."""
    status: int
    detail: str
    """What went wrong with this request, for a person to read."""
    instance: str
    """The request's path and query."""


class FieldProblem(msgspec.Struct):
    """One parameter that could not be read."""

    loc: list[str | int]
    """Where: ``["query", "page"]``."""
    msg: str
    type: str


class ValidationProblem(Problem):
    """A 422: problem details with the parameters that could not be read."""

    errors: list[FieldProblem]


class CableResponse(msgspec.Struct):
    cable: Cable
    path: str
    """The cable's page on the site."""
    url: str
    """The page's absolute URL."""
    version: int
    """The number of the version shown."""
    versions: list[VersionInfo]


class BrowseKey(msgspec.Struct):
    key: str
    label: str
    count: int
    path: str
    """The API route of its listing (``/api/browse/tag/PTER``)."""
    url: str
    """Its absolute URL."""


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
    """Public cables: released so far (the left side of the site's counter)."""
    total: int
    """The size of the whole collection (the counter's right side): the announced total
    (``CABLEGATE_ANNOUNCED_TOTAL``), or every cable the archive holds, public or not."""
    archive: Stats


class CableCitation(msgspec.Struct):
    """How to cite one version of a cable, in every format (one alone with ``?format=``)."""

    id: str
    version: int
    permalink: str
    """The version's page: a stable URL that names the version."""
    text: str
    """Chicago style, one line."""
    csl: list[dict[str, Any]]
    """CSL-JSON (an array of the one item)."""
    bibtex: str
    ris: str


SCHEMAS = (
    Problem,
    ValidationProblem,
    CableResponse,
    SearchResponse,
    BrowseKey,
    ListingResponse,
    StatsResponse,
    ArticleResponse,
    Citation,
    VersionInfo,
    CableCitation,
)
_encoder = msgspec.json.Encoder()

CitationFormat = Annotated[
    str | None,
    Query(
        pattern="^(" + "|".join(citation.FORMATS) + ")$",
        description=f"One format alone: {', '.join(citation.FORMATS)} (none: all, as JSON)",
    ),
]
"""The ``format`` of a citation route."""


_request: ContextVar[Request | None] = ContextVar("cablegate_api_request", default=None)
"""The API request being answered (set by the router's dependency, read by the helpers
below: errors name it, links and absolute URLs are made from it)."""


async def _remember(request: Request) -> None:
    """Every API route's dependency: keeps the request for :func:`_error` and
    :func:`_base` (async, so that it is set in the context the route runs in)."""
    _request.set(request)


def _json(value: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """JSON of a record with the public conventions (:func:`public_record`)."""
    body = _encoder.encode(public_record(value))
    return Response(body, status, headers, media_type="application/json")


def _instance(request: Request | None) -> str:
    if request is None:
        return ""
    query = request.url.query
    return echoed(request.url.path + (f"?{query}" if query else ""))


def problem(status: int, detail: str, instance: str, **extra: object) -> bytes:
    """The body of an error: RFC 9457 problem details (``detail`` and ``instance`` cut to
    their first characters, as every message repeating a request)."""
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    fields: dict[str, object] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": echoed(detail),
        "instance": echoed(instance),
        **extra,
    }
    return _encoder.encode(fields)


def problem_response(
    status: int, detail: str, instance: str, headers: dict[str, str] | None = None, **extra: object
) -> Response:
    body = problem(status, detail, instance, **extra)
    return Response(body, status, headers, media_type=PROBLEM_MEDIA)


def _error(status: int, detail: str) -> Response:
    return problem_response(status, detail, _instance(_request.get()))


def _base(current: Site) -> str:
    """The site's URL: the base_url setting, else the one the request was made to."""
    if current.base_url:
        return current.base_url
    request = _request.get()
    return str(request.base_url).rstrip("/") if request is not None else ""


def _links(page: int, pages: int) -> dict[str, str]:
    """The ``Link`` header of one page of ``pages`` (RFC 8288: first, prev, next, last),
    the same request with another ``page``."""
    request = _request.get()
    if request is None:
        return {}
    last = max(pages, 1)
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    where = str(request.url.replace(query=None, fragment=None))

    def link(number: int, rel: str) -> str:
        return f'<{where}?{urlencode([*params, ("page", str(number))])}>; rel="{rel}"'

    found = [link(1, "first")]
    if 1 < page <= last + 1:
        found.append(link(min(page - 1, last), "prev"))
    if page < last:
        found.append(link(page + 1, "next"))
    found.append(link(last, "last"))
    return {"Link": ", ".join(found)}


def _cable_id(name: str) -> str:
    """The canonical ID a requested name means (no ID has a NUL, which PostgreSQL's text
    cannot hold: it is dropped, and the name found or not as any other)."""
    return canonical_id(name.replace("\0", ""))


def _ref(name: str, array: bool = False, media: str = "application/json") -> dict[str, Any]:
    schema: dict[str, Any] = {"$ref": f"#/components/schemas/{name}"}
    if array:
        schema = {"type": "array", "items": schema}
    return {"content": {media: {"schema": schema}}}


ERRORS = {
    400: "Bad request: the query cannot be read (the detail says why)",
    404: "Not found",
    422: "A parameter cannot be read (out of range, not a number ...): the errors say which",
    503: "Too slow: the archive ran out of time (try again after Retry-After seconds)",
}


def _responses(name: str, array: bool = False, *errors: int) -> dict[int | str, Any]:
    """A route's responses: 200 with the named schema, and the errors it may answer (422
    and 503 for every route) as problem details."""
    out: dict[int | str, Any] = {200: {"description": "OK", **_ref(name, array)}}
    for status in sorted({*errors, 422, 503}):
        schema = "ValidationProblem" if status == 422 else "Problem"
        out[status] = {"description": ERRORS.get(status, HTTPStatus(status).phrase)}
        out[status].update(_ref(schema, media=PROBLEM_MEDIA))
    return out


def router(site: Any) -> APIRouter:
    """The API's routes; ``site()`` gives the calling thread's :class:`Site`."""
    api = APIRouter(prefix="/api", dependencies=[Depends(_remember)])

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
        path = urls.cable_url(cid, newest.created if newest else cable.created)
        url = absolute(path, _base(current)) or path
        return _json(CableResponse(cable, path, url, shown, history))

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

    def citation_response(name: str, version: int | None, fmt: str | None) -> Response:
        current: Site = site()
        archive = current.archive
        cid = _cable_id(name)
        newest = archive.cable(cid)
        cable = archive.cable(cid, version) if version else newest
        history = archive.history(cid) if cable is not None else []
        known = version is None or any(v.number == version for v in history)
        if cable is None or newest is None or not known:
            return _error(404, f"no cable {name}" + (f" version {version}" if version else ""))
        number = version or next((v.number for v in history if v.current), 1)
        source = views.citation_source(cable, newest, number, _base(current))
        if fmt is None:
            c = views.cited(source)
            csl = msgspec.json.decode(c.csl_json)
            return _json(CableCitation(cid, number, c.permalink, c.text, csl, c.bibtex, c.ris))
        chosen = citation.FORMATS[fmt]
        name = f"{citation.item_id(source)}.{chosen.extension}"
        disposition = {"Content-Disposition": f'inline; filename="{name}"'}
        return Response(chosen.render(source), 200, disposition, media_type=chosen.media_type)

    def citation_route(path: str, summary: str) -> Callable[[Endpoint], Endpoint]:
        """A GET route answering :class:`CableCitation` as JSON, or one format alone."""
        responses = _responses("CableCitation", False, 404)
        content = responses[200]["content"]
        for fmt in citation.FORMATS.values():
            media = fmt.media_type.split(";")[0]
            if fmt.name == "csl-json":
                content[media] = {"schema": {"type": "array", "items": {"type": "object"}}}
            else:
                content[media] = {"schema": {"type": "string"}}
        return api.get(path, response_class=Response, responses=responses, summary=summary)

    @citation_route(
        "/cables/{id}/citation",
        "How to cite a cable's current version: permalink, text (Chicago), CSL-JSON, BibTeX, "
        "RIS (all as JSON, or ?format= one alone)",
    )
    def cable_citation(id: str, format: CitationFormat = None) -> Response:
        return citation_response(id, None, format)

    @citation_route(
        "/cables/{id}/versions/{number}/citation",
        "How to cite one version of a cable (as /cables/{id}/citation)",
    )
    def cable_version_citation(
        id: str, number: Annotated[int, Path(ge=1, le=MAX_VERSION)], format: CitationFormat = None
    ) -> Response:
        return citation_response(id, number, format)

    @route(
        "/search",
        "SearchResponse",
        errors=(400, 503),
        summary="Search (the query language of the site: words, phrases, operators, fields)",
    )
    def search_api(
        q: Annotated[
            str,
            Query(
                description='The query: words, "phrases", AND/OR/NOT, field:value (tag:, '
                "origin:, classification:, id:, subject:, created:, released:, from:, to:, "
                'ref:, restriction:NODIS, concept:"PRISONERS", person:"KISSINGER, HENRY A", '
                "current:UNCLASSIFIED)"
            ),
        ] = "",
        page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page, from 1")] = 1,
        per_page: Annotated[int, Query(ge=1, le=PER_PAGE_MAX, description="Hits per page")] = 20,
        sort: Annotated[
            str,
            Query(pattern="^(" + "|".join(SORTS) + ")$", description="Order of the hits"),
        ] = "relevance",
        facets: Annotated[bool, Query(description="Count the hits by field")] = True,
    ) -> Response:
        current: Site = site()
        try:
            results = search(current.archive, q, page - 1, per_page, sort, facets)
        except SearchTimeout:
            raise  # 503 and Retry-After (cablegate.site.app)
        except QueryError as exc:
            return _error(400, str(exc))
        found = search_response(results, _base(current))
        return _json(found, headers=_links(page, results.pages))

    @route(
        "/browse/{kind}",
        "BrowseKey",
        array=True,
        errors=(404,),
        summary="The keys of a browse listing (reldate, date, origin, tag, classification)",
    )
    def browse_keys(kind: Annotated[str, Path(description=KIND)]) -> Response:
        current: Site = site()
        pane, _ = current.pane()
        if kind not in LISTING_KINDS:
            return _error(404, f"no browse kind {kind}")
        names = pane.names(kind)
        base = _base(current)
        keys = []
        for k, key, n in views.browse_keys(pane):
            if k == kind:
                path = f"/api/browse/{kind}/{quote(key, safe='')}"
                keys.append(BrowseKey(key, names.get(key, key), n, path, base + path))
        return _json(keys)

    @route(
        "/browse/{kind}/{key}",
        "ListingResponse",
        errors=(404,),
        summary="One page of a browse listing, in the original site's order",
    )
    def browse_listing(
        kind: Annotated[str, Path(description=KIND)],
        key: Annotated[str, Path(description="A key of /api/browse/{kind}")],
        page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page, from 1")] = 1,
    ) -> Response:
        current: Site = site()
        pane, _ = current.pane()
        listing = views.browse_page(current.archive, pane, kind, key, page - 1)
        if listing is None:
            return _error(404, f"no page {page} of {kind} {key}")
        rows = [listing_row(r, _base(current)) for r in listing.rows]
        return _json(
            ListingResponse(kind, key, listing.title, page, listing.pages, listing.total, rows),
            headers=_links(page, listing.pages),
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
        current: Site = site()
        base = _base(current)
        return _json(
            [
                ArticleResponse(article, [listing_row(c, base) for c in cited])
                for article, cited in current.archive.articles()
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
    for component in components.values():
        _every_field_present(component)
    components["Provenance"]["properties"]["path"]["description"] = (
        "The input's file name (for a member of an archive file, the archive's file name, "
        "'!', and the member's path inside it): never a path on the server"
    )
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422, not answered
        schemas.pop(name, None)
    schemas.update(components)
    app.openapi_schema = schema
    return schema


def _every_field_present(schema: dict[str, Any]) -> None:
    """A record's schema as the API answers it (:func:`public_record`): every property
    required (``null`` when absent), times as ``date-time``."""
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return
    schema["required"] = list(properties)
    for name, prop in properties.items():
        if name not in TIMESTAMP_FIELDS:
            continue
        for branch in prop.get("anyOf", [prop]):
            if branch.get("type") == "string":
                branch.setdefault("format", "date-time")


async def docs_page(request: Request) -> Response:
    """The API's documentation, rendered on the server from the OpenAPI schema, with an
    example request and its real answer for each route (:mod:`cablegate.site.apidocs`)."""
    from cablegate.site.apidocs import render

    html = await render(request, openapi(request.app))
    return Response(html, media_type="text/html; charset=utf-8")

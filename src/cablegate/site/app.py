"""The Cable Viewer as an ASGI app (FastAPI + Jinja2), reading the archive.

Pages come from :class:`cablegate.site.pages.Site`. Every page carries a strong ``ETag`` (a
hash of its bytes) and ``Last-Modified`` (when the archive last changed), and answers
conditional requests with 304, so mirrors and proxies can cache it.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import itertools
import logging
import re
import secrets
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlencode

import anyio.to_thread
import msgspec
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cablegate import exports, settings
from cablegate.archive import Archive, Listed, parse_url, utc_now
from cablegate.archive.db import DB_ERRORS, timed_out
from cablegate.archive.pool import ArchivePool, Loans, exhausted
from cablegate.search import QueryError, SearchTimeout
from cablegate.search.engine import all_hits
from cablegate.site import admin, api, views
from cablegate.site.conventions import Cors, Revalidation
from cablegate.site.pages import Page, Site, echoed, environment
from cablegate.site.security import SecurityHeaders

HERE = Path(__file__).resolve().parent
log = logging.getLogger("cablegate.site")
CACHE_CONTROL = "public, max-age=300"
EXPORT_MAX = 10_000
"""Rows a download of a search or a listing holds at most (the first ones, in order); the
``X-Export-Truncated`` header says when there were more."""
RETRY_AFTER = 10
"""Seconds a reader is asked to wait after a query that ran out of time (503)."""
THREADS = 8
"""Requests a server process works on at once (the others wait their turn)."""


def create_app(db: str | None = None, base_url: str = "", read_db: str | None = None) -> FastAPI:
    """The site for the archive at ``db`` (a database URL or SQLite path). With ``read_db``
    (a read-only replica of it), pages are read there; releases that fall due and the
    admin routes write to ``db``."""
    settings.check()  # a bad setting stops the server now, not each search later
    env = environment()
    local = threading.local()
    Archive.open(db, create=False).close()  # fail early when there is no archive
    if read_db:
        Archive.open(read_db, read_only=True).close()
    pools = Pools.for_archive(db, read_db)

    def site() -> Site:
        """This thread's site, after publishing any release that is due. On PostgreSQL its
        connections are those the request borrowed from the process's pools; on SQLite the
        thread's own, opened again when the database server dropped them."""
        if pools is not None:
            return pooled_site(pools)
        current = getattr(local, "site", None)
        if current is not None and (current.archive.broken or current.primary.broken):
            log.warning("the connection to the archive was lost; opening it again")
            for archive in {current.archive, current.primary}:
                with contextlib.suppress(*DB_ERRORS):
                    archive.close()
            local.site = None
        if getattr(local, "site", None) is None:
            # Pages are read through a connection that cannot write (as Datasette does);
            # releases that fall due and the admin routes write through their own.
            archive = Archive.open(read_db or db, read_only=True)
            local.start_clock = archive.limit_time(settings.QUERY_TIMEOUT.get())
            primary = Archive.open(db, create=False)
            local.site = Site(archive, base_url, env, primary=primary)
        local.start_clock()  # the time limit of this request's queries starts now
        found: Site = local.site
        publish_due(found.primary)
        return found

    def pooled_site(pools: Pools) -> Site:
        current: PooledSite | None = getattr(local, "site", None)
        if current is None:
            current = local.site = PooledSite(pools, base_url, env)
        # Whether a release is due is read where pages are; a connection that can write is
        # borrowed only when one is.
        due = current.archive.next_release()
        if due is not None and due <= utc_now():
            publish_due(lambda: current.primary)
        return current

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Each thread keeps its own connections (SQLite), side pane and page cache: a fixed
        # number of threads keeps the process's memory bounded (anyio's default is 40).
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
        try:
            yield
        finally:
            if pools is not None:
                pools.close()

    app = FastAPI(
        title="cablegate", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    app.add_middleware(Revalidation)  # innermost: ETag and 304 of the API, HEAD as GET
    app.add_middleware(HeadAsGet)  # every GET route answers HEAD
    app.add_middleware(RequestIDs)  # inside SecurityHeaders: its 500 page has them too
    app.add_middleware(Cors)  # outside RequestIDs: its 503 and 500 answers have CORS too
    app.add_middleware(SecurityHeaders)
    if pools is not None:  # outermost: connections are given back after all the rest
        app.add_middleware(LendConnections)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        """FastAPI's 422, repeating at most the first characters of a value; on the API,
        as problem details with the parameters that could not be read."""
        errors = [
            {**e, "input": echoed(e["input"])} if isinstance(e.get("input"), str) else e
            for e in exc.errors()
        ]
        if not request.url.path.startswith("/api/"):
            return JSONResponse({"detail": jsonable_encoder(errors)}, 422)
        fields = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in errors]
        said = "; ".join(
            f"{'.'.join(map(str, e['loc'][1:])) or e['loc'][0]}: {e['msg']}" for e in errors
        )
        return api.problem_response(422, said, instance(request), errors=fields)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """Routing's errors (405 Method Not Allowed ...): problem details on the API."""
        if not request.url.path.startswith("/api/"):
            return await http_exception_handler(request, exc)
        headers = dict(exc.headers or {})
        return api.problem_response(exc.status_code, str(exc.detail), instance(request), headers)

    app.include_router(admin.router(site))
    app.include_router(api.router(site))
    app.openapi = lambda: api.openapi(app)  # type: ignore[method-assign]

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi_json() -> Response:
        return Response(msgspec.json.encode(app.openapi()), media_type="application/json")

    @app.get("/api/", include_in_schema=False)
    @app.get("/api/docs", include_in_schema=False)
    async def api_docs(request: Request) -> Response:
        return await api.docs_page(request)

    @app.api_route("/api/{rest:path}", methods=["GET", "HEAD"], include_in_schema=False)
    def api_not_found(rest: str, request: Request) -> Response:
        return api.problem_response(404, "no such API route (see /api/docs)", instance(request))

    @app.get("/search", include_in_schema=False)
    def search_page(request: Request) -> Response:
        current = site()
        return respond(current.search(request.query_params), request, None)

    @app.get("/feeds/search.atom", include_in_schema=False)
    def search_feed(request: Request, q: str = "") -> Response:
        current = site()
        try:
            hits = all_hits(current.archive, q, "newest", limit=views.FEED_ENTRIES)
        except SearchTimeout:
            raise  # 503 and Retry-After (RequestIDs)
        except QueryError as exc:
            return bad_request(exc)
        path = "/feeds/search.atom?" + urlencode({"q": q})
        page_url = "/search?" + urlencode({"q": q})
        ids = [hit.canonical_id for hit in hits]
        feed = current.atom(path, f"Search: {q} - Cable Viewer", page_url, ids)
        return respond(feed, request, None)

    @app.get("/search.{fmt}", include_in_schema=False)
    def search_export(fmt: str, request: Request, q: str = "", sort: str = "relevance") -> Response:
        if fmt not in exports.FORMATS:
            return respond(site().not_found(f"export format {fmt}"), None, None)
        current = site()
        try:
            hits = all_hits(current.archive, q, sort, limit=EXPORT_MAX + 1)
        except SearchTimeout:
            raise  # 503 and Retry-After (RequestIDs)
        except QueryError as exc:
            return bad_request(exc)
        return download(hits, fmt, "cablegate-search", site_url(current, request))

    def listing_export(fmt: str) -> Callable[[str, str, Request], Response]:
        def export(kind: str, key: str, request: Request) -> Response:
            """A whole browse listing (``/tag/PTER.csv``, ``/origin/12.jsonl`` ...)."""
            current = site()
            pane, _ = current.pane()
            found = views.listing_rows(current.archive, pane, kind, key)
            if found is None:
                return respond(current.not_found(f"listing {kind}/{key}.{fmt}"), None, None)
            base = site_url(current, request)
            return download(found, fmt, f"cablegate-{kind}-{key}", base)

        return export

    for fmt in exports.FORMATS:
        app.add_api_route(
            f"/{{kind}}/{{key}}.{fmt}",
            listing_export(fmt),
            methods=["GET"],
            include_in_schema=False,
        )

    @app.api_route("/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
    def page(path: str, request: Request) -> Response:
        current = site()
        rendered = current.page("/" + path)
        return respond(rendered, request, current.archive.state().modified)

    return app


def publish_due(archive: Archive | Callable[[], Archive]) -> None:
    """Publish the releases due by now, so a cable appears exactly at its time (one indexed
    query when none is due). An archive that cannot be written to (or ``archive()``, when
    none can be had) is left as it is."""
    try:
        (archive if isinstance(archive, Archive) else archive()).publish_due()
    except DB_ERRORS:
        log.exception("cannot publish the releases that are due")


LOANS = contextvars.ContextVar[Loans | None]("cablegate_loans", default=None)
"""The connections the request being answered borrowed (set by :class:`LendConnections`;
the threads that run a request's routes see it too, as contextvars are copied into them)."""


class Pools:
    """A server process's connections to a PostgreSQL archive: a pool to read pages through
    (read-only, each query limited to ``CABLEGATE_QUERY_TIMEOUT``), on the replica when
    there is one, and a pool to write through; each of ``CABLEGATE_DB_POOL`` connections
    at most (a request waits :data:`~cablegate.archive.pool.CHECKOUT_TIMEOUT` at most for
    one)."""

    def __init__(self, reading: ArchivePool, writing: ArchivePool) -> None:
        self.reading = reading
        self.writing = writing

    @classmethod
    def for_archive(cls, db: str | None, read_db: str | None) -> Pools | None:
        """The pools for a PostgreSQL archive (and replica); None for SQLite."""
        url = parse_url(db)
        read_url = parse_url(read_db) if read_db else url
        if url.backend != "postgresql" or read_url.backend != "postgresql":
            return None
        size, limit = settings.DB_POOL.get(), settings.QUERY_TIMEOUT.get()
        reading = ArchivePool(
            read_url, size, read_only=True, statement_timeout=limit, name="cablegate serve (read)"
        )
        writing = ArchivePool(url, size, name="cablegate serve (write)")
        return cls(reading, writing)

    def lent(self, writing: bool = False) -> Archive:
        """The current request's connection of either pool (borrowed at first use)."""
        loans = LOANS.get()
        if loans is None:
            raise RuntimeError("connections to the archive are lent to requests only")
        return loans.get(self.writing if writing else self.reading)

    def close(self) -> None:
        self.reading.close()
        self.writing.close()


class PooledSite(Site):
    """A server thread's site on PostgreSQL: its ``archive`` and ``primary`` are the
    connections the request being answered borrowed (when it first uses them), so it can
    be kept, with its side pane, across requests that each have their own."""

    def __init__(self, pools: Pools, base_url: str, env: Environment) -> None:
        self._pools = pools
        # (Site keeps the archive it is given; this one asks the request for its own.)
        super().__init__(pools.lent(), base_url, env)

    @property
    def archive(self) -> Archive:
        return self._pools.lent()

    @archive.setter
    def archive(self, value: Archive) -> None:
        """(:class:`Site` sets it; the request's connection is what it reads.)"""

    @property
    def primary(self) -> Archive:
        return self._pools.lent(writing=True)

    @primary.setter
    def primary(self, value: Archive) -> None:
        """(:class:`Site` sets it; the request's connection is what it writes to.)"""


class LendConnections:
    """ASGI middleware: each request borrows the connections it uses from the process's
    pools (:class:`Pools`) and gives them back when it is over, its response sent (however
    it ended: an answer, a streamed one, an error). A request made while answering another
    (the API docs fetch their examples) uses that one's."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or LOANS.get() is not None:
            await self.app(scope, receive, send)
            return
        loans = Loans()
        token = LOANS.set(loans)
        try:
            await self.app(scope, receive, send)
        finally:
            LOANS.reset(token)
            # On the event loop, but without waiting (a pool takes a connection back at
            # once; one a failed request left in a transaction costs a ROLLBACK).
            if len(loans):
                loans.give_back()


def app_from_env() -> FastAPI:
    """The app for the settings ``CABLEGATE_DB``, ``CABLEGATE_READ_DB`` and
    ``CABLEGATE_BASE_URL`` (uvicorn workers start it; ``cablegate serve`` has set their
    logging up through uvicorn's ``log_config``)."""
    return create_app(settings.DB.get(), settings.BASE_URL.get(), settings.READ_DB.get())


REQUEST_ID_HEADER = "X-Request-ID"


class RequestIDs:
    """ASGI middleware: gives every request a short random ID (12 hex digits), sent back as
    ``X-Request-ID`` on every response; a request that fails with an unexpected exception
    is logged with its ID and traceback, and answered with a bare 500 page that shows the
    ID (and nothing of the error), so that a reader can report it and it can be found in
    the log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = secrets.token_hex(6)
        scope.setdefault("state", {})["request_id"] = rid
        header = (REQUEST_ID_HEADER.lower().encode(), rid.encode())
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", []), header]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            path = echoed(str(scope.get("path")))
            if started:  # the status line is out: all that can be done is to stop
                log.exception("request %s failed: %s %s", rid, scope.get("method"), path)
                raise
            slow = too_slow(exc)
            if slow is not None:
                log.warning("request %s ran out of time: %s %s", rid, scope.get("method"), path)
                status, text = 503, slow
                extra = [(b"retry-after", str(RETRY_AFTER).encode())]
            else:
                log.exception("request %s failed: %s %s", rid, scope.get("method"), path)
                status, extra = 500, []
                text = (
                    "Internal server error. The error is in the server's log; "
                    f"to report it, quote request ID {rid}."
                )
            if path.startswith("/api/"):
                query = scope.get("query_string", b"").decode("latin-1")
                where = str(scope.get("path")) + (f"?{query}" if query else "")
                body, media = api.problem(status, text, where), api.PROBLEM_MEDIA.encode()
            else:
                body, media = f"{text}\n".encode(), b"text/plain; charset=utf-8"
            await send_with_id(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [
                        (b"content-type", media),
                        (b"content-length", str(len(body)).encode()),
                        (b"cache-control", b"no-store"),
                        *extra,
                    ],
                }
            )
            head = scope.get("method") == "HEAD"
            await send_with_id({"type": "http.response.body", "body": b"" if head else body})


def too_slow(error: BaseException) -> str | None:
    """The message for a query that ran out of time (the search engine's limit or the
    database's, ``CABLEGATE_QUERY_TIMEOUT``), or None for any other error."""
    if isinstance(error, SearchTimeout):
        return f"{error}; or try again later"
    if exhausted(error):
        return f"the server is busy: {error}; try again in {RETRY_AFTER} s"
    if timed_out(error):
        return (
            f"the archive took longer than {settings.QUERY_TIMEOUT.get():g} s to answer: "
            f"try again in {RETRY_AFTER} s"
        )
    return None


class HeadAsGet:
    """ASGI middleware: a HEAD request is answered as the GET of the same URL (status and
    headers, Content-Length included), without the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers)


def instance(request: Request) -> str:
    """A request as problem details name it: its path and query."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def site_url(current: Site, request: Request) -> str:
    """The site's URL: the base_url setting, else the one the request was made to."""
    return current.base_url or str(request.base_url).rstrip("/")


def download(found: Iterable[Listed], fmt: str, name: str, base: str = "") -> Response:
    """A file of the first :data:`EXPORT_MAX` of ``found`` (give it one more, to tell);
    ``base``: the site's URL, for the rows' absolute ``url``."""
    rows = list(itertools.islice(found, EXPORT_MAX + 1))
    body, media = exports.listed(rows[:EXPORT_MAX], fmt, base)
    headers = {"Content-Disposition": f'attachment; filename="{_filename(name)}.{fmt}"'}
    if len(rows) > EXPORT_MAX:
        headers["X-Export-Truncated"] = f"the first {EXPORT_MAX} rows only"
    return Response(body, 200, headers, media_type=media)


def _filename(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name)


def bad_request(error: Exception) -> Response:
    return Response(f"{echoed(str(error), 400)}\n", 400, media_type="text/plain; charset=utf-8")


def respond(page: Page, request: Request | None, modified: str | None) -> Response:
    """The HTTP response for a rendered page, honouring If-None-Match / If-Modified-Since."""
    if page.location is not None:
        return RedirectResponse(page.location, status_code=page.status)
    body = page.html.encode()
    headers = {"Cache-Control": CACHE_CONTROL}
    if page.status == 200:
        headers["ETag"] = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
        if modified:
            headers["Last-Modified"] = http_date(modified)
        if request is not None and not_modified(request, headers):
            return Response(status_code=304, headers=headers)
    return Response(body, page.status, headers, media_type=page.media_type)


def http_date(iso: str) -> str:
    return format_datetime(datetime.fromisoformat(iso).replace(tzinfo=UTC), usegmt=True)


def not_modified(request: Request, headers: dict[str, str]) -> bool:
    """RFC 9110 section 13.2.2: If-None-Match wins over If-Modified-Since."""
    if (match := request.headers.get("if-none-match")) is not None:
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        return "*" in tags or headers["ETag"] in tags
    since, last = request.headers.get("if-modified-since"), headers.get("Last-Modified")
    if since and last:
        try:
            return parsedate_to_datetime(last) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False

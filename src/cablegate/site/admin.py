"""The only writes over HTTP, each behind the admin token (``Authorization: Bearer ...``):
scheduling releases, withdrawing published cables and linking press articles, each recorded
in the audit trail under the token's ID. Everything else is done with the CLI on the
server. These routes are not in the public API schema.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio.to_thread
import msgspec
from fastapi import APIRouter, Request
from fastapi.responses import Response

from cablegate.archive import Archive
from cablegate.articles import import_articles, parse_record
from cablegate.errors import CablegateError
from cablegate.releases import by_query, release_time, schedule, withdraw
from cablegate.site.pages import Site
from cablegate.site.security import check_token, token_configured, token_id

MAX_BODY = 10 * 2**20


class ReleaseRequest(msgspec.Struct, forbid_unknown_fields=True):
    ids: list[str] = []
    query: str | None = None
    at: str | None = None
    """When (UTC unless an offset is given), or ``now``; leave out with ``private``."""
    private: bool = False
    version: int | None = None
    reason: str | None = None
    """Why, for the audit trail."""


class WithdrawalRequest(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    reason: str
    """Shown on the cable's page (410 Gone), unless ``silent``."""
    version: int | None = None
    """Only this version (default: the whole cable)."""
    silent: bool = False
    """Its page answers 404, as for a cable never published."""


class ArticlesRequest(msgspec.Struct, forbid_unknown_fields=True):
    articles: list[dict[str, object]]


def _json(value: object, status: int = 200) -> Response:
    return Response(msgspec.json.encode(value), status, media_type="application/json")


def _denied(archive: Archive, request: Request) -> Response | None:
    """None when the request carries the admin token, else the answer to give."""
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if not header:
        return Response(
            b'{"detail":"this needs the admin token: Authorization: Bearer <token>"}',
            401,
            {"WWW-Authenticate": "Bearer"},
            media_type="application/json",
        )
    if not token_configured(archive):
        return _json({"detail": "writes over HTTP are off (run `cablegate token`)"}, 403)
    if scheme.lower() != "bearer" or not check_token(archive, given.strip()):
        return _json({"detail": "wrong admin token"}, 403)
    return None


async def _body(request: Request, kind: type[msgspec.Struct]) -> Any:
    data = await request.body()
    if len(data) > MAX_BODY:
        return _json({"detail": "request body too large"}, 413)
    try:
        return msgspec.json.decode(data, type=kind)
    except msgspec.DecodeError as exc:
        return _json({"detail": f"bad request body: {exc}"}, 400)


def router(site: Callable[[], Site]) -> APIRouter:
    routes = APIRouter(prefix="/api/admin", include_in_schema=False)

    @routes.get("/releases")
    def plan(request: Request) -> Response:
        """Every version not yet public, with its release time (None: private)."""
        archive = site().primary
        if (denied := _denied(archive, request)) is not None:
            return denied
        return _json(archive.plan())

    async def admit(request: Request, kind: type[msgspec.Struct]) -> tuple[Archive, Any] | Response:
        """(archive, decoded body) for a request with the token, else the answer to give."""
        # In a worker thread: waiting for a pooled connection must not stop the event loop
        # (which gives them back).
        archive = await anyio.to_thread.run_sync(lambda: site().primary)
        if (denied := _denied(archive, request)) is not None:
            return denied
        body = await _body(request, kind)
        return body if isinstance(body, Response) else (archive, body)

    @routes.post("/releases")
    async def releases(request: Request) -> Response:
        if isinstance(admitted := await admit(request, ReleaseRequest), Response):
            return admitted
        archive, body = admitted
        if not body.private and not body.at:
            return _json({"detail": "say when ('at') or 'private'"}, 400)
        try:
            when = None if body.private else release_time(body.at or "")
            ids = body.ids + (by_query(archive, body.query) if body.query else [])
        except (CablegateError, ValueError) as exc:
            return _json({"detail": str(exc)}, 400)
        outcome = schedule(archive, ids, when, body.version, who=token_id(archive), why=body.reason)
        return _json(
            {
                "release_at": when,
                "scheduled": outcome.scheduled,
                "unknown": outcome.unknown,
                "nothing_left": outcome.nothing_left,
                "published": [p.canonical_id for p in outcome.published],
            }
        )

    @routes.post("/articles")
    async def articles(request: Request) -> Response:
        if isinstance(admitted := await admit(request, ArticlesRequest), Response):
            return admitted
        archive, body = admitted
        found, problems = [], []
        for n, record in enumerate(body.articles, 1):
            try:
                found.append(parse_record(record, f"article {n}"))
            except ValueError as exc:
                problems.append(str(exc))
        links = import_articles(archive, found, who=token_id(archive))
        return _json({"articles": len(found), "new_links": links, "problems": problems})

    @routes.post("/withdrawals")
    async def withdrawals(request: Request) -> Response:
        if isinstance(admitted := await admit(request, WithdrawalRequest), Response):
            return admitted
        archive, body = admitted
        try:
            done = withdraw(
                archive, body.id, body.version, body.reason, body.silent, who=token_id(archive)
            )
        except (CablegateError, ValueError) as exc:
            return _json({"detail": str(exc)}, 400)
        return _json(
            {
                "id": done.canonical_id,
                "withdrawn": done.versions,
                "current": done.current,
                "silent": body.silent,
            }
        )

    return routes

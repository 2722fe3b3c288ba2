"""HTTP conventions of the public surface, as ASGI middleware: CORS for every public GET
(newsrooms build on the API from their own pages), and revalidation of the JSON API (a
strong ``ETag`` on every answer, ``304 Not Modified`` for ``If-None-Match``, and
``Cache-Control``). The admin routes (``/api/admin/``) get neither."""

from __future__ import annotations

import hashlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API = "/api/"
ADMIN = "/api/admin"
API_CACHE_CONTROL = "public, max-age=300"
"""How long an API answer may be reused without asking (as the site's pages)."""
NO_STORE = "no-store"
"""Errors are not kept: a 503 or a 404 may be over in a moment."""
SAFE_METHODS = ("GET", "HEAD")
EXPOSED = "ETag, Link, Retry-After, X-Request-ID, X-Export-Truncated, Content-Disposition"
"""Response headers a script of another origin may read."""
PREFLIGHT_MAX_AGE = "86400"


def public(path: str) -> bool:
    """Whether a path is open to other origins (all but the admin routes)."""
    return not (path == ADMIN or path.startswith(ADMIN + "/"))


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


class Cors:
    """``Access-Control-Allow-Origin: *`` on every GET and HEAD answer of a public path
    (errors included, so that a script can read the problem), and answers to CORS
    preflight requests (``OPTIONS`` asking for GET or HEAD). No credentials are ever
    involved: the public surface has no cookies and no logins. Put it outside the
    middleware that answers errors, so that its answers have the headers too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not public(scope["path"]):
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        asked = _header(scope, b"access-control-request-method")
        if method == "OPTIONS" and asked is not None and asked.upper() in SAFE_METHODS:
            await self._preflight(scope, send)
            return
        if method not in SAFE_METHODS:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if not k.lower().startswith(b"access-control-")
                ]
                headers += [
                    (b"access-control-allow-origin", b"*"),
                    (b"access-control-expose-headers", EXPOSED.encode()),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(self, scope: Scope, send: Send) -> None:
        headers = [
            (b"access-control-allow-origin", b"*"),
            (b"access-control-allow-methods", b"GET, HEAD, OPTIONS"),
            (b"access-control-max-age", PREFLIGHT_MAX_AGE.encode()),
            (b"content-length", b"0"),
        ]
        wanted = _header(scope, b"access-control-request-headers")
        if wanted:
            # Any header may be sent (no credentials are involved): the ones asked for.
            names = [n.strip() for n in wanted.split(",") if n.strip()]
            allowed = ", ".join(n for n in names if n.replace("-", "").isalnum())[:1000]
            headers.append((b"access-control-allow-headers", allowed.encode()))
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


def etag(body: bytes) -> str:
    """A strong entity tag of a body (a hash of its bytes)."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """RFC 9110 section 13.1.2: a weak comparison of ``If-None-Match`` with a tag."""
    if if_none_match is None:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or tag in tags


class Revalidation:
    """The JSON API's caching: a 200 answer to GET gets a strong ``ETag`` (a hash of its
    body) and ``Cache-Control: public, max-age=300``, and a request whose
    ``If-None-Match`` holds that tag gets ``304 Not Modified`` without the body; errors get
    ``Cache-Control: no-store``. Put it inside :class:`cablegate.site.app.HeadAsGet`, so
    that HEAD, answered as GET, has the same tag."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not path.startswith(API)
            or not public(path)
        ):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def buffered(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                if message["status"] != 200:  # passed on as it is, not to be kept
                    headers = _without(message.get("headers", []), b"cache-control")
                    headers.append((b"cache-control", NO_STORE.encode()))
                    await send({**message, "headers": headers})
                return
            assert start is not None
            if start["status"] != 200:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await self._answer(scope, start, b"".join(chunks), send)

        await self.app(scope, receive, buffered)

    async def _answer(self, scope: Scope, start: Message, body: bytes, send: Send) -> None:
        tag = etag(body)
        headers = _without(start.get("headers", []), b"etag", b"cache-control")
        extra = [(b"etag", tag.encode()), (b"cache-control", API_CACHE_CONTROL.encode())]
        if matches(_header(scope, b"if-none-match"), tag):
            kept = [(k, v) for k, v in headers if k.lower() not in _BODY_HEADERS]
            await send({"type": "http.response.start", "status": 304, "headers": kept + extra})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({**start, "headers": headers + extra})
        await send({"type": "http.response.body", "body": body})


_BODY_HEADERS = (b"content-length", b"content-type")


def _without(headers: list[tuple[bytes, bytes]], *names: bytes) -> list[tuple[bytes, bytes]]:
    return [(k, v) for k, v in headers if k.lower() not in names]

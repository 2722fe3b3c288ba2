"""What every response carries and what no response may carry: security headers on all of
them, and no stack trace ever (an error is logged on the server and answered with a plain
500), plus the admin token that guards writes over HTTP.

The token is random (``cablegate token``), shown once, and kept in the archive only as its
SHA-256; a request's token is hashed and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cablegate.archive import Archive, utc_now

log = logging.getLogger("cablegate.site")

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
"""No scripts, no inline styles, nothing from elsewhere: the site needs none of them."""

HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]

_ERROR = b"Internal server error: the error is in the server's log.\n"


class SecurityHeaders:
    """ASGI middleware, outermost: adds :data:`HEADERS` to every HTTP response and turns
    any exception into a bare 500 (the traceback goes to the log, never to the client)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in HEADERS if n not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("error answering %s %s", scope.get("method"), scope.get("path"))
            if started:  # the status line is out: all that can be done is to stop
                raise
            await send_with_headers(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                }
            )
            await send_with_headers({"type": "http.response.body", "body": _ERROR})


TOKEN_KEY = "admin_token_sha256"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(archive: Archive) -> str:
    """Make a new admin token (replacing any other), keep its hash, return it (once)."""
    token = secrets.token_urlsafe(32)
    with archive.transaction():
        archive.writer(utc_now()).put_meta(TOKEN_KEY, _digest(token))
    return token


def revoke_token(archive: Archive) -> bool:
    """Turn writes over HTTP off; whether there was a token."""
    with archive.transaction():
        return archive.writer(utc_now()).drop_meta(TOKEN_KEY)


def token_configured(archive: Archive) -> bool:
    return archive.meta(TOKEN_KEY) is not None


def check_token(archive: Archive, given: str | None) -> bool:
    """Whether ``given`` is the admin token (constant time in what it compares)."""
    stored = archive.meta(TOKEN_KEY)
    if stored is None or not given:
        return False
    return hmac.compare_digest(_digest(given).encode(), stored.encode())

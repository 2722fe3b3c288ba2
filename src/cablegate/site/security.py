"""What every response carries: security headers on all of them (errors included: no stack
trace is ever sent, see :class:`cablegate.site.app.RequestIDs`), plus the admin token that
guards writes over HTTP.

The token is random (``cablegate token``), shown once, and kept in the archive only as its
SHA-256; a request's token is hashed and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cablegate.archive import Archive, local_user, utc_now

log = logging.getLogger("cablegate.site")

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
"""No scripts, no inline styles, nothing from elsewhere: the site needs none of them."""

SEARCH_PAGE_POLICY = (
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; "
    "worker-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "form-action 'self'; base-uri 'none'"
)
"""The static mirror's search page (``/search.html``, a ``<meta>`` since a mirror's host sets
no header of ours): scripts from the mirror itself, and the WebAssembly they compile
(Pagefind's), the only page of the site with a script."""

HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeaders:
    """ASGI middleware, outermost: adds :data:`HEADERS` to every HTTP response (errors are
    answered inside it, by :class:`cablegate.site.app.RequestIDs`, so their pages carry the
    headers too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in HEADERS if n not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


TOKEN_KEY = "admin_token_sha256"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(archive: Archive, who: str | None = None) -> str:
    """Make a new admin token (replacing any other), keep its hash, return it (once); the
    audit trail records it by its ID (:func:`token_id`)."""
    token = secrets.token_urlsafe(32)
    with archive.transaction():
        writer = archive.writer(utc_now())
        old = archive.meta(TOKEN_KEY)
        writer.put_meta(TOKEN_KEY, _digest(token))
        what = f"new token {_digest(token)[:8]}" + (f", replacing {old[:8]}" if old else "")
        writer.audit(who or local_user(), "token", what)
    return token


def revoke_token(archive: Archive, who: str | None = None) -> bool:
    """Turn writes over HTTP off; whether there was a token."""
    with archive.transaction():
        writer = archive.writer(utc_now())
        old = archive.meta(TOKEN_KEY)
        had = writer.drop_meta(TOKEN_KEY)
        if had and old is not None:
            writer.audit(who or local_user(), "token", f"revoked token {old[:8]}")
        return had


def token_id(archive: Archive) -> str:
    """Who an admin request is, in the audit trail: ``token:`` and the first 8 hex digits
    of its SHA-256 (not enough to find the token)."""
    stored = archive.meta(TOKEN_KEY) or ""
    return f"token:{stored[:8]}"


def token_configured(archive: Archive) -> bool:
    return archive.meta(TOKEN_KEY) is not None


def check_token(archive: Archive, given: str | None) -> bool:
    """Whether ``given`` is the admin token (constant time in what it compares)."""
    stored = archive.meta(TOKEN_KEY)
    if stored is None or not given:
        return False
    return hmac.compare_digest(_digest(given).encode(), stored.encode())

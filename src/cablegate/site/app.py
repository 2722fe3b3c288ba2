"""The Cable Viewer as an ASGI app (FastAPI + Jinja2), reading the archive."""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape

from cablegate.archive import Archive
from cablegate.parse import canonical_id
from cablegate.site import views

HERE = Path(__file__).resolve().parent


def templates() -> Environment:
    """The Jinja2 environment: HTML autoescaped everywhere."""
    return Environment(
        loader=PackageLoader("cablegate.site", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def create_app(db: str | None = None, base_url: str = "") -> FastAPI:
    """The site for the archive at ``db`` (a database URL or SQLite path)."""
    env = templates()
    local = threading.local()
    Archive.open(db, create=False).close()  # fail early when there is no archive

    def archive() -> Archive:
        if getattr(local, "archive", None) is None:
            local.archive = Archive.open(db, create=False)
        return local.archive

    app = FastAPI(title="cablegate", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def not_found(pane: views.Pane, what: str) -> HTMLResponse:
        html = env.get_template("404.html").render(pane=pane, what=what)
        return HTMLResponse(html, status_code=404)

    @app.get("/cable/{year}/{month}/{name}.html", response_class=HTMLResponse)
    def cable(year: str, month: str, name: str, request: Request) -> Response:
        store = archive()
        pane = views.pane(store)
        page = views.cable_page(store, canonical_id(name) or name, pane)
        if page is None:
            return not_found(pane, f"cable {name}")
        if request.url.path != page.url:
            return RedirectResponse(page.url, status_code=301)
        html = env.get_template("cable.html").render(pane=pane, page=page, base_url=base_url)
        return HTMLResponse(html)

    return app

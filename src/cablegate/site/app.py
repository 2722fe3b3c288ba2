"""The Cable Viewer as an ASGI app (FastAPI + Jinja2), reading the archive."""

from __future__ import annotations

import re
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

    def cable_response(name: str, version: int | None, request: Request) -> Response:
        store = archive()
        pane = views.pane(store)
        page = views.cable_page(store, canonical_id(name) or name, pane, version)
        if page is None:
            return not_found(pane, f"cable {name}" + (f" version {version}" if version else ""))
        want = page.url  # the current version lives at the cable's own URL
        if page.shown is not None:
            want = page.url.removesuffix(".html") + f"/version-{version}.html"
        if request.url.path != want:
            return RedirectResponse(want, status_code=301)
        html = env.get_template("cable.html").render(pane=pane, page=page, base_url=base_url)
        return HTMLResponse(html)

    @app.get("/cable/{year}/{month}/{name}.html", response_class=HTMLResponse)
    def cable(year: str, month: str, name: str, request: Request) -> Response:
        return cable_response(name, None, request)

    @app.get("/cable/{year}/{month}/{name}/version-{number}.html", response_class=HTMLResponse)
    def cable_version(year: str, month: str, name: str, number: int, request: Request) -> Response:
        return cable_response(name, number, request)

    def render(name: str, **context: object) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**context))

    @app.get("/", response_class=HTMLResponse)
    @app.get("/index.html", response_class=HTMLResponse)
    def home() -> Response:
        store = archive()
        pane = views.pane(store)
        return render("home.html", pane=pane, listing=views.latest_release(store, pane))

    @app.get("/faq.html", response_class=HTMLResponse)
    def faq() -> Response:
        return render("faq.html", pane=views.pane(archive()))

    @app.get("/about.html", response_class=HTMLResponse)
    def about() -> Response:
        return render("about.html", pane=views.pane(archive()))

    @app.get("/articles.html", response_class=HTMLResponse)
    def articles() -> Response:
        store = archive()
        return render("articles.html", pane=views.pane(store), items=views.articles(store))

    @app.get("/{kind}/{name}.html", response_class=HTMLResponse)
    def browse(kind: str, name: str) -> Response:
        store = archive()
        pane = views.pane(store)
        m = _PAGE.fullmatch(name)
        listing = None
        if m and kind in BROWSE_KINDS:
            listing = views.browse_page(store, pane, kind, m.group(1), int(m.group(2)))
        if listing is None:
            return not_found(pane, f"page {kind}/{name}.html")
        return render("browse.html", pane=pane, listing=listing)

    return app


BROWSE_KINDS = ("reldate", "date", "origin", "tag", "classification")
_PAGE = re.compile(r"(.+)_(\d{1,6})")

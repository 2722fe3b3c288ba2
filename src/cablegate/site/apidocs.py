"""The API's documentation page (``/api/docs``), rendered on the server (the site sends no
scripts: its CSP forbids them) from the OpenAPI schema: every route with its parameters and
their types, its answers, and an example request with the real answer of this archive (made
in-process through the whole app, headers included), and every record type's fields.

The example values come from the archive itself (the newest released cable, its subject's
first word, the first tag), so the examples are right for any archive, the demo included.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.types import ASGIApp, Message

from cablegate.site.pages import environment

CACHE_SECONDS = 60.0
"""How long a rendered page is kept (its examples are real requests)."""
SHOWN_ITEMS = 2
"""Lists in an example answer are cut to their first items ..."""
SHOWN_CHARS = 160
"""... and texts to their first characters."""
SHOWN_HEADERS = ("content-type", "cache-control", "etag", "link", "access-control-allow-origin")
QUERY_EXAMPLES = {"per_page": "2"}
"""Query parameters an example sets (besides ``q``), when its route has them."""

_env = environment()


class Answer:
    """A response to an in-process request."""

    def __init__(self) -> None:
        self.status = 0
        self.headers: list[tuple[str, str]] = []
        self.body = b""

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


async def fetch(app: ASGIApp, request: Request, target: str) -> Answer:
    """GET ``target`` (path and query) from the app itself, as the docs' reader would (the
    same host and scheme, so absolute URLs in the answer are theirs)."""
    path, _, query = target.partition("?")
    host = request.headers.get("host", "localhost")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": request.url.scheme,
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", host.encode("latin-1")), (b"accept", b"application/json")],
        "client": ("127.0.0.1", 0),
        "server": (request.url.hostname or "localhost", request.url.port or 80),
    }
    answer = Answer()
    chunks: list[bytes] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = [
                (k.decode("latin-1").lower(), v.decode("latin-1"))
                for k, v in message.get("headers", [])
            ]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    answer.body = b"".join(chunks)
    return answer


async def example_values(app: ASGIApp, request: Request) -> dict[str, str]:
    """Values for the parameters of the examples, from the archive: the newest released
    cable (``id``, ``number``), a word of its subject (``q``), the first tag (``key``)."""
    values = {"kind": "tag", "q": "embassy"}
    tags = (await fetch(app, request, "/api/browse/tag")).json()
    if isinstance(tags, list) and tags:
        values["key"] = tags[0]["key"]
    days = (await fetch(app, request, "/api/browse/reldate")).json()
    if isinstance(days, list) and days:
        listing = (await fetch(app, request, days[0]["path"])).json() or {}
        rows = listing.get("rows") or []
        if rows:
            values["id"] = rows[0]["id"]
            words = [w for w in (rows[0]["subject"] or "").split() if w.isalpha() and len(w) > 3]
            if words:
                values["q"] = words[0].lower()
    if "id" in values:
        cable = (await fetch(app, request, f"/api/cables/{values['id']}")).json() or {}
        versions = cable.get("versions") or []
        if versions:
            values["number"] = str(versions[0]["number"])
    return values


def shortened(value: Any) -> Any:
    """An answer as an example shows it: lists cut to :data:`SHOWN_ITEMS`, texts to
    :data:`SHOWN_CHARS` (ending in ``…``)."""
    if isinstance(value, list):
        return [shortened(v) for v in value[:SHOWN_ITEMS]]
    if isinstance(value, dict):
        return {k: shortened(v) for k, v in value.items()}
    if isinstance(value, str) and len(value) > SHOWN_CHARS:
        return value[:SHOWN_CHARS] + "…"
    return value


def type_of(schema: dict[str, Any]) -> str:
    """A JSON schema as a type name, with its constraints (``integer, 1 to 200``)."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " or ".join(type_of(s) for s in schema["anyOf"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {type_of(schema.get('items', {}))}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"object of {type_of(schema['additionalProperties'])}"
    name = str(kind)
    notes = []
    if "format" in schema:
        notes.append(str(schema["format"]))
    if "enum" in schema:
        notes.append("one of " + ", ".join(map(str, schema["enum"])))
    if "minimum" in schema and "maximum" in schema:
        notes.append(f"{schema['minimum']} to {schema['maximum']}")
    elif "minimum" in schema:
        notes.append(f"at least {schema['minimum']}")
    elif "maximum" in schema:
        notes.append(f"at most {schema['maximum']}")
    if "pattern" in schema:
        notes.append(f"matching {schema['pattern']}")
    if "maxLength" in schema:
        notes.append(f"at most {schema['maxLength']} characters")
    return name + (f" ({'; '.join(notes)})" if notes else "")


def _schema_names(schema: dict[str, Any]) -> list[str]:
    """The record types a schema names (``$ref``), to link to."""
    found = []
    if "$ref" in schema:
        found.append(str(schema["$ref"]).rsplit("/", 1)[-1])
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            found += _schema_names(schema[key])
    for branch in schema.get("anyOf", []):
        found += _schema_names(branch)
    return found


async def operations(app: ASGIApp, request: Request, schema: dict[str, Any]) -> list[Any]:
    """Every route of the schema, with its example (requested now, of this archive)."""
    values = await example_values(app, request)
    found = []
    for path, ops in schema.get("paths", {}).items():
        for method, op in ops.items():
            params = [
                {
                    "name": p["name"],
                    "where": p["in"],
                    "type": type_of(p.get("schema", {})),
                    "required": p.get("required", False),
                    "default": p.get("schema", {}).get("default"),
                    "description": p.get("description") or p.get("schema", {}).get("title"),
                }
                for p in op.get("parameters", [])
            ]
            responses = []
            for status, response in op.get("responses", {}).items():
                for media, content in response.get("content", {}).items():
                    names = _schema_names(content.get("schema", {}))
                    shown = type_of(content.get("schema", {}))
                    responses.append((status, response.get("description", ""), media, shown, names))
            target = _example_target(path, op, values)
            example = None
            if target is not None and method == "get":
                answer = await fetch(app, request, target)
                body = answer.json()
                example = {
                    "request": f"GET {target}",
                    "status": answer.status,
                    "headers": [(k, v) for k, v in answer.headers if k in SHOWN_HEADERS],
                    "body": json.dumps(shortened(body), indent=2, ensure_ascii=False)
                    if body is not None
                    else answer.body.decode("utf-8", "replace")[:SHOWN_CHARS],
                }
            found.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "anchor": "op-" + "".join(c if c.isalnum() else "-" for c in path).strip("-"),
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "params": params,
                    "responses": responses,
                    "example": example,
                }
            )
    return found


def _example_target(path: str, op: dict[str, Any], values: dict[str, str]) -> str | None:
    """The example request of a route, or None when a path parameter has no value."""
    target = path
    query = []
    for param in op.get("parameters", []):
        name = param["name"]
        if param["in"] == "path":
            if name not in values:
                return None
            target = target.replace("{" + name + "}", values[name])
        elif param["in"] == "query" and name == "q" and "q" in values:
            query.append((name, values["q"]))
        elif param["in"] == "query" and name in QUERY_EXAMPLES:
            query.append((name, QUERY_EXAMPLES[name]))
    return target + (f"?{urlencode(query)}" if query else "")


def records(schema: dict[str, Any]) -> list[Any]:
    """Every record type of the schema, with its fields."""
    found = []
    for name, component in sorted(schema.get("components", {}).get("schemas", {}).items()):
        required = set(component.get("required", []))
        fields = [
            {
                "name": field,
                "type": type_of(prop),
                "links": _schema_names(prop),
                "required": field in required,
                "description": prop.get("description", ""),
            }
            for field, prop in component.get("properties", {}).items()
        ]
        found.append(
            {"name": name, "description": component.get("description", ""), "fields": fields}
        )
    return found


async def render(request: Request, schema: dict[str, Any]) -> str:
    """The documentation page (kept :data:`CACHE_SECONDS`, for the app it documents)."""
    app = request.app
    cached = getattr(app.state, "api_docs", None)
    key = (request.headers.get("host"), request.url.scheme)
    if cached is not None and cached[0] == key and time.monotonic() - cached[1] < CACHE_SECONDS:
        return str(cached[2])
    html = _env.get_template("api_docs.html").render(
        info=schema.get("info", {}),
        operations=await operations(app, request, schema),
        records=records(schema),
        shown_items=SHOWN_ITEMS,
        shown_chars=SHOWN_CHARS,
    )
    app.state.api_docs = (key, time.monotonic(), html)
    return html

"""A link checker for the Cable Viewer: crawls a site (served or static) from its home page,
following every internal link, and reports the links that do not resolve, fragments included."""

from __future__ import annotations

import functools
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from selectolax.lexbor import LexborHTMLParser as HTMLParser

Fetch = Callable[[str], tuple[int, str | None, str | None]]
"""path -> (status, the HTML of a 200 HTML page, Location when a redirect)."""


@dataclass
class Crawl:
    pages: dict[str, set[str]] = field(default_factory=dict)
    """Every page reached (path -> the ids on it, for fragment links)."""
    redirects: dict[str, str] = field(default_factory=dict)
    broken: list[tuple[str, str, str]] = field(default_factory=list)
    """(page, link, why)."""
    links: int = 0
    outlinks: dict[str, set[str]] = field(default_factory=dict)
    """The internal links of the pages ``crawl(keep=...)`` asked for."""


@functools.lru_cache(maxsize=1 << 16)
def internal(href: str) -> tuple[str, str] | None:
    """(path, fragment) of an internal link; None for external, mailto: and the like."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return None
    return unquote(parts.path), parts.fragment


def crawl(fetch: Fetch, start: str = "/", keep: re.Pattern[str] | None = None) -> Crawl:
    """Crawl from ``start``; keep the links of the pages whose path ``keep`` matches."""
    result = Crawl()
    queue: deque[str] = deque([start])
    wanted: dict[tuple[str, str], tuple[str, str]] = {}  # (path, fragment) -> (page, href)
    seen = {start}
    while queue:
        path = queue.popleft()
        status, html, location = fetch(path)
        if status in (301, 302, 307, 308) and location:
            result.redirects[path] = location
            if location not in seen:
                seen.add(location)
                queue.append(location)
            continue
        if status != 200:
            continue
        if html is None:  # a stylesheet, an image
            result.pages[path] = set()
            continue
        tree = HTMLParser(html)
        result.pages[path] = {node.attributes.get("id") or "" for node in tree.css("[id]")}
        for node in tree.css("a[href], link[href]"):
            href = node.attributes.get("href") or ""
            link = internal(href)
            if link is None:
                continue
            result.links += 1
            target, fragment = link[0] or path, link[1]
            wanted.setdefault((target, fragment), (path, href))
            if keep is not None and keep.match(path):
                result.outlinks.setdefault(path, set()).add(target)
            if target not in seen:
                seen.add(target)
                queue.append(target)
    for (target, fragment), (page, href) in wanted.items():
        final = target
        while final in result.redirects:
            final = result.redirects[final]
        if final not in result.pages:
            result.broken.append((page, href, "does not resolve"))
        elif fragment and fragment not in result.pages[final]:
            result.broken.append((page, href, f"no #{fragment} on {final}"))
    return result


def crawl_served(client: Any) -> tuple[Crawl, dict[str, str]]:
    """Crawl a served site (a ``TestClient``) from ``/``: the crawl, and the text of every
    page it reached by path (for looking for what must not be there)."""
    bodies: dict[str, str] = {}

    def fetch(path: str) -> tuple[int, str | None, str | None]:
        response = client.get(path, follow_redirects=False)
        bodies[path] = response.text
        html = response.text if "html" in response.headers.get("content-type", "") else None
        return response.status_code, html, response.headers.get("location")

    return crawl(fetch), bodies

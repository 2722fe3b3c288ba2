"""Cable text as HTML: escaped first, then links added at known spans (pure functions).

Nothing from the cable reaches the page unescaped: the text between links is escaped, and
the links carry only values we built (paragraph numbers, tag codes, canonical IDs).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from markupsafe import Markup, escape

_PARAGRAPH = re.compile(r"^([ \t]*)¶?(\d{1,3})\.(?=[ \t(])", re.M)
_TAGS_LINE = re.compile(r"^[ \t]*TAGS:?[ \t]*(.*)$", re.M)
_TAG = re.compile(r"[A-Z][A-Z0-9_]+")
_REF_BLOCK = re.compile(r"^[ \t]*REFS?(?:TEL)?\b[: ].*?(?=\n[ \t]*\n|\Z)", re.M | re.S)

Span = tuple[int, int, str]


def paragraph_spans(body: str) -> list[Span]:
    """``¶`` anchors at numbered paragraphs (``#par1`` ...), once per number."""
    spans, seen = [], set()
    for m in _PARAGRAPH.finditer(body):
        number = int(m.group(2))
        if number in seen:
            continue
        seen.add(number)
        anchor = (
            f"<a id='par{number}' href='#par{number}' class='par' "
            f"title='Link to paragraph {number}'>¶</a>{number}."
        )
        spans.append(
            (m.start(2) - (1 if body[m.start(2) - 1 : m.start(2)] == "¶" else 0), m.end(), anchor)
        )
    return spans


def tag_spans(
    body: str,
    tags: Iterable[str],
    url: Callable[[str], str],
    explain: Callable[[str], str | None] = lambda tag: None,
) -> list[Span]:
    """Links on the codes of the TAGS line (only codes the parser read as tags), titled with
    what the code means when ``explain`` knows."""
    known = set(tags)
    m = _TAGS_LINE.search(body)
    if not m:
        return []
    return [
        (
            m.start(1) + t.start(),
            m.start(1) + t.end(),
            _tag_link(url(t.group()), t.group(), explain(t.group())),
        )
        for t in _TAG.finditer(m.group(1))
        if t.group() in known
    ]


def _tag_link(href: str, tag: str, meaning: str | None) -> str:
    title = f" title='{escape(meaning)}'" if meaning else ""
    return f"<a href='{escape(href)}'{title}>{escape(tag)}</a>"


def reference_spans(body: str, refs: Iterable[tuple[str, str]]) -> list[Span]:
    """Links on references to cables in the archive: (text as written, URL of the cable)."""
    block = _REF_BLOCK.search(body)
    if not block:
        return []
    spans, start = [], block.start()
    for text, href in refs:
        at = body.find(text, start, block.end()) if text else -1
        if at >= 0:
            spans.append((at, at + len(text), f"<a href='{escape(href)}'>{escape(text)}</a>"))
            start = at + len(text)
    return spans


def render(text: str, spans: Iterable[Span]) -> Markup:
    """Escape ``text`` and put the HTML of each non-overlapping span in place of its text."""
    out, pos = [], 0
    for start, end, html in sorted(spans):
        if start < pos:
            continue  # overlaps an earlier span: keep the text
        out.append(str(escape(text[pos:start])))
        out.append(html)
        pos = end
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))

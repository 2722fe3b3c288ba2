"""Press articles linked to cables: read them from CSV or JSON (URL, title, outlet, date,
cable IDs) and link them in the archive. Links found in site pages are stored at ingest."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from cablegate.archive import Archive, local_user, utc_now
from cablegate.archive.store import listed
from cablegate.parse.ids import canonical_id, split_id


@dataclass(frozen=True)
class ArticleLinks:
    url: str
    title: str | None
    outlet: str | None
    published: str | None
    cables: tuple[str, ...]


FIELDS = ("url", "title", "outlet", "date", "cables")


def web_url(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) address, else None: links taken from cable
    pages and article imports are untrusted (no ``javascript:`` or ``data:`` links)."""
    if url and re.match(r"https?://[^\s/]", url, re.I) and not re.search(r"[\s<>\"]", url):
        return url
    return None


def parse_record(record: dict[str, Any], where: str) -> ArticleLinks:
    """One article from a CSV row or JSON object; ValueError says what is wrong, and where."""
    url = str(record.get("url") or "").strip()
    if web_url(url) is None:
        raise ValueError(f"{where}: url {url!r} is not an http(s) address")
    raw = record.get("cables", record.get("ids")) or []
    words = re.split(r"[\s,;]+", raw) if isinstance(raw, str) else [str(v) for v in raw]
    cables = []
    for word in filter(None, (w.strip() for w in words)):
        cid = canonical_id(word)
        if split_id(cid) is None:
            raise ValueError(f"{where}: {word!r} is not a cable ID (write it as 08STATE37957)")
        cables.append(cid)
    if not cables:
        raise ValueError(f"{where}: no cable IDs (give them in 'cables')")
    date = str(record.get("date") or record.get("published") or "").strip() or None
    if date is not None:
        try:
            date = dt.date.fromisoformat(date[:10]).isoformat()
        except ValueError:
            raise ValueError(f"{where}: date {date!r} is not a date (write 2010-11-28)") from None

    def text(name: str) -> str | None:
        value = record.get(name)
        return " ".join(str(value).split()) or None if value is not None else None

    return ArticleLinks(url, text("title"), text("outlet"), date, tuple(dict.fromkeys(cables)))


def read_articles(path: Path) -> tuple[list[ArticleLinks], list[str]]:
    """Articles in a CSV (a header row naming url, title, outlet, date, cables) or JSON file
    (a list of objects with those keys); and the problems, each naming the file and row."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [], [f"{path}: cannot read it: {exc.strerror}"]
    if path.suffix.lower() == ".json" or data.lstrip()[:1] in (b"[", b"{"):
        try:
            records = msgspec.json.decode(data)
        except msgspec.DecodeError as exc:
            return [], [f"{path}: not valid JSON: {exc}"]
        if isinstance(records, dict):
            records = records.get("articles", [records])
        rows = [(f"{path}: item {n}", r) for n, r in enumerate(records, 1)]
    else:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig", errors="replace")))
        if not reader.fieldnames or "url" not in reader.fieldnames:
            return [], [f"{path}: no header row with a 'url' column ({', '.join(FIELDS)})"]
        rows = [(f"{path}: line {reader.line_num}", dict(r)) for r in reader]
    found, problems = [], []
    for where, record in rows:
        if not isinstance(record, dict):
            problems.append(f"{where}: not an object with {', '.join(FIELDS)}")
            continue
        try:
            found.append(parse_record(record, where))
        except ValueError as exc:
            problems.append(str(exc))
    return found, problems


def import_articles(archive: Archive, articles: list[ArticleLinks], who: str | None = None) -> int:
    """Store the articles and their links, in one transaction with its audit record
    (``who``: default the user running this); how many links are new."""
    with archive.transaction():
        writer = archive.writer(utc_now())
        before = writer.article_links()
        for a in articles:
            writer.article(a.url, a.title, a.outlet, a.published, a.cables)
        links = writer.article_links() - before
        if articles:
            what = listed([a.url for a in articles]) + f"; {links} new link(s)"
            writer.audit(who or local_user(), "articles", what)
        return links

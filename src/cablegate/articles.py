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


# -- showing articles ------------------------------------------------------------------------

OUTLETS: dict[str, str] = {
    # The newspapers WikiLeaks first worked with (2010), then those the cable pages of the
    # corpus link to most (hosts counted over its articles), then other frequent ones.
    "guardian.co.uk": "The Guardian",
    "theguardian.com": "The Guardian",
    "nytimes.com": "The New York Times",
    "elpais.com": "El País",
    "elpais.es": "El País",
    "spiegel.de": "Der Spiegel",
    "lemonde.fr": "Le Monde",
    "aftenposten.no": "Aftenposten",
    "thehindu.com": "The Hindu",
    "eluniverso.com": "El Universo",
    "nacion.com": "La Nación (Costa Rica)",
    "jornada.com.mx": "La Jornada",
    "jornada.unam.mx": "La Jornada",
    "rusrep.ru": "Russky Reporter",
    "lanacion.com.ar": "La Nación (Argentina)",
    "omroep.nl": "NOS",
    "nos.nl": "NOS",
    "abc.com.py": "ABC Color",
    "scoop.co.nz": "Scoop",
    "elespectador.com": "El Espectador",
    "elcomercio.pe": "El Comercio (Peru)",
    "al-akhbar.com": "Al Akhbar",
    "naviny.by": "Naviny.by",
    "padigital.com.pa": "La Prensa (Panama)",
    "novgaz.ru": "Novaya Gazeta",
    "nzherald.co.nz": "The New Zealand Herald",
    "nrc.nl": "NRC Handelsblad",
    "mediapart.fr": "Mediapart",
    "aftonbladet.se": "Aftonbladet",
    "svd.se": "Svenska Dagbladet",
    "svt.se": "SVT",
    "svtplay.se": "SVT",
    "the-star.co.ke": "The Star (Kenya)",
    "telegraph.co.uk": "The Daily Telegraph",
    "taraf.com.tr": "Taraf",
    "sovsekretno.ru": "Sovershenno Sekretno",
    "semana.com": "Semana",
    "letemps.ch": "Le Temps",
    "kp.ru": "Komsomolskaya Pravda",
    "ft.com": "Financial Times",
    "rt.com": "RT",
    "liberation.fr": "Libération",
    "liberation.typepad.com": "Libération",
    "washingtonpost.com": "The Washington Post",
    "bbc.co.uk": "BBC",
    "wikileaks.org": "WikiLeaks",
    "wikileaks.ch": "WikiLeaks",
}
"""Outlets by their web domain (a host is matched by its own name, then its parents')."""


def host(url: str) -> str | None:
    """The host of an http(s) URL, lower case, without ``www.`` and a port; None for
    what is not a web address or has no dot in its host (the original site made links of
    the words of a line: ``http://Yedioth``)."""
    match = re.match(r"https?://(?:[^/@?#]*@)?([^/:?#]+)", url.strip(), re.I)
    if not match:
        return None
    name = match.group(1).lower().rstrip(".")
    name = name.removeprefix("www.")
    if "." not in name or not re.fullmatch(r"[a-z0-9.-]+", name):
        return None
    return name


def outlet_name(url: str) -> str | None:
    """The outlet of an article by its URL's host: its name when known
    (``www.guardian.co.uk`` -> The Guardian, ``content1c.omroep.nl`` -> NOS), else the
    host without ``www.``; None when the URL has no host."""
    name = host(url)
    if name is None:
        return None
    labels = name.split(".")
    for start in range(len(labels) - 1):
        if (known := OUTLETS.get(".".join(labels[start:]))) is not None:
            return known
    return name


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_URL_DATE = re.compile(
    r"/((?:19|20)\d\d)/([01]?\d|" + "|".join(_MONTHS) + r")/([0-3]?\d)(?:/|$)", re.I
)


def url_date(url: str) -> str | None:
    """A date written in a URL's path as ``/2011/02/02/`` or ``/2010/dec/03/``, when it is
    a real date."""
    match = _URL_DATE.search(url)
    if not match:
        return None
    year, month, day = match.groups()
    number = _MONTHS.index(month.lower()) + 1 if month.isalpha() else int(month)
    try:
        return dt.date(int(year), number, int(day)).isoformat()
    except ValueError:
        return None


def real_title(title: str | None, url: str) -> str | None:
    """An article's title, unless it is only its address written out (the original site
    showed the URL, or a word of it, where it knew no title)."""
    if not title:
        return None
    bare = re.sub(r"^https?://", "", url.strip(), flags=re.I).rstrip("/").lower()
    said = re.sub(r"^https?://", "", title.strip(), flags=re.I).rstrip("/").lower()
    return None if said == bare or said == f"www.{bare}" or bare == f"www.{said}" else title


@dataclass(frozen=True)
class Shown:
    """An article as pages show it: its title (None: unknown), outlet (given, or named from
    its URL's host), date (given, or written in its URL) and its link when it is a web
    address (else None: the text is shown unlinked; like the original, a word it made a
    link of, ``http://Yedioth``, stays a link)."""

    url: str
    href: str | None
    title: str | None
    outlet: str | None
    published: str | None
    label: str
    """What the link reads: the title, else the address without ``http://``."""


def shown(url: str, title: str | None, outlet: str | None, published: str | None) -> Shown:
    href = web_url(url)
    title = real_title(title, url)
    label = title or re.sub(r"^https?://", "", url, flags=re.I).rstrip("/") or url
    return Shown(
        url,
        href,
        title,
        outlet or (outlet_name(url) if href else None),
        published or url_date(url),
        label,
    )

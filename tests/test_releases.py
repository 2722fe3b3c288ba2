"""Staged releases on real cable pages: what is private or not yet due leaks nowhere (every
page, API route, feed, search, export and the static build), a scheduled cable appears
exactly at its time, redacted versions stay in the history, articles are linked, and writes
over HTTP need the admin token."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

import pytest
from fastapi.testclient import TestClient

from cablegate.archive import Archive, utc_now
from cablegate.archive.store import PRIVATE, Visibility
from cablegate.ingest import ingest
from cablegate.parse import canonical_id
from cablegate.readers.site import read_site_page
from cablegate.releases import release_time, schedule
from cablegate.site.app import create_app
from cablegate.site.build import build_site
from cablegate.site.security import HEADERS
from cablegate.urls import cable_url
from tests.conftest import BACKENDS, NewDb, _database, requires_corpus
from tests.linkcheck import crawl_served
from tests.pgserver import Server

pytestmark = [requires_corpus, pytest.mark.xdist_group("releases")]

CANARIES = {
    "private": "zqxcanaryprivate",
    "version": "zqxcanaryversion",
    "future": "zqxcanaryfuture",
    "article": "zqxcanaryarticle",
}


def plant(data: bytes, canary: str) -> bytes:
    """A cable page with ``canary`` in its subject line (in the body, and so the subject)."""
    text = data.decode("utf-8")
    return re.sub(r"SUBJECT:\s*", f"SUBJECT: {canary.upper()} ", text, count=1).encode()


def write(folder: Path, pages: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for cid, data in pages.items():
        (folder / f"{cid}.html").write_bytes(data)
    return folder


@dataclass
class Staged:
    db: str
    public: list[str]
    private: str
    """A whole cable kept private, cited by a public one."""
    versioned: str
    """A public cable with a private later version."""
    future: str
    """A cable scheduled for 2099, cited by no public cable."""
    cited_by: str
    """The public cable citing ``private``."""
    articled: str
    """The public cable the public article links (with ``private``)."""


def _cited(site_pages: dict[str, bytes], ids: list[str]) -> dict[str, str]:
    """Cable -> a cable of ``ids`` citing it, for cables of the corpus outside ``ids``."""
    out: dict[str, str] = {}
    for cid in ids:
        for ref in read_site_page(site_pages[cid], cid).references:
            if ref.kind == "cable" and ref.value in site_pages and ref.value not in ids:
                out.setdefault(ref.value, cid)
    return out


@pytest.fixture(scope="module", params=BACKENDS)
def staged(
    request: pytest.FixtureRequest,
    site_pages: dict[str, bytes],
    tmp_path_factory: pytest.TempPathFactory,
    pg_server: Server | None,
) -> Staged:
    work = tmp_path_factory.mktemp("staged")
    every = sorted(site_pages)
    public = every[:: len(every) // 300][:300]
    cited = _cited(site_pages, public)
    private = sorted(cited)[0]
    cited_anywhere = {t for ts in map(_targets, (site_pages[c] for c in public)) for t in ts}
    future = next(c for c in reversed(every) if c not in public and c not in cited_anywhere)
    versioned = public[1]
    pages = {cid: site_pages[cid] for cid in public}
    planted = {
        private: plant(site_pages[private], CANARIES["private"]),
        versioned: plant(site_pages[versioned], CANARIES["version"]),
        future: plant(site_pages[future], CANARIES["future"]),
    }
    for cid, canary in ((private, "private"), (versioned, "version"), (future, "future")):
        record = read_site_page(planted[cid], cid)
        assert CANARIES[canary] in record.body.lower() and CANARIES[canary].upper() in str(
            record.subject
        )
    articles = work / "articles.json"
    articles.write_text(
        json.dumps(
            [
                {
                    "url": "https://example.org/secret-story",
                    "title": f"The {CANARIES['article']} story",
                    "outlet": "Example",
                    "date": "2010-12-01",
                    "cables": [private],
                },
                {
                    "url": "https://example.org/public-story",
                    "title": "A public story",
                    "outlet": "Example",
                    "date": "2010-12-02",
                    "cables": f"{public[2]} {private}",
                },
            ]
        )
    )
    db = _database(request.param, pg_server, work, "staged")
    with Archive.open(db) as archive:
        ingest(archive, [write(work / "public", pages)], jobs=1)
        ingest(archive, [write(work / "private", {private: planted[private]})], jobs=1,
               visibility=PRIVATE)  # fmt: skip
        ingest(archive, [write(work / "version", {versioned: planted[versioned]})], jobs=1,
               visibility=PRIVATE)  # fmt: skip
        ingest(archive, [write(work / "future", {future: planted[future]})], jobs=1,
               visibility=Visibility("2099-01-01 00:00:00"))  # fmt: skip
        assert len(archive.plan()) == 3
        assert archive.check() == []
    run = [sys.executable, "-m", "cablegate"]
    done = subprocess.run(
        [*run, "articles", "import", str(articles), "--db", db], capture_output=True
    )
    assert done.returncode == 0, done.stderr
    return Staged(db, public, private, versioned, future, cited[private], public[2])


def _targets(data: bytes) -> set[str]:
    return {r.value for r in read_site_page(data, "x").references if r.kind == "cable"}


def leaks(text: str, staged: Staged, asked: str = "") -> list[str]:
    """The canaries (any case) and the IDs that must never show in ``text``, the answer to
    a request for ``asked`` (a URL: what it asks for may be echoed, as in "no cable X")."""
    parts = urlsplit(asked)
    asked_for = [*parts.path.split("/"), *(v for _, v in parse_qsl(parts.query))]
    echoes = [e for a in asked_for for e in (a, quote(a, safe=""), quote_plus(a))]
    echoes += [word for a in asked_for for word in re.findall(r"\w+", a)]
    for echo in sorted(filter(None, echoes), key=len, reverse=True):
        text = re.sub(re.escape(echo), "", text, flags=re.I)
    low = text.lower()
    found = [name for name, canary in CANARIES.items() if canary in low]
    if staged.future in text:
        found.append(staged.future)
    return found


@pytest.fixture(scope="module")
def client(staged: Staged) -> TestClient:
    return TestClient(create_app(str(staged.db)))


def test_a_crawl_of_the_served_site_finds_no_canary(staged: Staged, client: TestClient) -> None:
    result, bodies = crawl_served(client)
    assert len(result.pages) > 600
    assert any(p.endswith(".atom") for p in bodies) and any(p.endswith(".csv") for p in bodies)
    assert {p: found for p, text in bodies.items() if (found := leaks(text, staged))} == {}
    private_url = cable_url(staged.private, _created(staged.db, staged.private))
    assert private_url not in bodies
    assert not [p for p, text in bodies.items() if f'href="{private_url}"' in text]
    # The public cable citing the private one shows its ID as plain text, not as a link.
    citing = client.get(_url(staged.db, staged.cited_by)).text
    assert staged.private in citing
    # The public article lists only its public cable; the private cable's article is absent.
    articles = client.get("/articles.html").text
    assert "A public story" in articles and staged.private not in articles
    assert "A public story" in client.get(_url(staged.db, staged.articled)).text


def _created(db: str, cid: str) -> str | None:
    with Archive.open(db, create=False) as archive:
        row = archive.conn.execute(
            "SELECT v.data FROM versions v JOIN entries e ON e.id = v.cable_id "
            "WHERE e.canonical_id = ?",
            (cid,),
        ).fetchone()
    from cablegate.archive.records import decode_cable

    created = decode_cable(row[0]).created
    return created.strftime("%Y-%m") if created else None


def _url(db: str, cid: str) -> str:
    return cable_url(cid, _created(db, cid))


def test_private_cables_answer_exactly_like_unknown_ones(
    staged: Staged, client: TestClient
) -> None:
    unknown = "09NOWHERE123"
    for cid in (staged.private, staged.future):
        for template in ("/api/cables/{}", "/api/cables/{}/versions/1"):
            got, want = client.get(template.format(cid)), client.get(template.format(unknown))
            assert got.status_code == want.status_code == 404
            assert got.text.replace(cid, "X") == want.text.replace(unknown, "X")
        url = cable_url(cid, _created(staged.db, cid))
        page = client.get(url)
        other = client.get(url.replace(cid, unknown))
        assert page.status_code == other.status_code == 404
        assert page.text.replace(cid, "X") == other.text.replace(unknown, "X")
    # The private later version of a public cable: not listed, not viewable.
    versions = client.get(f"/api/cables/{staged.versioned}").json()["versions"]
    assert [v["number"] for v in versions] == [1]
    assert client.get(f"/api/cables/{staged.versioned}/versions/2").status_code == 404
    url = _url(staged.db, staged.versioned)
    assert client.get(url.removesuffix(".html") + "/version-2.html").status_code == 404


def test_every_api_route_and_search_hides_them(staged: Staged, client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    ids = [staged.public[0], staged.versioned, staged.cited_by, staged.private, staged.future]
    queries = [*CANARIES.values(), staged.private, staged.future, f"id:{staged.future}", ""]
    kinds = ["reldate", "date", "origin", "tag", "classification"]
    keys = {k: [b["key"] for b in client.get(f"/api/browse/{k}").json()] for k in kinds}
    urls: list[str] = []
    for path in schema["paths"]:
        fill = [path]
        for name, values in (
            ("{id}", ids),
            ("{number}", ["1", "2"]),
            ("{kind}", kinds),
        ):
            fill = [f.replace(name, v) for f in fill for v in values] if name in path else fill
        for f in fill:
            if "{key}" in f:
                kind = f.split("/")[3]
                urls += [f.replace("{key}", key) for key in keys[kind]]
            elif f.endswith("/search"):
                urls += [f"{f}?q={q}" for q in queries]
            else:
                urls.append(f)
    for q in queries:
        urls += [f"/search?q={q}", f"/search.csv?q={q}", f"/search.jsonl?q={q}"]
        urls.append(f"/feeds/search.atom?q={q}")
    assert len(urls) > 100
    found = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        if hits := leaks(response.text, staged, url):
            found[url] = hits
    assert found == {}
    # Counts and facets: only the public cables.
    total = len(staged.public)
    assert client.get("/api/search?q=").json()["total"] == total
    facets = client.get("/api/search?q=").json()["facets"]
    assert sum(f["count"] for f in facets["classification"]) == total
    assert client.get("/api/stats").json()["archive"]["cables"] == total
    assert f"{total:,}" in client.get("/").text.split("Currently released so far...")[1][:40]
    for kind in ("reldate", "date", "classification"):
        assert sum(b["count"] for b in client.get(f"/api/browse/{kind}").json()) == total
    for q in (staged.private, CANARIES["private"], f"ref:{staged.private}"):
        hits = {h["id"] for h in client.get("/api/search", params={"q": q}).json()["hits"]}
        assert staged.private not in hits, q
    assert client.get("/api/search", params={"q": CANARIES["version"]}).json()["total"] == 0


def test_exports_and_the_static_build_hide_them(staged: Staged, tmp_path: Path) -> None:
    run = [sys.executable, "-m", "cablegate"]
    for fmt in ("jsonl", "csv", "text"):
        out = tmp_path / fmt
        done = subprocess.run(
            [*run, "export", str(out), "--db", str(staged.db), "--format", fmt],
            capture_output=True,
        )
        assert done.returncode == 0, done.stderr
        files = [p for p in out.rglob("*") if p.is_file()] if out.is_dir() else [out]
        text = "".join(p.read_text(errors="replace") for p in files)
        assert staged.public[0] in text
        assert leaks(text, staged) == [], fmt
        if fmt == "jsonl":
            exported = [json.loads(line)["canonical_id"] for line in text.splitlines()]
            assert sorted(exported) == sorted(canonical_id(c) for c in staged.public)
    site = tmp_path / "www"
    report = build_site(str(staged.db), site)
    assert not report.errors
    files = [p for p in site.rglob("*") if p.is_file()]
    assert len(files) > 600
    leaked = {str(p): hits for p in files if (hits := leaks(_text(p), staged))}
    assert leaked == {}
    # The search index (pagefind/: gzip files, read unpacked) has the public cables only.
    index = [p for p in files if p.suffix.startswith(".pf_")]
    assert {p.parent.name for p in index} >= {"fragment", "index", "filter"}
    assert staged.public[0] in "".join(map(_text, index))
    assert not list(site.rglob(f"{staged.private}.html"))
    sitemap = "".join(p.read_text() for p in site.glob("sitemap*"))
    assert staged.public[0] in sitemap and staged.private not in sitemap


def _text(path: Path) -> str:
    """A file's text; a Pagefind file (``.pf_*``, gzip) unpacked."""
    data = path.read_bytes()
    if path.suffix.startswith(".pf_"):
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="ignore")


def test_the_search_index_holds_no_canary(staged: Staged) -> None:
    """The index is derived from the public tables only: no canary is a term of it, and no
    file of it holds a canary's bytes (the word lists are stored as they are written)."""
    from cablegate.search import index as indexes

    with Archive.open(staged.db, create=False) as archive:
        index = indexes.for_archive(archive)
        assert index.path is not None
        searcher = index.searcher()
        assert searcher.num_docs == archive.public_count() + 1  # and its state document
        fields = ("subject_exact", "body_exact", "subject", "body", "tag", "origin_words")
        assert sum(searcher.doc_freq(f, "embassy") for f in fields) > 0  # it can see words
        for canary in CANARIES.values():
            assert sum(searcher.doc_freq(f, canary) for f in fields) == 0, canary
        assert searcher.doc_freq("id", staged.public[0]) == 1
        for cid in (staged.private, staged.future):
            assert searcher.doc_freq("id", cid) == 0, cid
        files = [f for f in index.path.rglob("*") if f.is_file()]
        assert files
        for f in files:
            data = f.read_bytes().lower()
            assert not [name for name, c in CANARIES.items() if c.encode() in data], f


# -- a schedule ---------------------------------------------------------------------------


@pytest.fixture
def small(
    site_pages: dict[str, bytes], tmp_path: Path, new_db: NewDb
) -> Iterator[tuple[str, str, str]]:
    """An archive of 40 public cables and one private cable that one of them cites."""
    every = sorted(site_pages)
    public = every[100:140]
    cited = _cited(site_pages, public)
    private = sorted(cited)[0]
    db = new_db("small")
    with Archive.open(db) as archive:
        ingest(archive, [write(tmp_path / "pub", {c: site_pages[c] for c in public})], jobs=1)
        ingest(archive, [write(tmp_path / "priv", {private: site_pages[private]})], jobs=1,
               visibility=PRIVATE)  # fmt: skip
    yield db, private, cited[private]


def test_a_cable_appears_exactly_at_its_release_time(
    small: tuple[str, str, str], tmp_path: Path
) -> None:
    db, private, citing = small
    client = TestClient(create_app(str(db)))
    url = _url(db, private)
    subject = read_site_page_subject(db, private)
    assert subject and private not in subject_hits(client, subject)
    before = build_site(str(db), tmp_path / "before")
    assert not before.errors and not list((tmp_path / "before").rglob(f"{private}.html"))
    at = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0) + dt.timedelta(seconds=3)
    with Archive.open(db) as archive:
        outcome = schedule(archive, [private], at.isoformat(sep=" "))
        assert outcome.scheduled == {private: 1} and outcome.published == []
    due = at.replace(tzinfo=dt.UTC).timestamp()
    seen: list[tuple[float, float, int, int]] = []
    while time.time() < due + 1.5:
        start = time.time()
        page = client.get(url).status_code
        api = client.get(f"/api/cables/{private}").status_code
        seen.append((start, time.time(), page, api))
        time.sleep(0.05)
    assert [s for s in seen if s[1] < due and (s[2], s[3]) != (404, 404)] == []
    assert [s for s in seen if s[0] >= due and (s[2], s[3]) != (200, 200)] == []
    assert any(s[1] < due for s in seen) and any(s[0] >= due for s in seen)
    # Everywhere at once: its release date, search, the counter, the citing cable's link.
    record = client.get(f"/api/cables/{private}").json()["cable"]
    assert record["released"].startswith(at.isoformat()[:16].replace(" ", "T"))
    hits = client.get("/api/search", params={"q": f"id:{private}"}).json()
    assert [h["id"] for h in hits["hits"]] == [private]
    assert client.get("/api/stats").json()["archive"]["cables"] == 41
    assert f'href="{url}"' in client.get(_url(db, citing)).text
    assert private in subject_hits(client, subject)
    after = build_site(str(db), tmp_path / "before")
    assert not after.errors and list((tmp_path / "before").rglob(f"{private}.html"))
    with Archive.open(db) as archive:
        assert archive.plan() == [] and archive.check() == []


def subject_hits(client: TestClient, subject: str) -> set[str]:
    found = client.get("/api/search", params={"q": f'subject:"{subject}"', "per_page": 200})
    return {hit["id"] for hit in found.json()["hits"]}


def read_site_page_subject(db: str, cid: str) -> str | None:
    with Archive.open(db) as archive:
        unpublished = {c: cable for c, _, cable in archive.unpublished()}
    return unpublished[cid].subject


def test_a_redacted_version_stays_in_the_history_when_the_full_text_is_published(
    site_pages: dict[str, bytes], tmp_path: Path, new_db: NewDb
) -> None:
    cid = sorted(site_pages)[500]
    full = site_pages[cid]
    redacted = re.sub(rb"SUBJECT:\s*", b"SUBJECT: [REDACTED] ", full, count=1)
    assert redacted != full
    db = new_db("redacted")
    with Archive.open(db) as archive:
        ingest(archive, [write(tmp_path / "full", {cid: full})], jobs=1, visibility=PRIVATE)
        ingest(archive, [write(tmp_path / "redacted", {cid: redacted})], jobs=1)
        shown = archive.cable(cid)
        assert shown is not None and "[REDACTED]" in shown.body
        assert [v.number for v in archive.history(cid)] == [2]
        outcome = schedule(archive, [cid], release_time("now"))
        assert [p.version for p in outcome.published] == [1]
        history = archive.history(cid)
        assert [(v.number, v.current) for v in history] == [(2, False), (1, True)]
        current = archive.cable(cid)
        assert current is not None and "[REDACTED]" not in current.body
        earlier = archive.cable(cid, 2)
        assert earlier is not None and "[REDACTED]" in earlier.body
        assert archive.check() == []


def test_release_cli_schedules_by_id_file_and_query_and_lists_the_plan(
    small: tuple[str, str, str], tmp_path: Path
) -> None:
    db, private, _ = small
    run = [sys.executable, "-m", "cablegate", "release", "--db", str(db)]
    done = subprocess.run([*run, private], capture_output=True, text=True)
    assert done.returncode == 2 and "say when" in done.stderr
    ids = tmp_path / "ids.txt"
    ids.write_text(f"# tonight\n{private}, 99NOWHERE1\n")
    done = subprocess.run(
        [*run, "--file", str(ids), "--at", "2099-12-31T18:00+01:00"], capture_output=True, text=True
    )
    assert done.returncode == 1, done.stderr  # one ID is not in the archive, and says so
    assert "99NOWHERE1" in done.stderr and "2099-12-31 17:00:00" in done.stderr
    with Archive.open(db) as archive:
        assert [(p.canonical_id, p.release_at) for p in archive.plan()] == [
            (private, "2099-12-31 17:00:00")
        ]
    subject = read_site_page_subject(db, private)
    word = max(re.findall(r"[A-Za-z]{5,}", subject or ""), key=len, default=private)
    done = subprocess.run(
        [*run, "--query", f"{word} id:{private}", "--at", "now"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "matches 1 cable" in done.stderr and f"published {private}" in done.stderr
    with Archive.open(db) as archive:
        assert archive.cable(private) is not None and archive.plan() == []
    done = subprocess.run(run, capture_output=True, text=True)
    assert done.returncode == 0 and "41 cable(s) public; 0 version(s)" in done.stderr


def test_bad_release_times_are_refused() -> None:
    from cablegate.errors import CablegateError

    assert release_time("2010-11-28 18:00") == "2010-11-28 18:00:00"
    assert release_time("2010-11-28T19:00:00+01:00") == "2010-11-28 18:00:00"
    assert release_time("2010-11-28") == "2010-11-28 00:00:00"
    assert release_time("now", "2020-01-01 00:00:00") == "2020-01-01 00:00:00"
    with pytest.raises(CablegateError, match="not a time"):
        release_time("tomorrow-ish")
    assert utc_now() <= release_time("now")


# -- articles -----------------------------------------------------------------------------


def test_articles_import_from_csv_and_json_with_clear_errors(
    small: tuple[str, str, str], tmp_path: Path
) -> None:
    db, private, citing = small
    sheet = tmp_path / "articles.csv"
    sheet.write_text(
        "url,title,outlet,date,cables\n"
        f'https://news.example/a,"Story A",The Example,2010-11-29,"{citing}; {private}"\n'
        f"javascript:alert(1),Evil,x,2010-11-29,{citing}\n"
        f"https://news.example/b,Story B,,not-a-date,{citing}\n"
        "https://news.example/c,Story C,,,\n"
        f'https://news.example/e,Story E,,,"{citing}; not-an-id"\n'
    )
    listing = tmp_path / "articles.json"
    listing.write_text(json.dumps([{"url": "https://news.example/d", "cables": [citing]}, 3]))
    run = [sys.executable, "-m", "cablegate", "articles", "import", "--db", str(db)]
    done = subprocess.run([*run, str(sheet), str(listing)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"{sheet}: line 3: url 'javascript:alert(1)' is not an http(s) address" in done.stderr
    assert f"{sheet}: line 4: date 'not-a-date'" in done.stderr
    assert f"{sheet}: line 5: no cable IDs" in done.stderr
    assert f"{sheet}: line 6: 'not-an-id' is not a cable ID" in done.stderr
    assert f"{listing}: item 2: not an object" in done.stderr
    assert "2 article(s) read, 3 new link(s)" in done.stderr
    client = TestClient(create_app(str(db)))
    page = client.get(_url(db, citing)).text
    assert 'href="https://news.example/a"' in page
    assert "Story A</a> (The Example, 2010-11-29)" in page
    assert "javascript:" not in client.get("/articles.html").text
    api = client.get("/api/articles").json()
    story = next(a for a in api if a["article"]["url"] == "https://news.example/a")
    assert [c["id"] for c in story["cables"]] == [citing]  # the private cable is not shown
    record = client.get(f"/api/cables/{citing}").json()["cable"]
    assert {a["url"] for a in record["articles"]} >= {
        "https://news.example/a",
        "https://news.example/d",
    }


def test_every_article_of_the_real_pages_is_imported_and_shown(
    site_pages: dict[str, bytes], site_db: str
) -> None:
    wanted = set()
    for name, data in site_pages.items():
        page = read_site_page(data, name)
        wanted |= {(a.url, page.canonical_id) for a in page.articles}
    assert len(wanted) > 500
    with Archive.open(site_db, create=False) as archive:
        have = set(
            archive.conn.execute(
                "SELECT a.url, l.canonical_id FROM article_cables l "
                "JOIN articles a ON a.id = l.article_id"
            ).fetchall()
        )
    assert wanted <= have
    client = TestClient(create_app(str(site_db)))
    page = client.get("/articles.html").text
    assert all(f'href="{url.replace("&", "&amp;")}"' in page for url, _ in wanted)
    shown = sorted({cid for _, cid in wanted})[::25]
    with Archive.open(site_db, create=False) as archive:
        for cid in shown:
            cable = archive.cable(cid)
            assert cable is not None
            html = client.get(cable_url(cid, cable.created)).text
            for url, _ in (w for w in wanted if w[1] == cid):
                assert url.replace("&", "&amp;") in html, (cid, url)


# -- access -------------------------------------------------------------------------------


def test_writes_need_the_admin_token(small: tuple[str, str, str]) -> None:
    db, private, _ = small
    client = TestClient(create_app(str(db)))
    body = {"ids": [private], "at": "2099-01-01 00:00"}
    assert client.post("/api/admin/releases", json=body).status_code == 401
    off = client.post("/api/admin/releases", json=body, headers={"Authorization": "Bearer x"})
    assert off.status_code == 403 and "cablegate token" in off.text
    done = subprocess.run(
        [sys.executable, "-m", "cablegate", "token", "--db", db],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert len(token) >= 40
    with Archive.open(db) as archive:
        stored = archive.conn.execute("SELECT key, value FROM meta").fetchall()
    assert token not in str(stored) and hashlib.sha256(token.encode()).hexdigest() in str(stored)
    if archive.dialect.name == "sqlite":
        assert token.encode() not in Path(db).read_bytes() + Path(f"{db}-wal").read_bytes()
    for wrong in ("Bearer " + token[:-1] + "x", "Bearer ", "Basic " + token, token):
        response = client.post("/api/admin/releases", json=body, headers={"Authorization": wrong})
        assert response.status_code == 403, wrong
        plan = client.get("/api/admin/releases", headers={"Authorization": wrong})
        assert plan.status_code == 403
    assert client.get("/api/admin/releases").status_code == 401
    with Archive.open(db) as archive:
        assert [p.release_at for p in archive.plan()] == [None]
    right = {"Authorization": f"Bearer {token}"}
    response = client.post("/api/admin/releases", json=body, headers=right)
    assert response.status_code == 200 and response.json()["scheduled"] == {private: 1}
    plan = client.get("/api/admin/releases", headers=right).json()
    assert plan == [
        {
            "canonical_id": private,
            "version": 1,
            "release_at": "2099-01-01 00:00:00",
            "cable_public": False,
        }
    ]
    bad = client.post("/api/admin/releases", json={"ids": "x"}, headers=right)
    assert bad.status_code == 400
    article = {"articles": [{"url": "https://news.example/z", "cables": [private]}]}
    assert client.post("/api/admin/articles", json=article).status_code == 401
    response = client.post("/api/admin/articles", json=article, headers=right)
    assert response.status_code == 200 and response.json()["new_links"] == 1
    # Nothing else writes: the public site and API answer other methods with 405.
    for path in ("/", "/api/stats", "/api/cables/" + private, "/search"):
        assert client.post(path).status_code == 405, path
        assert client.delete(path).status_code == 405, path


def test_security_headers_on_every_response_and_no_stack_trace(
    small: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, private, _ = small
    client = TestClient(create_app(str(db)), raise_server_exceptions=False)
    responses = [
        client.get("/"),
        client.get("/static/cables.css"),
        client.get("/api/stats"),
        client.get("/api/cables/" + private),
        client.get("/nowhere.html"),
        client.post("/"),
        client.get("/feeds/latest.atom"),
        client.get("/search.csv?q=embassy"),
        client.get("/index.html", headers={"If-None-Match": "*"}),
    ]
    assert {r.status_code for r in responses} >= {200, 404, 405, 304}
    from cablegate.site.pages import Site

    def broken(self: Site, path: str) -> None:
        raise RuntimeError("zqxsecret in a traceback")

    monkeypatch.setattr(Site, "page", broken)
    failed = client.get("/faq.html")
    assert failed.status_code == 500
    assert "zqxsecret" not in failed.text and "Traceback" not in failed.text
    for response in [*responses, failed]:
        for name, value in HEADERS:
            assert response.headers.get(name.decode()) == value.decode(), response.url
    assert (
        "script-src" not in HEADERS[0][1].decode()
        and "default-src 'none'" in HEADERS[0][1].decode()
    )

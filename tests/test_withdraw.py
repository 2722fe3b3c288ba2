"""Withdrawing a published cable (``cablegate withdraw``, ``POST /api/admin/withdrawals``):
gone from every public surface in one transaction (pages, listings, counts, search and its
index, feeds, API, exports, sitemap, the static build), its page answering 410 Gone with
the reason (404 when silent); one version withdrawn leaves the others public; a release
publishes it again. The audit trail (``cablegate log``) records releases, withdrawals,
article imports and token changes, and no public surface shows it. A kill -9 inside a
withdrawal, then the withdrawal again, ends as one uninterrupted withdrawal."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cablegate.archive import Archive
from cablegate.archive.store import Visibility
from cablegate.articles import ArticleLinks, import_articles
from cablegate.cli import app
from cablegate.ingest import ingest
from cablegate.search import index as indexes
from cablegate.site.app import create_app
from cablegate.site.build import build_site
from tests.conftest import NewDb, _plain, dump_archive, requires_corpus
from tests.linkcheck import crawl_served
from tests.test_releases import _cited, _url, plant, write

pytestmark = [requires_corpus, pytest.mark.xdist_group("withdraw")]

CANARY = "zqxcanarywithdrawn"
VERSION_CANARY = "zqxcanaryversion"
REASON = "Court order 12/2026: names a private person"


@dataclass
class Small:
    db: str
    public: list[str]
    target: str
    """A public cable (its subject planted with :data:`CANARY`), cited by ``citing``."""
    citing: str


def make(db: str, site_pages: dict[str, bytes], folder: Path) -> Small:
    """An archive of 20 public cable pages, one of them planted with the canary, cited by
    another, and linked by a press article whose title has the canary."""
    every = sorted(site_pages)
    start = 100
    while not (cited := _cited(site_pages, public := every[start : start + 19])):
        start += 19  # (the first window has one)
    target = sorted(cited)[0]
    pages = {cid: site_pages[cid] for cid in public}
    pages[target] = plant(site_pages[target], CANARY)
    with Archive.open(db) as archive:
        ingest(archive, [write(folder / "pages", pages)], jobs=1)
        story = ArticleLinks("https://news.example/w", f"The {CANARY} story", None, None, (target,))
        import_articles(archive, [story])
        assert archive.check() == []
    return Small(db, [*public, target], target, cited[target])


@pytest.fixture
def small(site_pages: dict[str, bytes], tmp_path: Path, new_db: NewDb) -> Small:
    return make(new_db("small"), site_pages, tmp_path)


def cli(*args: str, code: int = 0) -> Result:
    """``cablegate ARGS...``, run in this process (not starting Python each time)."""
    done = CliRunner().invoke(app, list(args))
    assert done.exit_code == code, (done.output, done.exception)
    return done


def served(client: TestClient) -> dict[str, str]:
    """Every page a crawl of the served site reaches, and its text."""
    return crawl_served(client)[1]


def hits(client: TestClient, q: str) -> list[str]:
    found = client.get("/api/search", params={"q": q, "per_page": 200}).json()
    return [hit["id"] for hit in found["hits"]]


# -- a whole cable --------------------------------------------------------------------------


def test_a_withdrawn_cable_is_on_no_public_surface(small: Small, tmp_path: Path) -> None:
    db, cid = small.db, small.target
    client = TestClient(create_app(db))
    url = _url(db, cid)
    assert CANARY in client.get(url).text.lower() and hits(client, CANARY) == [cid]
    www = tmp_path / "www"
    assert not build_site(db, www).errors and list(www.rglob(f"{cid}.html"))
    assert f'href="{url}"' in client.get(_url(db, small.citing)).text

    done = cli("withdraw", cid, "--reason", REASON, "--db", db)
    assert f"withdrew {cid}" in done.stderr

    gone = client.get(url)
    assert gone.status_code == 410 and REASON in gone.text
    assert client.get(f"/api/cables/{cid}").status_code == 404
    bodies = served(client)
    assert len(bodies) > 100 and any(p.endswith(".atom") for p in bodies)
    assert {p for p, text in bodies.items() if CANARY in text.lower()} == set()
    assert url not in bodies and f'href="{url}"' not in "".join(bodies.values())
    citing = client.get(_url(db, small.citing)).text
    assert cid in citing and f'href="{url}"' not in citing  # plain text now
    total = len(small.public) - 1
    assert client.get("/api/stats").json()["archive"]["cables"] == total
    for kind in ("reldate", "date", "classification"):
        assert sum(b["count"] for b in client.get(f"/api/browse/{kind}").json()) == total
    assert hits(client, CANARY) == [] and hits(client, f"id:{cid}") == []
    assert cid not in client.get(f"/api/cables/{small.citing}/cited-by").text
    for q in (CANARY, cid, ""):
        for path in ("/search.csv", "/search.jsonl", "/feeds/search.atom"):
            text = client.get(path, params={"q": q}).text.lower()
            text = text.replace(q.lower(), "") if q else text  # the query, echoed
            assert CANARY not in text and cid.lower() not in text, (path, q)
    with Archive.open(db, create=False) as archive:
        assert archive.check() == [] and not archive.is_public(cid)
        assert archive.plan()[0].canonical_id == cid  # private again, due never
        assert archive.publish_due() == []
        searcher = indexes.for_archive(archive).searcher()
        assert searcher.num_docs == archive.public_count() + 1 == total + 1
    # Exports and the static build: the build removes the pages it no longer has.
    out = tmp_path / "export"
    cli("export", str(out), "--db", db, "--format", "jsonl")
    text = "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert small.citing in text and CANARY not in text.lower()
    report = build_site(db, www)
    assert not report.errors and report.removed >= 1
    assert not list(www.rglob(f"{cid}.html"))
    files = [p for p in www.rglob("*") if p.is_file()]
    assert [p for p in files if CANARY in p.read_text(errors="ignore").lower()] == []
    assert cid not in "".join(p.read_text() for p in www.glob("sitemap*"))
    assert cid not in (www / "MANIFEST.sha256").read_text()


def test_a_silent_withdrawal_answers_like_an_unknown_cable(
    small: Small, site_pages: dict[str, bytes], tmp_path: Path
) -> None:
    db, cid = small.db, small.target
    later = plant(site_pages[cid], "zqxlater")  # a version scheduled for later
    with Archive.open(db) as archive:
        ingest(archive, [write(tmp_path / "later", {cid: later})], jobs=1,
               visibility=Visibility("2099-01-01 00:00:00"))  # fmt: skip
    cli("withdraw", cid, "--reason", REASON, "--silent", "--db", db)
    with Archive.open(db) as archive:  # the whole cable: what was scheduled is not, now
        assert [(p.version, p.release_at) for p in archive.plan()] == [(1, None), (2, None)]
    client = TestClient(create_app(db))
    unknown = "09NOWHERE123"
    url = _url(db, cid)
    page, other = client.get(url), client.get(url.replace(cid, unknown))
    assert page.status_code == other.status_code == 404
    assert page.text.replace(cid, "X") == other.text.replace(unknown, "X")
    assert REASON not in page.text


def test_what_cannot_be_withdrawn_is_refused(small: Small) -> None:
    db, cid = small.db, small.target
    refused = {
        "not in the archive": ("99NOWHERE1", "--reason", "x"),
        "version 7 is not public": (cid, "--version", "7", "--reason", "x"),
        "say why": (cid, "--reason", " "),
    }
    for why, args in refused.items():
        assert why in cli("withdraw", *args, "--db", db, code=1).stderr
    cli("withdraw", cid, "--reason", REASON, "--db", db)
    assert "not public" in cli("withdraw", cid, "--reason", "x", "--db", db, code=1).stderr
    with Archive.open(db, create=False) as archive:
        assert [e.action for e in archive.audit_log()] == ["withdraw", "articles"]


# -- versions and publishing again ----------------------------------------------------------


def test_a_withdrawn_version_leaves_the_others_public(
    small: Small, site_pages: dict[str, bytes], tmp_path: Path
) -> None:
    db, cid = small.db, small.citing
    # (its own canary: the page of ``citing`` names the target, whose subject has CANARY)
    changed = plant(site_pages[cid], VERSION_CANARY)
    with Archive.open(db) as archive:
        ingest(archive, [write(tmp_path / "v2", {cid: changed})], jobs=1)
        assert [(v.number, v.current) for v in archive.history(cid)] == [(1, False), (2, True)]
    client = TestClient(create_app(db))
    url = _url(db, cid)
    before = client.get("/api/stats").json()["archive"]["cables"]
    # The current version: the one before it is current again, everywhere.
    cli("withdraw", cid, "--version", "2", "--reason", REASON, "--db", db)
    page = client.get(url)
    assert page.status_code == 200 and VERSION_CANARY not in page.text.lower()
    v2 = client.get(url.removesuffix(".html") + "/version-2.html")
    assert v2.status_code == 410 and REASON in v2.text and "Version 2 of cable" in v2.text
    assert [v["number"] for v in client.get(f"/api/cables/{cid}").json()["versions"]] == [1]
    assert client.get(f"/api/cables/{cid}/versions/2").status_code == 404
    assert hits(client, VERSION_CANARY) == [] and cid in hits(client, f"id:{cid}")
    assert client.get("/api/stats").json()["archive"]["cables"] == before
    with Archive.open(db, create=False) as archive:
        assert archive.check() == [] and [v.number for v in archive.history(cid)] == [1]
    # Released again, then an earlier version withdrawn: the current one stays.
    cli("release", cid, "--version", "2", "--at", "now", "--db", db)
    assert VERSION_CANARY in client.get(url).text.lower()
    cli("withdraw", cid, "--version", "1", "--reason", REASON, "--db", db)
    assert VERSION_CANARY in client.get(url).text.lower()
    assert client.get(url.removesuffix(".html") + "/version-1.html").status_code == 410
    assert [v["number"] for v in client.get(f"/api/cables/{cid}").json()["versions"]] == [2]
    with Archive.open(db, create=False) as archive:
        assert archive.check() == [] and archive.withdrawal(cid, 2) is None
        assert archive.withdrawal(cid, 1) is not None and archive.withdrawal(cid) is None


def test_a_release_publishes_a_withdrawn_cable_again(
    small: Small, site_pages: dict[str, bytes], tmp_path: Path
) -> None:
    db, cid = small.db, small.target
    client = TestClient(create_app(db))
    url = _url(db, cid)
    cli("withdraw", cid, "--reason", REASON, "--db", db)
    assert client.get(url).status_code == 410
    cli("release", cid, "--at", "now", "--db", db)
    assert client.get(url).status_code == 200 and hits(client, CANARY) == [cid]
    assert client.get("/api/stats").json()["archive"]["cables"] == len(small.public)
    with Archive.open(db, create=False) as archive:
        assert archive.check() == [] and archive.withdrawal(cid) is None
    # A redaction: withdrawn, then a new text ingested public: it is the cable now, and the
    # withdrawn text stays gone (its version page: 410).
    cli("withdraw", cid, "--reason", REASON, "--db", db)
    redacted = re.sub(rb"SUBJECT:\s*", b"SUBJECT: [REDACTED] ", site_pages[cid], count=1)
    with Archive.open(db) as archive:
        ingest(archive, [write(tmp_path / "redacted", {cid: redacted})], jobs=1)
        assert [v.number for v in archive.history(cid)] == [2] and archive.check() == []
    page = client.get(url)
    assert page.status_code == 200 and "[REDACTED]" in page.text
    assert CANARY.upper() not in page.text  # (its article, with the canary, is back)
    assert client.get(url.removesuffix(".html") + "/version-1.html").status_code == 410
    assert hits(client, CANARY) == []


# -- the admin API and the audit trail ------------------------------------------------------


def test_the_admin_api_withdraws_with_the_token_only(small: Small) -> None:
    db, cid = small.db, small.target
    client = TestClient(create_app(db))
    body = {"id": cid, "reason": REASON}
    assert client.post("/api/admin/withdrawals", json=body).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert client.post("/api/admin/withdrawals", json=body, headers=wrong).status_code == 403
    token = cli("token", "--db", db).stdout.strip()
    assert client.post("/api/admin/withdrawals", json=body, headers=wrong).status_code == 403
    assert client.get(_url(db, cid)).status_code == 200
    right = {"Authorization": f"Bearer {token}"}
    bad = client.post("/api/admin/withdrawals", json={"id": cid}, headers=right)
    assert bad.status_code == 400
    done = client.post("/api/admin/withdrawals", json={**body, "silent": True}, headers=right)
    assert done.status_code == 200, done.text
    assert done.json() == {"id": cid, "withdrawn": [1], "current": None, "silent": True}
    assert client.get(_url(db, cid)).status_code == 404
    again = client.post("/api/admin/withdrawals", json=body, headers=right)
    assert again.status_code == 400 and "not public" in again.text
    with Archive.open(db, create=False) as archive:
        event = archive.audit_log(1)[0]
    assert event.action == "withdraw" and event.why == REASON
    assert re.fullmatch(r"token:[0-9a-f]{8}", event.who) and event.who[6:] not in token


def test_the_log_lists_every_event_and_no_public_surface_shows_it(
    small: Small, tmp_path: Path
) -> None:
    db = small.db
    secret = "zqxauditreason"
    cli("token", "--db", db)
    sheet = tmp_path / "articles.json"
    sheet.write_text(json.dumps([{"url": "https://news.example/x", "cables": [small.citing]}]))
    cli("articles", "import", str(sheet), "--db", db)
    cli("withdraw", small.citing, "--reason", REASON, "--db", db)
    cli("release", small.citing, "--at", "now", "--reason", secret, "--db", db)
    cli("token", "--revoke", "--db", db)
    lines = cli("log", "--db", db).stdout.splitlines()
    events = [line.split("\t") for line in lines]
    assert [e[2] for e in events] == [
        "token",
        "publish",
        "release",
        "withdraw",
        "articles",
        "token",
        "articles",  # the fixture's import, the oldest
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", e[0]) for e in events)
    token, publish, release, withdraw, articles = events[:5]
    assert token[3].startswith("revoked token ") and events[5][3].startswith("new token ")
    assert publish[1] == "scheduler" and f"{small.citing} v1" in publish[3]
    assert release[3].startswith(f"1: {small.citing} at ") and release[4] == secret
    assert withdraw[3] == f"{small.citing} (every version)" and withdraw[4] == REASON
    assert "https://news.example/x" in articles[3] and "1 new link" in articles[3]
    assert len({e[1] for e in events if e[1] != "scheduler"}) == 1  # the user running them
    assert len(cli("log", "--limit", "2", "--db", db).stdout.splitlines()) == 2
    client = TestClient(create_app(db))
    bodies = served(client)
    for path in ("/api/audit", "/api/admin/audit", "/audit", "/log"):
        bodies[path] = client.get(path).text
    assert [p for p, text in bodies.items() if secret in text or "revoked token" in text] == []


# -- kill -9 ---------------------------------------------------------------------------------

KILLED = """
import os, signal, sys
from cablegate.archive.store import Writer
from cablegate.releases import withdraw
from cablegate.archive import Archive

audit = Writer.audit

def killed(self, *args, **kwargs):  # the withdrawal done, its audit written, no COMMIT
    audit(self, *args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)

Writer.audit = killed
with Archive.open(sys.argv[1]) as archive:
    withdraw(archive, sys.argv[2], None, sys.argv[3])
sys.exit("the withdrawal ran to its end: nothing killed it")
"""


def whole(db: str) -> dict[str, object]:
    """:func:`dump_archive`, and the withdrawals, audit trail and change log (no times)."""
    dump: dict[str, object] = dict(dump_archive(db))
    with Archive.open(db, create=False) as archive:
        for name, sql in {
            "withdrawals": "SELECT cable_id, version, whole, reason, silent FROM withdrawals",
            "audit": "SELECT id, who, action, what, why FROM audit ORDER BY id",
            "changes": "SELECT seq, cable_id FROM changes ORDER BY seq",
        }.items():
            rows = archive.conn.execute(sql).fetchall()
            dump[name] = sorted(tuple(_plain(v) for v in row) for row in rows)
    return dump


def test_a_kill_inside_a_withdrawal_then_again_equals_one_withdrawal(
    site_pages: dict[str, bytes], tmp_path: Path, new_db: NewDb
) -> None:
    killed = make(new_db("killed"), site_pages, tmp_path)
    calm = make(new_db("calm"), site_pages, tmp_path)
    before = whole(killed.db)
    child = subprocess.run(
        [sys.executable, "-c", KILLED, killed.db, killed.target, REASON],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -9, child.stderr
    assert whole(killed.db) == before  # nothing of it happened
    for small in (killed, calm):
        cli("withdraw", small.target, "--reason", REASON, "--db", small.db)
    after = whole(killed.db)
    assert after == whole(calm.db) and after != before
    with Archive.open(killed.db, create=False) as archive:
        assert archive.check() == [] and not archive.is_public(killed.target)

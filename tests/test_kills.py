"""Kill -9 inside a release and inside a rebuild of the search index, then the same command
again: the same state as one uninterrupted run (ingest, withdraw, migrations and build-site
have theirs beside their other tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cablegate.archive import Archive
from cablegate.search.engine import all_hits
from tests.conftest import NewDb
from tests.test_withdraw import REASON, Small, cli, make, whole

pytestmark = pytest.mark.xdist_group("withdraw")

AT = "2026-01-01 00:00:00"
"""A release time in the past: due at once, and the release date of what it publishes."""

KILLED_RELEASE = """
import os, signal, sys
from cablegate.archive.store import Writer
from cablegate.releases import schedule
from cablegate.archive import Archive

inside = sys.argv[4]
original = getattr(Writer, inside)

def killed(self, *args, **kwargs):  # its work done, in its transaction, before COMMIT
    result = original(self, *args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
    return result

setattr(Writer, inside, killed)
with Archive.open(sys.argv[1]) as archive:
    schedule(archive, [sys.argv[2]], sys.argv[3])
sys.exit("the release ran to its end: nothing killed it")
"""


def withdrawn(db: str, site_pages: dict[str, bytes], folder: Path) -> Small:
    """A small archive whose planted cable was withdrawn (so that a release brings it back)."""
    small = make(db, site_pages, folder)
    cli("withdraw", small.target, "--reason", REASON, "--db", db)
    return small


@pytest.mark.parametrize("inside", ["schedule", "publish_due"])
def test_a_kill_inside_a_release_then_again_equals_one_release(
    inside: str, site_pages: dict[str, bytes], tmp_path: Path, new_db: NewDb
) -> None:
    """Killed while scheduling (nothing of the release happened), or while publishing what
    fell due (scheduled, not yet published); ``release`` again ends where one release does."""
    killed = withdrawn(new_db("killed"), site_pages, tmp_path)
    calm = withdrawn(new_db("calm"), site_pages, tmp_path)
    before = whole(killed.db)
    child = subprocess.run(
        [sys.executable, "-c", KILLED_RELEASE, killed.db, killed.target, AT, inside],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -9, child.stderr
    with Archive.open(killed.db, create=False) as archive:
        assert archive.check() == []
        assert not archive.is_public(killed.target)  # nothing published by half
    if inside == "schedule":
        assert whole(killed.db) == before
    for small in (killed, calm):
        cli("release", small.target, "--at", AT, "--db", small.db)
    after, expected = whole(killed.db), whole(calm.db)
    if inside == "publish_due":  # the schedule was committed: the release is logged twice
        after["audit"] = expected["audit"]
    assert after == expected and after != before
    with Archive.open(killed.db, create=False) as archive:
        assert archive.check() == [] and archive.is_public(killed.target)
        assert archive.plan() == []


KILLED_REINDEX = """
import os, pathlib, signal, sys
import cablegate.search.index as index
from cablegate.cli import app

where = sys.argv[3]

def kill(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

if where == "before the commit":  # every document added, the state not yet committed
    put_state = index._put_state
    def killed(*args, **kwargs):
        put_state(*args, **kwargs)
        kill()
    index._put_state = killed
elif where == "between the swaps":  # the old index moved away, the new one not yet in place
    rename = pathlib.Path.rename
    def killed(self, target):
        result = rename(self, target)
        if ".old-" in str(target):
            kill()
        return result
    pathlib.Path.rename = killed
else:  # the new index in place, the process not yet done with it
    index.forget = kill
app(["reindex", "--db", sys.argv[1], "--index", sys.argv[2], "-q"], prog_name="cablegate")
sys.exit("the reindex ran to its end: nothing killed it")
"""

QUERIES = ("embassy", '"human rights"', "tag:PREL", "nuclear OR oil", "")


def _hits(db: str, index: Path) -> dict[str, list[str]]:
    import os

    os.environ["CABLEGATE_INDEX"] = str(index)
    try:
        with Archive.open(db, create=False) as archive:
            return {q: [h.canonical_id for h in all_hits(archive, q, "oldest")] for q in QUERIES}
    finally:
        del os.environ["CABLEGATE_INDEX"]


@pytest.mark.parametrize("where", ["before the commit", "between the swaps", "after the swap"])
def test_a_kill_inside_a_reindex_then_again_equals_one_reindex(
    where: str, site_pages: dict[str, bytes], tmp_path: Path
) -> None:
    small = make(str(tmp_path / "archive.db"), site_pages, tmp_path / "in")
    calm, killed = tmp_path / "calm.index", tmp_path / "killed.index"
    for index in (calm, killed):
        cli("reindex", "--db", small.db, "--index", str(index), "-q")
    expected = _hits(small.db, calm)
    assert expected["embassy"] and expected[""]
    child = subprocess.run(
        [sys.executable, "-c", KILLED_REINDEX, small.db, str(killed), where],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -9, child.stderr
    # Left as it is, the index catches up by itself at the next search ...
    assert _hits(small.db, killed) == expected
    # ... and a reindex again ends as one uninterrupted reindex, leaving nothing behind.
    cli("reindex", "--db", small.db, "--index", str(killed), "-q")
    assert _hits(small.db, killed) == expected
    assert sorted(p.name for p in tmp_path.glob("killed.index*")) == [
        "killed.index",
        "killed.index.lock",
    ]

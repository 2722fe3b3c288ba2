"""The parser against ground truth that does not come from it: the gold set of cables
labelled by reading them (``tests/gold``), and the real cables.csv rows' own columns,
including WikiLeaks' list of referenced IDs. ``bench/accuracy.py`` prints the same figures
with every miss."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from tests.conftest import CORPUS, requires_corpus
from tests.gold.score import FIELDS, GOLD, load_gold, read_sources, score, score_csv

pytestmark = requires_corpus

AIM = 0.99
"""Share of the gold cables whose field must be right, for every field (issue 16)."""


@pytest.fixture(scope="module")
def gold() -> list[dict]:
    return load_gold()


def test_the_gold_set_is_drawn_wide_and_labelled_whole(gold: list[dict]) -> None:
    assert len(gold) >= 200
    keys = {"id", "source", "drawn", "notes", *FIELDS}
    for g in gold:
        assert set(g) - {"file"} == keys, g["file"]
        assert g["file"] in g["source"] or g["source"].startswith("cables-dump-rows"), g["file"]
        assert g["summary"] is None or set(g["summary"]) == {"starts", "ends"}, g["file"]
    decades = Counter(int(g["file"][:2]) // 10 for g in gold)
    assert len(decades) >= 5  # the 1960s to the 2010s
    sources = Counter(g["source"].split("!")[0].split(":")[0] for g in gold)
    assert sources["cablegate-site.tar.xz"] >= 100 and sources["cables-dump-rows.csv.xz"] >= 50
    assert sum(1 for g in gold if g["drawn"] != "at random") >= 30  # odd layouts
    assert (GOLD.parent / "README.md").exists()


def test_every_field_is_right_on_the_gold_set(gold: list[dict]) -> None:
    shares, misses = score(gold, read_sources(gold, CORPUS))
    assert set(shares) == set(FIELDS)
    low = {name: f"{share:.1%}" for name, share in shares.items() if share < AIM}
    listed = [f"{m.id} {m.field}: parsed {m.got!r}, gold {m.want!r}" for m in misses]
    assert not low, f"fields under {AIM:.0%}: {low}\n" + "\n".join(listed)


def test_the_scoring_sees_a_wrong_field(gold: list[dict]) -> None:
    """The comparison is not blind: a parse with one field changed scores lower on it."""
    some = gold[:20]
    parsed = read_sources(some, CORPUS)
    right, _ = score(some, parsed)
    for cable in parsed.values():
        cable.signers = ["NOBODY"]
        cable.references = []
    wrong, misses = score(some, parsed)
    assert wrong["signers"] == 0 < right["signers"]
    assert (
        wrong["references"] < right["references"] or right["references"] == wrong["references"] == 1
    )
    assert {m.field for m in misses} >= {"signers"}


def test_cables_csv_rows_keep_their_columns_and_references() -> None:
    """On the 5,971 real rows: ID, created, origin and classification as the columns say;
    the references of WikiLeaks' column 6 whose number stands in the REF lines are found
    (where the column gives a year that the REF line or the post's numbering contradicts,
    the column is wrong; entries that are no cable ID are not counted)."""
    out = score_csv(CORPUS)
    assert out.rows == 5971
    assert out.right_metadata == out.rows, out.wrong[:5]
    assert out.expected > 4000
    assert out.recall >= 0.995, out.lost
    assert all(re.match(r"\d\d[A-Z]", item) for item in out.lost)

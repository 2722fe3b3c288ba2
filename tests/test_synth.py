"""Synthetic collections: real IDs and months, recombined real text, readable by every reader."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cablegate.archive import Archive
from cablegate.cli import app
from cablegate.ingest import ingest
from cablegate.model import Cable
from cablegate.parse.ids import canonical_id, split_id
from cablegate.readers.collect import read_bytes
from cablegate.synth import Synthesizer, load_months, write_synthetic
from tests.conftest import CORPUS, NewDb, iter_tar_html, requires_corpus

pytestmark = requires_corpus


@pytest.fixture(scope="module")
def months() -> list[tuple[str, int]]:
    return load_months(CORPUS)


@pytest.fixture(scope="module")
def templates() -> list[Cable]:
    cables = []
    for name, data in itertools.islice(iter_tar_html("cablegate-site.tar.xz"), 300):
        cables.extend(c for c in read_bytes(data, name) if isinstance(c, Cable))
    return cables


def test_months_cover_the_full_release(months: list[tuple[str, int]]) -> None:
    assert len(months) == 251_287
    assert len({ref for ref, _ in months}) == 251_287
    assert all(1 <= m <= 12 for _, m in months)


def test_synthetic_cables_follow_the_real_ids_and_months(
    months: list[tuple[str, int]], templates: list[Cable]
) -> None:
    real = dict(months)
    cables = list(Synthesizer(months, templates, seed=7).cables(2_000))
    assert len(cables) == 2_000
    assert all(c.reference_id in real for c in cables)  # the release's IDs, as written
    for c in cables:
        assert c.created is not None and c.created.month == real[c.reference_id]
        assert f"{c.created.year % 100:02d}" == c.canonical_id[:2]
    levels = Counter(c.classification for c in cables)
    assert levels["CONFIDENTIAL"] > levels["SECRET"] > 0  # the release's proportions
    assert len({c.body for c in cables}) == 2_000  # recombined, not copied
    every = [ref for ref, _ in Synthesizer(months, templates).pick(len(months))]
    assert every == [ref for ref, _ in months]


def test_beyond_the_release_a_collection_grows_with_1970s_cables_as_plusd_did(
    months: list[tuple[str, int]], templates: list[Cable]
) -> None:
    """PlusD's 2,325,961 records: the release, then 1973-1979 cables (the Kissinger and
    Carter collections) from the release's posts and months; a smaller collection is a
    prefix of a larger one, and its IDs are new and unique."""
    extra = 30_000
    picked = list(Synthesizer(months, templates, seed=5).pick(len(months) + extra))
    assert picked[: len(months)] == months
    added = picked[len(months) :]
    assert len(added) == extra and len({ref for ref, _ in picked}) == len(picked)
    years = Counter(1900 + int(ref[:2]) for ref, _ in added)
    assert set(years) == set(range(1973, 1980))
    assert years[1979] > years[1977] > 0.6 * years[1973]  # Carter III > Carter I ~ 1 Kissinger year
    stations = Counter(parts[1] for ref, _ in added if (parts := split_id(ref)))
    real_stations = Counter(parts[1] for ref, _ in months if (parts := split_id(ref)))
    assert sum(stations.values()) == extra
    assert stations.most_common(1)[0][0] == real_stations.most_common(1)[0][0]  # STATE
    assert set(stations) <= set(real_stations)
    real_months = Counter(m for _, m in months)
    got_months = Counter(m for _, m in added)
    for m in range(1, 13):  # the release's seasons, within sampling noise
        assert abs(got_months[m] / extra - real_months[m] / len(months)) < 0.01
    smaller = list(Synthesizer(months, templates, seed=5).pick(len(months) + 1_000))
    assert smaller == picked[: len(months) + 1_000]
    made = list(
        itertools.islice(
            Synthesizer(months, templates, seed=5).cables(len(months) + 50), len(months), None
        )
    )
    assert [c.reference_id for c in made] == [ref for ref, _ in added[:50]]
    for cable, (_, month) in zip(made, added[:50], strict=True):
        assert cable.created is not None and cable.created.month == month
        assert 1973 <= cable.created.year <= 1979
        assert cable.canonical_id == canonical_id(cable.reference_id)


@pytest.mark.parametrize("fmt", ["csv", "text"])
def test_synthetic_collections_ingest_with_their_fields(
    tmp_path: Path,
    new_db: NewDb,
    fmt: str,
    months: list[tuple[str, int]],
    templates: list[Cable],
) -> None:
    made = {c.canonical_id: c for c in Synthesizer(months, templates, seed=3).cables(300)}
    out = tmp_path / fmt
    assert write_synthetic(out, iter(made.values()), fmt) == 300
    again = tmp_path / "again"
    write_synthetic(again, Synthesizer(months, templates, seed=3).cables(300), fmt)
    first = sorted(p.read_bytes() for p in out.rglob("*") if p.is_file())
    assert first == sorted(p.read_bytes() for p in again.rglob("*") if p.is_file())
    with Archive.open(new_db("a")) as archive:
        report = ingest(archive, [out], jobs=2)
        assert report.balanced and report.quarantined == 0
        assert report.new + report.versions == 300
        tagged = 0
        for cable_id, want in made.items():
            got = archive.cable(cable_id)
            assert got is not None, cable_id
            assert got.classification == want.classification
            assert got.origin == want.origin
            assert got.created == want.created
            assert got.paragraphs and got.paragraphs[-1].number
            tagged += bool(got.tags)
        assert tagged > 0.9 * len(made)


def test_synth_command(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["synth", str(tmp_path / "s"), "--count", "40", "--corpus", str(CORPUS)]
    )
    assert result.exit_code == 0, result.output
    assert "wrote 40 synthetic cables" in result.output
    assert (tmp_path / "s" / "cables.csv").stat().st_size > 40 * 1000

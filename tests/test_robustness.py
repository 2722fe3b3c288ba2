"""Random and truncated input to every reader: only ReadError comes out, never a crash."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cablegate.demo import demo_cable
from cablegate.errors import ReadError
from cablegate.model import Cable
from cablegate.readers import (
    read_bytes,
    read_cables_csv,
    read_site_page,
    read_site_text,
    read_text_export,
)
from cablegate.readers.collect import Skipped
from tests.conftest import CORPUS, SEEDS

_SOURCES = [
    SEEDS / "000_6b405a9335b029f2.txt",
    SEEDS / "002_9bf8a78e29ea3dab.txt",
    CORPUS / "cables-sample.csv",
]
# Real inputs where the shared folder is here; invented demo cables otherwise.
_REAL = [p.read_bytes()[:40000] for p in _SOURCES if p.exists()] or [
    demo_cable(i, random.Random(i)).encode() for i in range(3)
]
_HTML_HEAD = (
    b"<html><head><title>Cable Viewer</title></head><body><div class='pane big'>"
    b"<h3>Viewing cable 08STATE1, X</h3><table class='cable'><tr><th>Reference ID</th>"
    b"<th>Created</th></tr><tr><td><a href='/x'>08STATE1</a></td><td><a>"
)
SINGLE = [read_site_page, read_text_export, read_site_text]

documents = st.one_of(
    st.binary(max_size=3000),
    st.text(max_size=3000).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.tuples(st.sampled_from(_REAL), st.integers(0, 40000)).map(lambda p: p[0][: p[1]]),
    st.tuples(st.sampled_from(_REAL), st.binary(max_size=200), st.integers(0, 5000)).map(
        lambda p: p[0][: p[2]] + p[1] + p[0][p[2] : p[2] + 3000]
    ),
    st.binary(max_size=2000).map(lambda b: _HTML_HEAD + b),
    st.text(alphabet='",\\\n0123456789/: ABCSTE', max_size=600).map(
        lambda t: ('"1","1/2/2003 10:00","03ROME1",' + t).encode()
    ),
)
fast = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@fast
@given(documents)
def test_single_document_readers_raise_only_read_error(data: bytes) -> None:
    for reader in SINGLE:
        try:
            cable = reader(data, "fuzz.doc")
        except ReadError as exc:
            assert exc.path == "fuzz.doc" and exc.reason
        else:
            assert isinstance(cable, Cable)


@fast
@given(documents)
def test_csv_reader_yields_cables_or_read_errors(data: bytes) -> None:
    for item in read_cables_csv(data.splitlines(keepends=True), "fuzz.csv"):
        assert isinstance(item, Cable | ReadError)


@fast
@given(documents)
def test_dispatcher_never_raises(data: bytes) -> None:
    for item in read_bytes(data, "fuzz.bin"):
        assert isinstance(item, Cable | ReadError | Skipped)
        if isinstance(item, ReadError):
            assert "fuzz.bin" in item.path


def test_empty_and_tiny_files(tmp_path: Path) -> None:
    for data in (b"", b"\n", b"<html>", b'"1","', b"PK\x03\x04", b"7z\xbc\xaf\x27\x1c"):
        items = list(read_bytes(data, "tiny"))
        assert all(isinstance(i, ReadError | Skipped) for i in items), (data, items)

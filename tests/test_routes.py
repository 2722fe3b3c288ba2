"""The routing-indicator table (derived from the release's headers by tools/routes.py) checked
against the corpus's own list, ``metadata/route2name.csv``, and the telegrams' DE/FM lines."""

from __future__ import annotations

import csv
import re

from cablegate.parse.ids import station_code
from cablegate.parse.routes import route_name, routes
from tests.conftest import CORPUS, requires_corpus

pytestmark = requires_corpus


def _station(name: str) -> str | None:
    """``AMEMBASSY NEW DELHI`` -> ``NEWDELHI`` (embassies and consulates only)."""
    for prefix in ("AMEMBASSY ", "AMCONSUL "):
        if name.startswith(prefix):
            return station_code(name.removeprefix(prefix)) or name.removeprefix(prefix)
    return None


def test_the_table_names_the_same_posts_as_the_corpus_list() -> None:
    with (CORPUS / "metadata" / "route2name.csv").open(newline="") as f:
        theirs = {row[0]: row[1] for row in csv.reader(f) if len(row) >= 2}
    posts = [r for r in routes() if r in theirs and _station(theirs[r]) and _station(routes()[r])]
    agree = [r for r in posts if _station(routes()[r]) == _station(theirs[r])]
    assert len(posts) > 150
    # The rest are spellings (MEXICO / MEXICO CITY) and typos of the list (QUINTO, VAOUNDE).
    assert len(agree) / len(posts) > 0.9, sorted(set(posts) - set(agree))
    assert route_name("RUEHC") == "SECSTATE WASHDC"
    assert route_name("ruehfr ") == "AMEMBASSY PARIS"
    assert route_name("RUEHZZZZ") is None


def test_every_telegram_text_s_sender_is_its_routing_indicator_s_station() -> None:
    checked = 0
    for path in sorted((CORPUS / "pdf" / "pdftotext").glob("*.txt")):
        text = path.read_text("utf-8", "replace")
        de = re.search(r"(?m)^DE (R[A-Z]+) #", text)
        fm = re.search(r"(?m)^FM (.+?)\s*$", text)
        if de and fm:
            assert route_name(de.group(1)) == fm.group(1), path.name
            checked += 1
    assert checked >= 20

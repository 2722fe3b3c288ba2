"""Citing a cable: the cite block of every cable page and the API's citation routes, in
the four formats, each checked by what reads it: the BibTeX by a BibTeX parser (pybtex),
the CSL-JSON against the CSL-JSON schema (tests/data/csl-data.json, see its README), the
RIS line by line; and a subject made hostile (braces, newlines, a backslash, ``</script>``)
stays inside its field in every format and escaped on the page.

Expected values were read from the cables' pages in ../shared/corpus.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path

import jsonschema
import pytest
from fastapi.testclient import TestClient
from pybtex.database import parse_string

from cablegate import citation
from cablegate.archive import Archive
from cablegate.ingest import ingest
from cablegate.site.app import create_app
from tests.conftest import NewDb, iter_tar_html, requires_corpus

SCHEMA = json.loads((Path(__file__).parent / "data" / "csl-data.json").read_text())
HOSTILE = 'A {B}} C\n@misc{evil,\nER  - \r\nTY  - </script><b>x</b> 100% \\end{x} & "q" ~^_#$'
BASE = "https://cables.example.org"


def source(subject: str | None = HOSTILE, **changes: object) -> citation.CableSource:
    fields: dict[str, object] = {
        "canonical_id": "09RIYADH447",
        "subject": subject,
        "origin": "Embassy Riyadh",
        "created": dt.datetime(2009, 3, 22, 12, 5),
        "released": dt.datetime(2011, 8, 30, 20, 0),
        "classification": "SECRET",
        "version": 2,
        "permalink": f"{BASE}/cable/2009/03/09RIYADH447/version-2.html",
        "archive": "Cable Viewer",
    }
    fields.update(changes)
    return citation.CableSource(**fields)  # type: ignore[arg-type]


def flat(text: str) -> str:
    return " ".join(text.split())


LATEX = {
    r"\textbackslash{}": "\\",
    r"\textbraceleft{}": "{",
    r"\textbraceright{}": "}",
    r"\textasciitilde{}": "~",
    r"\textasciicircum{}": "^",
    **{"\\" + c: c for c in "&%$#_"},
}
"""What LaTeX prints for these commands (the standard text commands and escapes)."""


def unlatex(value: str) -> str:
    """What LaTeX typesets from a field's text, for the commands above."""
    return re.sub("|".join(map(re.escape, LATEX)), lambda m: LATEX[m.group()], value)


# -- each format, alone ----------------------------------------------------------------------


def test_text_is_chicago_style() -> None:
    assert citation.text(source("COUNTERTERRORISM ADVISER BRENNAN’S MEETING")) == (
        "US Embassy Riyadh, “COUNTERTERRORISM ADVISER BRENNAN’S MEETING,” cable 09RIYADH447, "
        "March 22, 2009, SECRET. Released August 30, 2011 (version 2). "
        f"Cable Viewer, {BASE}/cable/2009/03/09RIYADH447/version-2.html."
    )
    # A cable whose source gave no release date was published first by this archive.
    here = citation.text(source("X", released_here=True, released=dt.datetime(2026, 12, 2)))
    assert "SECRET. Published in this archive December 2, 2026 (version 2). Cable" in here
    bare = citation.text(source(None, origin=None, created=None, classification=None))
    assert bare.startswith("cable 09RIYADH447, n.d. Released")
    assert citation.author("USUN New York") == "USUN New York"
    assert citation.author("Secretary of State") == "US Secretary of State"


def test_text_keeps_a_hostile_subject_on_one_line() -> None:
    text = citation.text(source())
    assert "\n" not in text and "\r" not in text
    assert f"“{flat(HOSTILE)},”" in text


def test_bibtex_parses_and_keeps_the_subject_inside_its_field() -> None:
    entry_text = citation.bibtex(source())
    data = parse_string(entry_text, "bibtex")
    assert list(data.entries) == ["09RIYADH447v2"]  # no second entry smuggled in
    entry = data.entries["09RIYADH447v2"]
    assert entry.type == "misc"
    title = entry.fields["title"]
    assert title.startswith("{") and title.endswith("}")
    assert unlatex(title[1:-1]) == flat(HOSTILE)  # decoded: the subject
    assert entry.fields["year"] == "2009"
    assert entry.fields["month"] == "mar" or entry.fields["month"].lower().startswith("mar")
    assert entry.fields["url"] == f"{BASE}/cable/2009/03/09RIYADH447/version-2.html"
    assert entry.fields["version"] == "2"
    assert "August 30, 2011" in entry.fields["note"]
    assert str(entry.persons["author"][0]) == "{US Embassy Riyadh}"
    # Every field on its own line, the entry's braces balanced.
    assert entry_text.count("{") == entry_text.count("}")
    assert all(line.startswith(("@misc{", "  ", "}")) for line in entry_text.splitlines())


def test_bibtex_of_a_plain_subject() -> None:
    entry = parse_string(citation.bibtex(source("IRAN: LARIJANI MEETS")), "bibtex")
    assert entry.entries["09RIYADH447v2"].fields["title"] == "{IRAN: LARIJANI MEETS}"


def test_csl_json_matches_the_schema() -> None:
    data = json.loads(citation.csl_json(source()))
    jsonschema.Draft3Validator.check_schema(SCHEMA)
    jsonschema.Draft3Validator(SCHEMA).validate(data)
    (item,) = data
    assert item["title"] == flat(HOSTILE)
    assert item["issued"] == {"date-parts": [[2009, 3, 22]]}
    assert "August 30, 2011 (version 2)" in item["note"]
    assert item["author"] == [{"literal": "US Embassy Riyadh"}]
    assert item["version"] == "2"
    assert item["archive"] == "Cable Viewer"
    assert item["URL"].endswith("/version-2.html")
    # What the schema refuses, it refuses: the check can fail.
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft3Validator(SCHEMA).validate([{**item, "type": "telegram"}])
    undated = json.loads(citation.csl_json(source(None, created=None, released=None)))
    jsonschema.Draft3Validator(SCHEMA).validate(undated)
    assert "issued" not in undated[0]


def test_ris_has_its_structure_and_one_line_per_tag() -> None:
    text = citation.ris(source())
    assert text.endswith("\r\n")
    lines = text.split("\r\n")[:-1]
    assert all(re.fullmatch(r"[A-Z][A-Z0-9]  - .*", line) for line in lines), lines
    tags = [line[:2] for line in lines]
    assert tags[0] == "TY" and tags[-1] == "ER"
    assert tags.count("TY") == 1 and tags.count("ER") == 1  # the subject smuggled none
    assert {"AU", "TI", "PY", "DA", "UR", "DB"} <= set(tags)
    fields = {line[:2]: line[6:] for line in lines}
    assert fields["TY"] == "GOVDOC"
    assert fields["TI"] == flat(HOSTILE)
    assert fields["DA"] == "2009/03/22/"
    assert fields["PY"] == "2009"
    assert "\n" not in text.replace("\r\n", "")


# -- on the site and in the API --------------------------------------------------------------

SUBJECT_1553 = (
    "FM CALMY-REY LASHES OUT AT THE UNITED STATES, EU AND UN; PUSHES ENVELOPE ON SWISS "
    '"ACTIVE NEUTRALITY"'
)
"""06BERN1553 (its page): created 2006-08-23 08:08, released 2011-02-18 21:09,
CONFIDENTIAL, Embassy Bern."""


@pytest.fixture(scope="module")
def bern_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    wanted, found = {"06BERN1553", "06BERN1280"}, {}
    for name, data in iter_tar_html("cablegate-site.tar.xz"):
        if Path(name).stem in wanted:
            found[Path(name).stem] = data
            if len(found) == len(wanted):
                break
    return found


@pytest.fixture
def client(bern_pages: dict[str, bytes], new_db: NewDb, tmp_path: Path) -> TestClient:
    """06BERN1553 as published; 06BERN1280 with a hostile SUBJECT line planted."""
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "06BERN1553.html").write_bytes(bern_pages["06BERN1553"])
    page = bern_pages["06BERN1280"].decode("utf-8")
    # (no backslash: on these pages it marks the end of a line of the telegram)
    planted = "FM {CALMY}} &lt;/script&gt;&lt;b&gt;x&lt;/b&gt; 100% LARIJANI"
    page = page.replace("SUBJECT: IRAN: LARIJANI", f"SUBJECT: {planted}", 1)
    (folder / "06BERN1280.html").write_text(page, encoding="utf-8")
    db = new_db("cite")
    with Archive.open(db) as archive:
        ingest(archive, [folder], jobs=1)
    return TestClient(create_app(db, base_url=BASE))


@requires_corpus
def test_api_citation_in_every_format(client: TestClient) -> None:
    whole = client.get("/api/cables/06BERN1553/citation")
    assert whole.status_code == 200
    data = whole.json()
    permalink = f"{BASE}/cable/2006/08/06BERN1553/version-1.html"
    assert data["permalink"] == permalink
    assert data["version"] == 1
    assert data["text"] == (
        f"US Embassy Bern, “{SUBJECT_1553},” cable 06BERN1553, August 23, 2006, CONFIDENTIAL. "
        f"Released February 18, 2011 (version 1). Cable Viewer, {permalink}."
    )
    jsonschema.Draft3Validator(SCHEMA).validate(data["csl"])

    text = client.get("/api/cables/06BERN1553/versions/1/citation?format=text")
    assert text.headers["content-type"].startswith("text/plain")
    assert text.text == data["text"] + "\n"
    bib = client.get("/api/cables/06BERN1553/citation?format=bibtex")
    assert bib.headers["content-type"].startswith("application/x-bibtex")
    entry = parse_string(bib.text, "bibtex").entries["06BERN1553v1"]
    assert entry.fields["url"] == permalink
    csl = client.get("/api/cables/06BERN1553/citation?format=csl-json")
    assert csl.headers["content-type"].startswith("application/vnd.citationstyles.csl+json")
    jsonschema.Draft3Validator(SCHEMA).validate(csl.json())
    assert csl.json()[0]["title"] == SUBJECT_1553
    ris = client.get("/api/cables/06BERN1553/citation?format=ris")
    assert ris.text.startswith("TY  - GOVDOC\r\n") and ris.text.endswith("ER  - \r\n")
    assert f"UR  - {permalink}\r\n" in ris.text

    # The permalink answers: the page of that version.
    assert client.get(permalink.removeprefix(BASE)).status_code in (200, 301)


@requires_corpus
def test_api_citation_errors(client: TestClient) -> None:
    assert client.get("/api/cables/06BERN1553/citation?format=mla").status_code == 422
    assert client.get("/api/cables/99NOWHERE1/citation").status_code == 404
    assert client.get("/api/cables/06BERN1553/versions/7/citation").status_code == 404
    assert client.get("/api/cables/06BERN1553/versions/0/citation").status_code == 422


@requires_corpus
def test_cite_block_on_the_page(client: TestClient) -> None:
    page = client.get("/cable/2006/08/06BERN1553.html").text
    block = page[page.index('<h2 id="cite">') :]
    assert f"{BASE}/cable/2006/08/06BERN1553/version-1.html" in block
    text = html.unescape(re.search(r'<p class="citation">(.*?)</p>', block, re.S).group(1))
    assert text == client.get("/api/cables/06BERN1553/citation").json()["text"]
    bib = html.unescape(
        re.search(r"<summary>BibTeX</summary><pre[^>]*>(.*?)</pre>", block, re.S)[1]
    )
    assert "06BERN1553v1" in parse_string(bib, "bibtex").entries


@requires_corpus
def test_a_hostile_subject_stays_escaped(client: TestClient) -> None:
    subject = "FM {CALMY}} </script><b>x</b> 100% LARIJANI"
    data = client.get("/api/cables/06BERN1280/citation").json()
    assert data["csl"][0]["title"].startswith(subject)
    page = client.get("/cable/2006/07/06BERN1280.html").text
    assert "</script><b>x" not in page
    assert "&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;" in page
    block = page[page.index('<h2 id="cite">') :]
    bib = html.unescape(
        re.search(r"<summary>BibTeX</summary><pre[^>]*>(.*?)</pre>", block, re.S)[1]
    )
    entries = parse_string(bib, "bibtex").entries
    assert list(entries) == ["06BERN1280v1"]
    assert unlatex(entries["06BERN1280v1"].fields["title"][1:-1]).startswith(subject)
    ris = client.get("/api/cables/06BERN1280/citation?format=ris").text
    assert [line[:2] for line in ris.split("\r\n") if line].count("ER") == 1

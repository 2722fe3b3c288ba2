"""A small demo collection the project makes itself, for machines without the real corpus.

The cables are invented (no real text), written in the plain-text export layout, so that every
reader and field parser has something to work on.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

_POSTS = [
    ("PARIS", "Embassy Paris", "AMEMBASSY PARIS", "RUEHFR"),
    ("TOKYO", "Embassy Tokyo", "AMEMBASSY TOKYO", "RUEHKO"),
    ("NEWDELHI", "Embassy New Delhi", "AMEMBASSY NEW DELHI", "RUEHNE"),
    ("BRASILIA", "Embassy Brasilia", "AMEMBASSY BRASILIA", "RUEHBR"),
    ("STATE", "Secretary of State", "SECSTATE WASHDC", "RUEHC"),
]
_LEVELS = [
    ("UNCLASSIFIED", "UNCLAS"),
    ("CONFIDENTIAL", "C O N F I D E N T I A L"),
    ("SECRET", "S E C R E T"),
]
_TAGS = ["PREL", "PGOV", "ECON", "ETRD", "PTER", "KDEM", "PHUM", "MARR"]
_TOPICS = [
    "TRADE TALKS",
    "ELECTION OUTLOOK",
    "ENERGY COOPERATION",
    "COUNTERTERRORISM DIALOGUE",
    "HUMAN RIGHTS REPORT",
    "DEFENSE PROCUREMENT",
    "CLIMATE NEGOTIATIONS",
]
_SIGNERS = ["SMITH", "JONES", "GARCIA", "NGUYEN", "RICE", "CLINTON"]
_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


def demo_cable(i: int, rng: random.Random) -> str:
    """One invented cable in the plain-text export layout."""
    station, origin, fm, route = rng.choice(_POSTS)
    level, marking = rng.choice(_LEVELS)
    when = dt.datetime(2005, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=rng.randrange(3_000_000))
    number = 100 + i * 7
    ref_id = f"{when:%y}{station}{number}"
    subject = f"{rng.choice(_TOPICS)} ({i})"
    tags = " ".join(rng.sample(_TAGS, 3))
    dtg = f"{when:%d%H%M}Z {_MONTHS[when.month - 1]} {when:%y}"
    ref_station, *_ = rng.choice(_POSTS)
    para_mark = {"UNCLASSIFIED": "U", "CONFIDENTIAL": "C", "SECRET": "S"}[level]
    header = f"P {dtg}\nFM {fm}\nTO {route}/SECSTATE WASHDC PRIORITY {1000 + i}\n"
    decl = "N/A" if level == "UNCLASSIFIED" else f"DECL: {when:%m/%d}/{when.year + 10}"
    body = (
        f"{marking} {station} {number:06d}\n\nSIPDIS\n\nE.O. 12958: {decl}\nTAGS: {tags}\n"
        f"SUBJECT: {subject}\n\nREF: {when:%y} {ref_station} {number - 3}\n\n"
        f"1. ({para_mark}) Summary: Demo cable {i} about {subject.lower()}. End summary.\n\n"
        f"2. ({para_mark}) Officials met XXXXXXXXXXXX to discuss next steps.\n\n"
        f"{rng.choice(_SIGNERS)}\n"
    )
    created = when.strftime("%a %b %d %H:%M:%S %z %Y")
    return "\n".join([ref_id, subject, created, level, origin, header + body])


def write_demo(out: Path, count: int = 60, seed: int = 2010) -> list[Path]:
    """Write ``count`` invented cables to ``out`` (one text file each); returns the files."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        text = demo_cable(i, rng)
        path = out / f"{text.split(chr(10), 1)[0]}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths

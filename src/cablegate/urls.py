"""The Cable Viewer's URL scheme (kept so that old links keep working): the site, the API,
search results and exports all link to cables by it."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from cablegate.model import CLASSIFICATIONS, OTHER_CLASSIFICATIONS

CLASSIFICATION_NUMBERS = {
    name: n for n, name in enumerate([*sorted(CLASSIFICATIONS), *OTHER_CLASSIFICATIONS], 1)
}
"""The original site numbered classifications in alphabetical order: /classification/1_0.html
is CONFIDENTIAL ... 6 is UNCLASSIFIED//FOR OFFICIAL USE ONLY; older levels follow (7 is
LIMITED OFFICIAL USE)."""


def cable_url(canonical_id: str, created: dt.datetime | str | None) -> str:
    if isinstance(created, dt.datetime):
        created = created.strftime("%Y-%m")
    year, month = (created[:4], created[5:7]) if created else ("unknown", "00")
    return f"/cable/{year}/{month}/{canonical_id}.html"


def version_url(cable_url: str, number: int) -> str:
    """An earlier version of a cable, beside the cable's own page."""
    return cable_url.removesuffix(".html") + f"/version-{number}.html"


def tag_url(tag: str, page: int = 0) -> str:
    return f"/tag/{quote(tag, safe='')}_{page}.html"


def year_url(year: str) -> str:
    """The months of a creation year (the second level of "Browse by creation date")."""
    return f"/date/{year}.html"


def letter_url(kind: str, letter: str) -> str:
    """The origins or tags under one letter of the A-Z index."""
    return f"/{kind}/{quote(letter, safe='')}.html"


def reldate_url(day: str, page: int = 0) -> str:
    return f"/reldate/{day}_{page}.html"


def month_url(month: str, page: int = 0) -> str:
    return f"/date/{month}_{page}.html"


def origin_url(number: int | str | None, page: int = 0) -> str | None:
    """Origins are numbered in the pane (see :func:`cablegate.site.views.pane`)."""
    return f"/origin/{number}_{page}.html" if number else None


def classification_url(name: str, page: int = 0) -> str | None:
    number = CLASSIFICATION_NUMBERS.get(name)
    return f"/classification/{number}_{page}.html" if number else None

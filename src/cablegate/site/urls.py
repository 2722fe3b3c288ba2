"""The Cable Viewer's URL scheme (kept so that old links keep working)."""

from __future__ import annotations

import datetime as dt

from cablegate.model import CLASSIFICATIONS

CLASSIFICATION_NUMBERS = {name: n for n, name in enumerate(sorted(CLASSIFICATIONS), 1)}
"""The original site numbered classifications in alphabetical order: /classification/1_0.html
is CONFIDENTIAL ... 6 is UNCLASSIFIED//FOR OFFICIAL USE ONLY."""


def cable_url(canonical_id: str, created: dt.datetime | str | None) -> str:
    if isinstance(created, dt.datetime):
        created = created.strftime("%Y-%m")
    year, month = (created[:4], created[5:7]) if created else ("unknown", "00")
    return f"/cable/{year}/{month}/{canonical_id}.html"


def tag_url(tag: str, page: int = 0) -> str:
    return f"/tag/{tag}_{page}.html"


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

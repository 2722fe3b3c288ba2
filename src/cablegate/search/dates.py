"""Dates in queries: ``created:2008``, ``2008-06``, ``2008-06-30`` and ranges of them (pure)."""

from __future__ import annotations

import datetime as dt
import re

from cablegate.months import next_month
from cablegate.search.query import QueryError


def _period(value: str, name: str) -> tuple[str, str]:
    """``2008`` / ``2008-06`` / ``2008-06-30`` -> [start, end) as sortable text."""
    value = value.strip()
    try:
        if re.fullmatch(r"\d{4}", value) and 1 <= int(value) < 9999:
            return value, f"{int(value) + 1:04d}"
        if re.fullmatch(r"\d{4}-\d{2}", value) and int(value[:4]) < 9999:
            dt.date(int(value[:4]), int(value[5:]), 1)  # a real month, or ValueError
            return value, next_month(value)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = dt.date.fromisoformat(value)
            return value, (day + dt.timedelta(days=1)).isoformat()
    except (ValueError, OverflowError):
        pass
    raise QueryError(
        f"{name}:{value}: not a date (write 2008, 2008-06 or 2008-06-30, "
        "and ranges as 2008-01..2008-06, 2010-12-01.. or ..2009)"
    )


def date_range(name: str, value: str) -> tuple[str | None, str | None]:
    """[start, end) of a date or a range of dates; None: open on that side."""
    if ".." in value:
        low, _, high = value.partition("..")
        start = _period(low, name)[0] if low.strip() else None
        end = _period(high, name)[1] if high.strip() else None
        if start is None and end is None:
            raise QueryError(f"{name}:{value}: give a start, an end or both")
        return start, end
    return _period(value, name)

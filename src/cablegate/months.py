"""Calendar months written ``YYYY-MM``, as the archive keys and lists them (pure)."""

from __future__ import annotations


def next_month(month: str) -> str:
    """The month after ``month`` (``2008-12`` -> ``2009-01``): the end of its range."""
    year, mon = int(month[:4]), int(month[5:7])
    return f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"


def months_between(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last``, both included."""
    out: list[str] = []
    month = first[:7]
    while month <= last:
        out.append(month)
        month = next_month(month)
    return out

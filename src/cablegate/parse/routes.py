"""Routing indicators: the telegraphic addresses of stations (``RUEHFR`` is Embassy Paris).

The table (``data/routes.txt``) is derived from the release's own headers by
``tools/routes.py``: each ``DE`` line paired with its ``FM`` line, each ``RUEHC/SECSTATE
WASHDC`` address of the ``TO`` and ``INFO`` lines.
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def routes() -> dict[str, str]:
    """Routing indicator -> station name as headers write it (``AMEMBASSY PARIS``)."""
    text = resources.files("cablegate.data").joinpath("routes.txt").read_text("utf-8")
    pairs = (line.split("\t") for line in text.splitlines() if line and not line.startswith("#"))
    return {pair[0]: pair[1] for pair in pairs if len(pair) == 2}


def route_name(indicator: str) -> str | None:
    """The station a routing indicator stands for, or None when it is not known.

    >>> route_name("RUEHFR"), route_name("RUEHC"), route_name("RUEHZZZ")
    ('AMEMBASSY PARIS', 'SECSTATE WASHDC', None)
    """
    return routes().get(indicator.strip().upper())

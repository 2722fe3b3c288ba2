"""What TAGS codes mean: subject tags (PTER: terrorism), program tags (KDEM), organizations
(NATO), regions and country codes (PK: Pakistan). The table is ``data/tags.tsv``."""

from __future__ import annotations

import functools
from importlib import resources

from msgspec import Struct


class TagInfo(Struct, frozen=True):
    code: str
    kind: str
    """``subject``, ``program``, ``organization``, ``region`` or ``country``."""
    meaning: str


@functools.cache
def table() -> dict[str, TagInfo]:
    text = resources.files("cablegate.site").joinpath("data/tags.tsv").read_text("utf-8")
    rows = (line.split("\t") for line in text.splitlines() if line and not line.startswith("#"))
    return {code: TagInfo(code, kind, meaning) for code, kind, meaning in rows}


def explain(tag: str) -> TagInfo | None:
    """What a tag means, when the code is known."""
    return table().get(tag.upper())

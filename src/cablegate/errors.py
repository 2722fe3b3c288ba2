"""The error types cablegate raises on bad input."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cablegate.model import Cable


class CablegateError(Exception):
    """Base of every error cablegate raises on purpose."""


class ReadError(CablegateError):
    """An input could not be read as a cable: names the input and what is wrong with it."""

    def __init__(self, path: str, reason: str, raw: bytes | None = None) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
        self.raw = raw
        """The input's bytes when they could be read (kept in quarantine), else None."""

    def __reduce__(self) -> tuple[type, tuple[str, str, bytes | None]]:
        return (type(self), (self.path, self.reason, self.raw))


class Unidentified(ReadError):
    """A telegram whose text does not say its reference ID (a copy that kept only the
    transmission header): everything else is read (``cable``, with empty IDs), and the sender's
    station and date-time group let an archive that already holds the cable identify it."""

    def __init__(
        self,
        path: str,
        reason: str,
        cable: Cable,
        station: str | None,
        created: dt.datetime | None,
        raw: bytes | None = None,
    ) -> None:
        super().__init__(path, reason, raw)
        self.cable = cable
        self.station = station
        self.created = created

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        return (
            type(self),
            (self.path, self.reason, self.cable, self.station, self.created, self.raw),
        )

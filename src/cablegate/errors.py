"""The error types cablegate raises on bad input."""

from __future__ import annotations


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

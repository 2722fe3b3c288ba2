"""Database URLs: ``sqlite:///cablegate.db`` (or a plain file path) and
``postgresql://user@host/db``."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from cablegate import settings

DEFAULT_URL = settings.DB.default
ENV_VAR = settings.DB.env
POSTGRESQL_MISSING = (
    "{url}: PostgreSQL needs the psycopg package, which is not installed: "
    "pip install 'cablegate[postgresql]' (in a checkout: uv sync --extra postgresql)"
)
"""The message when a ``postgresql://`` URL is given without the ``postgresql`` extra."""


@dataclass(frozen=True, slots=True)
class DatabaseURL:
    """A parsed database URL."""

    backend: str
    """``sqlite`` or ``postgresql``."""
    target: str
    """The SQLite file path, or the PostgreSQL connection string."""

    def __str__(self) -> str:
        return f"sqlite:///{self.target}" if self.backend == "sqlite" else self.safe()

    def safe(self) -> str:
        """The URL to show: a PostgreSQL password is masked."""
        if self.backend == "sqlite":
            return str(self)
        return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", self.target)


def parse_url(url: str | os.PathLike[str] | None = None) -> DatabaseURL:
    """Parse a database URL; ``None`` means ``$CABLEGATE_DB`` or ``sqlite:///cablegate.db``.

    A bare path (``archive.db``, ``/srv/cables.db``) is taken as an SQLite file.
    """
    text = os.fspath(url) if url is not None else settings.DB.get()
    if text.startswith("sqlite://"):
        path = text.removeprefix("sqlite://")
        if path.startswith("/"):
            path = path[1:]  # sqlite:///rel.db -> rel.db, sqlite:////abs.db -> /abs.db
        if not path or path == ":memory:":
            raise ValueError(f"{text!r}: give the SQLite file, e.g. sqlite:///cablegate.db")
        return DatabaseURL("sqlite", str(Path(path)))
    if text.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        return DatabaseURL("postgresql", text)
    if "://" in text:
        scheme = text.split("://", 1)[0]
        raise ValueError(f"{text!r}: unknown database scheme {scheme!r} (use sqlite:/// or a path)")
    return DatabaseURL("sqlite", text)

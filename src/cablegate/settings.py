"""Every setting of cablegate in one table: its environment variable, command-line option,
type, default and help.

The command line (its options' ``envvar=``, defaults and help), the web server and every
other reader take their settings from here, and the README's "Settings" section is
rendered from :data:`SETTINGS` (``python -m cablegate.settings --readme README.md`` writes
it; a test checks that it is current).

A variable that is unset or empty means the default. A value that cannot be parsed is an
error, never quietly replaced by the default: :meth:`Setting.get` raises
:class:`SettingError`, one line naming the variable, the bad value and what is expected.
The command line and the server check every setting when they start (:func:`check`), so a
bad value stops them at once rather than failing requests later.

``python3 dev.py`` runs before cablegate is installed and so cannot import this module: it
reads ``CABLEGATE_DB`` itself and leaves ``CABLEGATE_PORT`` to ``cablegate serve``.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from cablegate.errors import CablegateError

T = TypeVar("T", covariant=True)


class SettingError(CablegateError, ValueError):
    """A setting's environment variable holds a value that cannot be used."""


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One setting: read from ``env`` (unset or empty: ``default``), given on the command
    line as ``option`` where there is one."""

    name: str
    env: str
    option: str | None
    kind: str
    """The type as the README names it."""
    default: T
    shown_default: str
    """The default as the README and ``--help`` show it."""
    help: str
    parse: Callable[[str], T]
    """Text to value; raises ValueError saying what is expected."""

    def get(self, environ: Mapping[str, str] | None = None) -> T:
        """The value in ``environ`` (``os.environ``), or the default."""
        raw = (os.environ if environ is None else environ).get(self.env, "")
        if not raw.strip():
            return self.default
        try:
            return self.parse(raw.strip())
        except ValueError as exc:
            raise SettingError(f"{self.env}={raw!r}: {exc}") from None

    def export(self, value: object) -> None:
        """Pass ``value`` on to child processes (the server's workers) through the
        environment; None leaves the variable as it is."""
        if value is not None:
            os.environ[self.env] = str(value)


def _text(value: str) -> str:
    return value


def _path(value: str) -> Path:
    return Path(value).expanduser()


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise ValueError("not a port number (1-65535)") from None
    if not 1 <= port <= 65535:
        raise ValueError("not a port number (1-65535)")
    return port


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError("not a number of seconds (e.g. 5 or 0.5)") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError("not a number of seconds above 0 (e.g. 5 or 0.5)")
    return seconds


def _count(value: str) -> int:
    try:
        count = int(value)
    except ValueError:
        raise ValueError("not a whole number (0 or more)") from None
    if count < 0:
        raise ValueError("not a whole number (0 or more)")
    return count


def _positive(value: str) -> int:
    try:
        count = int(value)
    except ValueError:
        raise ValueError("not a whole number (1 or more)") from None
    if count < 1:
        raise ValueError("not a whole number (1 or more)")
    return count


LEVELS = ("debug", "info", "warning", "error", "critical")


def _level(value: str) -> str:
    if value.lower() not in LEVELS:
        raise ValueError(f"not a log level ({', '.join(LEVELS)})")
    return value.lower()


DB = Setting[str](
    "db",
    "CABLEGATE_DB",
    "--db",
    "URL or path",
    "sqlite:///cablegate.db",
    "sqlite:///cablegate.db",
    "The archive: a database URL (sqlite:///FILE, postgresql://user:password@host/db) "
    "or an SQLite file path.",
    _text,
)
READ_DB = Setting[str | None](
    "read_db",
    "CABLEGATE_READ_DB",
    "--read-db",
    "URL or path",
    None,
    "none",
    "A read-only replica of the archive that `serve` reads pages, search and the API from "
    "(writes still go to the archive).",
    _text,
)
INDEX = Setting[Path | None](
    "index",
    "CABLEGATE_INDEX",
    "--index",
    "folder",
    None,
    "beside an SQLite archive (x.db: x.index), for PostgreSQL in $XDG_CACHE_HOME/cablegate",
    "The search index folder; rebuilt from the archive when missing.",
    _path,
)
CACHE_HOME = Setting[Path | None](
    "cache_home",
    "XDG_CACHE_HOME",
    None,
    "folder",
    None,
    "~/.cache",
    "The user's cache folder: the search index of a PostgreSQL archive goes in its "
    "cablegate/ folder unless CABLEGATE_INDEX says where.",
    _path,
)
BASE_URL = Setting[str](
    "base_url",
    "CABLEGATE_BASE_URL",
    "--base-url",
    "URL",
    "",
    "serve: http://HOST:PORT; build-site: none (relative links)",
    "Public URL of the site, for share links and absolute sitemap URLs.",
    _text,
)
SITE_NAME = Setting[str](
    "site_name",
    "CABLEGATE_SITE_NAME",
    None,
    "text",
    "Cable Viewer",
    "Cable Viewer",
    "The archive's name, as citations of its cables give it (with their permalinks).",
    _text,
)
PORT = Setting[int](
    "port",
    "CABLEGATE_PORT",
    "--port",
    "port number",
    8000,
    "8000",
    "Port that `cablegate serve` (and `python3 dev.py up`) listens on.",
    _port,
)
SEARCH_TIMEOUT = Setting[float](
    "search_timeout",
    "CABLEGATE_SEARCH_TIMEOUT",
    None,
    "seconds",
    5.0,
    "5",
    "Seconds a query may run before the reader is told to narrow it down.",
    _seconds,
)
QUERY_TIMEOUT = Setting[float](
    "query_timeout",
    "CABLEGATE_QUERY_TIMEOUT",
    None,
    "seconds",
    10.0,
    "10",
    "Seconds the server's database queries may run (SQLite: those of a request together, "
    "PostgreSQL: each) before it answers 503 (try again later, with Retry-After).",
    _seconds,
)
DB_POOL = Setting[int](
    "db_pool",
    "CABLEGATE_DB_POOL",
    None,
    "count",
    8,
    "8",
    "Connections each server process opens at most to a PostgreSQL archive to read pages "
    "through (8: one for each request it works on at once), and as many to write through "
    "(releases that fall due, the admin API); a request waits 10 s at most for a free "
    "one, then gets 503.",
    _positive,
)
FACET_CACHE = Setting[int](
    "facet_cache",
    "CABLEGATE_FACET_CACHE",
    None,
    "count",
    256,
    "256",
    "Queries whose facet counts each process keeps (0: none, every query counts them anew).",
    _count,
)
ANNOUNCED_TOTAL = Setting[int](
    "announced_total",
    "CABLEGATE_ANNOUNCED_TOTAL",
    None,
    "count",
    0,
    "the cables the archive holds",
    "The size of the whole collection, as the counter shows it (released so far / this), "
    "e.g. 251287 for Cablegate.",
    _count,
)
LOG_LEVEL = Setting[str](
    "log_level",
    "CABLEGATE_LOG_LEVEL",
    "--log-level",
    " / ".join(LEVELS),
    "warning",
    "warning",
    "The least severe log messages shown, by the command line and the server "
    "(info: also the server's access log).",
    _level,
)

SETTINGS: tuple[Setting[object], ...] = (
    DB,
    READ_DB,
    INDEX,
    CACHE_HOME,
    BASE_URL,
    SITE_NAME,
    PORT,
    SEARCH_TIMEOUT,
    QUERY_TIMEOUT,
    DB_POOL,
    FACET_CACHE,
    ANNOUNCED_TOTAL,
    LOG_LEVEL,
)
"""Every setting, in the order the README lists them."""

BY_NAME: dict[str, Setting[object]] = {s.name: s for s in SETTINGS}


def get(name: str) -> object:
    """The value of the setting called ``name`` (``"search_timeout"``); the module's
    constants (``SEARCH_TIMEOUT.get()``) give it with its type."""
    try:
        setting = BY_NAME[name]
    except KeyError:
        raise KeyError(f"no setting {name!r}; known: {', '.join(BY_NAME)}") from None
    return setting.get()


def check(environ: Mapping[str, str] | None = None) -> None:
    """Raise :class:`SettingError` for the first setting whose variable cannot be used."""
    for setting in SETTINGS:
        setting.get(environ)


# -- the README's "Settings" section -------------------------------------------------------

BEGIN = "<!-- settings: made by `python -m cablegate.settings --readme README.md` -->"
END = "<!-- end of settings -->"


def markdown() -> str:
    """The table of settings, as the README shows it."""
    rows = [
        "| environment variable | option | type | default | what it sets |",
        "|---|---|---|---|---|",
    ]
    for s in SETTINGS:
        option = f"`{s.option}`" if s.option else ""
        rows.append(f"| `{s.env}` | {option} | {s.kind} | {_shown(s)} | {s.help} |")
    return "\n".join(rows) + "\n"


def _shown(setting: Setting[object]) -> str:
    """The default as code when it is a value (``8000``), else as words."""
    try:
        literal = setting.parse(setting.shown_default) == setting.default
    except ValueError:
        literal = False
    return f"`{setting.shown_default}`" if literal else setting.shown_default


def readme_section(text: str) -> str | None:
    """The generated part of a README (between :data:`BEGIN` and :data:`END`)."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        return None
    return text[start + len(BEGIN) : end].strip("\n") + "\n"


def update_readme(path: Path) -> bool:
    """Write the table into the README at ``path``; whether it changed."""
    text = path.read_text(encoding="utf-8")
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise SettingError(f"{path}: no {BEGIN} ... {END} section to fill")
    new = text[: start + len(BEGIN)] + "\n" + markdown() + text[end:]
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def main(argv: list[str]) -> int:
    usage = (
        "usage: python -m cablegate.settings --markdown   print the table of settings\n"
        "       python -m cablegate.settings --readme README.md   write it into the README"
    )
    if argv == ["--markdown"]:
        sys.stdout.write(markdown())
        return 0
    if len(argv) == 2 and argv[0] == "--readme":
        changed = update_readme(Path(argv[1]))
        print(f"{argv[1]}: {'updated' if changed else 'already current'}", file=sys.stderr)
        return 0
    print(usage, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

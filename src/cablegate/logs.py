"""Logging, configured in one place: the command line and the web server (its own messages,
uvicorn's and its access log) write one format to standard error.

:func:`configure` sets it up in this process (the ``cablegate`` command does, before any
subcommand); :func:`config` is the same as a :func:`logging.config.dictConfig` dictionary,
which ``cablegate serve`` gives uvicorn as its ``log_config`` so that every server process
logs alike.
"""

from __future__ import annotations

import logging
import logging.config
import sys
from typing import Any, TextIO

FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"
"""One line a message (a traceback follows its line): time, process, level, logger."""


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a message comes (not the one it was when
    logging was set up, which a test runner may have closed since)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def config(level: str) -> dict[str, Any]:
    """The logging configuration: every message at ``level`` (``"warning"``) or above, from
    any logger, goes to standard error in :data:`FORMAT`; uvicorn's loggers pass theirs on."""
    upper = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"cablegate": {"format": FORMAT}},
        "handlers": {"stderr": {"()": f"{__name__}.StderrHandler", "formatter": "cablegate"}},
        "loggers": {
            name: {"handlers": [], "level": upper, "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
        },
        "root": {"handlers": ["stderr"], "level": upper},
    }


def configure(level: str) -> None:
    """Set up logging in this process (see :func:`config`). Handlers that something else
    put on the root logger (a test runner's) stay."""
    root = logging.getLogger()
    others = [h for h in root.handlers if not isinstance(h, StderrHandler)]
    logging.config.dictConfig(config(level))
    for handler in others:
        root.addHandler(handler)


def level() -> str:
    """The level logging is set to, as :func:`config` takes it (``"warning"``)."""
    return logging.getLevelName(logging.getLogger().getEffectiveLevel()).lower()

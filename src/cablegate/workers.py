"""Worker processes for the work that runs on every core (parsing, page rendering)."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, wait
from multiprocessing import get_all_start_methods, get_context
from typing import Any


def pool(
    jobs: int, initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()
) -> ProcessPoolExecutor:
    """``jobs`` worker processes, started now (forked where the platform can, before any
    thread exists, so forking is safe). They die with this process, even on SIGKILL, and
    run ``initializer(*initargs)`` first."""
    method = "fork" if "fork" in get_all_start_methods() else "spawn"
    executor = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=get_context(method),
        initializer=_init,
        initargs=(initializer, initargs),
    )
    wait([executor.submit(os.getpid) for _ in range(jobs)])
    return executor


def _init(initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(1)
    if initializer is not None:
        initializer(*initargs)

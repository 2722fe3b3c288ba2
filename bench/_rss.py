"""Memory of a process and its descendants, sampled from /proc (Linux): what the benchmarks
report as peak RSS."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass, field


def tree_rss(pid: int) -> tuple[int, int, int, int]:
    """(RSS of ``pid``, RSS of the largest process among it and its descendants, RSS of
    all of them together, and their anonymous memory together), in bytes. RSS counts the
    pages of mapped files too (a search index's segments, read through mmap), which the
    system can drop and read again; anonymous memory (``RssAnon``) is what the processes
    hold themselves."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    rss: dict[int, int] = {}
    total = largest = anon = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        found = _status(p)
        rss[p] = found.get("VmRSS", 0)
        total += rss[p]
        anon += found.get("RssAnon", 0)
        largest = max(largest, rss[p])
        todo.extend(children.get(p, []))
    return rss.get(pid, 0), largest, total, anon


def _status(pid: int) -> dict[str, int]:
    """The memory lines of /proc/PID/status, in bytes (none once the process is gone)."""
    found: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "RssAnon", "RssFile"):
                    found[key] = int(value.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return found


@dataclass
class Peaks:
    """The peaks of :func:`tree_rss` over a run, and the process's own RSS at each sample."""

    main: int = 0
    largest: int = 0
    tree: int = 0
    anon: int = 0
    """The peak of the processes' anonymous memory together (RSS less mapped files)."""
    samples: list[int] = field(default_factory=list)

    def add(self, pid: int) -> None:
        main, largest, tree, anon = tree_rss(pid)
        self.main, self.largest = max(self.main, main), max(self.largest, largest)
        self.tree, self.anon = max(self.tree, tree), max(self.anon, anon)
        self.samples.append(main)

    def tenths(self) -> list[float]:
        """The process's RSS (MiB) at each tenth of the run: flat, or growing with the input."""
        s = self.samples
        return [s[len(s) * k // 10] / 2**20 for k in range(1, 10)] if s else []


class Watch:
    """Samples a running process's tree every ``every`` seconds in a thread, until stopped
    (for a server, measured while a load runs against it)."""

    def __init__(self, pid: int, every: float = 0.25) -> None:
        self.peaks = Peaks()
        self._pid, self._every = pid, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peaks.add(self._pid)
            self._stop.wait(self._every)

    def stop(self) -> Peaks:
        self._stop.set()
        self._thread.join()
        return self.peaks


def run(command: list[str]) -> tuple[int, Peaks, float]:
    """Run a command to its end (its output passed through), sampling its memory: (its exit
    status, peaks, wall seconds)."""
    started = time.perf_counter()
    proc = subprocess.Popen(command)
    watch = Watch(proc.pid)
    status = proc.wait()
    peaks = watch.stop()
    return status, peaks, time.perf_counter() - started

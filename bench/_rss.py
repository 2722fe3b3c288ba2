"""Memory of a process and its descendants, sampled from /proc (Linux): what the benchmarks
report as peak RSS."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass, field


def tree_rss(pid: int) -> tuple[int, int, int]:
    """(RSS of ``pid``, RSS of the largest process among it and its descendants, RSS of
    all of them together), in bytes."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ppid, pages = int(fields[1]), int(fields[21])
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE")
    total = largest = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        largest = max(largest, rss.get(p, 0))
        todo.extend(children.get(p, []))
    return rss.get(pid, 0), largest, total


@dataclass
class Peaks:
    """The peaks of :func:`tree_rss` over a run, and the process's own RSS at each sample."""

    main: int = 0
    largest: int = 0
    tree: int = 0
    samples: list[int] = field(default_factory=list)

    def add(self, pid: int) -> None:
        main, largest, tree = tree_rss(pid)
        self.main, self.largest = max(self.main, main), max(self.largest, largest)
        self.tree = max(self.tree, tree)
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

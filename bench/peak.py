"""Peak memory of any command: RSS of the command's process, of its largest process and of
all its processes together (sampled from /proc every 0.25 s), and its wall time.

    .venv/bin/python bench/peak.py -- cablegate build-site /tmp/www --db ARCHIVE
    .venv/bin/python bench/peak.py --label "reindex 1M" -- cablegate reindex --db ARCHIVE

Issue 22 asks that no command hold all records in memory (peak RSS <= 2 GiB at 2.3 million
cables); this is how each command's figure in ``bench/RESULTS.md`` is taken. The command's
own output is passed through.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _rss import run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", help="what to call the run in the report line")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND ...")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    status, peaks, seconds = run(command)
    curve = ", ".join(f"{mib:,.0f}" for mib in peaks.tenths())
    print(
        f"{args.label or ' '.join(command)}: exit {status}, {seconds:,.1f} s; peak RSS "
        f"{peaks.main / 2**20:,.0f} MiB the command's process, {peaks.largest / 2**20:,.0f} "
        f"MiB its largest process, {peaks.tree / 2**20:,.0f} MiB all its processes "
        f"({peaks.anon / 2**20:,.0f} MiB of it their own, the rest mapped files); "
        f"its process at each tenth of the run (MiB): {curve}",
        flush=True,
    )
    sys.exit(status)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Set up cablegate and run it, on a machine with nothing but Python 3.11+.

    python3 dev.py up [PATH ...]   install, ingest the collection (default: ../shared/corpus when
                                   it is there, else a demo set made here) into the archive
                                   (cablegate.db, or $CABLEGATE_DB), then serve the site on
                                   http://127.0.0.1:8000/ ($CABLEGATE_PORT) until Ctrl-C
    python3 dev.py test [ARGS ...] install, then run the test suite (ARGS go to pytest)

Installing makes ``.venv`` and fills it from the lock file (``uv.lock``) with uv.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
UV_VERSION = "0.13.9"


def run(*cmd: str | Path) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], cwd=ROOT, check=True)


def install() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py may be started by an older python3)
        sys.exit(f"cablegate needs Python 3.11 or newer, this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        venv.create(VENV, with_pip=True)
    if not (BIN / "uv").exists():
        run(BIN / "python", "-m", "pip", "install", "-q", f"uv=={UV_VERSION}")
    run(BIN / "uv", "sync", "--frozen", "--inexact", "--quiet")


def default_collection() -> list[str]:
    corpus = ROOT.parent / "shared" / "corpus"
    if corpus.is_dir():
        return [str(corpus)]
    demo = ROOT / "demo"
    run(BIN / "cablegate", "demo", demo)
    return [str(demo)]


def main(argv: list[str]) -> None:
    command, args = (argv[0], argv[1:]) if argv else ("up", [])
    if command not in {"up", "test"}:
        sys.exit(__doc__)
    install()
    if command == "test":
        run(BIN / "python", "-m", "pytest", "-n", "2", "--dist", "loadgroup", *args)
        return
    paths = args or default_collection()
    db = os.environ.get("CABLEGATE_DB") or f"sqlite:///{ROOT / 'cablegate.db'}"
    print(f"Ingesting {', '.join(paths)} into {db} ...", flush=True)
    os.environ["CABLEGATE_DB"] = db
    result = subprocess.run([str(BIN / "cablegate"), "ingest", *paths], cwd=ROOT)
    if result.returncode not in (0, 1):  # 1: some inputs missing or all quarantined, said above
        sys.exit(result.returncode)
    run(BIN / "cablegate", "stats")
    port = os.environ.get("CABLEGATE_PORT", "8000")
    run(BIN / "cablegate", "serve", "--port", port)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode)

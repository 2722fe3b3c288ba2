#!/usr/bin/env python3
"""Set up cablegate and run it, on a machine with nothing but Python 3.11+.

    python3 dev.py up [PATH ...]   install, ingest the collection (default: ../shared/corpus when
                                   it is there, else a demo set made here) into the archive
                                   (cablegate.db, or $CABLEGATE_DB), then serve the site on
                                   http://127.0.0.1:8000/ ($CABLEGATE_PORT) until Ctrl-C
    python3 dev.py test [ARGS ...] install with the test tools, check lint, formatting and
                                   types (ruff, mypy), then run the test suite (ARGS go to
                                   pytest)

Installing makes ``.venv`` and fills it from the lock file (``uv.lock``) with uv: ``up`` the
runtime only (cablegate, with its ``postgresql`` extra), ``test`` the test tools too (the
``dev`` group). Neither removes what is there already, so ``up`` after ``test`` keeps the
test tools; a fresh ``up`` installs none. Settings are read by cablegate itself (see
``cablegate.settings``, which this file cannot import before it is installed).
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


def install(tests: bool) -> None:
    """The locked packages into ``.venv``: the runtime (PostgreSQL support included: it is
    how servers run), and with ``tests`` the ``dev`` group (pytest, ruff, mypy, ...)."""
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py may be started by an older python3)
        sys.exit(f"cablegate needs Python 3.11 or newer, this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        venv.create(VENV, with_pip=True)
    if not (BIN / "uv").exists():
        run(BIN / "python", "-m", "pip", "install", "-q", f"uv=={UV_VERSION}")
    groups = [] if tests else ["--no-default-groups"]
    # --inexact: what is installed stays (the test tools, when up follows test)
    sync = ["sync", "--frozen", "--inexact", "--quiet", "--extra", "postgresql", *groups]
    run(BIN / "uv", *sync)


def install_runtime() -> None:
    install(tests=False)


def install_tests() -> None:
    install(tests=True)


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
    if command == "test":
        install_tests()
        # The checks first (seconds): lint, formatting, and types (mypy --strict on src/, as
        # pyproject.toml says); any finding fails the run, as a failing test does.
        run(BIN / "ruff", "check", ".")
        run(BIN / "ruff", "format", "--check", ".")
        run(BIN / "mypy")
        run(BIN / "python", "-m", "pytest", "-n", "2", "--dist", "loadgroup", *args)
        return
    install_runtime()
    paths = args or default_collection()
    # The settings CABLEGATE_DB and CABLEGATE_PORT (cablegate.settings, which dev.py cannot
    # import before cablegate is installed): the archive is named here to say where the
    # collection goes; the port, like every other setting, reaches `cablegate serve` through
    # the environment.
    db = os.environ.get("CABLEGATE_DB") or f"sqlite:///{ROOT / 'cablegate.db'}"
    print(f"Ingesting {', '.join(paths)} into {db} ...", flush=True)
    os.environ["CABLEGATE_DB"] = db
    result = subprocess.run([str(BIN / "cablegate"), "ingest", *paths], cwd=ROOT)
    if result.returncode not in (0, 1):  # 1: some inputs missing or all quarantined, said above
        sys.exit(result.returncode)
    run(BIN / "cablegate", "stats")
    run(BIN / "cablegate", "serve")


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode)

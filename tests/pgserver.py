"""A real PostgreSQL server for the tests: the one ``$CABLEGATE_TEST_PG`` names (CI starts
it), or a throwaway cluster started here from the machine's PostgreSQL programs, on
loopback, in a temporary folder, stopped when the tests end."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

ENV_VAR = "CABLEGATE_TEST_PG"


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return versions[-1] if versions else None


def owned_by_server_user(folder: Path) -> list[str]:
    """The prefix that runs PostgreSQL's programs on ``folder`` (PostgreSQL refuses to run
    as root: as root, the folder goes to the ``postgres`` user and they run as it)."""
    if os.geteuid() != 0:
        return []
    shutil.chown(folder, "postgres")
    return ["runuser", "-u", "postgres", "--"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A PostgreSQL server the tests may create databases on."""

    def __init__(self, url: str, stop: list[str] | None = None, folder: Path | None = None):
        self.url = url.rstrip("/")
        self._stop = stop
        self._folder = folder

    @classmethod
    def start(cls, durable: bool = False) -> Server | None:
        """The server of ``$CABLEGATE_TEST_PG``, or a new one (``durable``: with the
        default fsync and commit settings, for benchmarks); None without PostgreSQL."""
        if url := os.environ.get(ENV_VAR):
            return cls(url)
        initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
        if not initdb or not pg_ctl:
            return None
        folder = Path(tempfile.mkdtemp(prefix="cablegate-pg-"))
        as_user = owned_by_server_user(folder)
        data, port = folder / "data", free_port()
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "check": True}
        subprocess.run(
            [
                *as_user,
                initdb,
                "-D",
                data,
                "-U",
                "cablegate",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            **quiet,
        )
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not durable:  # test data need not survive a power cut
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        subprocess.run(
            [*as_user, pg_ctl, "-D", data, "-o", options, "-l", folder / "log", "-w", "start"],
            **quiet,
        )
        stop = [*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"]
        return cls(f"postgresql://cablegate@127.0.0.1:{port}", stop, folder)

    def create_database(self, name: str = "") -> str:
        """A new empty database: its URL."""
        import psycopg

        name = f"t_{name}_{uuid.uuid4().hex[:10]}".lower()
        for attempt in range(50):  # CREATE DATABASE fails while another copies template1
            try:
                with psycopg.connect(f"{self.url}/postgres", autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')
                break
            except psycopg.errors.ObjectInUse:
                time.sleep(0.1 * (attempt + 1))
        return f"{self.url}/{name}"

    def stop(self) -> None:
        if self._stop:
            subprocess.run(self._stop, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if self._folder:
            shutil.rmtree(self._folder, ignore_errors=True)

"""Pools of connections to a PostgreSQL archive, for the web servers.

A server process keeps a pool of connections to read pages through (read-only, each query
limited in time) and one to write through (releases that fall due, the admin routes).
A request borrows a connection from each pool it needs when it first needs it, and gives
all of them back when it is over (:class:`Loans`). A pool holds ``size`` connections at
most; every connection is checked when it is lent, so that one the database server
dropped (after a restart or a failover) is replaced rather than handed out (and then the
pool's idle ones are checked too); a request that gets none within the pool's ``timeout``
fails with :class:`psycopg_pool.PoolTimeout` (:func:`exhausted` tells it: the server
answers 503, try again later).

SQLite archives have no pool: each server thread keeps its own connections to the file.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cablegate.archive.archive import Archive
from cablegate.archive.db import POSTGRES, PostgresConnection
from cablegate.archive.url import POSTGRESQL_MISSING, DatabaseURL, parse_url
from cablegate.errors import CablegateError

try:  # the optional extra cablegate[postgresql]
    import psycopg_pool
except ImportError:  # pragma: no cover
    psycopg_pool = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from psycopg import Connection

log = logging.getLogger("cablegate.archive")
MIN_SIZE = 1
"""Connections a pool of reading connections keeps open when idle (a pool of writing ones
keeps none: it is only needed when a release falls due, and by the admin routes)."""
CHECKOUT_TIMEOUT = 10.0
"""Seconds a request waits for a free connection (then the server answers 503)."""
CONNECT_TIMEOUT = 30
"""Seconds to wait for the database server when opening a connection (as
:meth:`cablegate.archive.db.Postgres.connect` does)."""


class ArchivePool:
    """Up to ``size`` connections to the PostgreSQL archive at ``url``, lent as
    :class:`Archive` objects (:meth:`borrow`, :meth:`give_back`). ``read_only``: connections
    that cannot write, their queries stopped after ``statement_timeout`` seconds (None: no
    limit); ``timeout``: seconds to wait for a free connection. Opened when first used (so
    that a process that forks after making it starts its threads and connections in the
    child); :meth:`close` closes every connection (and a later :meth:`borrow` opens it
    again)."""

    def __init__(
        self,
        url: str | Path | DatabaseURL,
        size: int,
        *,
        read_only: bool = False,
        statement_timeout: float | None = None,
        timeout: float = CHECKOUT_TIMEOUT,
        name: str = "cablegate",
    ) -> None:
        self.url = url if isinstance(url, DatabaseURL) else parse_url(url)
        if self.url.backend != "postgresql":
            raise ValueError(f"{self.url.safe()}: only a PostgreSQL archive has a pool")
        if psycopg_pool is None:  # pragma: no cover
            raise CablegateError(POSTGRESQL_MISSING.format(url=self.url.safe()))
        if size < 1:
            raise ValueError(f"a pool of {size} connections: give 1 or more")
        self.size = size
        self.read_only = read_only
        self.timeout = timeout
        options = []
        if read_only:  # as Postgres.connect opens a read-only connection
            options.append("-c default_transaction_read_only=on")
        if statement_timeout is not None:  # set once, rather than at each request
            options.append(f"-c statement_timeout={max(1, round(statement_timeout * 1000))}")
        kwargs: dict[str, Any] = {
            "autocommit": True,  # transactions are explicit, as everywhere in the archive
            "connect_timeout": CONNECT_TIMEOUT,
            "application_name": name,  # what pg_stat_activity shows of it
        }
        if options:
            kwargs["options"] = " ".join(options)
        self._kwargs = kwargs
        self.name = name
        self._pool: psycopg_pool.ConnectionPool[Connection[Any]] | None = None
        self._open_lock = threading.Lock()

    def _opened(self) -> psycopg_pool.ConnectionPool[Connection[Any]]:
        pool = self._pool
        if pool is not None:
            return pool
        with self._open_lock:
            if self._pool is None:
                self._pool = psycopg_pool.ConnectionPool(
                    self.url.target.replace("postgresql+psycopg://", "postgresql://", 1),
                    kwargs=self._kwargs,
                    min_size=min(MIN_SIZE, self.size) if self.read_only else 0,
                    max_size=self.size,
                    # (no check=: borrow() checks, without the pool's backoff)
                    timeout=self.timeout,
                    open=False,
                    name=self.name,
                )
                self._pool.open(wait=False)
            return self._pool

    def borrow(self) -> Archive:
        """A connection of the pool, as an archive: closing it (:meth:`Archive.close`, or
        :meth:`give_back`) gives it back. Waits up to ``timeout`` seconds for one, then
        raises :class:`psycopg_pool.PoolTimeout`."""
        pool = self._opened()
        deadline = time.monotonic() + self.timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                raw = pool.getconn(timeout=left)
            except psycopg_pool.PoolTimeout:
                break
            # Checked before it is lent (a round trip), as the pool's check= would, but
            # without its pause between failed checks (1, 2, 4 ... s), which made the
            # first request after a database restart wait for each dropped connection.
            try:
                psycopg_pool.ConnectionPool.check_connection(raw)
            except BaseException as exc:
                pool.putconn(raw)  # broken: closed, and another one opened
                if not isinstance(exc, Exception):
                    raise
                log.warning("a connection to %s was lost: %s", self.url.safe(), exc)
                pool.check()  # the idle ones were likely dropped too: replace them now
                continue
            return Archive(self.url, LentConnection(raw, pool), POSTGRES)
        raise psycopg_pool.PoolTimeout(
            f"no connection to the archive came free within {self.timeout:g} s (all "
            f"{self.size} in use, or the database server cannot be reached)"
        )

    def give_back(self, archive: Archive) -> None:
        """Return a connection :meth:`borrow` lent (a broken one is closed and replaced;
        one left in a transaction is rolled back)."""
        archive.close()

    def stats(self) -> dict[str, int]:
        """psycopg_pool's counters (``pool_size``, ``pool_available``, ``requests_num`` ...);
        empty before the pool is first used."""
        pool = self._pool
        return pool.get_stats() if pool is not None else {}

    def close(self) -> None:
        """Close the pool and its connections (those lent are closed when given back)."""
        with self._open_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close(timeout=5.0)


class LentConnection(PostgresConnection):
    """A connection of a pool: :meth:`close` gives it back to the pool it came from."""

    def __init__(self, raw: Connection[Any], pool: psycopg_pool.ConnectionPool[Any]) -> None:
        super().__init__(raw)
        self._pool: psycopg_pool.ConnectionPool[Any] | None = pool

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:  # (once)
            pool.putconn(self.raw)


class Loans:
    """The connections one request borrowed (at most one from each pool, lent again to
    whatever in the request asks for it), given back together when it is over."""

    def __init__(self) -> None:
        self._held: dict[ArchivePool, Archive] = {}
        self._lock = threading.Lock()

    def get(self, pool: ArchivePool) -> Archive:
        """The request's connection from ``pool``, borrowed the first time it is asked for."""
        with self._lock:
            found = self._held.get(pool)
            if found is None:
                found = self._held[pool] = pool.borrow()
            return found

    def give_back(self) -> None:
        """Give every connection back to its pool."""
        with self._lock:
            held, self._held = self._held, {}
        for pool, archive in held.items():
            try:
                pool.give_back(archive)
            except Exception:  # the others are still given back
                log.exception("cannot give a connection back to its pool")

    def __len__(self) -> int:
        return len(self._held)


def exhausted(error: BaseException) -> bool:
    """Whether an error is a request that got no connection in time (:meth:`borrow`)."""
    return psycopg_pool is not None and isinstance(error, psycopg_pool.PoolTimeout)

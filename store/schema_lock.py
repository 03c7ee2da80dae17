"""A lock held in ClickHouse itself around migrating, so that collectors starting together apply
each migration once.

The lock is the table `schema_migrations_lock`, created without IF NOT EXISTS: DDL is atomic on one
server, so of several CREATEs one succeeds and the others fail. On a cluster the same DDL runs
`ON CLUSTER`: the distributed DDL queue in Keeper puts the CREATEs in one order that every node
follows, so the same one wins on every node. The table's comment names the holder and when it last
renewed the lock (the server's clock); the holder renews it every TTL / 6 from a thread while it
migrates. A lock not renewed for TTL was left by a process that stopped: a waiter renames it aside,
to a name made of its holder and time so that only one waiter can, and takes its place. In the
embedded store one process owns the data directory, so a lock held by no thread of this process was
left by a crash and is taken at once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import socket
import threading
import time
from types import TracebackType

from footfall.store.client import Store

log = logging.getLogger("footfall.migrations")

TABLE = "schema_migrations_lock"
TTL = 180.0  # seconds without a renewal after which the lock is taken over
STALE_KEPT = 3600.0  # seconds a lock renamed aside is kept before it is dropped
_COMMENT = re.compile(r"^footfall migrations held by (\S+) renewed (\d+)$")
_STALE = re.compile(rf"^{TABLE}_stale_(\d+)_[0-9a-f]+$")
_HELD: set[str] = set()  # the holders in this process: its threads' locks are not left by a crash


class LockLost(RuntimeError):
    """Another process took the lock over: this one stopped renewing it for longer than TTL."""


class LockTimeout(TimeoutError):
    """The lock stayed held by a live holder for longer than the caller would wait."""


def owner_id() -> str:
    host = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname())[:64] or "host"
    return f"{host}:{os.getpid()}:{secrets.token_hex(4)}"


def comment(owner: str, renewed_ms: int) -> str:
    return f"footfall migrations held by {owner} renewed {renewed_ms}"


def create_sql(database: str, cluster: str, text: str) -> str:
    return f"CREATE TABLE {database}.{TABLE}{_on(cluster)} (owner String) ENGINE = Memory COMMENT '{text}'"


def renew_sql(database: str, cluster: str, text: str) -> str:
    return f"ALTER TABLE {database}.{TABLE}{_on(cluster)} MODIFY COMMENT '{text}'"


def rename_sql(database: str, cluster: str, aside: str) -> str:
    return f"RENAME TABLE {database}.{TABLE} TO {database}.{aside}{_on(cluster)}"


def drop_sql(database: str, cluster: str, name: str = TABLE) -> str:
    return f"DROP TABLE IF EXISTS {database}.{name}{_on(cluster)} SYNC"


def _on(cluster: str) -> str:
    return f" ON CLUSTER {cluster}" if cluster else ""


def _exists_error(exc: Exception) -> bool:
    text = str(exc)
    return "TABLE_ALREADY_EXISTS" in text or "Code: 57." in text


class SchemaLock:
    """`with SchemaLock(store, database):` holds the lock; `check()` raises once it was lost."""

    def __init__(self, store: Store, database: str, *, ttl: float = TTL, exclusive: bool | None = None,
                 poll: float = 0.5) -> None:
        self.store = store
        self.database = database
        self.cluster = store.cluster
        self.ttl = ttl
        self.exclusive = store.embedded if exclusive is None else exclusive
        self.poll = poll
        self.owner = owner_id()
        self.lost = False
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def __enter__(self) -> SchemaLock:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

    # -- the lock's state, read from the store ----------------------------------------------
    def holder(self) -> tuple[str, int, int] | None:
        """(holder, renewed, now) in server milliseconds, or None when nobody holds the lock."""
        rows = self.store.rows(
            "SELECT comment, toUnixTimestamp64Milli(now64(3)) FROM system.tables "
            "WHERE database = {db:String} AND name = {name:String}", {"db": self.database, "name": TABLE})
        if not rows:
            return None
        text, now = rows[0]
        found = _COMMENT.match(text)
        return (found.group(1), int(found.group(2)), int(now)) if found else ("unknown", 0, int(now))

    def now_ms(self) -> int:
        return int(self.store.scalar("SELECT toUnixTimestamp64Milli(now64(3))"))

    # -- taking and giving back ---------------------------------------------------------------
    def acquire(self, timeout: float | None = None) -> None:
        """Wait for the lock (without end by default), taking over one its holder stopped renewing."""
        start = time.monotonic()
        next_note = 0.0
        while not self._try_create():
            found = self.holder()
            if found is None:
                continue  # released since the CREATE failed
            holder, renewed, now = found
            if self._abandoned(holder, renewed, now):
                self._take_over(holder, renewed, now)
                continue
            waited = time.monotonic() - start
            if timeout is not None and waited >= timeout:
                raise LockTimeout(f"schema lock held by {holder} for {waited:.0f} s")
            if waited >= next_note:
                next_note = waited + 30
                log.info("schema lock: waiting for %s, which migrates (renewed %.0f s ago)",
                         holder, (now - renewed) / 1000)
            time.sleep(self.poll)
        log.info("schema lock: taken by %s", self.owner)
        self._beat = threading.Thread(target=self._renewing, name="schema-lock", daemon=True)
        self._beat.start()

    def _try_create(self) -> bool:
        _HELD.add(self.owner)  # before the CREATE: another thread may read the comment at once
        try:
            self.store.command(create_sql(self.database, self.cluster, comment(self.owner, self.now_ms())))
        except Exception as exc:
            _HELD.discard(self.owner)
            if _exists_error(exc):
                return False
            raise
        return True

    def _abandoned(self, holder: str, renewed: int, now: int) -> bool:
        if self.exclusive and holder not in _HELD:
            return True  # the embedded store is this process's alone: its holder crashed
        return now - renewed > self.ttl * 1000

    def _take_over(self, holder: str, renewed: int, now: int) -> None:
        digest = hashlib.sha256(f"{holder} {renewed}".encode()).hexdigest()[:12]
        aside = f"{TABLE}_stale_{renewed}_{digest}"
        try:  # fails when another waiter renamed this same lock first, or its holder let go
            self.store.command(rename_sql(self.database, self.cluster, aside))
        except Exception as exc:
            log.debug("schema lock: not taken over: %s", exc)
            return
        log.warning("schema lock: %s stopped renewing it %.0f s ago; taken over, left as %s",
                    holder, (now - renewed) / 1000, aside)

    def renew(self) -> None:
        found = self.holder()
        if found is None or found[0] != self.owner:
            raise LockLost(f"schema lock of {self.owner} is now {found[0] if found else 'free'}")
        self.store.command(renew_sql(self.database, self.cluster, comment(self.owner, found[2])))

    def _renewing(self) -> None:
        while not self._stop.wait(self.ttl / 6):
            try:
                self.renew()
            except LockLost as exc:
                self.lost = True
                log.error("%s", exc)
                return
            except Exception:
                log.warning("schema lock: renewal failed, retrying", exc_info=True)

    def check(self) -> None:
        """Raise LockLost if another process took the lock over (this one then stops migrating)."""
        if self.lost:
            raise LockLost(f"schema lock of {self.owner} was taken over")

    def release(self) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join()
        try:
            found = self.holder()
            if found is not None and found[0] == self.owner:
                self.store.command(drop_sql(self.database, self.cluster))
                log.info("schema lock: released by %s", self.owner)
        finally:
            _HELD.discard(self.owner)
        try:
            self._drop_old_stale()
        except Exception:
            log.warning("schema lock: could not drop old stale locks", exc_info=True)

    def _drop_old_stale(self) -> None:
        """Locks renamed aside long enough ago that no waiter can still be renaming the same one."""
        now = self.now_ms()
        rows = self.store.rows("SELECT name FROM system.tables WHERE database = {db:String} "
                               "AND startsWith(name, {prefix:String})",
                               {"db": self.database, "prefix": f"{TABLE}_stale_"})
        for (name,) in rows:
            renewed = _STALE.match(name)
            if renewed and now - int(renewed.group(1)) > (self.ttl + STALE_KEPT) * 1000:
                self.store.command(drop_sql(self.database, self.cluster, name))

"""Moves sealed spool segments into ClickHouse, oldest first, and deletes each only after success.

Each segment is one insert per inbox table (see frames.py); ClickHouse's materialized views
make the rows, then the session index is refreshed for the sessions the segment touched.
At-least-once: a crash between insert and delete replays the segment on start, and the
per-segment insert deduplication token, which ClickHouse carries into every view's target
table, makes it store the rows once (the index refresh is simply done again).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from analysis import session_index

from ..store import Store
from . import frames
from .spool import Spool

log = logging.getLogger("footfall.writer")

MAX_BACKOFF = 10.0
# A segment whose data the store keeps refusing as unreadable is set aside, not retried forever:
# one bad segment must not stop every later one. It is kept for an operator to inspect. Any
# other failure (store down, table missing, disk full) is retried until it clears.
QUARANTINE_AFTER = 5
QUARANTINE = "quarantine"
DATA_ERRORS = ("CANNOT_PARSE", "INCORRECT_DATA", "TYPE_MISMATCH", "CANNOT_READ")


def is_data_error(exc: BaseException) -> bool:
    return any(code in str(exc) for code in DATA_ERRORS)


def land(store: Store, payloads: list[bytes], token: str) -> None:
    """Store one segment's frames, then index the sessions they touched. Everything is safe to
    repeat with the same token (a replayed segment)."""
    insert_frames(store, payloads, token)
    index_frames(store, payloads)


def insert_frames(store: Store, payloads: list[bytes], token: str) -> None:
    """One insert per inbox table; the materialized views make the rows."""
    for table, lines in sorted(frames.blocks(payloads).items()):
        store.insert_json(table, lines, f"{token}:{table}")


def index_frames(store: Store, payloads: list[bytes]) -> int:
    """Recompute the session index rows of every session the frames belong to; how many."""
    touched = session_index.Touched()
    for key in frames.keys(payloads):
        touched.add(key.site, key.sid, key.srv_received)
    return session_index.refresh(store, touched)


class Writer:
    def __init__(self, spool: Spool, store: Store, collector_id: str) -> None:
        self.spool = spool
        self.store = store
        self.collector_id = collector_id
        self.written_segments = 0
        self.failures = 0
        self.quarantined = 0
        self._attempts: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def insert_segment(self, path: Path) -> None:
        land(self.store, Spool.read(path), f"{self.collector_id}:{path.stem}")

    async def write_pending(self) -> None:
        """Write every sealed segment; raises on the first failure, keeping that segment."""
        for path in self.spool.sealed():
            try:
                await self.store.run(self.insert_segment, path)
            except Exception as exc:
                if is_data_error(exc) and await self._should_quarantine(path):
                    continue
                raise
            self._attempts.pop(path.name, None)
            self.spool.release(await self.store.run(Spool.discard, path))
            self.written_segments += 1

    async def _should_quarantine(self, path: Path) -> bool:
        attempts = self._attempts[path.name] = self._attempts.get(path.name, 0) + 1
        if attempts < QUARANTINE_AFTER:
            return False
        try:
            await self.store.run(self.store.scalar, "SELECT 1")
        except Exception:
            return False  # the store is down: every segment would fail, keep retrying
        target = self.spool.directory / QUARANTINE
        target.mkdir(exist_ok=True)
        self.spool.release(await self.store.run(Spool.discard, path, target))
        self._attempts.pop(path.name, None)
        self.quarantined += 1
        log.error("writer: %s refused %d times by a healthy store; moved to %s", path.name, attempts, target)
        return True

    async def run(self) -> None:
        backoff = 0.1
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.5):
                    await self.spool.sealed_event.wait()
            self.spool.sealed_event.clear()
            try:
                await self.write_pending()
                backoff = 0.1
            except Exception as exc:  # the store is down or refusing: keep the segment, retry later
                self.failures += 1
                log.warning("writer: insert failed, retrying in %.1fs: %s", backoff, exc)
                await asyncio.sleep(backoff)
                backoff = min(MAX_BACKOFF, backoff * 2)
                self.spool.sealed_event.set()
                continue
            if self._stopping:
                return

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.run(), name="spool-writer")

    async def stop(self, timeout: float = 30.0) -> None:
        """Drain what is sealed (the spool was closed first), then stop; leftovers wait for the next start."""
        self._stopping = True
        self.spool.sealed_event.set()
        if self._task is None:
            return
        done, _ = await asyncio.wait({self._task}, timeout=timeout)
        if not done:
            log.warning("writer: store not draining; the rest stays in the spool for the next start")
            self._task.cancel()

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
from collections.abc import Callable, Sequence
from pathlib import Path

from clickhouse_connect.driver.exceptions import OperationalError

from footfall.collector import frames
from footfall.collector.rejection import Counters
from footfall.collector.spool import Spool
from footfall.store import Store

log = logging.getLogger("footfall.writer")

MAX_BACKOFF = 10.0
# Why an insert failed decides what happens to its segment. A failure retrying can cure (the store
# down, overloaded, a table missing while migrations run, a full disk) is retried, in order, for as
# long as it lasts. A failure no retry cures (data the store cannot read, rows over more partitions
# than one insert may touch) sets the segment aside in the dead-letter folder after a second try
# with a healthy store, so one bad segment never stops the ones behind it; `footfall spool retry`
# puts it back. A failure of neither kind is retried UNKNOWN_ATTEMPTS times first.
DEAD_LETTER = "dead-letter"
PERMANENT = ("CANNOT_PARSE", "INCORRECT_DATA", "TYPE_MISMATCH", "CANNOT_READ", "Too many partitions for single INSERT",
             "TOO_MANY_PARTITIONS", "ILLEGAL_TYPE_OF_ARGUMENT", "VALUE_IS_OUT_OF_RANGE", "ARGUMENT_OUT_OF_BOUND")
TRANSIENT = ("TOO_MANY_PARTS", "MEMORY_LIMIT_EXCEEDED", "TIMEOUT_EXCEEDED", "TOO_MANY_SIMULTANEOUS_QUERIES",
             "NETWORK_ERROR", "SOCKET_TIMEOUT", "TABLE_IS_READ_ONLY", "READONLY", "KEEPER_EXCEPTION",
             "ALL_CONNECTION_TRIES_FAILED", "UNKNOWN_TABLE", "NOT_ENOUGH_SPACE", "ABORTED", "QUERY_WAS_CANCELLED",
             "Connection refused", "timed out")
ATTEMPTS = {"permanent": 2, "unknown": 8}


def failure_class(exc: BaseException) -> str:
    """permanent, transient or unknown (see above)."""
    text = str(exc)
    if any(code in text for code in PERMANENT):
        return "permanent"
    if isinstance(exc, OSError | TimeoutError | OperationalError) or any(code in text for code in TRANSIENT):
        return "transient"
    return "unknown"


# Called after a segment's rows are in the store, with the sessions it touched as (site, session id,
# receive time in ms): the readers that keep their own tables up to date (the session index) register
# here, so ingestion imports none of them. Each must be safe to repeat for a replayed segment.
AfterLanding = Callable[[Store, list[tuple[str, str, int]]], object]


def land(store: Store, payloads: list[bytes], token: str, after: Sequence[AfterLanding] = ()) -> None:
    """Store one segment's frames, then tell the registered readers which sessions they touched.
    Everything is safe to repeat with the same token (a replayed segment)."""
    insert_frames(store, payloads, token)
    if after:
        touched = sessions_of(payloads)
        for hook in after:
            hook(store, touched)


def insert_frames(store: Store, payloads: list[bytes], token: str) -> None:
    """One insert per inbox table; the materialized views make the rows."""
    for table, lines in sorted(frames.blocks(payloads).items()):
        store.insert_json(table, lines, f"{token}:{table}")


def sessions_of(payloads: list[bytes]) -> list[tuple[str, str, int]]:
    """The (site, session id, receive time) of every frame."""
    return [(key.site, key.sid, key.srv_received) for key in frames.keys(payloads)]


class Writer:
    def __init__(self, spool: Spool, store: Store, collector_id: str, counters: Counters | None = None,
                 on_written: Callable[[list[bytes]], None] | None = None, after: Sequence[AfterLanding] = ()) -> None:
        self.spool = spool
        self.after = tuple(after)
        self.store = store
        self.collector_id = collector_id
        self.counters = counters or Counters()
        self.on_written = on_written  # called with a segment's frames once they are stored, before it goes
        self.written_segments = 0
        self.failures = 0
        self.dead_lettered = 0
        self._attempts: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def insert_segment(self, path: Path) -> None:
        payloads = Spool.read(path)
        land(self.store, payloads, f"{self.collector_id}:{path.stem}", self.after)
        if self.on_written:
            self.on_written(payloads)

    async def write_pending(self) -> None:
        """Write every sealed segment; raises on the first failure, keeping that segment."""
        for path in self.spool.sealed():
            try:
                await self.store.run(self.insert_segment, path)
            except Exception as exc:
                kind = failure_class(exc)
                self.counters.add(f"writer.failed.{kind}")
                if kind != "transient" and await self._dead_letter(path, kind, exc):
                    continue
                raise
            self._attempts.pop(path.name, None)
            self.spool.release(await self.store.run(Spool.discard, path))
            self.written_segments += 1

    async def _dead_letter(self, path: Path, kind: str, exc: Exception) -> bool:
        """Set the segment aside once it has failed often enough with a healthy store."""
        attempts = self._attempts[path.name] = self._attempts.get(path.name, 0) + 1
        if attempts < ATTEMPTS[kind]:
            return False
        try:
            await self.store.run(self.store.scalar, "SELECT 1")
        except Exception:
            return False  # the store is down: every segment would fail, keep retrying
        target = self.spool.directory / DEAD_LETTER
        target.mkdir(exist_ok=True)
        self.spool.release(await self.store.run(Spool.discard, path, target))
        self._attempts.pop(path.name, None)
        self.dead_lettered += 1
        self.counters.add("writer.dead_lettered")
        log.error("writer: segment %s failed %d times (%s: %s); set aside in %s so later data is written. "
                  "Fix the cause, then run `footfall spool retry`.", path.name, attempts, kind,
                  str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__, target)
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

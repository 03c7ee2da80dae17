"""The write-ahead log: append-only segment files, group-committed fsync, sealed for the writer.

A batch is answered 202 only after the fsync that covers its frame returns. Each frame is
`length:u32 crc32:u32 payload`, so a torn tail left by a crash is found and cut off on start.
With fsync on, frames wait in memory for the commit thread, which writes all of them with one
system call and then fsyncs: the event loop makes no disk call per request. With fsync off,
each frame is written at once, so a killed process still loses nothing it answered.
A segment is `.open` while appended to and renamed `.seg` once sealed (fsynced, closed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import struct
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger("footfall.spool")

FRAME = struct.Struct("<II")
OPEN, SEALED = ".open", ".seg"
COMMITS_IN_FLIGHT = 2


class SpoolFull(Exception):
    """Over quota: the caller answers 503 with Retry-After."""


def frames(data: bytes) -> Iterator[bytes]:
    """Complete, intact frames in order; stops at the first torn or corrupt one."""
    offset, end = 0, len(data)
    while offset + FRAME.size <= end:
        length, crc = FRAME.unpack_from(data, offset)
        start = offset + FRAME.size
        payload = data[start : start + length]
        if len(payload) < length or zlib.crc32(payload) != crc:
            return
        yield payload
        offset = start + length


def valid_length(data: bytes) -> int:
    return sum(FRAME.size + len(p) for p in frames(data))


def _write(fd: int, data: bytes) -> None:
    if os.write(fd, data) != len(data):  # a short write on a regular file means the disk is full
        raise OSError("short write to spool")


class Segment:
    def __init__(self, directory: Path) -> None:
        self.name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:12]}"
        self.path = directory / (self.name + OPEN)
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.created = time.monotonic()
        self.rows = 0
        self.bytes = 0
        self.pending: list[bytes] = []  # frames the commit thread has yet to write
        self.waiters: list[asyncio.Future[None]] = []


class Spool:
    def __init__(
        self,
        directory: Path,
        *,
        fsync: bool = True,
        fsync_interval: float = 0.002,
        quota_bytes: int = 256 * 2**20,
        seal_rows: int = 5000,
        seal_age: float = 1.0,
    ) -> None:
        self.directory = directory
        self.fsync = fsync
        self.fsync_interval = fsync_interval
        self.quota_bytes = quota_bytes
        self.seal_rows = seal_rows
        self.seal_age = seal_age
        self.size = 0
        self._current: Segment | None = None
        self._wake = asyncio.Event()
        self.sealed_event = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._turns = 0  # commits started
        self._written_turns = 0  # commits whose frames are in the file (or failed)
        self._order = threading.Condition()

    # -- start and recovery ------------------------------------------------
    def recover(self) -> None:
        """Seal segments a previous process left open, cutting any torn tail."""
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        for path in sorted(self.directory.glob("*" + OPEN)):
            data = path.read_bytes()
            keep = valid_length(data)
            if keep < len(data):
                log.warning("spool: cut %d torn bytes from %s", len(data) - keep, path.name)
                with open(path, "r+b") as fh:
                    fh.truncate(keep)
                    fh.flush()
                    os.fsync(fh.fileno())
            if keep == 0:
                path.unlink()
            else:
                path.rename(path.with_suffix(SEALED))
        self._fsync_dir()
        self.size = sum(p.stat().st_size for p in self.directory.glob("*" + SEALED))

    def start(self) -> None:
        self.recover()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="spool-commit")

    async def close(self) -> None:
        """Seal what is open; afterwards every accepted frame is in a sealed segment."""
        self._closing = True
        self._wake.set()
        if self._task:
            await self._task
        self.sealed_event.set()

    # -- appending -----------------------------------------------------------
    def full(self) -> bool:
        return self.size >= self.quota_bytes

    async def append(self, payload: bytes, rows: int) -> None:
        if self._closing:
            raise SpoolFull("shutting down")
        if self.full():
            raise SpoolFull(f"spool holds {self.size} bytes, quota {self.quota_bytes}")
        segment = self._current or self._open()
        frame = FRAME.pack(len(payload), zlib.crc32(payload)) + payload
        if self.fsync:
            segment.pending.append(frame)
        else:
            _write(segment.fd, frame)
        segment.rows += rows
        segment.bytes += len(frame)
        self.size += len(frame)
        if segment.rows >= self.seal_rows:
            self._wake.set()
        if not self.fsync:
            return
        waiter = asyncio.get_running_loop().create_future()
        segment.waiters.append(waiter)
        self._wake.set()
        await waiter

    def _open(self) -> Segment:
        self._current = Segment(self.directory)
        self._wake.set()  # the commit loop now has an age deadline to keep
        return self._current

    # -- the commit loop -------------------------------------------------------
    async def _run(self) -> None:
        """Start a commit whenever frames wait, with up to COMMITS_IN_FLIGHT at once.

        A second commit may start while the first is in fdatasync: a request then waits for
        about one fsync, not for the one in progress and then its own. Writes still reach the
        file in the order the commits started (`_write_in_turn`).
        """
        in_flight: set[asyncio.Task[None]] = set()
        while True:
            segment = self._current
            timeout = None
            if segment is not None:
                timeout = max(0.0, segment.created + self.seal_age - time.monotonic())
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
            self._wake.clear()
            segment = self._current
            if segment is None:
                if self._closing:
                    await asyncio.gather(*in_flight)
                    return
                continue
            if segment.waiters and self.fsync_interval > 0:
                await asyncio.sleep(self.fsync_interval)  # let more batches join this commit
            seal = (
                self._closing
                or segment.rows >= self.seal_rows
                or time.monotonic() - segment.created >= self.seal_age
            )
            if seal:
                self._current = None
                await asyncio.gather(*in_flight)  # nothing may touch the file once it is closed
            elif len(in_flight) >= COMMITS_IN_FLIGHT:
                await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            if not (segment.waiters or segment.pending or seal):
                continue
            task = asyncio.get_running_loop().create_task(self._commit_group(segment, seal))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
            if seal:
                await task
                if self._closing and self._current is None:
                    await asyncio.gather(*in_flight)
                    return
            elif segment.waiters or segment.pending:
                self._wake.set()  # frames arrived while this one was waiting for a slot

    async def _commit_group(self, segment: Segment, seal: bool) -> None:
        waiters, segment.waiters = segment.waiters, []
        pending, segment.pending = segment.pending, []
        turn = self._turns
        self._turns += 1
        try:
            await asyncio.get_running_loop().run_in_executor(
                None, self._commit, segment, pending, seal, turn)
        except Exception as exc:
            log.exception("spool: commit failed")
            for w in waiters:
                if not w.done():
                    w.set_exception(exc)
            return
        for w in waiters:
            if not w.done():
                w.set_result(None)
        if seal:
            self.sealed_event.set()

    def _write_in_turn(self, segment: Segment, pending: list[bytes], turn: int) -> None:
        """Append the frames after those of every earlier commit; cut them off again if the
        write fails, so no later frame follows a torn one."""
        with self._order:
            self._order.wait_for(lambda: self._written_turns == turn)
            try:
                if pending:
                    start = os.lseek(segment.fd, 0, os.SEEK_END)
                    try:
                        _write(segment.fd, b"".join(pending))
                    except OSError:
                        os.ftruncate(segment.fd, start)
                        raise
            finally:
                self._written_turns += 1
                self._order.notify_all()

    def _commit(self, segment: Segment, pending: list[bytes], seal: bool, turn: int) -> None:
        self._write_in_turn(segment, pending, turn)
        if self.fsync or seal:
            os.fdatasync(segment.fd)  # the data and the file size, which is all a reader needs
        if seal:
            os.close(segment.fd)
            segment.path.rename(segment.path.with_suffix(SEALED))
            self._fsync_dir()

    def _fsync_dir(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    # -- for the writer --------------------------------------------------------
    def sealed(self) -> list[Path]:
        return sorted(self.directory.glob("*" + SEALED))

    def lag(self) -> float:
        """Seconds since the oldest frame not yet in the store arrived, 0 when none waits: how far the
        writer is behind (a segment is named by when its first frame came, and goes once written)."""
        waiting = self.sealed()[:1] or ([self._current.path] if self._current else [])
        born = waiting[0].name.partition("-")[0] if waiting else ""
        return max(0.0, time.time() - int(born) / 1e9) if born.isdigit() else 0.0

    @staticmethod
    def discard(path: Path, folder: Path | None = None) -> int:
        """Delete (or move aside) a written segment; safe off the event loop. Returns its size."""
        size = path.stat().st_size
        if folder is None:
            path.unlink()
        else:
            path.rename(folder / path.name)
        return size

    def release(self, size: int) -> None:
        """Account for a discarded segment; called on the event loop, which owns `size`."""
        self.size = max(0, self.size - size)

    @staticmethod
    def read(path: Path) -> list[bytes]:
        return list(frames(path.read_bytes()))

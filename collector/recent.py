"""Batch ids seen lately, so a batch resent with the same `id` is stored once, also after a restart.

A batch made durable whose 202 was lost (the process killed in between) is resent by the
snippet with the same id. Its id is then either in a segment not yet written (read back at start)
or, once the segment is stored, in `<data>/recent-batch-ids`, to which the writer appends a
segment's ids before it deletes the segment. Either way the restarted collector knows it.
Keys are plain strings, which the garbage collector does not track.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
from collections.abc import Iterable
from pathlib import Path

import msgspec

from footfall.collector.frames import BATCH
from footfall.collector.spool import Spool

log = logging.getLogger("footfall.ingest")


class _BatchId(msgspec.Struct):
    site: str
    id: str | None = None


_ids = msgspec.json.Decoder(_BatchId).decode


def batch_keys(payloads: Iterable[bytes]) -> list[str]:
    """The dedup keys of a segment's batch frames."""
    keys = []
    for payload in payloads:
        if payload[:1] == BATCH:
            found = _ids(payload[1:])
            if found.id:
                keys.append(f"{found.site}\x00{found.id}")
    return keys


class RecentIds:
    def __init__(self, size: int = 50_000, path: Path | None = None) -> None:
        self.size = size
        self.path = path
        self.ids: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._lines = 0  # lines in the file, to know when to compact it

    def __contains__(self, key: str) -> bool:
        return key in self.ids

    def add(self, key: str) -> None:
        self.ids[key] = None
        if len(self.ids) > self.size:
            self.ids.popitem(last=False)

    def discard(self, key: str) -> None:
        self.ids.pop(key, None)

    # -- across restarts ---------------------------------------------------------------
    def load(self, segments: Iterable[Path]) -> int:
        """At start: the ids of stored batches, then those of segments still waiting."""
        keys: list[str] = []
        if self.path and self.path.exists():
            lines = self.path.read_bytes().split(b"\n")
            self._lines = len(lines)
            keys += [line.decode("utf-8", "replace") for line in lines if b"\x00" in line]
        for segment in segments:
            with contextlib.suppress(OSError, msgspec.DecodeError, msgspec.ValidationError):
                keys += batch_keys(Spool.read(segment))
        for key in keys[-self.size:]:
            self.add(key)
        return len(self.ids)

    def stored(self, payloads: list[bytes]) -> None:
        """A segment is in the store and about to be deleted: its ids go to the file first.
        Runs on the writer's thread, one segment at a time."""
        if self.path is None:
            return
        keys = batch_keys(payloads)
        if not keys:
            return
        data = "".join(f"{k}\n" for k in keys).encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, data)
            os.fdatasync(fd)
        finally:
            os.close(fd)
        self._lines += len(keys)
        if self._lines > 2 * self.size:
            self._compact()

    def _compact(self) -> None:
        """Keep the newest `size` ids: written aside, synced, then renamed over the file."""
        assert self.path is not None
        lines = [line for line in self.path.read_bytes().split(b"\n") if b"\x00" in line][-self.size:]
        temporary = self.path.with_suffix(".new")
        with open(temporary, "wb") as fh:
            fh.write(b"".join(line + b"\n" for line in lines))
            fh.flush()
            os.fsync(fh.fileno())
        temporary.replace(self.path)
        self._lines = len(lines)

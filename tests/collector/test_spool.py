"""The spool: frames survive, torn tails are cut, sealing and quota behave."""

from __future__ import annotations

import asyncio
import os
import zlib
from pathlib import Path

import pytest

from footfall.collector.spool import FRAME, OPEN, SEALED, Spool, SpoolFull, frames


def frame(payload: bytes) -> bytes:
    return FRAME.pack(len(payload), zlib.crc32(payload)) + payload


def test_frames_stop_at_a_torn_tail() -> None:
    data = frame(b"one") + frame(b"two") + frame(b"three")[:-2]
    assert list(frames(data)) == [b"one", b"two"]


def test_frames_stop_at_a_corrupt_frame() -> None:
    bad = bytearray(frame(b"two"))
    bad[-1] ^= 0xFF
    assert list(frames(frame(b"one") + bytes(bad) + frame(b"three"))) == [b"one"]


def test_recover_seals_open_segments_and_cuts_torn_bytes(tmp_path: Path) -> None:
    (tmp_path / ("0001-a" + OPEN)).write_bytes(frame(b"kept") + b"\x05\x00")
    (tmp_path / ("0002-b" + OPEN)).write_bytes(b"\x01")  # nothing whole: removed
    spool = Spool(tmp_path)
    spool.recover()
    sealed = spool.sealed()
    assert [p.name for p in sealed] == ["0001-a" + SEALED]
    assert Spool.read(sealed[0]) == [b"kept"]
    assert spool.size == sealed[0].stat().st_size


def run(coro):  # noqa: ANN001, ANN201
    return asyncio.run(coro)


def test_append_is_durable_then_sealed_by_rows(tmp_path: Path) -> None:
    async def scenario() -> list[list[bytes]]:
        spool = Spool(tmp_path, seal_rows=3, seal_age=60)
        spool.start()
        await asyncio.gather(*(spool.append(f"row{i}".encode(), 1) for i in range(3)))
        for _ in range(6000):  # a minute at most
            if spool.sealed():
                break
            await asyncio.sleep(0.01)
        await spool.close()
        return [Spool.read(p) for p in spool.sealed()]

    segments = run(scenario())
    assert sorted(f for seg in segments for f in seg) == [b"row0", b"row1", b"row2"]


def test_segment_sealed_by_age(tmp_path: Path) -> None:
    async def scenario() -> int:
        spool = Spool(tmp_path, seal_rows=10_000, seal_age=0.05, fsync=False)
        spool.start()
        await spool.append(b"x", 1)
        await asyncio.sleep(0.3)
        count = len(spool.sealed())
        await spool.close()
        return count

    assert run(scenario()) == 1


def test_quota_refuses_appends(tmp_path: Path) -> None:
    async def scenario() -> None:
        spool = Spool(tmp_path, quota_bytes=100, fsync=False)
        spool.start()
        await spool.append(b"x" * 120, 1)
        try:
            with pytest.raises(SpoolFull):
                await spool.append(b"y", 1)
        finally:
            await spool.close()

    run(scenario())


def test_close_seals_everything(tmp_path: Path) -> None:
    async def scenario() -> None:
        spool = Spool(tmp_path, seal_rows=10_000, seal_age=60)
        spool.start()
        await spool.append(b"a", 1)
        await spool.close()

    run(scenario())
    assert not list(tmp_path.glob("*" + OPEN))
    assert [Spool.read(p) for p in sorted(tmp_path.glob("*" + SEALED))] == [[b"a"]]


def test_a_frame_of_unknown_kind_is_a_failure_no_retry_cures() -> None:
    from footfall.collector import frames
    from footfall.collector.writer import failure_class

    with pytest.raises(frames.BadFrame) as caught:
        frames.blocks([b"B{}", b"X{}"])
    assert failure_class(caught.value) == "permanent"


def test_failures_are_told_apart_by_what_a_retry_can_cure() -> None:
    from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

    from footfall.collector.writer import failure_class

    assert failure_class(DatabaseError("Code: 252. DB::Exception: Too many partitions for single INSERT block "
                                       "(more than 100). (TOO_MANY_PARTS)")) == "permanent"
    assert failure_class(DatabaseError("Code: 252. DB::Exception: Too many parts (300). Merges are processing "
                                       "significantly slower than inserts. (TOO_MANY_PARTS)")) == "transient"
    assert failure_class(DatabaseError("Code: 60. Table footfall.pageviews does not exist. (UNKNOWN_TABLE)")) \
        == "transient"
    assert failure_class(OperationalError("Error HTTPConnectionPool: Connection refused")) == "transient"
    assert failure_class(ConnectionRefusedError(111, "Connection refused")) == "transient"
    assert failure_class(DatabaseError("Code: 27. Cannot parse input (CANNOT_PARSE_INPUT_ASSERTION_FAILED)")) \
        == "permanent"
    assert failure_class(DatabaseError("Code: 999. Something new. (SOMETHING_NEW)")) == "unknown"


def test_concurrent_commits_keep_frames_in_append_order(tmp_path: Path) -> None:
    """Two commits may be in flight at once; their writes must still land in order."""
    async def scenario() -> list[bytes]:
        spool = Spool(tmp_path, seal_rows=10_000, seal_age=60, fsync_interval=0)
        spool.start()
        appends = []
        for i in range(600):
            appends.append(asyncio.ensure_future(spool.append(f"{i:04d}".encode(), 1)))
            if i % 7 == 0:
                await asyncio.sleep(0)  # let commits start while more frames arrive
        await asyncio.gather(*appends)
        await spool.close()
        return [f for p in spool.sealed() for f in Spool.read(p)]

    assert run(scenario()) == [f"{i:04d}".encode() for i in range(600)]


def test_a_failed_write_leaves_no_torn_frame_before_later_ones(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """A short write (disk full) is cut off again, so frames acknowledged after it survive recovery."""
    from footfall.collector import spool as spool_module

    real_write = os.write
    failures = iter([True])

    def flaky(fd: int, data: bytes) -> int:
        if next(failures, False):
            real_write(fd, data[: len(data) // 2])
            return len(data) // 2
        return real_write(fd, data)

    async def scenario() -> list[bytes]:
        spool = Spool(tmp_path, seal_rows=10_000, seal_age=60)
        spool.start()
        monkeypatch.setattr(spool_module.os, "write", flaky)
        with pytest.raises(OSError):
            await spool.append(b"lost-and-refused", 1)
        await spool.append(b"kept", 1)
        await spool.close()
        return [f for p in spool.sealed() for f in Spool.read(p)]

    assert run(scenario()) == [b"kept"]

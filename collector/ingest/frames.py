"""What the spool keeps per accepted request, and how it becomes table rows.

A frame is the validated JSON body as it arrived plus a header of what only the server
knew at that moment (receive time, visitor hash, client). Expanding frames into rows is
the heaviest Python work of ingestion, so the writer runs it in a worker process
(`Expander`), leaving the event loop's core to HTTP and validation.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import msgspec

from . import rows, wire
from .enrich import Client
from .spool import Spool

BATCH, REPLAY = b"B", b"R"


class Header(msgspec.Struct, array_like=True):
    received_ms: int
    visitor_id: str
    browser: str
    browser_version: str
    os: str
    device: str
    retention_days: int


_encode = msgspec.json.Encoder().encode
_header = msgspec.json.Decoder(Header)


def pack(kind: bytes, ctx: rows.Context, body: bytes) -> bytes:
    c = ctx.client
    header = Header(ctx.received_ms, ctx.visitor_id, c.browser, c.browser_version, c.os, c.device,
                    ctx.retention_days)
    return kind + _encode(header) + b"\n" + body


def unpack(payload: bytes) -> tuple[bytes, rows.Context, bytes]:
    head, _, body = payload[1:].partition(b"\n")
    h = _header.decode(head)
    client = Client(h.browser, h.browser_version, h.os, False, h.device)
    return payload[:1], rows.Context(h.received_ms, h.visitor_id, client, h.retention_days), body


def expand(payloads: list[bytes]) -> dict[str, bytes]:
    """Frames to one NDJSON block per table, rows in frame order."""
    out: dict[str, list[bytes]] = {}
    for payload in payloads:
        kind, ctx, body = unpack(payload)
        if kind == BATCH:
            rows.group_batch(wire.batch_decoder.decode(body), ctx, out)
        else:
            chunk = wire.replay_decoder.decode(body)
            out.setdefault("replay_chunks", []).append(_encode(rows.replay_row(chunk, ctx)))
    return {table: b"\n".join(lines) + b"\n" for table, lines in out.items()}


def expand_segment(path: str) -> dict[str, bytes]:
    return expand(Spool.read(Path(path)))


class Expander:
    """A one-process pool for `expand`, restarted if its process dies."""

    def __init__(self) -> None:
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None

    def _start(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._pool is None:
            self._pool = concurrent.futures.ProcessPoolExecutor(
                1, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def submit(self, segment: Path) -> concurrent.futures.Future[dict[str, bytes]]:
        """Read and expand a sealed segment in the worker; the file never crosses the pipe."""
        try:
            return self._start().submit(expand_segment, str(segment))
        except BrokenProcessPool:  # the worker died: start another
            self._pool = None
            return self._start().submit(expand_segment, str(segment))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

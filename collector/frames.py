"""What the spool keeps per accepted request: one JSON line, ready for an inbox table.

A frame is a kind byte and a JSON object: what only the server knew when the request came
in (`srv_*`: receive time, visitor hash, client, retention) followed by the fields of the
validated body, re-encoded. Re-encoding, not the bytes as they came, is what makes the line
safe for ClickHouse: no duplicate keys, no unknown fields, every value of the declared type.
The writer joins the lines of a segment and inserts them; ClickHouse's materialized views
make the table rows (store/migrations/0002_ingest_views.sql).
"""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

from footfall.collector.rows import Context

BATCH, REPLAY, SNAPSHOT = b"B", b"R", b"S"
INBOX = {BATCH: "inbox_batches", REPLAY: "inbox_replay", SNAPSHOT: "inbox_snapshots"}


class BadFrame(ValueError):
    """A frame no inbox takes: the writer sets its segment aside (see writer.PERMANENT)."""


class Header(msgspec.Struct):
    srv_received: int
    srv_visitor: str
    srv_browser: str
    srv_browser_version: str
    srv_os: str
    srv_device: str
    srv_retention: int


class Key(msgspec.Struct):
    """The fields of any frame that name its session (the rest is skipped unread)."""

    site: str
    sid: str
    srv_received: int


_encode = msgspec.json.Encoder().encode
_keys = msgspec.json.Decoder(Key).decode


def pack(kind: bytes, ctx: Context, record: msgspec.Struct) -> bytes:
    """The frame of one validated batch, replay chunk or page snapshot."""
    c = ctx.client
    head = _encode(Header(ctx.received_ms, ctx.visitor_id, c.browser, c.browser_version, c.os, c.device,
                          ctx.retention_days))
    return kind + head[:-1] + b"," + _encode(record)[1:]


def blocks(payloads: list[bytes]) -> dict[str, bytes]:
    """Frames to one NDJSON block per inbox table, lines in frame order."""
    lines: dict[bytes, list[bytes]] = {}
    for payload in payloads:
        kind = payload[:1]
        if kind not in INBOX:
            raise BadFrame(f"CANNOT_READ: spool frame of unknown kind {kind!r}")
        lines.setdefault(kind, []).append(payload[1:])
    return {INBOX[kind]: b"\n".join(found) + b"\n" for kind, found in lines.items()}


def keys(payloads: list[bytes]) -> Iterator[Key]:
    """The session of every frame, for the session index (replay/session_index.py)."""
    for payload in payloads:
        yield _keys(payload[1:])

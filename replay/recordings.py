"""Stored recordings read back: a chunk's rrweb events, decoded or as NDJSON lines, and a
session's chunks in order. The replay API streams them; heatmaps take a page's snapshot from them."""

from __future__ import annotations

import logging
from typing import Any

import msgspec

from footfall.store import Store, chunks

log = logging.getLogger("footfall.recordings")

CHUNKS_PER_READ = 64  # replay chunks fetched per query while streaming (few queries: the first frame waits)


def decode_chunk(encoding: str, data: str) -> list[Any]:
    """The rrweb events of one chunk, whose `data` is a JSON array in either encoding of
    store/chunks.py. Raises ValueError when it is not (chunks.BadChunk is one)."""
    try:
        events = msgspec.json.decode(chunks.decode(encoding, data).encode())
    except msgspec.DecodeError as exc:
        raise ValueError(f"bad JSON: {exc}") from None
    if not isinstance(events, list):
        raise ValueError("not a JSON array")
    return events


_raw_events = msgspec.json.Decoder(list[msgspec.Raw])


def event_lines(encoding: str, data: str) -> list[bytes]:
    """The chunk's events as NDJSON lines, without building Python objects for them: the first
    frame of a long session waits for this stream. Raises ValueError as decode_chunk does."""
    if encoding not in (chunks.JSON, ""):
        return [msgspec.json.encode(e) + b"\n" for e in decode_chunk(encoding, data) if isinstance(e, dict)]
    if not data.lstrip().startswith("["):
        raise ValueError("not a JSON array")
    try:
        events = _raw_events.decode(data.encode())
    except msgspec.DecodeError as exc:
        raise ValueError(f"bad JSON: {exc}") from None
    lines = []
    for event in events:
        text = bytes(event)
        if text[:1] != b"{":
            continue
        lines.append((text if b"\n" not in text else msgspec.json.encode(msgspec.json.decode(text))) + b"\n")
    return lines


def read_replay(store: Store, site: str, session_id: str, after: int) -> tuple[int | None, list[bytes]]:
    """Up to CHUNKS_PER_READ chunks after seq `after` (-1: from the start), decoded to NDJSON lines,
    one per event object: (the last seq read, or None when there was none, the lines). A chunk that
    does not decode is logged and skipped."""
    found = store.rows(
        """SELECT seq, encoding, data FROM replay_chunks FINAL
           WHERE site = {site:String} AND session_id = {sid:String} AND seq > {after:Int64}
           ORDER BY seq LIMIT {n:UInt32}""",
        {"site": site, "sid": session_id, "after": after, "n": CHUNKS_PER_READ})
    lines: list[bytes] = []
    for seq, encoding, data in found:
        try:
            lines.extend(event_lines(encoding, data))
        except ValueError as exc:
            log.warning("replay chunk skipped: site %s session %s seq %d: %s", site, session_id, seq, exc)
    return (found[-1][0] if found else None), lines

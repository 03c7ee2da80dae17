"""Real recorded sessions of the demo shop, kept as demo data so replays have something true to show.

`python -m tools.record_demo` (not part of the installed package) drives the shop in Chromium with
the real snippet and recorder against a running `footfall demo`, and saves every request the
browser sent (batches and replay chunks, bodies as JSON) per journey in `recordings/*.json.gz`.
The seeder (`replay_recording`) sends them again through the spool, as live traffic, with new ids
and times shifted to the recent past, so each replay comes with its session's page views,
clicks, vitals and errors.
"""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Callable, Iterator
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from footfall.collector import frames, rows, wire
from footfall.collector.enrich import client_of
from footfall.store import chunks

FOLDER = "recordings"


# -- replaying saved recordings -------------------------------------------------------

def load() -> list[dict[str, Any]]:
    """The saved journeys, oldest first by name."""
    folder = resources.files("footfall.demo") / FOLDER
    if not folder.is_dir():
        return []
    found = sorted((e for e in folder.iterdir() if e.name.endswith(".json.gz")), key=lambda e: e.name)
    return [json.loads(gzip.decompress(entry.read_bytes())) for entry in found]


def _shift_chunk(body: dict[str, Any], delta: int, swap: tuple[str, str] | None) -> dict[str, Any]:
    """The chunk's events moved in time (and to `swap`'s origin), as the collector stores a chunk: JSON."""
    raw = chunks.decode(body.get("enc") or chunks.JSON, body["data"])
    events = json.loads(raw.replace(*swap) if swap else raw)
    for event in events:
        event["timestamp"] += delta
    return {**body, "data": json.dumps(events, separators=(",", ":")), "enc": chunks.JSON}


def recorded_origin(recording: dict[str, Any]) -> str:
    """The origin the shop was served from while recording (the capturing proxy's)."""
    url = next(r["body"]["url"] for r in recording["requests"] if r["path"].endswith("/batch"))
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def replay_recording(recording: dict[str, Any], start_ms: int, retention_days: int, origin: str | None = None,
                     new_id: Callable[[], str] = lambda: uuid.uuid4().hex[:20]) -> Iterator[tuple[bytes, int]]:
    """Spool payloads for one saved journey, as if it had started at `start_ms`: new session,
    visitor, page-view and batch ids, every time shifted, replay events included. With `origin`,
    the shop's recorded address becomes that one, so replayed pictures load from this server."""
    requests = recording["requests"]
    if not requests:
        return
    swap = (recorded_origin(recording), origin.rstrip("/")) if origin else None
    if swap:
        requests = json.loads(json.dumps(requests).replace(*swap))
    delta = start_ms - recording["started_ms"]
    sid, visitor = new_id(), new_id()
    page_views: dict[str, str] = {}
    client = client_of(recording["user_agent"])
    for request in requests:
        body = dict(request["body"])
        received = request["at_ms"] + delta
        ctx = rows.Context(received_ms=received, visitor_id=visitor, client=client, retention_days=retention_days)
        body["sid"] = sid
        if body.get("sent") is not None:
            body["sent"] += delta
        if request["path"].endswith("/batch"):
            body["pv"] = page_views.setdefault(body["pv"], new_id())
            body["id"] = new_id()
            body["e"] = [{**event, "ts": event["ts"] + delta} for event in body["e"]]
            batch = wire.batch_decoder.decode(json.dumps(body).encode())
            yield frames.pack(frames.BATCH, ctx, batch), len(batch.events)
        else:
            if body.get("pv"):
                body["pv"] = page_views.setdefault(body["pv"], new_id())
            if body.get("ts") is not None:
                body["ts"] += delta
            chunk = wire.replay_decoder.decode(json.dumps(_shift_chunk(body, delta, swap)).encode())
            yield frames.pack(frames.REPLAY, ctx, chunk), 1

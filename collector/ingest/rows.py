"""A validated batch to the rows of each table, as JSON objects for ClickHouse's JSONEachRow."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import msgspec

from . import wire
from .enrich import Client, clock_skew_ms, device_class, referrer_host, split_url

# Longer strings are truncated, not refused: the rest of the batch is still worth keeping.
MAX_TEXT = {
    "url": 2048,
    "referrer": 2048,
    "title": 300,
    "selector": 512,
    "text": 100,
    "message": 1024,
    "stack": 8192,
    "source": 2048,
    "name": 128,
    "props": 4096,
    "utm": 256,
    "attribution": 4096,
}
MAX_FUTURE_MS = 60_000

_encode = msgspec.json.Encoder().encode
_NUMBERS = re.compile(r"\d+")


def cut(value: str, kind: str) -> str:
    limit = MAX_TEXT[kind]
    return value if len(value) <= limit else value[:limit]


@functools.lru_cache(maxsize=4096)
def _second(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


def timestamp(ms: int) -> str:
    """ClickHouse DateTime64(3) text in UTC; the second part is cached (events cluster in time)."""
    seconds, millis = divmod(ms, 1000)
    return f"{_second(seconds)}.{millis:03d}"


def error_fingerprint(message: str, source: str, stack: str) -> str:
    """Errors that differ only in numbers (ids, counts, line offsets) group together."""
    first_frame = next((line.strip() for line in stack.splitlines()[1:2]), "")
    basis = "\x00".join(_NUMBERS.sub("0", part) for part in (message, source.split("?")[0], first_frame))
    return hashlib.blake2b(basis.encode(), digest_size=8).hexdigest()


@dataclasses.dataclass(frozen=True)
class Context:
    """Per-batch facts the server knows: who sent it, when, and the site's retention."""

    received_ms: int
    visitor_id: str
    client: Client
    retention_days: int


def _parts(batch: wire.Batch, ctx: Context) -> tuple[dict[str, Any], Iterator[tuple[str, dict[str, Any]]]]:
    """The fields every row of the batch shares, and each row's own fields."""
    skew = clock_skew_ms(batch.sent_at, ctx.received_ms)
    url, path, _ = split_url(batch.url)
    device = device_class(batch.viewport_width) if batch.viewport_width else ctx.client.device
    common = {
        "site": batch.site,
        "session_id": batch.session_id,
        "visitor_id": batch.visitor_id or ctx.visitor_id,
        "pageview_id": batch.pageview_id,
        "path": cut(path, "url"),
        "device": device,
        "browser": ctx.client.browser,
        "retention": ctx.retention_days,
    }

    def at(ts: int) -> str:
        return timestamp(min(ts + skew, ctx.received_ms + MAX_FUTURE_MS))

    return common, _event_rows(batch, ctx, url, at)


def _event_rows(
    batch: wire.Batch, ctx: Context, url: str, at: Any
) -> Iterator[tuple[str, dict[str, Any]]]:
    for event in batch.events:
        time = at(event.ts)
        if isinstance(event, wire.PageView):
            utm = batch.utm
            yield "pageviews", {
                "time": time,
                "received": timestamp(ctx.received_ms),
                "url": cut(url, "url"),
                "title": cut(event.title, "title"),
                "referrer": cut(split_url(batch.referrer)[0] if batch.referrer else "", "referrer"),
                "referrer_host": referrer_host(batch.referrer),
                "utm_source": cut(utm.source, "utm"),
                "utm_medium": cut(utm.medium, "utm"),
                "utm_campaign": cut(utm.campaign, "utm"),
                "utm_term": cut(utm.term, "utm"),
                "utm_content": cut(utm.content, "utm"),
                "os": ctx.client.os,
                "browser_version": ctx.client.browser_version,
                "viewport_width": batch.viewport_width,
                "viewport_height": batch.viewport_height,
                "screen_width": batch.screen_width,
                "screen_height": batch.screen_height,
            }
        elif isinstance(event, wire.Click):
            yield "events", {
                "time": time,
                "type": "click",
                "selector": cut(event.selector, "selector"),
                "text": cut(event.text, "text"),
                "x": event.x,
                "y": event.y,
                "rx": event.rx,
                "ry": event.ry,
                "viewport_width": event.viewport_width or batch.viewport_width,
                "dead": int(event.no_effect),
                "rage": int(event.rage),
            }
        elif isinstance(event, wire.MoveSamples):
            # One row per sampled trail: heatmaps ARRAY JOIN the points, ingestion stays cheap.
            yield "events", {
                "time": time,
                "type": "move",
                "points": event.points,
                "viewport_width": batch.viewport_width,
            }
        elif isinstance(event, wire.Scroll):
            yield "events", {
                "time": time,
                "type": "scroll",
                "y": event.depth,
                "depth_share": event.depth_share,
                "page_height": event.page_height,
                "viewport_width": batch.viewport_width,
            }
        elif isinstance(event, wire.NavigationTiming):
            yield "page_timings", {
                "time": time,
                "redirect": event.redirect,
                "dns": event.dns,
                "connect": event.connect,
                "tls": event.tls,
                "request": event.request,
                "download": event.download,
                "dom": event.dom,
                "load": event.load,
                "total": event.total,
                "transfer_size": event.transfer_size,
            }
        elif isinstance(event, wire.WebVital):
            yield "web_vitals", {
                "time": time,
                "name": event.name,
                "value": event.value,
                "rating": event.rating,
                "target": cut(event.target, "selector"),
                "attribution": cut(_encode(event.attribution).decode(), "attribution"),
            }
        elif isinstance(event, wire.JsError):
            yield "errors", {
                "time": time,
                "os": ctx.client.os,
                "kind": event.kind,
                "message": cut(event.message, "message"),
                "stack": cut(event.stack, "stack"),
                "source": cut(event.source.split("?")[0], "source"),
                "line": event.line,
                "column": event.column,
                "fingerprint": error_fingerprint(event.message, event.source, event.stack),
            }
        elif isinstance(event, wire.SlowResource):
            yield "resources", {
                "time": time,
                "kind": cut(event.kind, "name"),
                "url": cut(event.url.split("?")[0], "url"),
                "duration": event.duration,
                "transfer_size": event.transfer_size,
            }
        elif isinstance(event, wire.FormField):
            yield "form_fields", {
                "time": time,
                "field": cut(event.selector, "selector"),
                "first_input": event.first_input,
                "time_in_field": event.time_in_field,
                "changes": event.changes,
                "refocus": event.refocus,
                "hesitation": int(event.hesitation),
                "abandoned": int(event.abandoned),
            }
        elif isinstance(event, wire.Custom):
            yield "events", {
                "time": time,
                "type": "custom",
                "name": cut(event.name, "name"),
                "props": cut(_encode(event.props).decode(), "props"),
            }


def rows_of(batch: wire.Batch, ctx: Context) -> Iterator[tuple[str, dict[str, Any]]]:
    common, parts = _parts(batch, ctx)
    for table, row in parts:
        yield table, {**common, **row}


def group_batch(batch: wire.Batch, ctx: Context, out: dict[str, list[bytes]]) -> None:
    """Append the batch's rows as JSON to `out[table]`; the shared fields are encoded once."""
    common, parts = _parts(batch, ctx)
    shared = b"{" + _encode(common)[1:-1] + b","
    for table, row in parts:
        lines = out.get(table)
        if lines is None:
            lines = out[table] = []
        lines.append(shared + _encode(row)[1:])


def replay_row(chunk: wire.ReplayChunk, ctx: Context) -> dict[str, Any]:
    skew = clock_skew_ms(chunk.sent_at, ctx.received_ms)
    started = (chunk.started_at + skew) if chunk.started_at is not None else ctx.received_ms
    return {
        "site": chunk.site,
        "session_id": chunk.session_id,
        "pageview_id": chunk.pageview_id or "",
        "seq": chunk.seq,
        "time": timestamp(min(started, ctx.received_ms + MAX_FUTURE_MS)),
        "received": timestamp(ctx.received_ms),
        "encoding": chunk.encoding,
        "data": chunk.data,
        "retention": ctx.retention_days,
    }


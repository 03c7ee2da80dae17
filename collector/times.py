"""Event times a batch may carry: a window around the moment the collector received it.

A client's clock may be off, so an event's time is corrected by the batch's own skew (receive
time minus `sent`), as the ingest views do. An event whose corrected time is more than
MAX_AGE_MS before the receive time is dropped as invalid: left in, one request could spread its
rows over a hundred monthly partitions, which ClickHouse refuses for a whole insert. A time in the
future is clamped by the views to the receive time plus a minute. A replay chunk's start outside
the window is replaced by the receive time (a recording is kept; its order is in its data).
"""

from __future__ import annotations

MAX_AGE_MS = 24 * 3600 * 1000
MAX_AHEAD_MS = 60_000
SKEW_FROM_MS = 2000  # smaller differences are network time, not a wrong clock (0002_ingest_views.sql)


def skew(received_ms: int, sent_ms: int | None) -> int:
    if sent_ms is None or abs(received_ms - sent_ms) < SKEW_FROM_MS:
        return 0
    return received_ms - sent_ms


def too_old(ts: int, received_ms: int, sent_ms: int | None) -> bool:
    return ts + skew(received_ms, sent_ms) < received_ms - MAX_AGE_MS


def in_window(ts: int, received_ms: int, sent_ms: int | None) -> bool:
    corrected = ts + skew(received_ms, sent_ms)
    return received_ms - MAX_AGE_MS <= corrected <= received_ms + MAX_AHEAD_MS

"""The page a heatmap is drawn over: the latest full DOM snapshot recorded on that page for that
device class. rrweb starts each page view's recording with a Meta event (the page's URL and
viewport) and a FullSnapshot; the heatmap viewer rebuilds that pair in a sandboxed frame."""

from __future__ import annotations

import logging
from typing import Any

from collector.store import Store

from .heatmaps import Scope, where
from .recordings import decode_chunk

log = logging.getLogger("footfall.snapshots")

META, FULL_SNAPSHOT = 4, 2
PAGE_VIEWS_TRIED = 5  # recorded page views looked at, newest first, before giving up
CHUNKS_READ = 8  # a page view's first chunks: its snapshot is at the start


def latest_snapshot(store: Store, scope: Scope) -> dict[str, Any] | None:
    """{"events": [meta, full snapshot], "session_id", "pageview_id", "time"} of the newest recorded
    page view of the scope that holds a snapshot, or None."""
    condition, params = where(scope, "pageview")
    condition = condition.replace(" AND type = {type:String}", "")
    views = store.rows(f"""
        SELECT pageview_id, any(session_id), max(time) AS at FROM replay_chunks
        WHERE site = {{site:String}} AND pageview_id IN (SELECT pageview_id FROM pageviews WHERE {condition})
        GROUP BY pageview_id ORDER BY at DESC LIMIT {PAGE_VIEWS_TRIED}""", params)
    for pageview_id, session_id, at in views:
        chunks = store.rows(f"""
            SELECT seq, encoding, data FROM replay_chunks FINAL
            WHERE site = {{site:String}} AND session_id = {{sid:String}} AND pageview_id = {{pv:String}}
            ORDER BY seq LIMIT {CHUNKS_READ}""", {"site": scope.site, "sid": session_id, "pv": pageview_id})
        found = snapshot_in(chunks)
        if found:
            return {"events": found, "session_id": session_id, "pageview_id": pageview_id,
                    "time": at.isoformat().replace("+00:00", "Z")}
    return None


def snapshot_in(chunks: list[tuple[Any, ...]]) -> list[dict[str, Any]] | None:
    """The first Meta event and the FullSnapshot after it, with the Meta's size kept."""
    meta = None
    for seq, encoding, data in chunks:
        try:
            events = decode_chunk(encoding, data)
        except ValueError as exc:
            log.warning("snapshot chunk %s skipped: %s", seq, exc)
            continue
        for event in events:
            if not isinstance(event, dict):
                continue
            if event.get("type") == META:
                meta = event
            elif event.get("type") == FULL_SNAPSHOT and meta is not None:
                return [meta, event]
    return None

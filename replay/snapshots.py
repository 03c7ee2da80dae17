"""The page a heatmap is drawn over: the latest full DOM snapshot recorded on that page for that
device class. rrweb starts each page view's recording with a Meta event (the page's URL and
viewport) and a FullSnapshot; the heatmap viewer rebuilds that pair in a sandboxed frame."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from footfall.analysis.heatmaps import Scope, where
from footfall.replay.recordings import decode_chunk
from footfall.store import Store
from footfall.store.clock import stored_iso
from footfall.store.conditions import step_regex
from footfall.store.vocabulary import page_path

log = logging.getLogger("footfall.snapshots")

META, FULL_SNAPSHOT = 4, 2
PAGE_VIEWS_TRIED = 5  # recorded page views looked at, newest first, before giving up
CHUNKS_READ = 8  # a page view's first chunks: its snapshot is at the start


def latest_snapshot(store: Store, scope: Scope) -> dict[str, Any] | None:
    """{"events": [meta, full snapshot], "session_id", "time", "source"} of the page: from the newest
    recorded page view of the scope that holds one ("replay"), else the newest snapshot taken for
    heatmaps alone ("snapshot"), else None."""
    on_page = page_matcher(scope.url)
    found = recorded_snapshot(store, scope, on_page)
    return found if found is not None else taken_snapshot(store, scope, on_page)


def recorded_snapshot(store: Store, scope: Scope, on_page: Callable[[str], bool]) -> dict[str, Any] | None:
    """A page view's recording starts with the page view, in the same session: its chunks from then
    on are read in order until a Meta event for the page's path is followed by a FullSnapshot."""
    condition, params = where(scope, None)
    views = store.rows(f"""
        SELECT session_id, time FROM pageviews
        WHERE {condition} AND session_id IN (
            SELECT DISTINCT session_id FROM replay_chunks
            WHERE site = {{site:String}} AND time >= {{start:DateTime64(3)}} - INTERVAL 1 DAY)
        ORDER BY time DESC LIMIT {PAGE_VIEWS_TRIED}""", params)
    for session_id, at in views:
        chunks = store.rows(f"""
            SELECT seq, encoding, data FROM replay_chunks FINAL
            WHERE site = {{site:String}} AND session_id = {{sid:String}}
              AND time >= {{at:DateTime64(3)}} - INTERVAL 2 SECOND
            ORDER BY seq LIMIT {CHUNKS_READ}""", {"site": scope.site, "sid": session_id, "at": at})
        found = snapshot_in(chunks, on_page)
        if found:
            return {"events": found, "session_id": session_id, "time": stored_iso(at),
                    "source": "replay"}
    return None


def taken_snapshot(store: Store, scope: Scope, on_page: Callable[[str], bool]) -> dict[str, Any] | None:
    """The newest snapshot the recorder took for heatmaps alone (page_snapshots, migration 0006)."""
    condition, params = where(scope, None)
    taken = store.rows(f"""
        SELECT session_id, time, encoding, data FROM page_snapshots
        WHERE {condition} ORDER BY time DESC LIMIT {PAGE_VIEWS_TRIED}""", params)
    for session_id, at, encoding, data in taken:
        found = snapshot_in([(0, encoding, data)], on_page)
        if found:
            return {"events": found, "session_id": session_id, "time": stored_iso(at),
                    "source": "snapshot"}
    return None


def page_matcher(url: str) -> Callable[[str], bool]:
    """Whether a recorded page address is the scope's page (its path, or a path the pattern takes)."""
    path = page_path(url)
    if "*" in path:
        pattern = re.compile(step_regex(path))
        return lambda href: bool(pattern.match(page_path(href)))
    return lambda href: page_path(href) == path


def snapshot_in(chunks: list[tuple[Any, ...]], on_page: Callable[[str], bool]) -> list[dict[str, Any]] | None:
    """The first Meta event for the page and the FullSnapshot after it."""
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
                href = (event.get("data") or {}).get("href")
                meta = event if isinstance(href, str) and on_page(href) else None
            elif event.get("type") == FULL_SNAPSHOT and meta is not None:
                return [meta, event]
    return None

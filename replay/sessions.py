"""The session list and one session's detail, as the API and the dashboard show them.

`list_sessions(store, site, start, end, filters, sort, limit, offset)` lists the sessions that began
in a range (filtered, sorted, one page of them) from the stored session index
(replay/session_index.py); `session_detail(store, site, session_id)` gives one session for the
player's timeline and sidebar: its index row (summary and signal occurrences) and its page views,
errors and Web Vitals; `clock_skew(store, site, session_id)` how far the collector moved its rows'
times from the recording's. Definitions are in docs/signals.md.

A session is listed when its first page view falls in `[start, end)`.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

from footfall.analysis import funnels, signals
from footfall.replay.recordings import decode_chunk
from footfall.replay.session_index import INDEX_TABLE, LISTED_COLUMNS
from footfall.replay.session_summary import SESSION_SPAN, iso_ms, summary_of
from footfall.store import Store
from footfall.store.clock import utc
from footfall.store.conditions import step_regex

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
SORTS = {
    "start": "start",
    "duration": "end - start",
    "pageviews": "pageviews",
    "errors": "errors",
    "signals": "signal_total",
}
DEVICES = ("mobile", "tablet", "desktop")


@dataclasses.dataclass(frozen=True)
class SessionFilters:
    """Optional, combinable: a session must pass every filter given.

    `url`, `entry`, `exit` are paths or patterns where `*` stands for one or more whole path
    segments (as funnel steps, footfall.store.conditions.step_regex). `signals` keeps sessions with at
    least one of the named signals. Durations are in seconds, both bounds inclusive."""

    url: str | None = None
    entry: str | None = None
    exit: str | None = None
    has_error: bool | None = None
    signals: tuple[str, ...] = ()
    min_duration: float | None = None
    max_duration: float | None = None
    device: str | None = None
    browser: str | None = None
    visitor: str | None = None
    has_replay: bool | None = None
    clicked: str | None = None  # a selector clicked in the session (the heatmap's element list links here)
    error: str | None = None  # an error group's fingerprint seen in the session (the error list links here)
    # The sessions that reached step `dropped_at` of `funnel` (counted per session) and not the next.
    funnel: funnels.Funnel | None = None
    dropped_at: int | None = None


# -- the list -------------------------------------------------------------------------------------
def list_sessions(store: Store, site: str, start: datetime, end: datetime, filters: SessionFilters | None = None,
                  sort: str = "start", limit: int = DEFAULT_LIMIT, offset: int = 0,
                  descending: bool = True) -> dict[str, Any]:
    """The sessions of `site` whose first page view is in [start, end), filtered, sorted by `sort`
    (one of SORTS; largest or newest first unless `descending` is False, ties by start, newest first),
    `limit` of them from `offset`: `{"sessions": [summary, ...], "total": number matching}`."""
    start, end = utc(start), utc(end)
    if end <= start:
        raise ValueError("end must be after start")
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be 1 to {MAX_LIMIT}")
    if offset < 0:
        raise ValueError("offset must not be negative")
    f = filters or SessionFilters()
    unknown = set(f.signals) - set(signals.SIGNALS)
    if unknown:
        raise ValueError(f"unknown signal {sorted(unknown)[0]!r}")
    params: dict[str, Any] = {"site": site, "start": start, "end": end}
    where = ["site = {site:String}", "start >= {start:DateTime64(3)}", "start < {end:DateTime64(3)}"]
    duration = "toUnixTimestamp64Milli(end) - toUnixTimestamp64Milli(start)"
    for name, value, condition in (
        ("url", f.url, "arrayExists(p -> match(p, {url:String}), pages)"),
        ("entry", f.entry, "match(pages[1], {entry:String})"),
        ("exit", f.exit, "match(pages[-1], {exit:String})"),
    ):
        if value is not None:
            where.append(condition)
            params[name] = step_regex(value)
    for name, value, condition in (
        ("device", f.device, "device = {device:String}"),
        ("browser", f.browser, "browser = {browser:String}"),
        ("visitor", f.visitor, "has(visitors, {visitor:String})"),
        ("min_ms", None if f.min_duration is None else round(f.min_duration * 1000), f"{duration} >= {{min_ms:Int64}}"),
        ("max_ms", None if f.max_duration is None else round(f.max_duration * 1000), f"{duration} <= {{max_ms:Int64}}"),
    ):
        if value is not None:
            where.append(condition)
            params[name] = value
    if f.has_error is not None:
        where.append("errors > 0" if f.has_error else "errors = 0")
    for name, value, rows in (("clicked", f.clicked, "events WHERE type = 'click' AND selector"),
                              ("error", f.error, "errors WHERE fingerprint")):
        if value is not None:  # sessions with such a row since the range began
            where.append(f"""session_id IN (SELECT session_id FROM {rows} = {{{name}:String}}
                             AND site = {{site:String}} AND time >= {{start:DateTime64(3)}})""")
            params[name] = value
    if f.funnel is not None and f.dropped_at is not None:
        per_session = dataclasses.replace(f.funnel, count_by="session", breakdown=None)
        where.append("session_id IN {dropped:Array(String)}")
        params["dropped"] = funnels.dropped_at(store, site, start, end, per_session, f.dropped_at)
    if f.has_replay is not None:
        where.append("has_replay = 1" if f.has_replay else "has_replay = 0")
    if f.signals:
        where.append("(" + " OR ".join(f"{name} > 0" for name in dict.fromkeys(f.signals)) + ")")
    direction = "DESC" if descending else "ASC"
    matching = f"FROM {INDEX_TABLE} FINAL WHERE {' AND '.join(where)}"
    found = store.rows(f"""
        SELECT {LISTED_COLUMNS} {matching}
        ORDER BY {SORTS[sort]} {direction}, start DESC, session_id
        LIMIT {{limit:UInt32}} OFFSET {{offset:UInt64}}""", {**params, "limit": limit, "offset": offset})
    if len(found) < limit and (found or not offset):
        total = offset + len(found)
    else:
        total = int(store.scalar(f"SELECT count() {matching}", params) or 0)
    return {"sessions": [summary_of(row) for row in found], "total": total}


# -- one session ----------------------------------------------------------------------------------
def indexed_summary(store: Store, site: str, session_id: str) -> dict[str, Any] | None:
    """One session's summary as the list shows it, from its index row alone (the player page sends
    its top from this before the detail's queries); None when the index has no such session."""
    row = _index_row(store, site, session_id)
    return summary_of(row) if row else None


def _index_row(store: Store, site: str, session_id: str, extra: str = "") -> tuple[Any, ...] | None:
    found = store.rows(f"""SELECT {LISTED_COLUMNS}{extra} FROM {INDEX_TABLE} FINAL
                           WHERE site = {{site:String}} AND session_id = {{sid:String}}""",
                       {"site": site, "sid": session_id})
    return found[0] if found else None


def session_detail(store: Store, site: str, session_id: str) -> dict[str, Any] | None:
    """One session of `site` (None when the index has no such session): its summary, its pages with
    times, its errors with their stacks, its Web Vitals and every signal occurrence, for the player.
    The summary and occurrences come from the session's index row, the rest from its rows.

    Times are ISO 8601 in UTC, each with `offset_s`, seconds since the session's start."""
    row = _index_row(store, site, session_id, ", occurrences")
    if row is None:
        return None
    summary = summary_of(row[:-1])
    start_ms = row[2]
    occurrences = dict(zip(signals.SIGNALS, json.loads(row[-1]), strict=True))
    params = {"site": site, "sid": session_id, "lo": datetime.fromtimestamp(start_ms / 1000, UTC) - SESSION_SPAN,
              "hi": datetime.fromtimestamp(row[3] / 1000, UTC) + SESSION_SPAN}
    window = ("site = {site:String} AND session_id = {sid:String} "
              "AND time >= {lo:DateTime64(3)} AND time < {hi:DateTime64(3)}")

    views = store.rows(f"""
        SELECT toUnixTimestamp64Milli(time), pageview_id, path, url, title, referrer
        FROM pageviews WHERE {window} ORDER BY time, pageview_id""", params)
    end_ms = row[3]
    pages = []
    for i, (t, pageview_id, path, url, title, referrer) in enumerate(views):
        until = views[i + 1][0] if i + 1 < len(views) else end_ms
        pages.append({**at(t, start_ms), "pageview_id": pageview_id, "path": path, "url": url, "title": title,
                      "referrer": referrer, "duration_s": max(0, until - t) / 1000})
    errors = [
        {**at(t, start_ms), "pageview_id": pv, "path": path, "kind": kind, "message": message, "stack": stack,
         "source": source, "line": line, "column": column, "fingerprint": fingerprint}
        for t, pv, path, kind, message, stack, source, line, column, fingerprint in store.rows(f"""
            SELECT toUnixTimestamp64Milli(time), pageview_id, path, kind, message, stack, source, line, column,
                   fingerprint
            FROM errors WHERE {window} ORDER BY time""", params)
    ]
    vitals = [
        {**at(t, start_ms), "pageview_id": pv, "path": path, "name": name, "value": value, "rating": rating,
         "target": target}
        for t, pv, path, name, value, rating, target in store.rows(f"""
            SELECT toUnixTimestamp64Milli(time), pageview_id, path, name, value, rating, target
            FROM web_vitals WHERE {window} ORDER BY time, name""", params)
    ]
    return {
        "summary": summary,
        "pages": pages,
        "errors": errors,
        "vitals": vitals,
        "signals": {name: occurrences_of(name, occurrences[name], start_ms) for name in signals.SIGNALS},
    }


def clock_skew(store: Store, site: str, session_id: str) -> int:
    """How far the collector moved the recording's clock (ms): the first chunk's stored time is its
    first event's browser time plus the correction for a browser clock 2 s or more off, which the
    session's other rows (pages, errors, signals) carry too; the events themselves do not."""
    found = store.rows(
        """SELECT toUnixTimestamp64Milli(time), encoding, data FROM replay_chunks FINAL
           WHERE site = {site:String} AND session_id = {sid:String} ORDER BY seq LIMIT 1""",
        {"site": site, "sid": session_id})
    if not found:
        return 0
    stored, encoding, data = found[0]
    try:
        events = decode_chunk(encoding, data)
    except ValueError:
        return 0
    first = events[0].get("timestamp") if events and isinstance(events[0], dict) else None
    return int(stored - first) if isinstance(first, int | float) else 0


def occurrences_of(name: str, found: list[tuple[Any, ...]], start_ms: int) -> list[dict[str, Any]]:
    """A signal's occurrence tuples as objects in time order; page view signals come wrapped in
    (path, pageview_id, occurrence)."""
    fields = signals.FIELDS[name]
    out = []
    for item in found:
        extra: dict[str, Any] = {}
        if name in signals.PAGE_VIEW:
            path, pageview_id, item = item
            extra = {"path": path, "pageview_id": pageview_id}
        values = dict(zip(fields, item, strict=True))
        t = values.pop("t")
        if "end_t" in values:
            values["end"] = iso_ms(values.pop("end_t"))
        if "pages" in values:
            values["pages"] = list(values["pages"])
        for key in ("seconds", "screens"):
            if key in values:
                values[key] = round(float(values[key]), 3)
        out.append({**at(t, start_ms), **extra, **values})
    return sorted(out, key=lambda o: o["offset_s"])


# -- small helpers --------------------------------------------------------------------------------
def at(ms: int, start_ms: int) -> dict[str, Any]:
    return {"time": iso_ms(ms), "offset_s": (ms - start_ms) / 1000}

"""The session index: one summary per session, with its frustration signals, and one session's detail.

`list_sessions(store, site, start, end, filters, sort, limit, offset)` lists the sessions that began
in a range (filtered, sorted, one page of them) and `session_detail(store, site, session_id)` gives
one session for the player's timeline and sidebar. Definitions are in docs/signals.md; in short:

- A session is a `session_id` with page views. It is listed when its first page view falls in
  `[start, end)`; its summary covers its rows up to SESSION_SPAN after `end` (longer sessions are
  cut there), and a session whose first page view came up to SESSION_SPAN before `start` is known
  to be older and not listed.
- start = its first page view; end = the last of its page views and interaction events (clicks,
  scrolls, mouse trails, custom events; errors and vitals do not lengthen a session);
  duration = end - start.
- active time = the sum of the gaps between consecutive page views and interaction events, each
  gap capped at ACTIVE_GAP_MS, 30 s (so every moment of activity keeps the visitor "active" for at most
  that long, and an idle tab adds nothing past it).
- pages = paths of its page views in time order; entry / exit = first / last of them; device and
  browser are the first page view's, the visitor id the last page view's (a site calling
  `identify` mid-session shows the id it set).
- has_replay = at least one row in replay_chunks.
- signals (analysis/signals.py) are counted in the same query, so the list filters and sorts by them.

Why query time: summaries are computed by ClickHouse from the stored rows on every request, so a
session is always up to date while its chunks and events still arrive (no summary to refresh, no
job to run). Everything is one query per page of results, grouped per page view and then per
session with array functions; it reads only the range's rows (plus SESSION_SPAN on each side).
When that gets slow (large sites, long ranges), the path is a summary table filled by a
materialized view or a periodic job, keyed by (site, start, session_id), which the same filters
and sorts read instead.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from collector.store import Store

from . import signals
from .overview import step_regex, utc

SESSION_SPAN = timedelta(hours=24)
ACTIVE_GAP_MS = 30_000
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
SORTS = {
    "start": "start_t",
    "duration": "end_t - start_t",
    "pageviews": "pageviews",
    "errors": "errors",
    "signals": "signal_total",
}
DEVICES = ("mobile", "tablet", "desktop")


@dataclasses.dataclass(frozen=True)
class SessionFilters:
    """Optional, combinable: a session must pass every filter given.

    `url`, `entry`, `exit` are paths or patterns where `*` stands for one or more whole path
    segments (as funnel steps, analysis.overview.step_regex). `signals` keeps sessions with at
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


# -- the query ------------------------------------------------------------------------------------
SCOPE = ("site = {site:String} AND time >= {lo:DateTime64(3)} AND time < {hi:DateTime64(3)} "
         "AND session_id IN (SELECT session_id FROM chosen)")

# One row per stored page view, interaction event and JS error of the chosen sessions.
ACTIVITY = f"""
    SELECT session_id, pageview_id, 'pageview' AS kind, toUnixTimestamp64Milli(time) AS t, path,
           toInt32(0) AS x, toInt32(0) AS y, toUInt8(0) AS rage, toUInt8(0) AS dead, '' AS selector,
           '' AS message, '' AS error_kind, viewport_height AS vh, visitor_id,
           toString(device) AS device, toString(browser) AS browser
    FROM pageviews WHERE {SCOPE}
    UNION ALL
    SELECT session_id, pageview_id, toString(type), toUnixTimestamp64Milli(time), path,
           x, y, rage, dead, selector, '', '', toUInt16(0), '', '', ''
    FROM events WHERE {SCOPE}
    UNION ALL
    SELECT session_id, pageview_id, 'error', toUnixTimestamp64Milli(time), path,
           toInt32(0), toInt32(0), toUInt8(0), toUInt8(0), '', message, toString(kind), toUInt16(0), '', '', ''
    FROM errors WHERE {SCOPE}"""

PER_VIEW = f"""
    SELECT session_id, pageview_id, any(path) AS path,
           countIf(kind = 'pageview') > 0 AS viewed,
           minIf(t, kind = 'pageview') AS view_t,
           anyIf(visitor_id, kind = 'pageview') AS visitor_id,
           anyIf(device, kind = 'pageview') AS device,
           anyIf(browser, kind = 'pageview') AS browser,
           maxIf(vh, kind = 'pageview') AS vh,
           groupArrayIf(t, kind != 'error') AS times,
           countIf(kind = 'click') AS clicks,
           countIf(kind = 'error') AS errors,
           arraySort(groupArrayIf((t, x, y, rage, dead, selector), kind = 'click')) AS c,
           arraySort(groupArrayIf((t, y), kind = 'scroll')) AS s,
           arraySort(groupArrayIf((t, message), kind = 'error' AND error_kind != 'console')) AS e,
           {signals.PAGE_VIEW_HELPERS},
           {", ".join(f"{expr} AS {name}" for name, expr in signals.PAGE_VIEW.items())}
    FROM activity
    GROUP BY session_id, pageview_id"""

PER_SESSION = f"""
    SELECT session_id,
           arraySort(groupArrayIf((view_t, path, pageview_id), viewed)) AS pages_t,
           arraySort(arrayFlatten(groupArray(times))) AS all_times,
           sum(clicks) AS clicks,
           sum(errors) AS errors,
           argMaxIf(visitor_id, view_t, viewed) AS visitor_id,
           argMinIf(device, view_t, viewed) AS device,
           argMinIf(browser, view_t, viewed) AS browser,
           {", ".join(f"arrayFlatten(groupArray(arrayMap(o -> (path, pageview_id, o), {name}))) AS {name}"
                      for name in signals.PAGE_VIEW)}
    FROM per_view
    GROUP BY session_id
    HAVING length(pages_t) > 0"""

SUMMARY = f"""
    SELECT session_id, visitor_id, device, browser, clicks, errors,
           pages_t[1].1 AS start_t,
           arrayMax(all_times) AS end_t,
           arrayFilter(t -> t >= start_t, all_times) AS active_times,
           arraySum(arrayMap((a, b) -> least(b - a, {ACTIVE_GAP_MS}),
                             arrayPopBack(active_times), arrayPopFront(active_times))) AS active_ms,
           arrayMap(p -> p.2, pages_t) AS pages,
           length(pages_t) AS pageviews,
           session_id IN (SELECT session_id FROM replay_chunks
                          WHERE site = {{site:String}} AND session_id IN (SELECT session_id FROM chosen)) AS has_replay,
           {signals.SESSION_HELPERS},
           {", ".join(f"{expr} AS {name}" for name, expr in signals.SESSION.items())},
           {" + ".join(f"length({name})" for name in signals.SIGNALS)} AS signal_total,
           pages_t, {", ".join(signals.PAGE_VIEW)}
    FROM per_session"""


def summaries_sql(having: str, where: str, chosen_where: str = "1") -> str:
    """Session summaries: `chosen` picks the sessions from their page views in [lo, hi)
    (`chosen_where` over the rows, `having` over each session's aggregates), `where` filters the
    summaries."""
    return f"""
        WITH
            chosen AS (
                SELECT session_id FROM pageviews
                WHERE site = {{site:String}} AND time >= {{lo:DateTime64(3)}} AND time < {{hi:DateTime64(3)}}
                      AND {chosen_where}
                GROUP BY session_id
                HAVING {having}
            ),
            activity AS ({ACTIVITY}),
            per_view AS ({PER_VIEW}),
            per_session AS ({PER_SESSION}),
            summaries AS ({SUMMARY})
        SELECT * FROM summaries
        WHERE {where}"""


SUMMARY_COLUMNS = ("session_id, visitor_id, start_t, end_t, active_ms, pages, pageviews, clicks, errors, "
                   "device, browser, has_replay, " + ", ".join(f"length({name})" for name in signals.SIGNALS))


def summary_of(row: tuple[Any, ...]) -> dict[str, Any]:
    """A row of SUMMARY_COLUMNS as the API shows it."""
    (session_id, visitor_id, start_t, end_t, active_ms, pages, pageviews, clicks, errors, device, browser,
     has_replay, *counts) = row
    return {
        "session_id": session_id,
        "visitor_id": visitor_id,
        "start": iso_ms(start_t),
        "end": iso_ms(end_t),
        "duration_s": (end_t - start_t) / 1000,
        "active_s": active_ms / 1000,
        "pages": list(pages),
        "entry_path": pages[0],
        "exit_path": pages[-1],
        "pageviews": pageviews,
        "clicks": clicks,
        "errors": errors,
        "device": device,
        "browser": browser,
        "has_replay": bool(has_replay),
        "signals": dict(zip(signals.SIGNALS, counts, strict=True)),
    }


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
    params: dict[str, Any] = {"site": site, "start": start, "end": end,
                              "lo": start - SESSION_SPAN, "hi": end + SESSION_SPAN}
    having = ["min(time) >= {start:DateTime64(3)}", "min(time) < {end:DateTime64(3)}"]
    where = ["1"]
    if f.url is not None:
        having.append("countIf(match(path, {url:String})) > 0")
        params["url"] = step_regex(f.url)
    if f.entry is not None:
        having.append("match(argMin(path, time), {entry:String})")
        params["entry"] = step_regex(f.entry)
    if f.exit is not None:
        having.append("match(argMax(path, time), {exit:String})")
        params["exit"] = step_regex(f.exit)
    if f.device is not None:
        having.append("argMin(device, time) = {device:String}")
        params["device"] = f.device
    if f.browser is not None:
        having.append("argMin(browser, time) = {browser:String}")
        params["browser"] = f.browser
    if f.visitor is not None:
        having.append("countIf(visitor_id = {visitor:String}) > 0")
        params["visitor"] = f.visitor
    if f.has_error is not None:
        where.append("errors > 0" if f.has_error else "errors = 0")
    if f.has_replay is not None:
        where.append("has_replay" if f.has_replay else "NOT has_replay")
    if f.min_duration is not None:
        where.append("end_t - start_t >= {min_ms:Int64}")
        params["min_ms"] = round(f.min_duration * 1000)
    if f.max_duration is not None:
        where.append("end_t - start_t <= {max_ms:Int64}")
        params["max_ms"] = round(f.max_duration * 1000)
    if f.signals:
        where.append("(" + " OR ".join(f"length({name}) > 0" for name in dict.fromkeys(f.signals)) + ")")
    direction = "DESC" if descending else "ASC"
    if where == ["1"] and sort == "start":
        return _page_first(store, params, " AND ".join(having), direction, limit, offset)
    base = summaries_sql(" AND ".join(having), " AND ".join(where))
    sql = f"""
        SELECT {SUMMARY_COLUMNS}, count() OVER () AS total
        FROM ({base})
        ORDER BY {SORTS[sort]} {direction}, start_t DESC, session_id
        LIMIT {{limit:UInt32}} OFFSET {{offset:UInt64}}"""
    found = store.rows(sql, {**params, "limit": limit, "offset": offset})
    if found:
        total = found[0][-1]
    elif offset:
        total = store.scalar(f"SELECT count() FROM ({base})", params) or 0
    else:
        total = 0
    return {"sessions": [summary_of(row[:-1]) for row in found], "total": int(total)}


def _page_first(store: Store, params: dict[str, Any], having: str, direction: str, limit: int,
                offset: int) -> dict[str, Any]:
    """When nothing filters or sorts on a session's summary, pick the page of sessions from their
    page views alone (cheap), then summarise only those: the signals, the costly part, are worked
    out for `limit` sessions instead of every session in the range."""
    picked = store.rows(f"""
        SELECT session_id, count() OVER () AS total
        FROM pageviews
        WHERE site = {{site:String}} AND time >= {{lo:DateTime64(3)}} AND time < {{hi:DateTime64(3)}}
        GROUP BY session_id
        HAVING {having}
        ORDER BY min(time) {direction}, session_id
        LIMIT {{limit:UInt32}} OFFSET {{offset:UInt64}}""", {**params, "limit": limit, "offset": offset})
    if not picked:
        total = store.scalar(f"""SELECT count() FROM (SELECT session_id FROM pageviews
            WHERE site = {{site:String}} AND time >= {{lo:DateTime64(3)}} AND time < {{hi:DateTime64(3)}}
            GROUP BY session_id HAVING {having})""", params) if offset else 0
        return {"sessions": [], "total": int(total or 0)}
    ids = [row[0] for row in picked]
    base = summaries_sql(having, "1", "session_id IN {ids:Array(String)}")
    found = {row[0]: row for row in store.rows(f"SELECT {SUMMARY_COLUMNS} FROM ({base})", {**params, "ids": ids})}
    return {"sessions": [summary_of(found[i]) for i in ids if i in found], "total": int(picked[0][1])}


# -- one session ----------------------------------------------------------------------------------
def session_detail(store: Store, site: str, session_id: str) -> dict[str, Any] | None:
    """One session of `site` (None when it has no page view): its summary, its pages with times,
    its errors with their stacks, its Web Vitals and every signal occurrence, for the player.

    Times are ISO 8601 in UTC, each with `offset_s`, seconds since the session's start."""
    bounds = store.rows(
        """SELECT toUnixTimestamp64Milli(min(time)), toUnixTimestamp64Milli(max(time)), count()
           FROM pageviews WHERE site = {site:String} AND session_id = {sid:String}""",
        {"site": site, "sid": session_id})
    if not bounds or not bounds[0][2]:
        return None
    first, last = (datetime.fromtimestamp(ms / 1000, UTC) for ms in bounds[0][:2])
    params = {"site": site, "sid": session_id, "lo": first - SESSION_SPAN, "hi": last + SESSION_SPAN}
    base = summaries_sql("1", "1", chosen_where="session_id = {sid:String}")
    sql = f"SELECT {SUMMARY_COLUMNS}, {', '.join(signals.SIGNALS)} FROM ({base})"
    found = store.rows(sql, params)
    if not found:
        return None
    row = found[0]
    count_end = 12 + len(signals.SIGNALS)
    summary = summary_of(row[:count_end])
    start_ms = row[2]
    occurrences = dict(zip(signals.SIGNALS, row[count_end:], strict=True))
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
def iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def at(ms: int, start_ms: int) -> dict[str, Any]:
    return {"time": iso_ms(ms), "offset_s": (ms - start_ms) / 1000}

"""One summary per session, computed by ClickHouse from the stored rows.

This SQL fills the stored session index (replay/session_index.py, refreshed as rows arrive),
which the list and the player's detail of one session both read (replay/sessions.py), so a
session reads the same in both. Definitions are in docs/signals.md; in short:

- A session is a `session_id` with page views in the window `[lo, hi)`; its summary covers its
  rows in that window.
- start = its first page view; end = the last of its page views and interaction events (clicks,
  scrolls, mouse trails, custom events; errors and vitals do not lengthen a session);
  duration = end - start.
- active time = the sum of the gaps between consecutive page views and interaction events, each
  gap capped at ACTIVE_GAP_MS, 30 s (so every moment of activity keeps the visitor "active" for
  at most that long, and an idle tab adds nothing past it).
- pages = paths of its page views in time order; entry / exit = first / last of them; device and
  browser are the first page view's, the visitor id the last page view's (a site calling
  `identify` mid-session shows the id it set); `visitors` every id it had.
- has_replay = at least one row in replay_chunks.
- signals (analysis/signals.py) are arrays of occurrences; their lengths are the counts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from footfall.analysis import signals

SESSION_SPAN = timedelta(hours=24)  # how far a session's rows may lie from the moment it is looked at
ACTIVE_GAP_MS = 30_000

SCOPE = ("site = {site:String} AND time >= {lo:DateTime64(3)} AND time < {hi:DateTime64(3)} "
         "AND session_id IN (SELECT session_id FROM chosen)")

# One row per stored page view, interaction event and JS error of the chosen sessions.
ACTIVITY = f"""
    SELECT session_id, pageview_id, 'pageview' AS kind, toUnixTimestamp64Milli(time) AS t, path,
           toInt32(0) AS x, toInt32(0) AS y, toUInt8(0) AS rage, toUInt8(0) AS dead, '' AS selector,
           '' AS message, '' AS error_kind, viewport_height AS vh, visitor_id,
           toString(device) AS device, toString(browser) AS browser, retention
    FROM pageviews WHERE {SCOPE}
    UNION ALL
    SELECT session_id, pageview_id, toString(type), toUnixTimestamp64Milli(time), path,
           x, y, rage, dead, selector, '', '', toUInt16(0), '', '', '', toUInt16(0)
    FROM events WHERE {SCOPE}
    UNION ALL
    SELECT session_id, pageview_id, 'error', toUnixTimestamp64Milli(time), path,
           toInt32(0), toInt32(0), toUInt8(0), toUInt8(0), '', message, toString(kind), toUInt16(0), '', '', '',
           toUInt16(0)
    FROM errors WHERE {SCOPE}"""

PER_VIEW = f"""
    SELECT session_id, pageview_id, any(path) AS path,
           countIf(kind = 'pageview') > 0 AS viewed,
           minIf(t, kind = 'pageview') AS view_t,
           anyIf(visitor_id, kind = 'pageview') AS view_visitor,
           anyIf(device, kind = 'pageview') AS device,
           anyIf(browser, kind = 'pageview') AS browser,
           maxIf(vh, kind = 'pageview') AS vh,
           max(retention) AS retention,
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
           argMaxIf(view_visitor, view_t, viewed) AS visitor_id,
           arraySort(groupUniqArrayIf(view_visitor, viewed AND view_visitor != '')) AS visitors,
           argMinIf(device, view_t, viewed) AS device,
           argMinIf(browser, view_t, viewed) AS browser,
           max(retention) AS retention,
           {", ".join(f"arrayFlatten(groupArray(arrayMap(o -> (path, pageview_id, o), {name}))) AS {name}"
                      for name in signals.PAGE_VIEW)}
    FROM per_view
    GROUP BY session_id
    HAVING length(pages_t) > 0"""

SUMMARY = f"""
    SELECT session_id, visitor_id, visitors, device, browser, clicks, errors, retention,
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


def summaries_sql(chosen_where: str) -> str:
    """The summaries of the sessions of `{site}` with page views in `[{lo}, {hi})` whose rows pass
    `chosen_where` (over pageviews)."""
    return f"""
        WITH
            chosen AS (
                SELECT DISTINCT session_id FROM pageviews
                WHERE site = {{site:String}} AND time >= {{lo:DateTime64(3)}} AND time < {{hi:DateTime64(3)}}
                      AND {chosen_where}
            ),
            activity AS ({ACTIVITY}),
            per_view AS ({PER_VIEW}),
            per_session AS ({PER_SESSION}),
            summaries AS ({SUMMARY})
        SELECT * FROM summaries"""


def summary_of(row: tuple[Any, ...]) -> dict[str, Any]:
    """A row of session_index.LISTED_COLUMNS as the API shows it."""
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


def iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

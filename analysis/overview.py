"""The numbers of the dashboard's Overview page, for one site and a date range.

`overview(store, site, start, end)` answers with plain JSON-ready data; the
dashboard calls it off the event loop (`await store.run(overview, store, site, start, end)`).
Every metric is defined in docs/metrics.md; in short:

- Only rows with `start <= time < end` count, always filtered by site. A session is the set of
  a `session_id`'s page views in the range (a session crossing `start` or `end` counts with its
  part inside), and the previous period is the same length just before `start` (from 1970 at
  the earliest).
- visitors = distinct visitor ids, sessions = distinct session ids, pageviews = page view rows
  (all three exact: `uniqExact`, `count`); errors = rows of `errors`.
- bounce rate = share of sessions with exactly one page view.
- session duration = last minus first time among the session's page views and interaction
  events (clicks, scrolls, mouse trails, custom events) in the range, so a one-page session
  lasts until its last interaction, and 0 s when it has none; the median interpolates between
  the two middle sessions.
- entry / exit page, referrer and campaign of a session come from its first / last page view;
  an empty referrer host is shown as `direct`.
- p75 of a Web Vital interpolates linearly between the samples (numpy's default); its rating
  shares use the rating each sample was sent with.
- the main funnel is not computed here: the page shows the site's first saved funnel, as
  analysis/funnels.py counts it (one funnel engine); `step_regex` (store/conditions.py) is the page pattern rule
  every query shares (`*` stands for one or more whole path segments).
- a relative change is (current - previous) / previous, None when the previous value is 0 or
  undefined; a share or rate whose total is 0 is None.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from footfall.analysis.numbers import number, ratio
from footfall.store import Store, vocabulary
from footfall.store.clock import EPOCH, iso, milliseconds, utc
from footfall.store.conditions import SITE_IN_RANGE

TOP = 10
HOURLY_UP_TO = timedelta(days=2)  # ranges this short get one series point per hour, else per day
# The vocabulary's vitals (store/vocabulary.py), the Core Web Vitals first as the Overview lists them.
VITALS = ("LCP", "INP", "CLS", "FCP", "TTFB")
RATINGS = vocabulary.RATINGS

IN_RANGE = SITE_IN_RANGE
# The current and the previous period at once; `current` tells them apart.
BOTH_PERIODS = "site = {site:String} AND time >= {previous:DateTime64(3)} AND time < {end:DateTime64(3)}"
CURRENT = "time >= {start:DateTime64(3)} AS current"

PAGEVIEWS = f"(SELECT path, device, browser, visitor_id FROM pageviews WHERE {IN_RANGE})"
# One row per session with page views in the range: what its first and last page view say.
SESSIONS = f"""(
    SELECT session_id,
           argMin(visitor_id, time) AS visitor,
           argMin(path, time) AS entry_path,
           argMax(path, time) AS exit_path,
           argMin(referrer_host, time) AS entry_referrer_host,
           argMin(utm_source, time) AS entry_utm_source,
           argMin(utm_medium, time) AS entry_utm_medium,
           argMin(utm_campaign, time) AS entry_utm_campaign
    FROM pageviews WHERE {IN_RANGE}
    GROUP BY session_id
)"""


def overview(store: Store, site: str, start: datetime, end: datetime) -> dict[str, Any]:
    """Everything the Overview page shows for `site` between `start` (inclusive) and `end` (exclusive)."""
    start, end = utc(start), utc(end)
    if end <= start:
        raise ValueError("end must be after start")
    previous = max(start - (end - start), EPOCH)  # nothing is stored before 1970, nor can a query ask for it
    params = {"site": site, "start": start, "end": end, "previous": previous}
    total = totals(store, params)
    visitors, sessions, pageviews = (total[k]["value"] for k in ("visitors", "sessions", "pageviews"))
    return {
        "site": site,
        "range": {"start": iso(start), "end": iso(end), "previous_start": iso(previous),
                  "interval": interval_of(start, end)},
        "totals": total,
        "series": series(store, params),
        "top_pages": top(store, params, PAGEVIEWS, {"path": "path"},
                         {"pageviews": "count()", "visitors": "uniqExact(visitor_id)"}, pageviews),
        "entry_pages": top(store, params, SESSIONS, {"path": "entry_path"}, {"sessions": "count()"}, sessions),
        "exit_pages": top(store, params, SESSIONS, {"path": "exit_path"}, {"sessions": "count()"}, sessions),
        "referrers": top(store, params, SESSIONS,
                         {"referrer_host": "if(entry_referrer_host = '', 'direct', entry_referrer_host)"},
                         {"visitors": "uniqExact(visitor)"}, visitors),
        "utm_sources": top(store, params, SESSIONS,
                           {"utm_source": "entry_utm_source", "utm_medium": "entry_utm_medium",
                            "utm_campaign": "entry_utm_campaign"},
                           {"visitors": "uniqExact(visitor)"}, visitors,
                           where="entry_utm_source != '' OR entry_utm_medium != '' OR entry_utm_campaign != ''"),
        "devices": top(store, params, PAGEVIEWS, {"device": "device"}, {"visitors": "uniqExact(visitor_id)"}, visitors),
        "browsers": top(store, params, PAGEVIEWS, {"browser": "browser"}, {"visitors": "uniqExact(visitor_id)"},
                        visitors),
        "vitals": vitals(store, params),
    }


# -- totals ---------------------------------------------------------------------------------------
def totals(store: Store, p: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each headline number now and in the previous period, with the relative change."""
    now: dict[str, Any] = {"visitors": 0, "sessions": 0, "pageviews": 0, "bounce_rate": None,
                           "median_session_seconds": None, "errors": 0}
    before = dict(now)
    by_period = {1: now, 0: before}
    counts = f"""
        SELECT {CURRENT}, uniqExact(visitor_id), uniqExact(session_id), count()
        FROM pageviews WHERE {BOTH_PERIODS} GROUP BY current"""
    for current, visitors, sessions, pageviews in store.rows(counts, p):
        by_period[current].update(visitors=visitors, sessions=sessions, pageviews=pageviews)
    # A session's time span covers its page views and interaction events; events alone make no session.
    spans = f"""
        SELECT current, count(), countIf(pageviews = 1), quantileExactInclusive(0.5)(seconds)
        FROM (
            SELECT {CURRENT}, session_id, sum(is_pageview) AS pageviews,
                   (toUnixTimestamp64Milli(max(time)) - toUnixTimestamp64Milli(min(time))) / 1000 AS seconds
            FROM (
                SELECT time, session_id, 1 AS is_pageview FROM pageviews WHERE {BOTH_PERIODS}
                UNION ALL
                SELECT time, session_id, 0 AS is_pageview FROM events WHERE {BOTH_PERIODS}
            )
            GROUP BY current, session_id
        )
        WHERE pageviews > 0
        GROUP BY current"""
    for current, sessions, bounces, median in store.rows(spans, p):
        by_period[current].update(bounce_rate=ratio(bounces, sessions), median_session_seconds=number(median))
    errors = f"SELECT {CURRENT}, count() FROM errors WHERE {BOTH_PERIODS} GROUP BY current"
    for current, count in store.rows(errors, p):
        by_period[current]["errors"] = count
    return {name: {"value": now[name], "previous": before[name], "change": change(now[name], before[name])}
            for name in now}


# -- series ---------------------------------------------------------------------------------------
def interval_of(start: datetime, end: datetime) -> str:
    return "hour" if end - start <= HOURLY_UP_TO else "day"


def series(store: Store, p: dict[str, Any]) -> list[dict[str, Any]]:
    """Visitors, sessions and page views per UTC day (per hour for short ranges), empty buckets as 0.

    Buckets start at whole UTC days or hours: the first is the one holding `start`."""
    step = 3_600_000 if interval_of(p["start"], p["end"]) == "hour" else 86_400_000
    sql = f"""
        SELECT intDiv(toUnixTimestamp64Milli(time), {{step:UInt64}}) * {{step:UInt64}} AS bucket,
               uniqExact(visitor_id), uniqExact(session_id), count()
        FROM pageviews WHERE {IN_RANGE} GROUP BY bucket"""
    found = {bucket: (v, s, n) for bucket, v, s, n in store.rows(sql, {**p, "step": step})}
    first, end = milliseconds(p["start"]) // step * step, milliseconds(p["end"])
    points = []
    for bucket in range(first, end, step):
        visitors, sessions, pageviews = found.get(bucket, (0, 0, 0))
        points.append({"time": iso(datetime.fromtimestamp(bucket / 1000, UTC)), "visitors": visitors,
                       "sessions": sessions, "pageviews": pageviews})
    return points


# -- top lists ------------------------------------------------------------------------------------
def top(store: Store, p: dict[str, Any], source: str, keys: dict[str, str], measures: dict[str, str],
        total: int, where: str = "") -> list[dict[str, Any]]:
    """The TOP rows of `source` grouped by `keys`, ranked by the first measure (then the others, then
    the keys), each with its `share` of `total` in that first measure.

    `source` is a subquery already filtered by site and range; `keys` and `measures` map output
    names to SQL expressions over it."""
    names = ", ".join(keys)
    columns = ", ".join(expr if expr == name else f"{expr} AS {name}" for name, expr in {**keys, **measures}.items())
    sql = f"""
        SELECT {columns} FROM {source}
        {f"WHERE {where}" if where else ""}
        GROUP BY {names}
        ORDER BY {", ".join(f"{name} DESC" for name in measures)}, {names}
        LIMIT {{limit:UInt32}}"""
    first = next(iter(measures))
    found = store.dicts(sql, {**p, "limit": TOP})
    for row in found:
        row["share"] = ratio(row[first], total)
    return found


# -- Web Vitals -----------------------------------------------------------------------------------
def vitals(store: Store, p: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per metric: p75, sample count and the share of each rating (every metric, even without samples)."""
    out: dict[str, dict[str, Any]] = {
        name: {"p75": None, "count": 0, **{rating: None for rating in RATINGS}} for name in VITALS}
    sql = f"""
        SELECT name, quantileExactInclusive(0.75)(value), count(),
               countIf(rating = 'good'), countIf(rating = 'needs-improvement'), countIf(rating = 'poor')
        FROM web_vitals WHERE {IN_RANGE} AND name IN {{names:Array(String)}}
        GROUP BY name"""
    for name, p75, count, *rated in store.rows(sql, {**p, "names": list(VITALS)}):
        out[name] = {"p75": number(p75), "count": count,
                     **{rating: ratio(n, count) for rating, n in zip(RATINGS, rated, strict=True)}}
    return out


# -- small helpers --------------------------------------------------------------------------------
def change(current: float | None, previous: float | None) -> float | None:
    if current is None or not previous:
        return None
    return (current - previous) / previous

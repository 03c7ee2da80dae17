"""What an anomaly is made of: the breakdown values that account for most of its change, against the
same hours of the previous weeks, and what else changed at the same time and place (docs/anomalies.md).

Each KPI counts rows of one table (page views, errors, clicks, vitals rated poor, sessions); the
anomaly's window and the same window 1..WEEKS weeks earlier are counted per value of each dimension
the table has. A value's change is its count in the window minus the median of its counts in the
earlier windows; its share is that change over the scope's whole change, so "80% of the extra
errors are Safari" reads from the browser dimension's first row."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np

from footfall.analysis.anomalies.detect import WEEKS, Anomaly
from footfall.analysis.anomalies.kpis import SOURCE
from footfall.store import Store
from footfall.store.conditions import grouped_path

LONGEST = timedelta(days=7)  # a longer anomaly is explained by its last week
LISTED = 3  # values listed per dimension
NAMED_SHARE = 0.6  # a value with at least this share of the change is named in the summary,
OUTWEIGHS = 0.25  # if its share of the change is this much above its share of the usual counts
SESSIONS = f"""
    SELECT p.session_id AS session_id, min(p.time) AS time, argMin(p.device, p.time) AS device,
           argMin(p.browser, p.time) AS browser, argMin(p.os, p.time) AS os,
           argMin({SOURCE.replace("utm_source", "p.utm_source").replace("referrer_host", "p.referrer_host")}, p.time)
               AS source, argMin(p.path, p.time) AS path, count() AS views
    FROM pageviews AS p
    WHERE p.site = {{site:String}} AND p.time >= {{from:DateTime64(3)}} AND p.time < {{end:DateTime64(3)}}
    GROUP BY p.session_id"""
# Per KPI: the rows it counts (FROM ... WHERE), what one row counts, and the dimensions those rows have.
COUNTED: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "visitors": ("pageviews WHERE {range}", "page views", ("device", "browser", "os", "source", "page")),
    "pageviews": ("pageviews WHERE {range}", "page views", ("device", "browser", "os", "source", "page")),
    "error_rate": ("errors WHERE {range} AND kind != 'console'", "errors",
                   ("device", "browser", "os", "page", "error_group")),
    "error_group_rate": ("errors WHERE {range} AND kind != 'console'", "errors", ("device", "browser", "os", "page")),
    "rage_clicks": ("events WHERE {range} AND type = 'click' AND rage = 1", "rage clicks",
                    ("device", "browser", "page")),
    "dead_clicks": ("events WHERE {range} AND type = 'click' AND dead = 1", "dead clicks",
                    ("device", "browser", "page")),
    "lcp_p75": ("web_vitals WHERE {range} AND name = 'LCP' AND rating = 'poor'", "poor LCPs",
                ("device", "browser", "page")),
    "inp_p75": ("web_vitals WHERE {range} AND name = 'INP' AND rating = 'poor'", "poor INPs",
                ("device", "browser", "page")),
    "cls_p75": ("web_vitals WHERE {range} AND name = 'CLS' AND rating = 'poor'", "poor CLSs",
                ("device", "browser", "page")),
    "bounce_rate": (f"({SESSIONS}) WHERE {{range}} AND views = 1", "bounced sessions",
                    ("device", "browser", "os", "source", "page")),
    "sessions": (f"({SESSIONS}) WHERE {{range}}", "sessions", ("device", "browser", "os", "source", "page")),
}
DIMENSIONS = {"device": "toString(device)", "browser": "toString(browser)", "os": "toString(os)",
              "source": "source", "page": "{page}", "error_group": "fingerprint"}


def dimension_pairs(dims: tuple[str, ...] | list[str], page: str) -> str:
    """SQL for (dimension, value) tuples a row is ARRAY JOINed over, one per dimension."""
    return ", ".join(f"('{d}', {DIMENSIONS[d].format(page=page)})" for d in dims)


def window_of(anomaly: Anomaly, until: datetime) -> tuple[datetime, datetime]:
    end = anomaly.end or until
    return max(anomaly.start, end - LONGEST), end


def explain(store: Store, site: str, anomaly: Anomaly, until: datetime,
            patterns: tuple[str, ...] = ()) -> dict[str, Any]:
    """The anomaly's breakdowns (per dimension, the values with the largest change in its direction),
    a one-line summary naming the values that carry most of it, and the error groups first seen in it."""
    kpi = anomaly.series.kpi
    table, counted, dims = COUNTED[kpi]
    start, end = window_of(anomaly, until)
    weeks = max(WEEKS.values())
    params: dict[str, Any] = {"site": site, "from": start - timedelta(weeks=weeks), "end": end,
                              "week": int(timedelta(weeks=1).total_seconds()),
                              "end_ts": int(end.timestamp()), "start_ts": int(start.timestamp())}
    page = grouped_path(patterns, params)
    scope = anomaly.series.scope
    conditions = ["ts >= {start_ts:Int64} - w * {week:Int64}"]
    for name, column in (("page", page), ("source", "source"), ("error_group", "fingerprint")):
        if name in scope:
            params[f"scope_{name}"] = scope[name]
            conditions.append(f"{column} = {{scope_{name}:String}}")
    in_range = "time >= {from:DateTime64(3)} AND time < {end:DateTime64(3)}"  # sessions: their site is read
    rows_of = table.replace("{range}", in_range if table.startswith("(") else f"site = {{site:String}} AND {in_range}")
    source = f", {SOURCE} AS source" if table.startswith("pageviews") else ""
    pairs = dimension_pairs(dims, page)
    found = store.rows(f"""
        SELECT w, dim.1 AS dimension, dim.2 AS value, count() AS n FROM (
            SELECT *, toInt64(toUnixTimestamp(time)) AS ts, intDiv({{end_ts:Int64}} - 1 - ts, {{week:Int64}}) AS w
                   {source}
            FROM {rows_of})
        ARRAY JOIN [{pairs}] AS dim
        WHERE {" AND ".join(conditions)}
        GROUP BY w, dimension, value""", params)
    counts: dict[tuple[str, str], np.ndarray] = {}
    for w, dimension, value, n in found:
        counts.setdefault((dimension, value), np.zeros(weeks + 1))[w] = n
    sign = 1 if anomaly.direction == "up" else -1
    mix = traffic(store, params, page, dims, scope) if anomaly.series.kind != "count" else {}
    breakdowns = {}
    for dimension in dims:
        values = {v: c for (d, v), c in counts.items() if d == dimension}
        expected = {v: float(np.median(c[1:])) for v, c in values.items()}
        changes = {v: float(c[0]) - expected[v] for v, c in values.items()}
        total, usual = sum(changes.values()), sum(expected.values())
        listed = sorted(changes, key=lambda v: -sign * changes[v])[:LISTED]
        breakdowns[dimension] = [
            {"value": v, "observed": int(values[v][0]), "expected": expected[v], "change": round(changes[v], 1),
             "share": round(changes[v] / total, 3) if total * sign > 0 else None,
             "usual_share": mix.get((dimension, v), 0.0) if (dimension, v) in mix or mix
             else round(expected[v] / usual, 3) if usual else None}
            for v in listed if changes[v] * sign > 0]
    named = sorted(((rows[0]["share"], d, rows[0]["value"]) for d, rows in breakdowns.items()
                    if rows and stands_out(rows[0])), reverse=True)
    more = "extra" if sign > 0 else "missing"
    summary = "; ".join(f"{min(share, 1):.0%} of the {more} {counted} are {label(d)} {v or '(none)'}"
                        for share, d, v in named)
    return {"counted": counted, "breakdowns": breakdowns, "summary": summary,
            "named": [{"dimension": d, "value": v, "share": share} for share, d, v in named],
            "new_errors": new_errors(store, site, anomaly.start, end, scope, patterns)}


def traffic(store: Store, params: dict[str, Any], page: str, dims: tuple[str, ...],
            scope: dict[str, str]) -> dict[tuple[str, str], float]:
    """Each value's share of the scope's page views in the window: what a rate's numerator (errors, poor
    vitals, bounces) is compared with, since a rate's change is judged against its trials."""
    shown = [d for d in dims if d != "error_group"]
    pairs = dimension_pairs(shown, page)
    where = f"AND {page} = {{scope_page:String}}" if "page" in scope else ""
    rows = store.rows(f"""
        SELECT dim.1 AS dimension, dim.2 AS value, count() AS n
        FROM (SELECT *, {SOURCE} AS source FROM pageviews
              WHERE site = {{site:String}} AND time >= fromUnixTimestamp64Milli({{start_ts:Int64}} * 1000)
                    AND time < {{end:DateTime64(3)}} {where})
        ARRAY JOIN [{pairs}] AS dim GROUP BY dimension, value""", params)
    totals: dict[str, int] = {}
    for dimension, _, n in rows:
        totals[dimension] = totals.get(dimension, 0) + n
    return {(d, v): round(n / totals[d], 3) for d, v, n in rows}


def stands_out(row: dict[str, Any]) -> bool:
    """A value carries the change beyond its usual weight: most of the change, and OUTWEIGHS more of
    it than of the usual counts (every page view on desktop explains nothing)."""
    share, usual = row["share"], row["usual_share"]
    return share is not None and share >= NAMED_SHARE and (usual is None or share - usual >= OUTWEIGHS)


def label(dimension: str) -> str:
    return {"page": "on", "source": "from", "error_group": "of the error group", "device": "on",
            "browser": "in", "os": "on"}[dimension]


def new_errors(store: Store, site: str, start: datetime, end: datetime, scope: dict[str, str],
               patterns: tuple[str, ...]) -> list[dict[str, Any]]:
    """Error groups whose first occurrence ever falls in the anomaly (on the scope's page, if any)."""
    params: dict[str, Any] = {"site": site, "start": start, "end": end}
    page = grouped_path(patterns, params)
    where = ""
    if "page" in scope:
        params["scope_page"] = scope["page"]
        where = f"AND {page} = {{scope_page:String}}"
    return [{"fingerprint": f, "message": m, "count": n, "first_seen": first}
            for f, m, n, first in store.rows(f"""
                SELECT fingerprint, any(message), countIf(time >= {{start:DateTime64(3)}}), min(time) AS first
                FROM errors WHERE site = {{site:String}} AND time < {{end:DateTime64(3)}} AND kind != 'console' {where}
                GROUP BY fingerprint HAVING first >= {{start:DateTime64(3)}}
                ORDER BY count() DESC LIMIT 5""", params)]

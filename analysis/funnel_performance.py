"""Page-load performance per funnel step (real-user monitoring): for the page views that make up
each step (the page view of a page step; the page view a click or custom event happened on), the
Web Vitals, navigation phases, JavaScript error rate and slowest resources, in the shapes of
performance.py; and for every step but the last, the conversion to the next step by the LCP and
INP rating of that page view (conversion_impact.py).

One query: the funnel's units keep the page view of each step they reached (funnels.units_sql with
views), and the measurement tables, put in one stream, are joined to those page views, so the
funnel is walked once however many tables are read. It reads every measurement of the range, so
it costs several times the funnel alone on a large site (bench/funnel.py measures it)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from collector.store import Store

from . import performance as perf
from .conversion_impact import impact
from .funnels import Funnel, query, range_params, units_sql

IMPACT_VITALS = ("LCP", "INP")
REPORTED_WITHIN = timedelta(hours=1)  # vitals such as INP and CLS are sent when the page is left


def step_performance_sql(f: Funnel, params: dict[str, Any]) -> str:
    """Rows of (what, step, name, kind, rows, page views, quantiles, size, ratings, converted
    ratings). The page views join by a 64-bit hash of their id, cheaper to hash and compare than
    the id; the navigation phases are unpivoted after the join, so only the steps' page views are.
    A vital reported twice for one page view counts twice (the snippet reports each once)."""
    span = "site = {site:String} AND time >= {start:DateTime64(3)} AND time < {measured_until:DateTime64(3)}"
    phases = ", ".join(f"toFloat64({name})" for name in perf.PHASES)
    return f"""
    WITH units AS ({units_sql(f, params, views=True)}),
    step_views AS (SELECT k, views[k] AS view, toUInt8(level > k) AS converted
                   FROM units ARRAY JOIN arrayEnumerate(views) AS k)
    SELECT what, s.k AS k, if(what = 'phase', phase, m.name) AS name, kind, count(), uniqExactIf(m.pv, what = 'error'),
           quantilesExact(0.5, 0.75, 0.95)(if(what = 'phase', phase_value, m.value)) AS q, avg(size),
           countIf(rating = 'good'), countIf(rating = 'needs-improvement'), countIf(rating = 'poor'),
           countIf(rating = 'good' AND s.converted = 1), countIf(rating = 'needs-improvement' AND s.converted = 1),
           countIf(rating = 'poor' AND s.converted = 1)
    FROM (
        SELECT 'vital' AS what, cityHash64(pageview_id) AS pv, toString(name) AS name, '' AS kind, value,
               toString(rating) AS rating, toUInt32(0) AS size, CAST([], 'Array(Float64)') AS phases
        FROM web_vitals WHERE {span}
        UNION ALL
        SELECT 'phase', cityHash64(pageview_id), '', '', toFloat64(0), '', toUInt32(0), [{phases}]
        FROM page_timings WHERE {span}
        UNION ALL
        SELECT 'error', cityHash64(pageview_id), '', '', toFloat64(0), '', toUInt32(0), []
        FROM errors WHERE {span} AND kind != 'console'
        UNION ALL
        SELECT 'resource', cityHash64(pageview_id), url, toString(kind), toFloat64(duration), '', transfer_size, []
        FROM resources WHERE {span}
    ) AS m
    INNER JOIN step_views AS s ON m.pv = s.view
    LEFT ARRAY JOIN m.phases AS phase_value, arraySlice({list(perf.PHASES)}, 1, length(m.phases)) AS phase
    GROUP BY what, k, name, kind
    ORDER BY what, k, q[2] DESC, name
    LIMIT {perf.RESOURCES_LISTED} BY what, k"""


def step_performance(store: Store, site: str, start: datetime, end: datetime, f: Funnel,
                     steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per step of `steps` (funnels.query's overall steps, for their entered and converted counts):
    the page views' performance and, but for the last step, the conversion impact of LCP and INP."""
    params = range_params(site, start, end, f)
    params["measured_until"] = params["until"] + REPORTED_WITHIN
    n = len(f.steps)
    found: list[dict[str, Any]] = [{"vitals": perf.no_vitals(), "timed": 0, "phases": {}, "with_error": 0,
                                    "resources": [], "ratings": {}} for _ in range(n)]
    for what, k, name, kind, rows, views, q, size, good, middling, poor, *converted in store.rows(
            step_performance_sql(f, params), params):
        step = found[k - 1]
        if what == "vital" and name in step["vitals"]:
            step["vitals"][name] = perf.vital(name, rows, q, good, middling, poor)
            step["ratings"][name] = {rating: (count, won) for rating, count, won
                                     in zip(perf.RATINGS, (good, middling, poor), converted, strict=True) if count}
        elif what == "phase":
            step["timed"] = max(step["timed"], rows)  # a timing row per page view, unpivoted
            step["phases"][name] = q
        elif what == "error":
            step["with_error"] = views
        elif what == "resource":
            step["resources"].append(perf.resource(name, kind, rows, q, size))
    out = []
    for k, (counts, step) in enumerate(zip(steps, found, strict=True)):
        entered = counts["entered"]
        shaped = {"step": k + 1, "pageviews": entered, "vitals": step["vitals"],
                  "navigation": {"timed": step["timed"],
                                 "phases": {name: perf.phase(step["timed"], step["phases"][name])
                                            if name in step["phases"] else None for name in perf.PHASES}},
                  "errors": perf.error_share(step["with_error"], entered),
                  "slowest_resources": step["resources"]}
        if k + 1 < n:
            shaped["impact"] = {name: impact(entered, counts["converted"], step["ratings"].get(name, {}))
                                for name in IMPACT_VITALS}
        out.append(shaped)
    return out


def query_with_performance(store: Store, site: str, start: datetime, end: datetime, f: Funnel) -> dict[str, Any]:
    """funnels.query, each overall step with its `performance` (not per breakdown value)."""
    found = query(store, site, start, end, f)
    for step, measured in zip(found["steps"], step_performance(store, site, start, end, f, found["steps"]),
                              strict=True):
        step["performance"] = measured
    return found

"""Page-load performance per funnel step (real-user monitoring): for the page views that make up
each step (the page view of a page step; the page view a click or custom event happened on), the
Web Vitals, navigation phases, JavaScript error rate and slowest resources, in the shapes of
performance.py; and for every step but the last, the conversion to the next step by the LCP and
INP rating of that page view (conversion_impact.py).

One query: the funnel's units keep the page view of each step they reached (funnels.units_sql with
views), and the measurement tables, put in one stream, are joined to those page views, so the
funnel is walked once however many tables are read."""

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
    span = "site = {site:String} AND time >= {start:DateTime64(3)} AND time < {measured_until:DateTime64(3)}"
    phases = ", ".join(f"toFloat64({name})" for name in perf.PHASES)
    return f"""
    WITH units AS ({units_sql(f, params, views=True)}),
    step_views AS (SELECT k, views[k] AS view, toUInt8(level > k) AS converted
                   FROM units ARRAY JOIN arrayEnumerate(views) AS k)
    SELECT m.what, s.k, m.name, m.kind, count(), uniqExact(m.pageview_id),
           quantilesExact(0.5, 0.75, 0.95)(m.value) AS q, avg(m.size),
           countIf(m.rating = 'good'), countIf(m.rating = 'needs-improvement'), countIf(m.rating = 'poor'),
           countIf(m.rating = 'good' AND s.converted = 1), countIf(m.rating = 'needs-improvement' AND s.converted = 1),
           countIf(m.rating = 'poor' AND s.converted = 1)
    FROM (
        SELECT 'vital' AS what, pageview_id, toString(name) AS name, '' AS kind, argMax(value, time) AS value,
               toString(argMax(rating, time)) AS rating, toUInt32(0) AS size
        FROM web_vitals WHERE {span} GROUP BY pageview_id, name
        UNION ALL
        SELECT 'phase', pageview_id, phase, '', value, '', toUInt32(0)
        FROM page_timings ARRAY JOIN {list(perf.PHASES)} AS phase, [{phases}] AS value WHERE {span}
        UNION ALL
        SELECT 'error', pageview_id, '', '', toFloat64(0), '', toUInt32(0)
        FROM errors WHERE {span} AND kind != 'console'
        UNION ALL
        SELECT 'resource', pageview_id, url, toString(kind), toFloat64(duration), '', transfer_size
        FROM resources WHERE {span}
    ) AS m
    INNER JOIN step_views AS s ON m.pageview_id = s.view
    GROUP BY m.what, s.k, m.name, m.kind
    ORDER BY m.what, s.k, q[2] DESC, m.name
    LIMIT {perf.RESOURCES_LISTED} BY m.what, s.k"""


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
            step["timed"] = max(step["timed"], views)
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

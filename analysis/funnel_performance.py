"""Page-load performance per funnel step (real-user monitoring): for the page views that make up
each step (the page view of a page step; the page view a click or custom event happened on), the
Web Vitals, navigation phases, JavaScript error rate and slowest resources, in the shapes of
performance.py; and for every step but the last, the conversion to the next step by the LCP and
INP rating of that page view (conversion_impact.py).

One query: the funnel's units keep the page view of each step they reached (funnels.units_sql with
views), and the page views' measurements, a row per page view (pageview_performance) and a row per
resource, are joined to those page views, so the funnel is walked once. It reads every page view's
measurements of the range, so it costs a few times the funnel alone on a large site (bench/funnel.py
measures it)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from footfall.analysis import performance as perf
from footfall.analysis.conversion_impact import impact
from footfall.analysis.funnels import Funnel, query, range_params, units_sql
from footfall.store import Store
from footfall.store.conditions import site_in_range
from footfall.store.vocabulary import RATINGS

IMPACT_VITALS = ("LCP", "INP")
REPORTED_WITHIN = timedelta(hours=1)  # vitals such as INP and CLS are sent when the page is left


def step_performance_sql(f: Funnel, params: dict[str, Any]) -> str:
    """Per step: a row of its page views' measurements (url ''), then a row per resource URL, the
    slowest first. The steps' page views join by a 64-bit hash of their id to one stream of two
    sources: pageview_performance (migration 0008: a page view's vitals, ratings, navigation phases
    and error flag in one row, grouped here by the hash for the rows not merged yet) and resources."""
    span = site_in_range("measured_until")
    days = "day >= toDate({start:DateTime64(3)}) AND day <= toDate({measured_until:DateTime64(3)})"
    vitals = [v.lower() for v in perf.VITALS]
    merged = ", ".join([f"max({v}) AS {v}, max({v}_rating) AS {v}_rating" for v in vitals]
                       + [f"max({p}) AS {p}" for p in perf.PHASES] + ["max(has_error) AS has_error"])
    none = ", ".join(["CAST(NULL, 'Nullable(Float64)'), toUInt8(0)"] * len(vitals)
                     + ["CAST(NULL, 'Nullable(Float32)')"] * len(perf.PHASES) + ["toUInt8(0)"])
    per_vital = ", ".join(
        f"count(m.{v}), quantilesExact(0.5, 0.75, 0.95)(m.{v}), "
        + ", ".join(f"countIf(m.{v}_rating = {code})" for code in (1, 2, 3)) + ", "
        + ", ".join(f"countIf(m.{v}_rating = {code} AND s.converted = 1)" for code in (1, 2, 3)) for v in vitals)
    phases = ", ".join(f"quantilesExact(0.5, 0.75)(m.{p})" for p in perf.PHASES)
    return f"""
    WITH units AS ({units_sql(f, params, views=True)}),
    step_views AS (SELECT k, views[k] AS view, toUInt8(level > k) AS converted
                   FROM units ARRAY JOIN arrayEnumerate(views) AS k)
    SELECT s.k AS k, m.url AS url, any(m.kind), count(), quantilesExact(0.5, 0.75, 0.95)(m.duration) AS q,
           avg(m.size), {per_vital}, count(m.load), {phases}, countIf(m.has_error = 1)
    FROM (
        SELECT cityHash64(pageview_id) AS pv, '' AS url, '' AS kind, toFloat64(0) AS duration, toUInt32(0) AS size,
               {merged}
        FROM pageview_performance WHERE {span} AND {days}
        GROUP BY pv
        UNION ALL
        SELECT cityHash64(pageview_id), url, toString(kind), toFloat64(duration), transfer_size, {none}
        FROM resources WHERE {span}
    ) AS m
    INNER JOIN step_views AS s ON m.pv = s.view
    GROUP BY k, url
    ORDER BY k, url != '', q[2] DESC, url
    LIMIT {1 + perf.RESOURCES_LISTED} BY k"""


def step_performance(store: Store, site: str, start: datetime, end: datetime, f: Funnel,
                     steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per step of `steps` (funnels.query's overall steps, for their entered and converted counts):
    the page views' performance and, but for the last step, the conversion impact of LCP and INP."""
    params = range_params(site, start, end, f)
    params["measured_until"] = params["until"] + REPORTED_WITHIN
    n, width = len(f.steps), 8  # per vital: count, quantiles, three ratings, three ratings converted
    found: list[dict[str, Any]] = [{"vitals": perf.no_vitals(), "timed": 0, "phases": {}, "with_error": 0,
                                    "resources": [], "ratings": {}} for _ in range(n)]
    for k, url, kind, rows, q, size, *measured in store.rows(step_performance_sql(f, params), params):
        step = found[k - 1]
        if url:
            step["resources"].append(perf.resource(url, kind, rows, q, size))
            continue
        for i, name in enumerate(perf.VITALS):
            count, quantiles, good, middling, poor, *converted = measured[i * width:(i + 1) * width]
            if count:
                step["vitals"][name] = perf.vital(name, count, quantiles, good, middling, poor)
                step["ratings"][name] = {rating: (c, won) for rating, c, won
                                         in zip(RATINGS, (good, middling, poor), converted, strict=True) if c}
        timed, *phases, with_error = measured[len(perf.VITALS) * width:]
        step["timed"], step["with_error"] = timed, with_error
        step["phases"] = dict(zip(perf.PHASES, phases, strict=True)) if timed else {}
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

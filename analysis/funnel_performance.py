"""Page-load performance per funnel step (real-user monitoring): for the page views that make up
each step (the page view of a page step; the page view a click or custom event happened on), the
Web Vitals, navigation phases, JavaScript error rate and slowest resources, in the shapes of
performance.py; and for every step but the last, the conversion to the next step by the LCP and
INP rating of that page view (conversion_impact.py).

One query walks the funnel once and answers both the counts and the performance: the units keep
the page view of each step they reached (funnels.units_sql with views), a row per unit and step
carries what funnels.query counts (reached, converted, the time from the previous step, the
breakdown value), and the measurements of those page views are joined to it (docs/funnels.md,
"How it is computed"; bench/funnel.py measures it)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from footfall.analysis import performance as perf
from footfall.analysis.conversion_impact import impact
from footfall.analysis.funnels import Funnel, answer, range_params, shaped, units_sql
from footfall.store import Store
from footfall.store.conditions import site_in_range
from footfall.store.vocabulary import RATINGS

IMPACT_VITALS = ("LCP", "INP")
REPORTED_WITHIN = timedelta(hours=1)  # vitals such as INP and CLS are sent when the page is left
VITALS = [v.lower() for v in perf.VITALS]


def measurements_sql() -> str:
    """A page view's measurements as rows keyed by a 64-bit hash of its id: a row of its vitals,
    ratings, navigation phases and error flag (url ''; pageview_performance, migration 0008, grouped
    here for the partial rows not merged yet) and a row per resource (url, kind, duration, size),
    both of the range plus REPORTED_WITHIN; and one empty row keyed 0, for the rows of the counts."""
    span = site_in_range("measured_until")
    days = "day >= toDate({start:DateTime64(3)}) AND day <= toDate({measured_until:DateTime64(3)})"
    merged = ", ".join([f"max({v}) AS {v}, max({v}_rating) AS {v}_rating" for v in VITALS]
                       + [f"max({p}) AS {p}" for p in perf.PHASES] + ["max(has_error) AS has_error"])
    none = ", ".join(["CAST(NULL, 'Nullable(Float64)'), toUInt8(0)"] * len(VITALS)
                     + ["CAST(NULL, 'Nullable(Float32)')"] * len(perf.PHASES) + ["toUInt8(0)"])
    return f"""
        SELECT cityHash64(pageview_id) AS pv, '' AS url, '' AS kind, toFloat64(0) AS duration,
               toUInt32(0) AS size, {merged}
        FROM pageview_performance WHERE {span} AND {days}
        GROUP BY pv
        UNION ALL
        SELECT cityHash64(pageview_id), url, toString(kind), toFloat64(duration), transfer_size, {none}
        FROM resources WHERE {span}
        UNION ALL
        SELECT toUInt64(0), '', '', toFloat64(0), toUInt32(0), {none}"""


def walked_sql(f: Funnel, params: dict[str, Any]) -> str:
    """Per step (k): a row of its counts and its page views' measurements (url ''), then a row per
    resource URL, the slowest first; with a breakdown also a row of the counts per step and value.
    A unit gives two rows per step reached, its page view of that step, whether it went on to the
    next step and the seconds from the step before: one (c = 1) for the counts, which joins the empty
    row keyed 0 (so the join is an inner one, every count row kept), and one (c = 0) that the
    measurements of that page view join to."""
    # The vitals, ratings, phases and error flag are NULL or 0 on the rows of a resource and on the
    # empty row, and a resource URL's group holds its rows alone: only the counts tell rows apart.
    per_vital = ", ".join(
        f"count(m.{v}), quantilesExact(0.5, 0.75, 0.95)(m.{v}), "
        + ", ".join(f"countIf(m.{v}_rating = {code})" for code in (1, 2, 3)) + ", "
        + ", ".join(f"countIf(m.{v}_rating = {code} AND s.converted = 1)" for code in (1, 2, 3)) for v in VITALS)
    phases = ", ".join(f"quantilesExact(0.5, 0.75)(m.{p})" for p in perf.PHASES)
    counted = "s.c = 1"
    if f.breakdown:
        keys, value = "GROUPING SETS ((k, url), (k, s.breakdown))", "if(grouping(s.breakdown) = 1, NULL, s.breakdown)"
    else:
        keys, value = "k, url", "NULL"
    return f"""
    WITH units AS ({units_sql(f, params, views=True)})
    SELECT s.k AS k, m.url AS url, {value} AS breakdown_value, countIf({counted}) AS entered,
           countIf(s.converted = 1 AND {counted}), quantileExactIf(0.5)(s.gap, {counted}),
           quantileExactIf(0.9)(s.gap, {counted}),
           any(m.kind), count(), quantilesExact(0.5, 0.75, 0.95)(m.duration) AS q, avg(m.size),
           {per_vital}, count(m.load), {phases}, countIf(m.has_error = 1)
    FROM ({measurements_sql()}) AS m
    INNER JOIN (
        SELECT k, if(c = 0, views[k], 0) AS view, toUInt8(level > k) AS converted,
               (times[k] - times[greatest(k - 1, 1)]) / 1000 AS gap, breakdown, c
        FROM units ARRAY JOIN arrayEnumerate(views) AS k ARRAY JOIN [0, 1] AS c
    ) AS s ON m.pv = s.view
    GROUP BY {keys}
    ORDER BY k, url != '', q[2] DESC, url
    LIMIT {1 + perf.RESOURCES_LISTED} BY k, breakdown_value"""


def query_with_performance(store: Store, site: str, start: datetime, end: datetime, f: Funnel) -> dict[str, Any]:
    """funnels.query, each overall step with its `performance` (not per breakdown value), from one
    walk of the funnel."""
    params = range_params(site, start, end, f)
    params["measured_until"] = params["until"] + REPORTED_WITHIN
    n = len(f.steps)
    counts: dict[Any, list[tuple[int, int, float, float]]] = {}
    found: list[dict[str, Any]] = [{"vitals": perf.no_vitals(), "timed": 0, "phases": {}, "with_error": 0,
                                    "resources": [], "ratings": {}} for _ in range(n)]
    for k, url, value, entered, converted, median, p90, kind, rows, q, size, *measured in store.rows(
            walked_sql(f, params), params):
        if url:
            found[k - 1]["resources"].append(perf.resource(url, kind, rows, q, size))
            continue
        counts.setdefault(value, [(0, 0, None, None)] * n)[k - 1] = (entered, converted, median, p90)
        if value is None:
            measure(found[k - 1], measured)
    results = [(value, shaped(f, [c[0] for c in steps], [g for c in steps[1:] for g in c[2:]]))
               for value, steps in counts.items()]
    out = answer(f, results)
    for step, measured in zip(out["steps"], performance(f, out["steps"], found), strict=True):
        step["performance"] = measured
    return out


def measure(step: dict[str, Any], measured: list[Any]) -> None:
    """A step's vitals, ratings (overall and of the units that converted), phases and errors from
    its row of walked_sql, in place."""
    width = 8  # per vital: count, quantiles, three ratings, three ratings converted
    for i, name in enumerate(perf.VITALS):
        count, quantiles, good, middling, poor, *converted = measured[i * width:(i + 1) * width]
        if count:
            step["vitals"][name] = perf.vital(name, count, quantiles, good, middling, poor)
            step["ratings"][name] = {rating: (c, won) for rating, c, won
                                     in zip(RATINGS, (good, middling, poor), converted, strict=True) if c}
    timed, *phases, with_error = measured[len(perf.VITALS) * width:]
    step["timed"], step["with_error"] = timed, with_error
    step["phases"] = dict(zip(perf.PHASES, phases, strict=True)) if timed else {}


def performance(f: Funnel, steps: list[dict[str, Any]], found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per overall step: the page views' performance and, but for the last step, the conversion
    impact of LCP and INP."""
    out = []
    for k, (counts, step) in enumerate(zip(steps, found, strict=True)):
        entered = counts["entered"]
        shaped_step = {"step": k + 1, "pageviews": entered, "vitals": step["vitals"],
                       "navigation": {"timed": step["timed"],
                                      "phases": {name: perf.phase(step["timed"], step["phases"][name])
                                                 if name in step["phases"] else None for name in perf.PHASES}},
                       "errors": perf.error_share(step["with_error"], entered),
                       "slowest_resources": step["resources"]}
        if k + 1 < len(f.steps):
            shaped_step["impact"] = {name: impact(entered, counts["converted"], step["ratings"].get(name, {}))
                                     for name in IMPACT_VITALS}
        out.append(shaped_step)
    return out

"""Funnels: a site's saved funnels, one of them queried over a date range (a bar per step, the step
table with drop-off and time between steps, each drop-off opening the replays of the sessions that
dropped there), and a form to create, edit or delete one (administrators).

The page answers with the funnel alone; the steps' page-load performance, which reads every
measurement of the range and takes several times longer on a large site, comes from the same page
with performance=1, which dashboard.js fetches and puts in place (a link without JavaScript)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlencode

import msgspec
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from footfall.analysis import funnel_performance, funnel_trend, funnels
from footfall.collector.rejection import Rejected
from footfall.store import Store, saved_funnels
from footfall.store import goals as stored_goals
from footfall.web.dashboard import tables
from footfall.web.dashboard.charts import funnel_chart
from footfall.web.dashboard.context import SiteRange, chosen_range, site_for_admin, site_range
from footfall.web.dashboard.filters import filter_state
from footfall.web.dashboard.funnel_form import CHOICES, form_definition, form_values
from footfall.web.dashboard.render import page
from footfall.web.dashboard.tables import Column, Table
from footfall.web.dashboard.trend_chart import Points, daily_points, previous_first, trend_chart
from footfall.web.dates import day_bounds
from footfall.web.funnels_api import funnel_of, goal_steps, inlined, saved_funnel_of


async def funnels_page(store: Store, request: Request) -> Response:
    view = site_range(request)
    if isinstance(view, Response):
        return view
    key = view.site.key
    saved = await store.run(saved_funnels.listed, store, key)
    chosen = next((f for f in saved if f.id == request.query_params.get("id")), saved[0] if saved else None)
    result, dropped, measured, deferred = None, {}, request.query_params.get("performance") == "1", ""
    trend, error = None, None
    wanted = tables.asked(request)
    if wanted is not None:
        return await download(store, view, chosen, wanted)
    if chosen is not None:
        answer = funnel_performance.query_with_performance if measured else funnels.query
        definition = inlined(chosen.definition.encode(), await store.run(goal_steps, store, key))
        try:
            funnel = funnel_of(definition)
        except Rejected as exc:  # a goal it names was deleted since
            funnel, error = None, f"This funnel cannot be counted: {exc.message}. Edit it below."
        if funnel is not None:
            result = await store.run(answer, store, key, view.start, view.end, funnel)
            for step in result["steps"][:-1]:
                dropped[step["step"]] = f"/sites/{key}/replays?" + urlencode({
                    "funnel": definition.decode(), "dropped_at": step["step"], **view.span, "has_replay": ""})
            trend = await store.run(conversion_chart, store, view, funnel)
        deferred = f"/sites/{key}/funnels?" + urlencode({"id": chosen.id, **view.span, "performance": "1"})
    form = form_values(chosen.name, json.loads(chosen.definition)) if chosen else form_values("", {})
    return page(request, "funnels.html", **view.shown, saved=saved, chosen=chosen,
                result=result, dropped=dropped, measured=measured, deferred=deferred, form=form, error=error,
                goals=await store.run(stored_goals.listed, store, key),
                saved_msg=request.query_params.get("saved") == "1",
                chart=funnel_chart(result["steps"]) if result else None, trend=trend, state=filter_state(request),
                **CHOICES)


STEP_COLUMNS = (Column("step", "Step"), Column("label", "Page or event", "text"), Column("entered", "Entered"),
                Column("conversion_from_start", "Of the first step", "share"),
                Column("conversion_from_previous", "From the previous", "share"), Column("drop_off", "Dropped off"),
                Column("median_s", "Median time", "seconds"), Column("p90_s", "p90 time", "seconds"),
                Column("lcp_p75", "LCP p75", "ms"), Column("inp_p75", "INP p75", "ms"),
                Column("ttfb_p75", "TTFB p75", "ms"), Column("request_median", "Request", "ms"),
                Column("error_rate", "JS errors", "share"))


IMPACT_COLUMNS = (Column("step", "Step"), Column("metric", "Metric", "text"), Column("rating", "Rating", "text"),
                  Column("units", "Entered"), Column("converted", "Went on"),
                  Column("conversion", "Conversion", "share"), Column("ci_low", "95% interval from", "share"),
                  Column("ci_high", "95% interval to", "share"))


def step_rows(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The steps' table as shown once its page loads are measured: counts, times, then performance."""
    rows = []
    for s in steps:
        perf = s["performance"]
        request = perf["navigation"]["phases"]["request"]
        rows.append({**{c.key: s.get(c.key) for c in STEP_COLUMNS[:8]},
                     **{f"{n.lower()}_p75": perf["vitals"][n]["p75"] for n in ("LCP", "INP", "TTFB")},
                     "request_median": request["median"] if request else None,
                     "error_rate": perf["errors"]["error_rate"]})
    return rows


async def download(store: Store, view: SiteRange, chosen: Any, name: str) -> Response:
    """The chosen funnel's steps (with their performance) or its breakdown, as CSV."""
    if chosen is None or name not in ("funnel_steps", "funnel_breakdown", "funnel_impact"):
        return tables.not_a_table(name)
    try:
        f = await store.run(saved_funnel_of, store, view.site.key, chosen.definition.encode())
    except Rejected:  # a goal it names was deleted since: the page says so, there is no table
        return tables.not_a_table(name)
    result = await store.run(funnel_performance.query_with_performance, store, view.site.key, view.start,
                             view.end, f)
    if name == "funnel_steps":
        table = Table(name, "Steps", STEP_COLUMNS, step_rows(result["steps"]))
    elif name == "funnel_impact":
        kept = ("rating", "units", "converted", "conversion")
        rows = [{"step": s["step"], "metric": metric, **{k: b[k] for k in kept},
                 "ci_low": b["ci"][0] if b["ci"] else None, "ci_high": b["ci"][1] if b["ci"] else None}
                for s in result["steps"] for metric, imp in (s["performance"].get("impact") or {}).items()
                for b in imp["buckets"]]
        table = Table(name, "Conversion by rating", IMPACT_COLUMNS, rows)
    else:
        groups = result.get("breakdown", {}).get("groups", [])
        by = result.get("breakdown", {}).get("by", "breakdown")
        columns = (Column("value", by.capitalize(), "text"),
                   *(Column(f"step_{s['step']}", str(s["step"])) for s in result["steps"]),
                   Column("conversion", "Converted", "share"))
        rows = [{"value": g["value"], **{f"step_{s['step']}": s["entered"] for s in g["steps"]},
                 "conversion": g["steps"][-1]["conversion_from_start"]} for g in groups]
        table = Table(name, "Breakdown", columns, rows)
    return tables.csv_response(table, view.site.key, chosen.name, view.first.isoformat(), view.last.isoformat())


def conversion_chart(store: Store, view: SiteRange, f: funnels.Funnel) -> dict[str, Any]:
    """The funnel's conversion per local day of the range (units counted on the day they entered;
    a gap on a day nobody entered), the previous days of the same length dotted behind."""
    zone, length = view.site.time_zone, (view.last - view.first).days + 1

    def points(first: date) -> Points:
        start, end = day_bounds(first, first + timedelta(days=length - 1), zone)
        days = funnel_trend.trend(store, view.site.key, start, end, f, zone)
        return daily_points(first, length, zone, {d["day"]: None if d["conversion"] is None
                                                  else round(d["conversion"] * 100, 2) for d in days})

    earlier = previous_first(view.first, length)
    chart = trend_chart(points(view.first), points(earlier) if earlier else [], "day", "converted",
                        fmt=lambda v: f"{v:g}%", heading="Conversion")
    chart["metrics"] = chart["intervals"] = []
    return chart


async def save_funnel(store: Store, request: Request) -> Response:
    site = site_for_admin(request)
    if isinstance(site, Response):
        return site
    form = await request.form()
    name = str(form.get("name", "")).strip()[:200]
    try:
        if not name:
            raise ValueError("Give the funnel a name.")
        definition = form_definition(form, await store.run(goal_steps, store, site.key))
    except (ValueError, Rejected) as exc:
        message = exc.message if isinstance(exc, Rejected) else str(exc)
        saved = await store.run(saved_funnels.listed, store, site.key)
        first, last, _ = chosen_range(request)
        return page(request, "funnels.html", status=400, site=site, first=first, last=last, saved=saved,
                    chosen=None, result=None, dropped={}, error=message, form=dict(form), **CHOICES,
                    goals=await store.run(stored_goals.listed, store, site.key))
    funnel_id = str(form.get("id") or "") or None
    made = await store.run(saved_funnels.save, store, site.key, name, msgspec.json.encode(definition).decode(),
                           funnel_id)
    return RedirectResponse(f"/sites/{site.key}/funnels?id={made.id}&saved=1", status_code=303)


async def delete_funnel(store: Store, request: Request) -> Response:
    site = site_for_admin(request)
    if isinstance(site, Response):
        return site
    await store.run(saved_funnels.delete, store, site.key, request.path_params["id"])
    return RedirectResponse(f"/sites/{site.key}/funnels", status_code=303)


def routes(store: Store) -> list[Route]:
    return [
        Route("/sites/{key}/funnels", partial(funnels_page, store), methods=["GET"]),
        Route("/sites/{key}/funnels", partial(save_funnel, store), methods=["POST"]),
        Route("/sites/{key}/funnels/{id}/delete", partial(delete_funnel, store), methods=["POST"]),
    ]

"""Funnels: a site's saved funnels, one of them queried over a date range (a bar per step, the step
table with drop-off and time between steps, each drop-off opening the replays of the sessions that
dropped there), and a form to create, edit or delete one (administrators).

The page answers with the funnel alone; the steps' page-load performance, which reads every
measurement of the range and takes several times longer on a large site, comes from the same page
with performance=1, which dashboard.js fetches and puts in place (a link without JavaScript)."""

from __future__ import annotations

import json
from functools import partial
from urllib.parse import urlencode

import msgspec
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from footfall.analysis import funnel_performance, funnels
from footfall.collector.rejection import Rejected
from footfall.store import Store, saved_funnels
from footfall.store import goals as stored_goals
from footfall.web.dashboard.charts import funnel_chart
from footfall.web.dashboard.context import chosen_range, site_for_admin, site_range
from footfall.web.dashboard.funnel_form import CHOICES, form_definition, form_values
from footfall.web.dashboard.render import page
from footfall.web.funnels_api import funnel_of, goal_steps, inlined


async def funnels_page(store: Store, request: Request) -> Response:
    view = site_range(request)
    if isinstance(view, Response):
        return view
    key = view.site.key
    saved = await store.run(saved_funnels.listed, store, key)
    chosen = next((f for f in saved if f.id == request.query_params.get("id")), saved[0] if saved else None)
    result, dropped, measured, deferred = None, {}, request.query_params.get("performance") == "1", ""
    error = None
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
        deferred = f"/sites/{key}/funnels?" + urlencode({"id": chosen.id, **view.span, "performance": "1"})
    form = form_values(chosen.name, json.loads(chosen.definition)) if chosen else form_values("", {})
    return page(request, "funnels.html", **view.shown, saved=saved, chosen=chosen,
                result=result, dropped=dropped, measured=measured, deferred=deferred, form=form, error=error,
                goals=await store.run(stored_goals.listed, store, key),
                saved_msg=request.query_params.get("saved") == "1",
                chart=funnel_chart(result["steps"]) if result else None, **CHOICES)


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

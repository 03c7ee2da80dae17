"""Goals: a site's custom events (events and visitors per name; one chosen event's properties broken
down, a table per property), its goals with their conversions and conversion rate, and a form to
define or delete a goal (administrators). Every table is an answer of the stats query
(analysis/stats.py) in the site's time zone, and its CSV link asks the stats API the same question."""

from __future__ import annotations

import json
from functools import partial
from typing import Any
from urllib.parse import urlencode

import msgspec
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from footfall.analysis import custom_events, goals, stats
from footfall.store import Store, saved_funnels
from footfall.store import goals as stored_goals
from footfall.web.dashboard.context import SiteRange, site_for_admin, site_range
from footfall.web.dashboard.goal_form import KINDS, described, form_name, form_step
from footfall.web.dashboard.render import page

ROWS = 100  # rows of each table
PROPERTY_ROWS = 10  # rows of a property's table: one per value, which may be an order number
EVENT_METRICS = ["events", "visitors"]
GOAL_METRICS = ["conversions", "total_conversions", "conversion_rate"]


def table(store: Store, view: SiteRange, metrics: list[str], by: str | None,
          filters: tuple[str, ...] = (), rows: int = ROWS) -> dict[str, Any]:
    """One table: the stats answer and the link to the same answer as CSV."""
    zone = view.site.time_zone
    found = stats.stats(store, view.site.key, view.first, view.last, metrics, zone=zone, by=by,
                        filters=[stats.Filter.parse(f) for f in filters], limit=rows)
    asked = [("metrics", ",".join(metrics)), *([("by", by)] if by else []), *(("filter", f) for f in filters),
             ("from", view.first.isoformat()), ("to", view.last.isoformat()), ("limit", str(rows)), ("format", "csv")]
    found["csv"] = f"/api/v1/sites/{view.site.key}/stats?" + urlencode(asked)
    return found


def tables(store: Store, view: SiteRange, event: str) -> dict[str, Any]:
    """Everything the page shows: the event names, the chosen event's properties, the goals."""
    names = table(store, view, EVENT_METRICS, "event")
    chosen = event if any(row["event"] == event for row in names["results"]) else ""
    properties = []
    if chosen:
        start, end = stats.day_range(view.first, view.last, view.site.time_zone)
        for key in custom_events.property_keys(store, view.site.key, start, end, chosen)[:20]:
            found = table(store, view, EVENT_METRICS, f"event_prop:{key}", (f"event:is:{chosen}",), PROPERTY_ROWS)
            properties.append((key, found))
    saved = stored_goals.listed(store, view.site.key)
    by_goal = table(store, view, GOAL_METRICS, "goal") if saved else None
    [everyone] = stats.stats(store, view.site.key, view.first, view.last, ["visitors"],
                             zone=view.site.time_zone)["results"]
    return {"names": names, "event": chosen, "properties": properties, "by_goal": by_goal,
            "visitors": everyone["visitors"],
            "saved": [{"id": g.id, "name": g.name, "definition": described(goals.step_of(g.definition))}
                      for g in saved]}


async def goals_page(store: Store, request: Request, status: int = 200, **shown: Any) -> Response:
    view = site_range(request)
    if isinstance(view, Response):
        return view
    event = request.query_params.get("event", "")[:128]
    found = await store.run(tables, store, view, event)
    return page(request, "goals.html", status=status, **view.shown, **found, kinds=KINDS, rows=ROWS,
                property_rows=PROPERTY_ROWS,
                saved_msg=request.query_params.get("saved") == "1",
                form=shown.pop("form", {}), **shown)


async def save_goal(store: Store, request: Request) -> Response:
    site = site_for_admin(request)
    if isinstance(site, Response):
        return site
    form = await request.form()
    saved = await store.run(stored_goals.listed, store, site.key)
    try:
        if len(saved) >= stored_goals.MAX_GOALS:
            raise ValueError(f"A site has at most {stored_goals.MAX_GOALS} goals: delete one first.")
        name = form_name(form, [g.name for g in saved])
        step = form_step(form)
    except ValueError as exc:
        return await goals_page(store, request, status=400, error=str(exc), form=dict(form))
    await store.run(stored_goals.save, store, site.key, name, msgspec.json.encode(step).decode())
    return RedirectResponse(f"/sites/{site.key}/goals?saved=1", status_code=303)


async def delete_goal(store: Store, request: Request) -> Response:
    site = site_for_admin(request)
    if isinstance(site, Response):
        return site
    known = await store.run(stored_goals.one, store, site.key, request.path_params["id"])
    if known is None:
        return page(request, "message.html", status=404, title="No such goal",
                    message="This site has no such goal, or it was deleted already.")
    users = [f.name for f in await store.run(saved_funnels.listed, store, site.key) if uses(f.definition, known.id)]
    if users:
        return await goals_page(store, request, status=409, error=(
            f"The funnel “{users[0]}” ends with this goal: change or delete the funnel first."))
    await store.run(stored_goals.delete, store, site.key, known.id)
    return RedirectResponse(f"/sites/{site.key}/goals", status_code=303)


def uses(definition: str, goal_id: str) -> bool:
    """Whether a saved funnel's definition names the goal as a step or an exclusion."""
    found = json.loads(definition)
    steps = [*found.get("steps", []), *(x.get("step", {}) for x in found.get("exclusions", []))]
    return any(step.get("goal") == goal_id for step in steps)


def routes(store: Store) -> list[Route]:
    return [
        Route("/sites/{key}/goals", partial(goals_page, store), methods=["GET"]),
        Route("/sites/{key}/goals", partial(save_goal, store), methods=["POST"]),
        Route("/sites/{key}/goals/{id}/delete", partial(delete_goal, store), methods=["POST"]),
    ]

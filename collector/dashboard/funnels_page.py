"""Funnels: a site's saved funnels, one of them queried over a date range (a bar per step, the step
table with drop-off and time between steps, each drop-off opening the replays of the sessions that
dropped there), and a form to create, edit or delete one (administrators)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import msgspec
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from analysis import funnels

from .. import saved_funnels
from ..funnels_api import funnel_of
from ..ingest.rejection import Rejected
from ..store import Store
from .overview_page import chosen_range, day_bounds
from .render import page
from .sites_pages import admin, forbidden, site_or_404

EXAMPLE = "/\n/product/*\nevent add_to_cart\n/checkout"


def parse_steps(text: str) -> list[dict[str, Any]]:
    """The form's steps, one a line: a path or pattern (`/product/*`), `event NAME key=value …`, or
    `click SELECTOR`; as the funnels API takes them."""
    steps: list[dict[str, Any]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        word, _, rest = line.partition(" ")
        if line.startswith("/"):
            steps.append({"page": line})
        elif word == "event" and rest.strip():
            name, *pairs = rest.split()
            props = dict(pair.split("=", 1) for pair in pairs if "=" in pair)
            if len(props) != len(pairs):
                raise ValueError(f"write event properties as key=value: {line!r}")
            steps.append({"event": name, **({"props": props} if props else {})})
        elif word == "click" and rest.strip():
            steps.append({"selector": rest.strip()})
        else:
            raise ValueError(f"a step is a path (/cart), 'event NAME key=value' or 'click SELECTOR': {line!r}")
    return steps


def steps_text(definition: dict[str, Any]) -> str:
    lines = []
    for step in definition.get("steps", []):
        if "page" in step:
            lines.append(step["page"])
        elif "event" in step:
            lines.append(" ".join(["event", step["event"], *(f"{k}={v}" for k, v in step.get("props", {}).items())]))
        else:
            lines.append(f"click {step['selector']}")
    return "\n".join(lines)


def form_definition(form: Any) -> dict[str, Any]:
    """The submitted form as the funnels API's JSON; ValueError (or Rejected) names what to fix."""
    try:
        window_h = float(str(form.get("window_h") or "24"))
    except ValueError:
        raise ValueError("The conversion window is a number of hours.") from None
    definition = {"steps": parse_steps(str(form.get("steps", ""))), "window_s": max(1, round(window_h * 3600)),
                  "mode": str(form.get("mode") or "ordered"), "count_by": str(form.get("count_by") or "visitor")}
    funnel_of(json.dumps(definition).encode())  # the API's own checks
    return definition


def routes(store: Store) -> list[Route]:
    async def funnels_page(request: Request) -> Response:
        site = site_or_404(request)
        if isinstance(site, Response):
            return site
        first, last, note = chosen_range(request)
        saved = await store.run(saved_funnels.listed, store, site.key)
        chosen = next((f for f in saved if f.id == request.query_params.get("id")), saved[0] if saved else None)
        result, dropped = None, {}
        if chosen is not None:
            start, end = day_bounds(first, last)
            result = await store.run(funnels.query, store, site.key, start, end, funnel_of(chosen.definition.encode()))
            for step in result["steps"][:-1]:
                dropped[step["step"]] = f"/sites/{site.key}/replays?" + urlencode({
                    "funnel": chosen.definition, "dropped_at": step["step"], "from": first.isoformat(),
                    "to": last.isoformat(), "has_replay": ""})
        editing = json.loads(chosen.definition) if chosen else {}
        return page(request, "funnels.html", site=site, first=first, last=last, note=note, saved=saved, chosen=chosen,
                    result=result, dropped=dropped, example=EXAMPLE,
                    form={"name": chosen.name if chosen else "", "steps": steps_text(editing) if chosen else "",
                          "window_h": round(editing.get("window_s", 86400) / 3600, 2),
                          "mode": editing.get("mode", "ordered"), "count_by": editing.get("count_by", "visitor")},
                    modes=funnels.MODES, counts=funnels.COUNT_BY, saved_msg=request.query_params.get("saved") == "1")

    async def save_funnel(request: Request) -> Response:
        site = site_or_404(request)
        if isinstance(site, Response):
            return site
        if not admin(request):
            return forbidden(request)
        form = await request.form()
        name = str(form.get("name", "")).strip()[:200]
        try:
            if not name:
                raise ValueError("Give the funnel a name.")
            definition = form_definition(form)
        except (ValueError, Rejected) as exc:
            message = exc.message if isinstance(exc, Rejected) else str(exc)
            saved = await store.run(saved_funnels.listed, store, site.key)
            first, last, _ = chosen_range(request)
            return page(request, "funnels.html", status=400, site=site, first=first, last=last, saved=saved,
                        chosen=None, result=None, dropped={}, example=EXAMPLE, error=message, form=dict(form),
                        modes=funnels.MODES, counts=funnels.COUNT_BY)
        funnel_id = str(form.get("id") or "") or None
        made = await store.run(saved_funnels.save, store, site.key, name, msgspec.json.encode(definition).decode(),
                               funnel_id)
        return RedirectResponse(f"/sites/{site.key}/funnels?id={made.id}&saved=1", status_code=303)

    async def delete_funnel(request: Request) -> Response:
        site = site_or_404(request)
        if isinstance(site, Response):
            return site
        if not admin(request):
            return forbidden(request)
        await store.run(saved_funnels.delete, store, site.key, request.path_params["id"])
        return RedirectResponse(f"/sites/{site.key}/funnels", status_code=303)

    return [
        Route("/sites/{key}/funnels", funnels_page, methods=["GET"]),
        Route("/sites/{key}/funnels", save_funnel, methods=["POST"]),
        Route("/sites/{key}/funnels/{id}/delete", delete_funnel, methods=["POST"]),
    ]

"""The funnels API under /api/v1 (bearer tokens or a dashboard login).

- `POST /api/v1/sites/{site}/funnels/query?from=&to=&performance=` with a funnel as JSON: per
  step, entered, converted, conversion from the start and from the previous step, drop-off, the
  median and p90 time from the previous step (analysis/funnels.py; semantics in docs/funnels.md),
  and unless `performance=false` the step's page-load performance and conversion impact
  (analysis/funnel_performance.py).

`routes(store)` gives the routes; `openapi_paths()` their OpenAPI path entries.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import msgspec
from msgspec import Meta
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from footfall.analysis import funnel_performance, funnels
from footfall.collector.decode import decode
from footfall.collector.rejection import Rejected
from footfall.store import Store
from footfall.web.params import guarded, site_and_range

MAX_BODY = 64 * 1024
Text = Annotated[str, Meta(min_length=1, max_length=2048)]


class StepBody(msgspec.Struct, forbid_unknown_fields=True):
    page: Text | None = None
    event: Annotated[str, Meta(min_length=1, max_length=128)] | None = None
    selector: Annotated[str, Meta(min_length=1, max_length=512)] | None = None
    props: Annotated[dict[str, str], Meta(max_length=10)] = {}


class ExclusionBody(msgspec.Struct, forbid_unknown_fields=True):
    step: StepBody
    after: Annotated[int, Meta(ge=1)]
    before: Annotated[int, Meta(ge=2)]


class FunnelBody(msgspec.Struct, forbid_unknown_fields=True):
    steps: Annotated[list[StepBody], Meta(min_length=funnels.MIN_STEPS, max_length=funnels.MAX_STEPS)]
    window_s: Annotated[int, Meta(ge=1, le=funnels.MAX_WINDOW_S)] = 86400
    mode: str = "ordered"
    count_by: str = "visitor"
    exclusions: Annotated[list[ExclusionBody], Meta(max_length=funnels.MAX_EXCLUSIONS)] = []
    breakdown: str | None = None


_decoder = msgspec.json.Decoder(FunnelBody)


def step_of(body: StepBody) -> funnels.Step:
    return funnels.Step(page=body.page, event=body.event, selector=body.selector,
                        props=tuple(sorted(body.props.items())))


def funnel_of(raw: bytes) -> funnels.Funnel:
    """The posted funnel, checked; a Rejected names the field at fault."""
    if len(raw) > MAX_BODY:
        raise Rejected(413, "body", f"a funnel is at most {MAX_BODY // 1024} KB")
    body = decode(raw, _decoder)  # a Rejected naming the JSON path at fault
    try:
        steps = tuple(step_of(s) for s in body.steps)
    except ValueError as exc:
        raise Rejected(400, "$.steps", str(exc)) from None
    try:
        exclusions = tuple(funnels.Exclusion(step_of(x.step), x.after, x.before) for x in body.exclusions)
    except ValueError as exc:
        raise Rejected(400, "$.exclusions", str(exc)) from None
    for name, value, allowed in (("mode", body.mode, funnels.MODES), ("count_by", body.count_by, funnels.COUNT_BY),
                                 ("breakdown", body.breakdown, (None, *funnels.BREAKDOWNS))):
        if value not in allowed:
            raise Rejected(400, f"$.{name}", f"{name} must be one of {', '.join(a for a in allowed if a)}")
    try:
        return funnels.Funnel(steps, body.window_s, body.mode, body.count_by, exclusions, body.breakdown)
    except ValueError as exc:  # what is left to check: where the exclusions lie
        raise Rejected(400, "$.exclusions", str(exc)) from None


async def query(store: Store, request: Request) -> Response:
    site, start, end = site_and_range(request)
    measured = request.query_params.get("performance", "true")
    if measured not in ("true", "false"):
        raise Rejected(400, "performance", "performance is true or false")
    funnel = funnel_of(await request.body())
    compute = funnel_performance.query_with_performance if measured == "true" else funnels.query
    found = await store.run(compute, store, site, start, end, funnel)
    return Response(msgspec.json.encode(found), media_type="application/json")


def routes(store: Store) -> list[Route]:
    return [Route("/api/v1/sites/{site}/funnels/query", guarded(partial(query, store)), methods=["POST"])]


def openapi_paths() -> dict[str, Any]:
    """The OpenAPI 3.1 path entries of these routes (merged into web/api.py's document)."""
    step = {"type": "object", "properties": {
        "page": {"type": "string", "description": "A path, or a pattern where * stands for whole path segments"},
        "event": {"type": "string", "description": "A custom event's name"},
        "selector": {"type": "string", "description": "A click on this element (CSS selector as clicks store it)"},
        "props": {"type": "object", "additionalProperties": {"type": "string"},
                  "description": "A custom event's properties, each equal to this value"}},
        "description": "One of page, event or selector", "additionalProperties": False}
    body = {"type": "object", "required": ["steps"], "additionalProperties": False, "properties": {
        "steps": {"type": "array", "items": step, "minItems": funnels.MIN_STEPS, "maxItems": funnels.MAX_STEPS},
        "window_s": {"type": "integer", "minimum": 1, "maximum": funnels.MAX_WINDOW_S, "default": 86400},
        "mode": {"type": "string", "enum": list(funnels.MODES), "default": "ordered"},
        "count_by": {"type": "string", "enum": list(funnels.COUNT_BY), "default": "visitor"},
        "exclusions": {"type": "array", "maxItems": funnels.MAX_EXCLUSIONS, "items": {
            "type": "object", "required": ["step", "after", "before"], "properties": {
                "step": step, "after": {"type": "integer", "minimum": 1},
                "before": {"type": "integer", "minimum": 2}}}},
        "breakdown": {"type": ["string", "null"], "enum": [*funnels.BREAKDOWNS, None]}}}
    dates = [{"name": "site", "in": "path", "required": True, "schema": {"type": "string"}},
             {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"},
              "description": "First day (UTC) a funnel may start, inclusive; default 29 days ago"},
             {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"},
              "description": "Last day (UTC) a funnel may start, inclusive; default today"},
             {"name": "performance", "in": "query", "schema": {"type": "boolean", "default": True},
              "description": "Each step's page-load performance and conversion impact (overall, not per breakdown)"}]
    return {"/api/v1/sites/{site}/funnels/query": {"post": {
        "summary": "Per step of a funnel: entered, converted, conversion, drop-off, time from the previous step, "
                   "page-load performance and its conversion impact",
        "parameters": dates,
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {"200": {"description": "The steps, overall and per breakdown value"},
                      "400": {"description": "A bad funnel: the body names the field"},
                      "413": {"description": "A body over 64 KB"}}}}}

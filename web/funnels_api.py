"""The funnels API under /api/v1 (bearer tokens or a dashboard login).

- `POST /api/v1/sites/{site}/funnels/query?from=&to=&performance=` with a funnel as JSON: per
  step, entered, converted, conversion from the start and from the previous step, drop-off, the
  median and p90 time from the previous step (analysis/funnels.py; semantics in docs/funnels.md),
  and unless `performance=false` the step's page-load performance and conversion impact
  (analysis/funnel_performance.py).

A step may name one of the site's goals (`{"goal": ID}`): it stands for the goal's own step, put in
its place when the funnel is read (`inlined`), so a goal changed or deleted later changes the funnel.

`routes(store)` gives the routes; `OPERATIONS` describes them for the OpenAPI document.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import partial
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from footfall.analysis import funnel_performance, funnels
from footfall.collector.decode import decode
from footfall.collector.rejection import Rejected
from footfall.store import Store
from footfall.store import goals as stored_goals
from footfall.web.operations import Answer, Body, Operation
from footfall.web.params import DEFAULT_DAYS, DateRange, Day, SitePath, guarded, query_of, site_and_range

MAX_BODY = 64 * 1024
Text = Annotated[str, Meta(min_length=1, max_length=2048)]


class StepBody(msgspec.Struct, forbid_unknown_fields=True):
    """One of page, event, selector or goal."""

    page: Annotated[Text, Meta(description="A path, or a pattern where * stands for whole path segments")] | None \
        = None
    event: Annotated[str, Meta(min_length=1, max_length=128, description="A custom event's name")] | None = None
    selector: Annotated[str, Meta(min_length=1, max_length=512, description=(
        "A click on this element (CSS selector as clicks store it)"))] | None = None
    props: Annotated[dict[str, str], Meta(max_length=10, description=(
        "A custom event's properties, each equal to this value"))] = {}
    goal: Annotated[str, Meta(min_length=1, max_length=64, description=(
        "The id of one of the site's goals: its page, event or click (the stats API's goal)"))] | None = None


class ExclusionBody(msgspec.Struct, forbid_unknown_fields=True):
    step: StepBody
    after: Annotated[int, Meta(ge=1)]
    before: Annotated[int, Meta(ge=2)]


# mode, count_by and breakdown are checked by funnel_of, whose refusals name the values allowed.
class FunnelBody(msgspec.Struct, forbid_unknown_fields=True):
    """A funnel (docs/funnels.md)."""

    steps: Annotated[list[StepBody], Meta(min_length=funnels.MIN_STEPS, max_length=funnels.MAX_STEPS)]
    window_s: Annotated[int, Meta(ge=1, le=funnels.MAX_WINDOW_S)] = 86400
    mode: Annotated[str, Meta(extra_json_schema={"enum": list(funnels.MODES)})] = "ordered"
    count_by: Annotated[str, Meta(extra_json_schema={"enum": list(funnels.COUNT_BY)})] = "visitor"
    exclusions: Annotated[list[ExclusionBody], Meta(max_length=funnels.MAX_EXCLUSIONS)] = []
    breakdown: Annotated[str, Meta(extra_json_schema={"enum": list(funnels.BREAKDOWNS)})] | None = None


FIRST = f"First day (UTC) a funnel may start, inclusive; default {DEFAULT_DAYS - 1} days ago"
LAST = "Last day (UTC) a funnel may start, inclusive; default today"


class FunnelQuery(DateRange, kw_only=True):
    from_: Annotated[Day, Meta(description=FIRST)] | None = msgspec.field(default=None, name="from")
    to: Annotated[Day, Meta(description=LAST)] | None = None
    performance: Annotated[Literal["true", "false"], Meta(description=(
        "Each step's page-load performance and conversion impact (overall, not per breakdown)"))] = "true"
    refusals = {"performance": "performance is true or false"}


_decoder = msgspec.json.Decoder(FunnelBody)


def step_of(body: StepBody) -> funnels.Step:
    if body.goal is not None:
        raise ValueError(f"no goal with id {body.goal!r} on this site: the Goals page lists the site's goals")
    return funnels.Step(page=body.page, event=body.event, selector=body.selector,
                        props=tuple(sorted(body.props.items())))


def goal_steps(store: Store, site: str) -> dict[str, dict[str, Any]]:
    """The site's goals by id, each as the step JSON it stands for."""
    return {g.id: json.loads(g.definition) for g in stored_goals.listed(store, site)}


def inlined(raw: bytes, goals: Mapping[str, dict[str, Any]]) -> bytes:
    """A funnel's JSON with each `{"goal": ID}` step (or exclusion step) replaced by the goal's own
    step; a goal the site does not have is left for funnel_of to refuse. JSON that is no funnel is
    returned as it is, for funnel_of to name what is wrong."""
    try:
        found = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(found, dict) or "goal" not in raw.decode("utf-8", "replace"):
        return raw

    def step(value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"goal"} and value["goal"] in goals:
            return goals[value["goal"]]
        return value

    if isinstance(found.get("steps"), list):
        found["steps"] = [step(s) for s in found["steps"]]
    if isinstance(found.get("exclusions"), list):
        found["exclusions"] = [{**x, "step": step(x.get("step"))} if isinstance(x, dict) else x
                               for x in found["exclusions"]]
    return json.dumps(found).encode()


def saved_funnel_of(store: Store, site: str, raw: bytes) -> funnels.Funnel:
    """A saved funnel of the site, its goal steps put in place (a Rejected if a goal is gone)."""
    return funnel_of(inlined(raw, goal_steps(store, site)) if b"goal" in raw else raw)


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
    measured = query_of(request, FunnelQuery).performance == "true"
    raw = await request.body()
    funnel = funnel_of(inlined(raw, await store.run(goal_steps, store, site)) if b"goal" in raw else raw)
    compute = funnel_performance.query_with_performance if measured else funnels.query
    found = await store.run(compute, store, site, start, end, funnel)
    return Response(msgspec.json.encode(found), media_type="application/json")


def routes(store: Store) -> list[Route]:
    return [Route("/api/v1/sites/{site}/funnels/query", guarded(partial(query, store)), methods=["POST"])]


OPERATIONS = (
    Operation("post", "/api/v1/sites/{site}/funnels/query",
              "Per step of a funnel: entered, converted, conversion, drop-off, time from the previous step, "
              "page-load performance and its conversion impact",
              {200: Answer("The steps, overall and per breakdown value"),
               400: "A bad funnel: the body names the field", 413: f"A body over {MAX_BODY // 1024} KB"},
              params=(SitePath, FunnelQuery), body=Body(FunnelBody), errors=()),
)

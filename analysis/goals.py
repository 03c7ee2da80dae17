"""Goal conversions: the visitors who completed a goal (a page view or event matching its one funnel
step) and how often they did, per goal, time bucket or in total. A goal's conversion rate divides its
converting visitors by every visitor of the same rows of the range (docs/metrics.md), as Plausible
defines it. The step matching is the funnels' own (analysis/funnels.py), so a goal and a funnel step
written alike count the same rows."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from footfall.analysis import funnels, session_join
from footfall.store.conditions import SITE_IN_RANGE

AGGREGATES = "uniqExact(p.visitor_id) AS conversions, count() AS total_conversions"


@dataclasses.dataclass(frozen=True)
class Goal:
    id: str
    name: str
    step: funnels.Step


def step_of(definition: str | dict[str, Any]) -> funnels.Step:
    """A stored definition (the funnels API's step JSON) as the step it matches; ValueError if none."""
    found = json.loads(definition) if isinstance(definition, str) else definition
    if not isinstance(found, dict):
        raise ValueError("a goal is one step: a page, an event or a selector")
    props = found.get("props") or {}
    return funnels.Step(page=found.get("page"), event=found.get("event"), selector=found.get("selector"),
                        props=tuple(sorted((str(k), str(v)) for k, v in props.items())))


def rows_sql(goal: Goal, i: int, params: dict[str, Any]) -> str:
    """The rows completing `goal`, keyed by its id: a page view of its page, or its event; with the
    page each happened on, for filters by page."""
    source, table = ("page", "pageviews") if goal.step.page is not None else ("event", "events")
    params[f"goal{i}"] = goal.id
    matched = funnels.matches(goal.step, f"g{i}_", params, source)
    return f"""
        SELECT {{goal{i}:String}} AS goal, session_id, visitor_id, time, path
        FROM {table} WHERE {SITE_IN_RANGE} AND {matched}"""


def conversions_sql(goals: list[Goal], key: str, conditions: list[str], sessions: str | None,
                    params: dict[str, Any]) -> str:
    """One row per key over the rows completing any of `goals` (`p`, with `p.goal` the goal's id),
    narrowed by `conditions` and joined to their session's facts (`s`) when a condition needs them:
    converting visitors, then conversions."""
    rows = " UNION ALL ".join(rows_sql(goal, i, params) for i, goal in enumerate(goals))
    return session_join.by_key(key, AGGREGATES, rows, conditions, sessions)

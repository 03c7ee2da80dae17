"""Funnels: how many visitors (or sessions) went through a sequence of steps, where they dropped
off, and how long each step took. The semantics are written down in docs/funnels.md; this module
computes them in ClickHouse, and tests/analysis/funnel_reference.py computes them again in plain
Python for the property-based check.

The work happens per unit (a session or a visitor): its matching events, sorted, in one array;
every event that may start the funnel starts an attempt, and an `arrayFold` walks the events from
there, advancing one step at a time (each event fills at most one step) within the conversion
window. The unit counts with its deepest attempt (the earliest of equals) that no exclusion step
voided. `windowFunnel` gives the level alone; the fold keeps each step's time too.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta
from typing import Any

from footfall.analysis.numbers import ratio
from footfall.store import Store
from footfall.store.clock import utc
from footfall.store.conditions import step_regex

MIN_STEPS, MAX_STEPS = 2, 20
MAX_EXCLUSIONS = 5
MODES = ("ordered", "strict", "unordered")
COUNT_BY = ("visitor", "session")
BREAKDOWNS = ("device", "browser", "source")
MAX_WINDOW_S = 90 * 86400
NO_STEP = 255  # the sort rank of an event that fills no step (an exclusion, or a page view in strict mode)


@dataclasses.dataclass(frozen=True)
class Step:
    """A page (`page`: a path or pattern) or an event: a custom event by `event` name, or a click on
    `selector`; `props` filter a custom event's properties (each must equal its string value)."""

    page: str | None = None
    event: str | None = None
    selector: str | None = None
    props: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        given = [v for v in (self.page, self.event, self.selector) if v is not None]
        if len(given) != 1 or not given[0]:
            raise ValueError("a step is one of page, event or selector, not empty")
        if self.props and self.event is None:
            raise ValueError("property filters apply to custom events")

    @property
    def label(self) -> str:
        if self.page is not None:
            return self.page
        return f"event {self.event}" if self.event is not None else f"click {self.selector}"


@dataclasses.dataclass(frozen=True)
class Exclusion:
    """A step that voids an attempt when it happens after step `after` and before step `before`
    (1-based, after < before) have been reached."""

    step: Step
    after: int
    before: int


@dataclasses.dataclass(frozen=True)
class Funnel:
    steps: tuple[Step, ...]
    window_s: int = 86400
    mode: str = "ordered"
    count_by: str = "visitor"
    exclusions: tuple[Exclusion, ...] = ()
    breakdown: str | None = None

    def __post_init__(self) -> None:
        if not MIN_STEPS <= len(self.steps) <= MAX_STEPS:
            raise ValueError(f"a funnel has {MIN_STEPS} to {MAX_STEPS} steps")
        if not 1 <= self.window_s <= MAX_WINDOW_S:
            raise ValueError(f"the conversion window is 1 s to {MAX_WINDOW_S // 86400} days")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        if self.count_by not in COUNT_BY:
            raise ValueError(f"count_by must be one of {', '.join(COUNT_BY)}")
        if self.breakdown is not None and self.breakdown not in BREAKDOWNS:
            raise ValueError(f"breakdown must be one of {', '.join(BREAKDOWNS)}")
        if len(self.exclusions) > MAX_EXCLUSIONS:
            raise ValueError(f"at most {MAX_EXCLUSIONS} exclusion steps")
        for x in self.exclusions:
            if not 1 <= x.after < x.before <= len(self.steps):
                raise ValueError("an exclusion lies between two steps of the funnel: 1 <= after < before <= steps")


# -- the SQL ----------------------------------------------------------------------------------------
def matches(step: Step, i: int, params: dict[str, Any], source: str) -> str:
    """Whether a row of `source` ('page' or 'event') fills `step`, as SQL."""
    if step.page is not None:
        if source != "page":
            return "0"
        params[f"p{i}"] = step_regex(step.page) if "*" in step.page else "^" + re.escape(step.page) + "$"
        return f"match(path, {{p{i}:String}})"
    if source != "event":
        return "0"
    if step.selector is not None:
        params[f"s{i}"] = step.selector
        return f"(type = 'click' AND selector = {{s{i}:String}})"
    params[f"n{i}"] = step.event
    tests = [f"type = 'custom' AND name = {{n{i}:String}}"]
    for j, (key, value) in enumerate(step.props):
        params[f"k{i}_{j}"], params[f"v{i}_{j}"] = key, value
        tests.append(f"JSONExtractString(props, {{k{i}_{j}:String}}) = {{v{i}_{j}:String}}")
    return "(" + " AND ".join(tests) + ")"


def mask(steps: list[Step], prefix: str, params: dict[str, Any], source: str) -> str:
    """A bitmask of the steps a row fills (bit k for step k + 1)."""
    bits = [f"bitShiftLeft(toUInt32({matches(s, f'{prefix}{k}', params, source)}), {k})" for k, s in enumerate(steps)]
    return "toUInt32(" + " + ".join(bits) + ")" if bits else "toUInt32(0)"  # distinct bits: the sum is the or


BREAKDOWN_SQL = {"device": "device", "browser": "browser",
                 "source": "if(utm_source != '', utm_source, if(referrer_host != '', referrer_host, '(direct)'))"}


def stream_sql(f: Funnel, params: dict[str, Any], views: bool = False) -> str:
    """Every row that fills a step or an exclusion, or (strict mode) any page view, of the range
    and one window past its end: unit, time, step mask, page view flag, exclusion mask, breakdown,
    and with `views` the page view the row belongs to."""
    unit = "session_id" if f.count_by == "session" else "visitor_id"
    steps, excluded = list(f.steps), [x.step for x in f.exclusions]
    breakdown = BREAKDOWN_SQL[f.breakdown] if f.breakdown else "''"
    span = "time >= {start:DateTime64(3)} AND time < {until:DateTime64(3)}"
    page_mask, page_x = mask(steps, "ps", params, "page"), mask(excluded, "px", params, "page")
    event_mask, event_x = mask(steps, "es", params, "event"), mask(excluded, "ex", params, "event")
    view = ", cityHash64(pageview_id) AS view" if views else ""
    keep_pages = "1" if f.mode == "strict" else f"({page_mask} != 0 OR {page_x} != 0)"
    parts = [f"""
        SELECT {unit} AS unit, toUnixTimestamp64Milli(time) AS t, {page_mask} AS m, toUInt8(1) AS pv,
               {page_x} AS x, {breakdown} AS bd{view}
        FROM pageviews WHERE site = {{site:String}} AND {span} AND {keep_pages}"""]
    if any(s.page is None for s in steps + excluded):
        parts.append(f"""
        SELECT {unit} AS unit, toUnixTimestamp64Milli(time) AS t, {event_mask} AS m, toUInt8(0) AS pv,
               {event_x} AS x, '' AS bd{view}
        FROM events WHERE site = {{site:String}} AND {span} AND type IN ('custom', 'click')
          AND ({event_mask} != 0 OR {event_x} != 0)""")
    return " UNION ALL ".join(parts)


def event_fields(f: Funnel, views: bool = False) -> dict[str, int]:
    """The fields of an event tuple this funnel needs, with their positions: time, rank and step
    mask always; the page view flag in strict mode or with a breakdown, the exclusion mask with
    exclusions, the breakdown value with a breakdown, a 64-bit hash of the page view id with `views`. A narrower
    tuple sorts and folds faster; the order of ties is the same, since a left-out field is constant."""
    names = ["t", "rank", "m"] + ["pv"] * (f.mode == "strict" or f.breakdown is not None) \
        + ["x"] * bool(f.exclusions) + ["bd"] * (f.breakdown is not None) + ["view"] * views
    return {name: i + 1 for i, name in enumerate(names)}


def fold_sql(f: Funnel, views: bool = False) -> str:
    """The lambda that walks one attempt: acc = (level, times, state, filled, start[, views]), state
    0 going, 1 stopped, 2 voided by an exclusion; e as event_fields has it. With `views` the attempt
    keeps the page view of each step it fills beside its time."""
    n, at = len(f.steps), event_fields(f, views)
    view = f"e.{at.get('view')}"
    kept, first, pushed = (", acc.6", f", [{view}]", f", arrayPushBack(acc.6, {view})") if views else ("", "", "")
    # Exclusions active at each level (steps reached): after <= level < before.
    active = [sum(1 << j for j, x in enumerate(f.exclusions) if x.after <= level < x.before) for level in range(n + 1)]
    voided = f"bitAnd(e.{at.get('x')}, {active}[acc.1 + 1]) != 0"
    if f.mode == "unordered":
        free = f"bitAnd(e.3, bitAnd(bitNot(acc.4), {(1 << n) - 1}))"
        start = f"(toUInt8(1), [e.1], toUInt8(0), toUInt32(bitAnd(e.3, bitNot(e.3) + 1)), e.1{first})"
        advance = (f"{free} != 0, (toUInt8(acc.1 + 1), arrayPushBack(acc.2, e.1), toUInt8(0), "
                   f"toUInt32(bitOr(acc.4, bitAnd({free}, bitNot({free}) + 1))), acc.5{pushed})")
    else:
        start = f"(toUInt8(1), [e.1], toUInt8(0), toUInt32(1), e.1{first})"
        advance = (f"acc.1 < {n} AND bitTest(e.3, acc.1), (toUInt8(acc.1 + 1), arrayPushBack(acc.2, e.1), "
                   f"toUInt8(0), toUInt32(bitOr(acc.4, bitShiftLeft(toUInt32(1), acc.1))), acc.5{pushed})")
    stop = f"(acc.1, acc.2, toUInt8(1), acc.4, acc.5{kept})"
    cases = ["acc.3 != 0, acc", f"acc.1 = 0, {start}", f"e.1 - acc.5 > {{window:Int64}}, {stop}",
             f"acc.1 = {n}, {stop}", advance]
    if f.exclusions:
        cases.append(f"{voided}, (acc.1, acc.2, toUInt8(2), acc.4, acc.5{kept})")
    if f.mode == "strict":
        cases.append(f"e.{at['pv']} = 1, {stop}")  # a page view that is not the next step ends a strict attempt
    return f"(acc, e) -> multiIf({', '.join(cases)}, acc)"


def units_sql(f: Funnel, params: dict[str, Any], with_unit: bool = False, views: bool = False) -> str:
    """One row per counted unit: its level (steps reached), their times, its breakdown value, its
    id when `with_unit` (units are grouped by a hash of the id, which is cheaper to group by), and
    with `views` the page view of each step reached. The events sort as tuples: by time, first step
    filled, steps, page view, exclusions, breakdown."""
    can_start = "e.3 != 0" if f.mode == "unordered" else "bitTest(e.3, 0)"
    initial = ("(toUInt8(0), CAST([], 'Array(Int64)'), toUInt8(0), toUInt32(0), toInt64(0)"
               + (", CAST([], 'Array(UInt64)'))" if views else ")"))
    at = event_fields(f, views)
    fields = ", ".join(["t", f"if(m = 0, {NO_STEP}, toUInt8(log2(bitAnd(m, bitNot(m) + 1))))", *list(at)[2:]])
    breakdown = f"arrayFirst(e -> e.{at['bd']} != '' OR e.{at['pv']} = 1, ev).{at['bd']}" if f.breakdown else "''"
    unit = "any(unit) AS unit_id, " if with_unit else ""  # not `AS unit`: that would shadow the column
    kept_views = ",\n               if(empty(kept), [], kept[indexOf(arrayMap(a -> a.1, kept), level)].6) AS views" \
        if views else ""
    return f"""
        SELECT cityHash64(unit) AS key, {unit}
               arraySort(groupArray(({fields}))) AS ev,
               arrayFilter((i, e) -> {can_start} AND e.1 < {{end_ms:Int64}},
                           arrayEnumerate(ev), ev) AS starts,
               arrayMap(i -> arrayFold({fold_sql(f, views)}, arraySlice(ev, i), {initial}), starts) AS attempts,
               arrayFilter(a -> a.3 != 2, attempts) AS kept,
               if(empty(kept), 0, arrayMax(a -> a.1, kept)) AS level,
               if(empty(kept), [], kept[indexOf(arrayMap(a -> a.1, kept), level)].2) AS times,
               {breakdown} AS breakdown{kept_views}
        FROM ({stream_sql(f, params, views)})
        GROUP BY key
        HAVING level > 0"""


def funnel_sql(f: Funnel, params: dict[str, Any]) -> str:
    n = len(f.steps)
    columns = [f"countIf(level >= {k}) AS reached{k}" for k in range(1, n + 1)]
    for k in range(2, n + 1):
        gap = f"(times[{k}] - times[{k - 1}]) / 1000"
        columns.append(f"quantileExactIf(0.5)({gap}, level >= {k}), quantileExactIf(0.9)({gap}, level >= {k})")
    if not f.breakdown:  # the total alone
        return f"WITH units AS ({units_sql(f, params)}) SELECT NULL AS bd, {', '.join(columns)} FROM units"
    return f"""
    WITH units AS ({units_sql(f, params)})
    SELECT if(grouping(breakdown) = 1, NULL, breakdown) AS bd, {', '.join(columns)}
    FROM units
    GROUP BY GROUPING SETS ((), (breakdown))
    ORDER BY grouping(breakdown) DESC, reached1 DESC, bd"""


# -- the query --------------------------------------------------------------------------------------
def query(store: Store, site: str, start: datetime, end: datetime, f: Funnel) -> dict[str, Any]:
    """Per step: entered, converted to the next step, conversion from the start and from the
    previous step, drop-off, and the median and p90 seconds from the previous step; overall and
    per breakdown value."""
    params = range_params(site, start, end, f)
    found = store.rows(funnel_sql(f, params), params)
    n = len(f.steps)
    return answer(f, [(row[0], shaped(f, row[1:1 + n], row[1 + n:])) for row in found])


def answer(f: Funnel, results: list[tuple[str | None, list[dict[str, Any]]]]) -> dict[str, Any]:
    """The answer from the shaped steps of each breakdown value (None: overall); groups with the
    most units at step 1 first, then by value."""
    n = len(f.steps)
    overall = next((steps for value, steps in results if value is None), shaped(f, [0] * n, [None] * (2 * n - 2)))
    out: dict[str, Any] = {"mode": f.mode, "count_by": f.count_by, "window_s": f.window_s, "steps": overall}
    if f.breakdown:
        groups = sorted(((value, steps) for value, steps in results if value is not None),
                        key=lambda group: (-group[1][0]["entered"], group[0]))
        out["breakdown"] = {"by": f.breakdown, "groups": [{"value": value, "steps": steps} for value, steps in groups]}
    return out


def range_params(site: str, start: datetime, end: datetime, f: Funnel) -> dict[str, Any]:
    """Funnels start in [start, end); their later steps may come up to one window past the end."""
    start, end = utc(start), utc(end)
    if end <= start:
        raise ValueError("end must be after start")
    return {"site": site, "start": start, "until": end + timedelta(seconds=f.window_s),
            "end_ms": int(end.timestamp() * 1000), "window": f.window_s * 1000}


def dropped_at(store: Store, site: str, start: datetime, end: datetime, f: Funnel, step: int,
               limit: int = 100_000) -> list[str]:
    """The units that reached `step` (1-based) and not the next one: the drop-off of that step."""
    if not 1 <= step < len(f.steps):
        raise ValueError(f"dropped_at is a step from 1 to {len(f.steps) - 1}: the last step has no drop-off")
    params = range_params(site, start, end, f) | {"step": step, "limit": limit}
    units = units_sql(f, params, with_unit=True)
    sql = (f"WITH units AS ({units}) SELECT unit_id FROM units WHERE level = {{step:UInt8}}"
           " ORDER BY unit_id LIMIT {limit:UInt32}")
    return [row[0] for row in store.rows(sql, params)]


def shaped(f: Funnel, reached: Any, gaps: Any) -> list[dict[str, Any]]:
    reached = [int(r) for r in reached]
    steps = []
    for k, step in enumerate(f.steps):
        entered = reached[k]
        following = reached[k + 1] if k + 1 < len(reached) else entered
        steps.append({
            "step": k + 1, "label": step.label, "entered": entered, "converted": following,
            "conversion_from_start": ratio(entered, reached[0]),
            "conversion_from_previous": ratio(entered, reached[k - 1]) if k else (1.0 if entered else None),
            "drop_off": entered - following,
            "median_s": seconds(gaps[2 * (k - 1)]) if k else None,
            "p90_s": seconds(gaps[2 * (k - 1) + 1]) if k else None,
        })
    return steps


def seconds(value: Any) -> float | None:
    return None if value is None or value != value else round(float(value), 3)  # NaN: no unit got there

"""Funnels in plain Python, written from docs/funnels.md and nothing else: the reference the
ClickHouse query (analysis/funnels.py) is checked against on generated data."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from footfall.analysis.funnels import Funnel, Step
from footfall.store.conditions import step_regex


@dataclasses.dataclass(frozen=True)
class Row:
    """One stored page view or event of the test data."""

    visitor: str
    session: str
    t: int  # epoch ms
    kind: str  # page, custom or click
    path: str = ""
    name: str = ""
    selector: str = ""
    props: tuple[tuple[str, str], ...] = ()
    device: str = "desktop"
    browser: str = "Chrome"
    source: str = "(direct)"


def fills(step: Step, row: Row) -> bool:
    if step.page is not None:
        pattern = step_regex(step.page) if "*" in step.page else "^" + re.escape(step.page) + "$"
        return row.kind == "page" and re.match(pattern, row.path) is not None
    if step.selector is not None:
        return row.kind == "click" and row.selector == step.selector
    return row.kind == "custom" and row.name == step.event and all(dict(row.props).get(k) == v for k, v in step.props)


def quantile(values: list[float], level: float) -> float | None:
    """The value at floor(level * n) of the sorted values (ClickHouse's quantileExact)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(level * len(ordered)))]


def walk(f: Funnel, stream: list[dict[str, Any]], first: int) -> tuple[int, list[int], bool]:
    """One attempt from stream[first]: (steps reached, their times, voided by an exclusion)."""
    n = len(f.steps)
    start = stream[first]
    filled = {min(start["steps"])} if f.mode == "unordered" else {0}
    times = [start["t"]]
    for e in stream[first + 1:]:
        if e["t"] - start["t"] > f.window_s * 1000 or len(filled) == n:
            break
        level = len(filled)
        if f.mode == "unordered":
            free = e["steps"] - filled
            if free:
                filled.add(min(free))
                times.append(e["t"])
                continue
        elif level in e["steps"]:
            filled.add(level)
            times.append(e["t"])
            continue
        if any(x.after <= level < x.before for j, x in enumerate(f.exclusions) if j in e["excluded"]):
            return level, times, True
        if f.mode == "strict" and e["page"]:
            break
    return len(filled), times, False


def reference(rows: list[Row], f: Funnel, start_ms: int, end_ms: int) -> dict[str, Any]:
    units: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if not start_ms <= row.t < end_ms + f.window_s * 1000:
            continue
        steps = {k for k, s in enumerate(f.steps) if fills(s, row)}
        excluded = {j for j, x in enumerate(f.exclusions) if fills(x.step, row)}
        page = row.kind == "page"
        if not steps and not excluded and not (f.mode == "strict" and page):
            continue
        breakdown = {"device": row.device, "browser": row.browser, "source": row.source}.get(f.breakdown or "", "")
        unit = row.session if f.count_by == "session" else row.visitor
        units.setdefault(unit, []).append({
            "t": row.t, "steps": steps, "excluded": excluded, "page": page, "bd": breakdown if page else "",
            # Ties: the lowest step filled first, then by what the row fills and is (docs/funnels.md).
            "key": (row.t, min(steps) if steps else 255, sum(1 << k for k in steps), int(page),
                    sum(1 << j for j in excluded), breakdown if page else ""),
        })
    counted: list[tuple[int, list[int], str]] = []
    for stream in units.values():
        stream.sort(key=lambda e: e["key"])
        best: tuple[int, list[int]] | None = None
        for i, e in enumerate(stream):
            can_start = bool(e["steps"]) if f.mode == "unordered" else 0 in e["steps"]
            if not can_start or e["t"] >= end_ms:
                continue
            level, times, voided = walk(f, stream, i)
            if not voided and (best is None or level > best[0]):
                best = (level, times)
        if best is not None:
            first_page = next((e["bd"] for e in stream if e["page"]), "")
            counted.append((best[0], best[1], first_page))
    overall = summarise(f, counted)
    out: dict[str, Any] = {"mode": f.mode, "count_by": f.count_by, "window_s": f.window_s, "steps": overall}
    if f.breakdown:
        values = sorted({bd for _, _, bd in counted},
                        key=lambda v: (-sum(1 for _, _, bd in counted if bd == v), v))
        out["breakdown"] = {"by": f.breakdown, "groups": [
            {"value": v, "steps": summarise(f, [c for c in counted if c[2] == v])} for v in values]}
    return out


def summarise(f: Funnel, counted: list[tuple[int, list[int], str]]) -> list[dict[str, Any]]:
    n = len(f.steps)
    reached = [sum(1 for level, _, _ in counted if level >= k) for k in range(1, n + 1)]
    steps = []
    for k in range(n):
        entered = reached[k]
        following = reached[k + 1] if k + 1 < n else entered
        gaps = [(times[k] - times[k - 1]) / 1000 for level, times, _ in counted if k and level > k]
        steps.append({
            "step": k + 1, "label": f.steps[k].label, "entered": entered, "converted": following,
            "conversion_from_start": round(entered / reached[0], 4) if reached[0] else None,
            "conversion_from_previous": (round(entered / reached[k - 1], 4) if reached[k - 1] else None) if k
            else (1.0 if entered else None),
            "drop_off": entered - following,
            "median_s": round(quantile(gaps, 0.5), 3) if k and gaps else None,
            "p90_s": round(quantile(gaps, 0.9), 3) if k and gaps else None,
        })
    return steps

"""Small time-series charts as inline SVG, drawn on the server: no chart library, nothing for the
Content-Security-Policy to allow, readable without JavaScript (each chart has a text summary)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

WATERFALL_LABEL, WATERFALL_WIDTH, WATERFALL_BOX = 110, 480, 800  # phase names, bars, then their values


def waterfall(phases: dict[str, dict[str, float] | None]) -> list[dict[str, object]]:
    """Bars for the navigation phases laid end to end at their medians (a typical load, not any one
    page view's: the median of a sum is not the sum of medians), scaled to the box."""
    total = sum(p["median"] for p in phases.values() if p) or 1.0
    bars, at = [], 0.0
    for name, p in phases.items():
        median = p["median"] if p else 0.0
        bars.append({"name": name, "x": round(at / total * WATERFALL_WIDTH, 1),
                     "width": round(max(median / total * WATERFALL_WIDTH, 1.0 if median else 0.0), 1),
                     "median": median, "p75": p["p75"] if p else None})
        at += median
    return bars




def funnel_bars(steps: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """A bar per funnel step, as long as its share of the first step (`reached`, in percent of the
    chart's width), followed by a lighter part for the units lost since the step before (`lost`),
    so each step's two parts are as long as the step before it."""
    first = float(steps[0]["entered"]) if steps else 0.0
    bars: list[dict[str, Any]] = []
    before = first
    for step in steps:
        entered = float(step["entered"])
        bars.append({"step": step["step"], "label": step["label"], "entered": int(entered),
                     "share": step["conversion_from_start"], "dropped": int(before - entered),
                     "reached": round(100 * entered / first, 2) if first else 0.0,
                     "lost": round(100 * (before - entered) / first, 2) if first else 0.0})
        before = entered
    return bars


def funnel_chart(steps: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The funnel's bars, one a row under its step's label: the labels are text of the page, never
    cut, and the bars are as wide as the page allows (percentages of the chart's width)."""
    return {"bars": funnel_bars(steps)}

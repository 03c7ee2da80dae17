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


FUNNEL_BAR, FUNNEL_GAP, FUNNEL_HEIGHT, FUNNEL_TOP, FUNNEL_FOOT = 80, 44, 160, 22, 30  # px: bar, gap, bars' box
FUNNEL_BASE = FUNNEL_TOP + FUNNEL_HEIGHT  # where every column stands


def funnel_bars(steps: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """A column per funnel step, as tall as its share of the first step, topped by a lighter part for
    the units lost since the step before (the drop-off), as funnel charts draw them."""
    first = float(steps[0]["entered"]) if steps else 0.0
    bars: list[dict[str, Any]] = []
    before = first
    for i, step in enumerate(steps):
        entered = float(step["entered"])
        reached = FUNNEL_HEIGHT * entered / first if first else 0.0
        lost = FUNNEL_HEIGHT * (before - entered) / first if first else 0.0
        bars.append({"step": step["step"], "label": step["label"], "entered": int(entered),
                     "share": step["conversion_from_start"], "dropped": int(before - entered),
                     "x": FUNNEL_GAP / 2 + i * (FUNNEL_BAR + FUNNEL_GAP), "width": FUNNEL_BAR,
                     "y": round(FUNNEL_BASE - reached, 1), "height": round(reached, 1),
                     "lost_y": round(FUNNEL_BASE - reached - lost, 1), "lost_height": round(lost, 1)})
        before = entered
    return bars


def funnel_chart(steps: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The funnel's columns and the box they are drawn in (labels above and below the bars)."""
    return {"bars": funnel_bars(steps), "width": len(steps) * (FUNNEL_BAR + FUNNEL_GAP),
            "height": FUNNEL_BASE + FUNNEL_FOOT, "base": FUNNEL_BASE}

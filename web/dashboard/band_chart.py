"""An anomaly's chart, drawn on the server as SVG: the KPI bucket by bucket as a line, the band its
history expected as a shaded area with the expected value dashed through it, and the anomaly's
buckets marked; one hover target per bucket whose <title> says what was seen and expected."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from footfall.web.dashboard.trend_chart import axis_label, moment

WIDTH, HEIGHT = 720, 200
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 10, 26
MAX_LABELS = 8


def ticks(largest: float) -> list[float]:
    """4 or 5 round ticks from 0 (1, 2, 2.5 or 5 times a power of ten, fractions allowed), the last
    at least `largest`."""
    raw = (largest or 1) / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(n * power for n in (1, 2, 2.5, 5, 10) if n * power >= raw)
    return [round(i * step, 10) for i in range(max(3, math.ceil(largest / step)) + 1)]


def band_chart(points: Sequence[dict[str, Any]], grain: str, fmt: Callable[[float], str]) -> dict[str, Any]:
    """The geometry for the template from the API's points (t, observed, expected, low, high, anomalous)."""
    known = [p[k] for p in points for k in ("observed", "high") if p[k] is not None]
    scale = ticks(max(known, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(points))

    def x(i: int) -> float:
        return round(LEFT + (i + 0.5) * slot, 1)

    def y(v: float) -> float:
        return round(TOP + plot_h - v / scale[-1] * plot_h, 1)

    def runs(key: str) -> list[list[int]]:
        found: list[list[int]] = [[]]
        for i, p in enumerate(points):
            if p[key] is None:
                found.append([])
            else:
                found[-1].append(i)
        return [r for r in found if r]

    bands = [" ".join([f"{x(i)},{y(points[i]['high'])}" for i in run]
                      + [f"{x(i)},{y(points[i]['low'])}" for i in reversed(run)]) for run in runs("high")]
    every = math.ceil(len(points) / MAX_LABELS) or 1
    when = [datetime.fromisoformat(p["t"]) for p in points]
    return {
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT, "top": TOP, "bottom": TOP + plot_h,
        "bands": bands,
        "expected": [" ".join(f"{x(i)},{y(points[i]['expected'])}" for i in run) for run in runs("expected")],
        "observed": [" ".join(f"{x(i)},{y(points[i]['observed'])}" for i in run) for run in runs("observed")],
        "marked": [{"x": x(i), "y": y(p["observed"])} for i, p in enumerate(points)
                   if p["anomalous"] and p["observed"] is not None],
        "targets": [{"x": round(LEFT + i * slot, 1), "width": round(slot, 1), "anomalous": p["anomalous"],
                     "title": title(when[i], p, grain, fmt)} for i, p in enumerate(points)],
        "y_ticks": [{"y": y(t), "label": fmt(t)} for t in scale],
        "x_labels": [{"x": x(i), "label": axis_label(when[i], grain)} for i in range(len(points)) if i % every == 0],
    }


def title(when: datetime, p: dict[str, Any], grain: str, fmt: Callable[[float], str]) -> str:
    seen = "no data" if p["observed"] is None else fmt(p["observed"])
    expected = "" if p["expected"] is None else f", expected {fmt(p['expected'])} ({fmt(p['low'])} to {fmt(p['high'])})"
    return f"{moment(when, grain)}: {seen}{expected}"

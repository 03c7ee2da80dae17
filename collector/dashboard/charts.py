"""Small time-series charts as inline SVG, drawn on the server: no chart library, nothing for the
Content-Security-Policy to allow, readable without JavaScript (each chart has a text summary)."""

from __future__ import annotations

from collections.abc import Sequence

WIDTH, HEIGHT = 160, 36


def sparkline_points(values: Sequence[float]) -> str:
    """SVG polyline points for `values`, scaled to the box (a flat line when all are equal)."""
    if not values:
        return ""
    top = max(values) or 1
    step = WIDTH / max(1, len(values) - 1)
    return " ".join(f"{i * step:.1f},{HEIGHT - 2 - (v / top) * (HEIGHT - 4):.1f}" for i, v in enumerate(values))


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


TREND_WIDTH, TREND_HEIGHT = 720, 120


def trend_points(values: Sequence[float | None]) -> str:
    """SVG polyline points for a daily series with gaps (days without the metric are skipped), on
    a scale from 0 to the largest value."""
    top = max((v for v in values if v is not None), default=0) or 1
    step = TREND_WIDTH / max(1, len(values) - 1)
    return " ".join(f"{i * step:.1f},{TREND_HEIGHT - 4 - (v / top) * (TREND_HEIGHT - 8):.1f}"
                    for i, v in enumerate(values) if v is not None)

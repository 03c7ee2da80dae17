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

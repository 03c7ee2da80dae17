"""How every read-side service reports a share, so the same fraction prints the same everywhere:
the overview's bounce rate, a funnel step's conversion, a heatmap element's share, a page's error
rate. Four decimals (a hundredth of a percent) is finer than any table shows and keeps JSON and
CSV answers short and stable across ClickHouse's float summation order."""

from __future__ import annotations

import math
from typing import TypeVar

RATIO_DIGITS = 4
Empty = TypeVar("Empty")


def ratio(part: float, whole: float | None, empty: Empty = None) -> float | Empty:  # type: ignore[assignment]
    """part / whole rounded to RATIO_DIGITS; `empty` (None: "no data", not zero) when whole is 0."""
    return round(part / whole, RATIO_DIGITS) if whole else empty


def number(value: float | None) -> float | None:
    """A float from ClickHouse, None for NaN (a quantile of nothing)."""
    return None if value is None or math.isnan(value) else float(value)

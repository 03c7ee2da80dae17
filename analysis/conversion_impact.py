"""How much a slow page costs a funnel: conversion to the next step split by the rating of the
step's page view (good, needs improvement, poor, not measured), each with a 95% Wilson score
interval (scipy's binomial test), and the conversions lost to the poor bucket: the poor page views
times how much less they converted than the good ones, never below zero. Its interval comes from
the two Wilson intervals by Newcombe's method (1998, method 10), which stays inside [-1, 1] and
behaves with small counts, where the textbook normal interval does not."""

from __future__ import annotations

import math
from typing import Any

from scipy.stats import binomtest

from footfall.analysis.numbers import ratio

CONFIDENCE = 0.95
BUCKETS = ("good", "needs-improvement", "poor", "not measured")


def wilson(converted: int, units: int) -> tuple[float, float] | None:
    if not units:
        return None
    ci = binomtest(converted, units).proportion_ci(CONFIDENCE, method="wilson")
    return float(ci.low), float(ci.high)  # numpy floats, which JSON encoders refuse


def bucket(rating: str, units: int, converted: int) -> dict[str, Any]:
    ci = wilson(converted, units)
    return {"rating": rating, "units": units, "converted": converted,
            "conversion": ratio(converted, units),
            "ci": [round(ci[0], 4), round(ci[1], 4)] if ci else None}


def lost(good: tuple[int, int], poor: tuple[int, int]) -> dict[str, Any] | None:
    """Conversions lost to the poor bucket, with their 95% interval: poor units x (good rate - poor
    rate); None when either bucket is empty."""
    (good_c, good_n), (poor_c, poor_n) = good, poor
    if not good_n or not poor_n:
        return None
    p1, p2 = good_c / good_n, poor_c / poor_n
    (l1, u1), (l2, u2) = wilson(good_c, good_n), wilson(poor_c, poor_n)  # type: ignore[misc]
    gap = p1 - p2
    low, high = gap - math.hypot(p1 - l1, u2 - p2), gap + math.hypot(u1 - p1, p2 - l2)
    return {"estimate": round(max(0.0, gap) * poor_n, 1), "low": round(max(0.0, low) * poor_n, 1),
            "high": round(max(0.0, high) * poor_n, 1), "rate_gap": round(gap, 4)}


def impact(entered: int, converted: int, by_rating: dict[str, tuple[int, int]]) -> dict[str, Any]:
    """The buckets of one step and one metric. `by_rating` maps a rating to (units, converted) among
    the step's page views that have the metric; the rest are 'not measured'."""
    measured = sum(n for n, _ in by_rating.values())
    measured_converted = sum(c for _, c in by_rating.values())
    counts = {rating: by_rating.get(rating, (0, 0)) for rating in BUCKETS[:3]}
    # Counts read apart from the measurements may be older: page views landed since are measured, not counted.
    unmeasured = max(0, entered - measured)
    counts["not measured"] = (unmeasured, min(unmeasured, max(0, converted - measured_converted)))
    (good_n, good_c), (poor_n, poor_c) = counts["good"], counts["poor"]
    return {"buckets": [bucket(rating, n, c) for rating, (n, c) in counts.items()],
            "lost": lost((good_c, good_n), (poor_c, poor_n))}

"""The anomalies of a site over a range, as the API and the dashboard show them: each with its KPI,
scope, start and end, observed and expected values with the band, severity, explanation, the
anomalies that overlap it in time and place, and its series around it for a chart."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import numpy as np

from footfall.analysis.anomalies import explain, kpis
from footfall.analysis.anomalies.detect import SEVERITIES, Z_MIN, Anomaly, Grain, detect, rates
from footfall.store import Store
from footfall.store.clock import iso

DEFAULT_SEVERITY = "medium"
AROUND = {"hour": 48, "day": 14}  # buckets of the series shown before an anomaly, for its chart


def anomaly_id(a: Anomaly) -> str:
    """Stable across runs while the anomaly lasts: its KPI, scope, grain and first bucket."""
    key = "|".join([a.series.kpi, a.series.grain, *(f"{k}={v}" for k, v in sorted(a.series.scope.items())),
                    iso(a.start)])
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def anomalies(store: Store, site: str, first: date, last: date, zone: str = "UTC", grain: Grain = "hour",
              patterns: tuple[str, ...] = (), kpi: str | None = None,
              severity: str = DEFAULT_SEVERITY) -> dict[str, Any]:
    """The anomalies touching the range's days (in the site's zone) at least as severe as `severity`,
    the most severe and latest first."""
    window = kpis.Window.of(grain, first, last, zone)
    wanted = SEVERITIES[SEVERITIES.index(severity):]
    found = []
    for series in kpis.series(store, site, window, patterns):
        if kpi and series.kpi != kpi:
            continue
        found += [(series, a) for a in detect(series, since=window.since) if a.severity in wanted]
    found.sort(key=lambda sa: (-SEVERITIES.index(sa[1].severity), -sa[1].first))
    out = [shaped(store, site, window, a, patterns) for _, a in found]
    for item, (_, a) in zip(out, found, strict=True):
        item["correlated"] = [other["id"] for other, (_, b) in zip(out, found, strict=True)
                              if other is not item and overlaps(a, b)]
    return {"grain": grain, "from": first.isoformat(), "to": last.isoformat(), "time_zone": zone,
            "severity": severity, "anomalies": out}


def overlaps(a: Anomaly, b: Anomaly) -> bool:
    """At the same time and place: their buckets overlap, and one's page is the other's or one is site-wide."""
    same_place = a.series.scope.get("page") == b.series.scope.get("page") or not (
        a.series.scope.get("page") and b.series.scope.get("page"))
    return same_place and a.first <= b.last and b.first <= a.last


def shaped(store: Store, site: str, window: kpis.Window, a: Anomaly, patterns: tuple[str, ...]) -> dict[str, Any]:
    kind, reads, _ = kpis.KPIS[a.series.kpi]
    digits = 4 if kind == "rate" else 1
    return {"id": anomaly_id(a), "kpi": a.series.kpi, "reads": reads, "kind": kind, "scope": a.series.scope,
            "start": iso(a.start), "end": iso(a.end) if a.end else None, "open": a.open, "direction": a.direction,
            "observed": round(a.observed, digits), "expected": round(a.expected, digits),
            "low": round(a.low, digits), "high": round(a.high, digits), "change": relative(a),
            "severity": a.severity, "z": round(a.z, 2), "p_value": float(f"{a.p:.3g}"), "persistent": a.persistent,
            "explanation": explain.explain(store, site, a, window.end, patterns),
            "points": points(window, a, digits)}


def relative(a: Anomaly) -> float | None:
    return round((a.observed - a.expected) / a.expected, 3) if a.expected else None


def points(window: kpis.Window, a: Anomaly, digits: int) -> list[dict[str, Any]]:
    """The series around the anomaly, bucket by bucket: observed, expected and the band (None where not judged)."""
    found = a.buckets
    values = rates(a.series)
    first = max(window.since, a.first - AROUND[a.series.grain])
    last = min(len(values) - 1, a.last + AROUND[a.series.grain] // 2)
    out = []
    for i in range(first, last + 1):
        judged = bool(found.judged[i])
        centre, width = found.value[i], Z_MIN * found.scale[i]
        observed = None if np.isnan(values[i]) else round(float(values[i]), digits)
        out.append({"t": iso(a.series.time(i)), "observed": observed,
                    "expected": round(float(centre), digits) if judged else None,
                    "low": round(float(max(centre - width, 0)), digits) if judged else None,
                    "high": round(float(centre + width), digits) if judged else None,
                    "anomalous": a.first <= i <= a.last})
    return out

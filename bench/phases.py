"""What a load phase measured and the statistics of it: nearest-rank percentiles, latency
histograms, a phase's result and the merge of several runs of one phase."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

K = TypeVar("K")


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (the smallest value with at least pct% of values at or below it)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return float(ordered[min(rank, len(ordered)) - 1])


def hist_percentile(hist: dict[int, int], pct: float) -> float:
    """Nearest-rank percentile of a histogram {value: count}."""
    total = sum(hist.values())
    if not total:
        return math.nan
    rank = max(1, math.ceil(pct / 100 * total))
    seen = 0
    for value in sorted(hist):
        seen += hist[value]
        if seen >= rank:
            return float(value)
    return float(max(hist))


def latency_summary(latencies_ms: Sequence[float]) -> dict[str, float]:
    if not latencies_ms:
        return {"p50": math.nan, "p90": math.nan, "p99": math.nan, "max": math.nan,
                "mean": math.nan}
    return {
        "p50": round(percentile(latencies_ms, 50), 3),
        "p90": round(percentile(latencies_ms, 90), 3),
        "p99": round(percentile(latencies_ms, 99), 3),
        "max": round(max(latencies_ms), 3),
        "mean": round(sum(latencies_ms) / len(latencies_ms), 3),
    }


def hist_summary_ms(hist_us: dict[int, int]) -> dict[str, float]:
    """p50/p90/p99/max/mean in milliseconds of a histogram of microseconds."""
    total = sum(hist_us.values())
    if not total:
        return latency_summary([])
    return {
        "p50": round(hist_percentile(hist_us, 50) / 1000, 3),
        "p90": round(hist_percentile(hist_us, 90) / 1000, 3),
        "p99": round(hist_percentile(hist_us, 99) / 1000, 3),
        "max": round(max(hist_us) / 1000, 3),
        "mean": round(sum(v * n for v, n in hist_us.items()) / total / 1000, 3),
    }


@dataclasses.dataclass
class PhaseResult:
    """One measured run of the load generator against one endpoint."""

    name: str
    path: str
    duration_s: float
    connections: int
    requests: int  # responses received
    ok: int  # responses with the expected status (and, for batches, all events accepted)
    non_ok: int
    status_counts: dict[str, int]
    socket_errors: dict[str, int]
    latency_ms: dict[str, float]  # p50, p90, p99, max, mean
    events_per_request: int = 0
    client: str = "wrk"
    cpu: dict[str, float] = dataclasses.field(default_factory=dict)  # cores busy, averaged
    latency_hist_us: dict[int, int] = dataclasses.field(default_factory=dict, repr=False)
    parts: list[dict[str, float]] = dataclasses.field(default_factory=list)  # merged runs

    @property
    def rps(self) -> float:
        return self.ok / self.duration_s if self.duration_s else 0.0

    @property
    def events_per_s(self) -> float:
        return self.rps * self.events_per_request

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        del out["latency_hist_us"]
        out["rps"] = round(self.rps, 1)
        out["events_per_s"] = round(self.events_per_s, 1)
        return out


def add_counts(tables: Iterable[dict[K, int]]) -> dict[K, int]:
    out: dict[K, int] = {}
    for table in tables:
        for key, n in table.items():
            out[key] = out.get(key, 0) + n
    return out


def merge(name: str, results: Sequence[PhaseResult]) -> PhaseResult:
    """Runs of the same endpoint as one: counts add up, latencies merge by histogram, CPU is
    averaged by duration; `parts` keeps each run's rate to show drift."""
    first = results[0]
    hist = add_counts(r.latency_hist_us for r in results)
    codes = add_counts(r.status_counts for r in results)
    errors = add_counts(r.socket_errors for r in results)
    duration = sum(r.duration_s for r in results)
    cpu = {key: round(sum(r.cpu.get(key, 0.0) * r.duration_s for r in results) / duration, 2)
           for key in first.cpu} if duration else {}
    return PhaseResult(
        name=name, path=first.path, duration_s=duration, connections=first.connections,
        requests=sum(r.requests for r in results), ok=sum(r.ok for r in results),
        non_ok=sum(r.non_ok for r in results), status_counts=codes, socket_errors=errors,
        latency_ms=hist_summary_ms(hist), events_per_request=first.events_per_request,
        client=first.client, cpu=cpu, latency_hist_us=hist,
        parts=[{"rps": round(r.rps, 1), "duration_s": round(r.duration_s, 2)} for r in results],
    )

"""What the benchmarks over an embedded store share: measures timed in interleaved rounds and
summarised, the checks that make a wrong result the benchmark's own failure, and SQL literals for
the INSERT ... SELECT statements that fill the store."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .harness import BenchError
from .loadgen import percentile
from .snippet import median


def sql_array(values: list[Any]) -> str:
    return "[" + ", ".join(f"'{v}'" if isinstance(v, str) else str(v) for v in values) + "]"


def require(ok: bool, message: str) -> None:
    """The benchmark checks what it measures: a failed check is the benchmark's own failure."""
    if not ok:
        raise BenchError(message)


def summary(values: list[float]) -> dict[str, Any]:
    """Median, nearest-rank p90, min and max of milliseconds."""
    if not values:
        return {"median": None, "p90": None, "min": None, "max": None, "runs": 0}
    return {"median": median(values), "p90": round(percentile(values, 90), 3), "min": round(min(values), 3),
            "max": round(max(values), 3), "runs": len(values)}


class Steps(dict):
    """Milliseconds of the named steps of one run."""

    def time(self, name: str, fn: Callable[..., Any], *args: Any) -> Any:
        t = time.perf_counter()
        out = fn(*args)
        self[name] = self.get(name, 0.0) + (time.perf_counter() - t) * 1000
        return out


def rounds(measures: dict[str, Callable[[Steps], Any]], runs: int, warmup: int,
           last: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Every measure once per round, the order reversed every other round so that a slow spell of the shared
    machine falls on all alike; the first `warmup` rounds not kept; what each returned last put in `last`."""
    last, names = {} if last is None else last, list(measures)
    kept: dict[str, list[dict[str, float]]] = {name: [] for name in measures}
    for r in range(warmup + runs):
        for name in names if r % 2 == 0 else names[::-1]:
            steps, t = Steps(), time.perf_counter()
            last[name] = measures[name](steps)
            total = (time.perf_counter() - t) * 1000
            if r >= warmup:
                kept[name].append({"total": total, **steps})
    return {name: {"ms": summary([r["total"] for r in runs]), "runs_ms": [round(r["total"], 2) for r in runs],
                   "steps_ms": {k: summary([r[k] for r in runs]) for k in (runs[0] if runs else {}) if k != "total"}}
            for name, runs in kept.items()}

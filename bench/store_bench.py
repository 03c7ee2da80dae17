"""What the benchmarks over an embedded store share: measures timed in interleaved rounds and
summarised, the checks that make a wrong result the benchmark's own failure, SQL literals for the
INSERT ... SELECT statements that fill the store, and the run itself: the store filled and timed in
a child process, then a server on it, then the report written."""

from __future__ import annotations

import concurrent.futures
import json
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from footfall.web.testing import cli_json

from .harness import BenchError
from .phases import percentile
from .snippet import median

ROOT = Path(__file__).resolve().parents[1]


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


# -- a run: the store filled and timed in a child process, then the server; the report written ------
def env_default(bench: str, name: str, default: Any) -> Any:
    """An option's default, overridden by BENCH_<BENCH>_<NAME> in the environment."""
    raw = os.environ.get(f"BENCH_{bench.upper()}_{name.upper()}")
    return type(default)(raw) if raw else default


def host() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "machine": platform.machine(), "python": platform.python_version(),
            "loadavg": [round(x, 2) for x in os.getloadavg()]}


def run_parts(report: dict[str, Any], ns: Any, bench: str, site: str, origin: str,
              embedded_part: Callable[[str, Any], dict[str, Any]],
              http_part: Callable[[Path, Any, dict[str, Any]], dict[str, Any]]) -> None:
    """The site in a temporary data directory; `embedded_part` in a child process that owns the
    embedded store, then (unless --no-http) `http_part` against a server on it. A failure is recorded
    in the report as the benchmark's own."""
    try:
        with tempfile.TemporaryDirectory(prefix=f"footfall-bench-{bench}-") as tmp:
            data = Path(tmp) / "data"
            cli_json(data, "site", "create", "Bench", "--origin", origin, "--key", site)
            spawn = multiprocessing.get_context("spawn")
            with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
                report["embedded"] = pool.submit(embedded_part, str(data), ns).result()
            if ns.http:
                report["http"] = http_part(data, ns, report["embedded"])
    except Exception as exc:  # the benchmark's own failure, reported by `finish`
        report["error"] = f"{type(exc).__name__}: {exc}"


def finish(report: dict[str, Any], out: Path, bench: str, markdown: str, goal_lines: list[str]) -> int:
    """Writes <bench>-<stamp>.json and .md and <bench>-latest.md, prints the goals and where the
    report is; 1 when the benchmark broke."""
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = (out / f"{bench}-{report['stamp']}.{ext}" for ext in ("json", "md"))
    json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    for path in (md_path, out / f"{bench}-latest.md"):  # the run's report, and the latest
        path.write_text(markdown)
    for line in goal_lines:
        print(f"   {line}")
    print(f"   report: {md_path.relative_to(ROOT) if md_path.is_relative_to(ROOT) else md_path} and "
          f"{json_path.name}; {report['elapsed_s']} s in all")
    if report.get("error"):
        print(f"benchmark FAILED: {report['error']}", file=sys.stderr)
        return 1
    return 0

"""Anomaly detection over 10 million stored events with 50 page patterns, against the goal of 10 s.

In a child process owning the embedded store, the funnel benchmark's sessions (bench/funnel_data.py:
page views and events of 1 million sessions over the last six days, made in ClickHouse) are stored,
and `footfall.analysis.anomalies.found.anomalies` searches the last 7 days (and the 4 or 6 weeks of
history before them) at hour and at day grain with the site's 50 URL patterns, in interleaved rounds
next to a baseline in the same run: one pass over both tables counting their rows per hour (the
cheapest read of what the KPIs read), since on a shared machine only ratios compare from run to run.
"""

from __future__ import annotations

import argparse
import gc
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from footfall.analysis.anomalies import found
from footfall.store import Store
from footfall.store.migrations import migrate
from footfall.web.runtime import lock_data_dir

from .funnel_data import BLOCK_MULTIPLE, ORIGIN, SITE, fill
from .report import fmt
from .store_bench import env_default, finish, host, require, rounds, run_parts

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
GOAL_MS = 10_000.0
# 50 patterns, the two that match most paths last: every path is tried against all of them.
PATTERNS = tuple([f"/section-{i}/*" for i in range(48)] + ["/category/*", "/product/*"])
BASELINE = """
    SELECT h, sum(n) FROM (
        SELECT intDiv(toUnixTimestamp(time), 3600) AS h, count() AS n FROM pageviews
        WHERE site = {site:String} AND time >= {start:DateTime64(3)} AND time < {end:DateTime64(3)} GROUP BY h
        UNION ALL
        SELECT intDiv(toUnixTimestamp(time), 3600) AS h, count() AS n FROM events
        WHERE site = {site:String} AND time >= {start:DateTime64(3)} AND time < {end:DateTime64(3)} GROUP BY h)
    GROUP BY h"""
TITLES = {"baseline": "rows per hour of both tables, one pass (baseline)",
          "hour": "anomalies of the last 7 days, hour grain (4 weeks of history)",
          "day": "anomalies of the last 7 days, day grain (6 weeks of history)"}


def days() -> tuple[date, date]:
    today = datetime.now(UTC).date()
    return today - timedelta(days=6), today


def embedded_part(data: str, ns: argparse.Namespace) -> dict[str, Any]:
    """Fill the store and time the detection (runs in a child process)."""
    lock_data_dir(Path(data))
    store = Store(f"chdb://{Path(data) / 'clickhouse'}")
    out: dict[str, Any] = {"rows": ns.rows, "block": ns.block}
    try:
        migrate(store)
        fill(store, argparse.Namespace(rows=ns.rows, block=ns.block, performance=False, optimize=True), out)
        gc.collect()
        gc.freeze()
        first, last = days()
        window = (datetime.combine(first, datetime.min.time(), UTC) - timedelta(weeks=6),
                  datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC))
        params = {"site": SITE, "start": window[0], "end": window[1]}
        measures = {
            "baseline": lambda steps: store.rows(BASELINE, params),
            **{grain: lambda steps, grain=grain: found.anomalies(store, SITE, first, last, "UTC", grain, PATTERNS,
                                                                 severity="low")
               for grain in ("hour", "day")}}
        last_answers: dict[str, Any] = {}
        print(f"== timing {', '.join(measures)}: {ns.runs} rounds after {ns.warmup} warm-up", flush=True)
        results = rounds(measures, ns.runs, ns.warmup, last_answers)
        base = results["baseline"]["ms"]["median"]
        for m in results.values():
            m["x_base"] = round(m["ms"]["median"] / base, 2) if base else None
        hours = last_answers["baseline"]
        require(sum(n for _, n in hours) == ns.rows, f"{sum(n for _, n in hours):,} rows read, {ns.rows:,} stored")
        out.update(measures=results, found={g: len(last_answers[g]["anomalies"]) for g in ("hour", "day")})
    finally:
        store.close()
    return out


def goals_of(report: dict[str, Any]) -> list[dict[str, Any]]:
    measures = (report.get("embedded") or {}).get("measures") or {}
    return [{"measure": TITLES[g], "median": m["ms"]["median"], "p90": m["ms"]["p90"], "x_base": m.get("x_base"),
             "met": m["ms"]["median"] is not None and m["ms"]["median"] < GOAL_MS}
            for g in ("hour", "day") if (m := measures.get(g))]


def markdown(report: dict[str, Any]) -> str:
    host_, cfg, e = report["host"], report["config"], report.get("embedded") or {}
    lines = [f"# Anomaly detection benchmark, {report['started']}", "",
             f"Host: {host_['cpus']} CPUs ({host_['machine']}), load average before the run {host_['loadavg']}, "
             f"Python {host_['python']}. {cfg['runs']} timed rounds after {cfg['warmup']} warm-up, the measures "
             "interleaved. The machine is shared: the ratios compare from run to run, the milliseconds roughly.", ""]
    if report.get("error"):
        lines += [f"**Benchmark failed:** {report['error']}", ""]
    if e.get("tables"):
        tables = ", ".join(f"`{k}` {v['rows']:,} rows" for k, v in e["tables"].items())
        lines += [f"Data: {e['rows']:,} rows made in ClickHouse ({e['fill_s']} s; the funnel benchmark's sessions over "
                  f"the last six days): {tables}. The site has {len(PATTERNS)} URL patterns. Web Vitals and errors "
                  "are not filled: their KPIs read empty tables.", ""]
    if goals := report.get("goals"):
        lines += [f"## Goal: detection in under {GOAL_MS / 1000:,.0f} s (median)", "",
                  "| measure | median ms | p90 ms | × baseline | met |", "|---|---|---|---|---|",
                  *[f"| {g['measure']} | {fmt(g['median'], 1)} | {fmt(g['p90'], 1)} | {fmt(g['x_base'], 2)} | "
                    f"{'yes' if g['met'] else 'no'} |" for g in goals], ""]
    if m := e.get("measures"):
        lines += ["| measure | median ms | p90 ms | min ms | max ms | × baseline |", "|---|---|---|---|---|---|",
                  *[f"| {TITLES[n]} | {fmt(v['ms']['median'], 1)} | {fmt(v['ms']['p90'], 1)} | "
                    f"{fmt(v['ms']['min'], 1)} | {fmt(v['ms']['max'], 1)} | {fmt(v.get('x_base'), 2)} |"
                    for n, v in m.items()], "",
                  f"Anomalies found (any severity): {e.get('found')}. The data has six days, so only their last "
                  "hours or days have history enough to be judged; the time is the reading and the tests.", ""]
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.anomalies", description=__doc__.split("\n")[0])
    for name, default, text in (("rows", 10_000_000, "rows stored (page views and events)"),
                                ("block", 2_000_000, "rows per INSERT"), ("runs", 5, "timed rounds"),
                                ("warmup", 1, "untimed rounds first")):
        p.add_argument(f"--{name}", type=int, default=env_default("anomalies", name, default),
                       help=f"{text} [{default:,}]")
    p.add_argument("--out", type=Path, default=RESULTS, help="report directory [bench/results]")
    ns = p.parse_args(argv)
    ns.http = False
    if ns.block <= 0 or ns.block % BLOCK_MULTIPLE:
        p.error(f"--block is a multiple of {BLOCK_MULTIPLE}: a block holds its sessions whole")
    return ns


def main(argv: list[str] | None = None) -> int:
    ns = parse_args(argv)
    started = datetime.now(UTC)
    report: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"), "stamp": started.strftime("%Y%m%dT%H%M%SZ"),
        "host": host(), "config": {"rows": ns.rows, "block": ns.block, "runs": ns.runs, "warmup": ns.warmup,
                                   "patterns": len(PATTERNS), "goal_ms": GOAL_MS}}
    print(f"== anomalies benchmark: {ns.rows:,} rows", flush=True)
    run_parts(report, ns, "anomalies", SITE, ORIGIN, embedded_part, lambda *args: {})
    report.update(goals=goals_of(report), elapsed_s=round((datetime.now(UTC) - started).total_seconds(), 1))
    goals = [f"{g['measure']:60}: median {fmt(g['median'], 1):>9} ms (goal < {GOAL_MS:,.0f} ms: "
             f"{'met' if g['met'] else 'NOT met'})" for g in report["goals"]]
    return finish(report, ns.out, "anomalies", markdown(report), goals)


if __name__ == "__main__":
    sys.exit(main())

"""The stats API's 30-day overview over 10 million stored events, against the goal of 1 s a request.

Next to the bare totals of the range's page views (their count and exact sessions and visitors) in the
same run (in process) and `GET /healthz`
(over HTTP): on a shared, noisy machine those ratios, unlike the milliseconds, compare from run to run.
In a child process owning the embedded store, the funnel benchmark's sessions (bench/funnel_data.py:
page views and events of 1 million sessions over the last six days, made in ClickHouse) are stored, and
`footfall.analysis.stats.stats` answers the overview's two questions in interleaved rounds: the daily
series of visitors, sessions, page views, bounce rate and session duration, and the top pages by the
same metrics; then `footfall serve` on the same data directory, the same two over HTTP.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from footfall.analysis import stats
from footfall.store import Store
from footfall.store.migrations import migrate
from footfall.web.runtime import lock_data_dir
from footfall.web.testing import ServerProcess, cli_json

from .funnel_data import BLOCK_MULTIPLE, ORIGIN, SITE, fill
from .report import fmt
from .store_bench import Steps, env_default, finish, host, require, rounds, run_parts

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
GOAL_MS = 1000.0
METRICS = ["visitors", "sessions", "pageviews", "bounce_rate", "session_duration"]
TOP = 10  # rows of the top pages
QUESTIONS = {"series": {"interval": "day"}, "pages": {"by": "page", "limit": TOP}}


def days() -> tuple[date, date]:
    """The API's default range: the last 30 days, today included (the site's zone is UTC)."""
    today = datetime.now(UTC).date()
    return today - timedelta(days=29), today


def totals_sql() -> str:
    """The baseline, and the totals the answers must add up to: the range's page views, sessions and
    visitors counted straight from `pageviews`, without the stats query's session facts and joins (the
    cheapest read of the id columns the overview reads; a bare count() is answered from the part's
    index and reads nothing)."""
    return "SELECT count(), uniqExact(session_id), uniqExact(visitor_id) FROM pageviews WHERE site = {site:String} " \
           "AND time >= {start:DateTime64(3)} AND time < {end:DateTime64(3)}"


def ratios(measures: dict[str, dict[str, Any]], baseline: float | None) -> None:
    """Each measure's median as a multiple of the baseline's median, in place."""
    for m in measures.values():
        median = m["ms"]["median"]
        m["x_base"] = round(median / baseline, 2) if median is not None and baseline else None


def checked(series: dict[str, Any], pages: dict[str, Any], expected: tuple[int, int, int]) -> dict[str, Any]:
    """What the answers count, checked against the rows: the daily page views add up to the range's and the
    days' sessions to its sessions (a session here lies within a day or two, counted on each day it has page
    views on, so at least as many); the top page is the most viewed page's visitors at most."""
    views, sessions, visitors = expected
    days_views = sum(row["pageviews"] for row in series["results"])
    days_sessions = sum(row["sessions"] for row in series["results"])
    require(len(series["results"]) == 30, f"{len(series['results'])} days in the series, not 30")
    require(days_views == views, f"the days hold {days_views:,} page views, the range {views:,}")
    require(days_sessions >= sessions, f"the days hold {days_sessions:,} sessions, the range {sessions:,}")
    require(0 < len(pages["results"]) <= TOP, f"{len(pages['results'])} top pages")
    top = pages["results"][0]
    require(top["visitors"] <= visitors and top["pageviews"] <= views, f"the top page {top} exceeds the range")
    return {"pageviews": views, "sessions": sessions, "visitors": visitors, "days_sessions": days_sessions,
            "top_page": top, "pages": len(pages["results"])}


# -- part 1: in process ---------------------------------------------------------------------------

def embedded_part(data: str, ns: argparse.Namespace) -> dict[str, Any]:
    """Fill the store and time the stats (runs in a child process; see the docstring)."""
    lock_data_dir(Path(data))  # held until this process exits: no server or CLI on the store meanwhile
    store = Store(f"chdb://{Path(data) / 'clickhouse'}")
    out: dict[str, Any] = {"rows": ns.rows, "block": ns.block}
    try:
        migrate(store)
        fill(store, argparse.Namespace(rows=ns.rows, block=ns.block, performance=False, optimize=ns.optimize), out)
        gc.collect()
        gc.freeze()  # as the server does after start-up (web/app.py): collections skip the setup's objects
        first, last_day = days()
        start, end = stats.day_range(first, last_day, "UTC")
        params = {"site": SITE, "start": start, "end": end}
        measures: dict[str, Callable[[Steps], Any]] = {
            "totals": lambda steps: store.rows(totals_sql(), params)[0],
            **{name: lambda steps, asked=asked: stats.stats(store, SITE, first, last_day, METRICS, **asked)
               for name, asked in QUESTIONS.items()}}
        last: dict[str, Any] = {}
        print(f"== timing {', '.join(measures)}: {ns.runs} rounds after {ns.warmup} warm-up", flush=True)
        results = rounds(measures, ns.runs, ns.warmup, last)
        ratios(results, results["totals"]["ms"]["median"])
        out.update(measures=results, checked=checked(last["series"], last["pages"], last["totals"]),
                   answers={name: last[name] for name in QUESTIONS})
    finally:
        store.close()
    return out


# -- part 2: over HTTP ----------------------------------------------------------------------------

def paths() -> dict[str, str]:
    first, last_day = days()
    common = {"metrics": ",".join(METRICS), "from": first.isoformat(), "to": last_day.isoformat()}
    return {"healthz": "/healthz", **{name: f"/api/v1/sites/{SITE}/stats?" + urlencode(common | asked)
                                      for name, asked in QUESTIONS.items()}}


def http_part(data: Path, ns: argparse.Namespace, embedded: dict[str, Any]) -> dict[str, Any]:
    token = cli_json(data, "token", "create", "bench", "--site", SITE)["token"]
    t0, server = time.monotonic(), ServerProcess(data)
    startup = round(time.monotonic() - t0, 1)
    asked, last = paths(), {}

    def fetch(name: str) -> bytes:
        conn.request("GET", asked[name], headers={"Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        body = resp.read()  # the whole body, on one keep-alive connection as a script's client holds one
        require(resp.status == 200, f"{name} {asked[name]}: HTTP {resp.status} {body[:200]!r}")
        return body

    try:
        conn = http.client.HTTPConnection(server.host, server.port, timeout=120)
        print(f"== over HTTP ({server.url}, started in {startup} s): {ns.runs} rounds after {ns.warmup} warm-up",
              flush=True)
        results = rounds({name: lambda steps, name=name: fetch(name) for name in asked}, ns.runs, ns.warmup, last)
    finally:
        server.stop()
    ratios(results, results["healthz"]["ms"]["median"])
    for name in QUESTIONS:
        got = json.loads(last[name])["results"]
        require(got == embedded["answers"][name]["results"], f"over HTTP {name} differs from in process")
    return {"server_startup_s": startup, "paths": asked, "bytes": {n: len(last[n]) for n in QUESTIONS},
            "measures": results}


# -- report ---------------------------------------------------------------------------------------

TITLES = {"totals": "bare totals: `count()` and `uniqExact` of the sessions and visitors of the range's page "
                    "views (baseline)",
          "series": "daily series, 30 days (`interval=day`)", "pages": f"top {TOP} pages (`by=page`)",
          "healthz": "`GET /healthz` (no-op)"}


def goals_of(report: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for part, where in (("embedded", "in process"), ("http", "over HTTP")):
        measures = (report.get(part) or {}).get("measures") or {}
        for name in QUESTIONS:
            if m := measures.get(name):
                out.append({"measure": f"{TITLES[name]}, {where}", "median": m["ms"]["median"], "p90": m["ms"]["p90"],
                            "x_base": m.get("x_base"),
                            "met": m["ms"]["median"] is not None and m["ms"]["median"] < GOAL_MS})
    return out


def table(rows: dict[str, dict[str, Any]], against: str) -> list[str]:
    return [f"| measure | median ms | p90 ms | min ms | max ms | × {against} |", "|---|---|---|---|---|---|"] + [
        f"| {TITLES.get(name, name)} | {fmt(m['ms']['median'], 1)} | {fmt(m['ms']['p90'], 1)} | "
        f"{fmt(m['ms']['min'], 1)} | {fmt(m['ms']['max'], 1)} | {fmt(m.get('x_base'), 2)} |"
        for name, m in rows.items()]


def markdown(report: dict[str, Any]) -> str:
    host_, cfg, e, h = report["host"], report["config"], report.get("embedded") or {}, report.get("http") or {}
    lines = [f"# Stats API benchmark, {report['started']}", "",
             f"Host: {host_['cpus']} CPUs ({host_['machine']}), load average before the run {host_['loadavg']}, "
             f"Python {host_['python']}. {cfg['runs']} timed rounds after {cfg['warmup']} warm-up, the measures "
             "interleaved (order reversed every other round). The machine is shared: other work ran beside it, "
             "so the ratios compare from run to run and the milliseconds only roughly.", ""]
    if report.get("error"):
        lines += [f"**Benchmark failed:** {report['error']}", ""]
    if e.get("tables"):
        tables = ", ".join(f"`{k}` {v['rows']:,} rows in {v['parts']} active parts" for k, v in e["tables"].items())
        lines += [f"Data: {e['rows']:,} rows made in ClickHouse ({e['fill_s']} s; the funnel benchmark's sessions): "
                  f"{tables}; {e['sessions']:,} sessions, {e['visitors']:,} visitors, over the last six days. "
                  f"Metrics {', '.join(METRICS)} over the last 30 days (UTC).", ""]
    if goals := report.get("goals"):
        lines += [f"## Goal: each answer in under {GOAL_MS:,.0f} ms (median)", "",
                  "| measure | median ms | p90 ms | × baseline | met |", "|---|---|---|---|---|",
                  *[f"| {g['measure']} | {fmt(g['median'], 1)} | {fmt(g['p90'], 1)} | {fmt(g['x_base'], 2)} | "
                    f"{'yes' if g['met'] else 'no'} |" for g in goals], ""]
    if e.get("measures"):
        lines += ["## In process (`stats.stats`)", "", *table(e["measures"], "totals"), ""]
    if c := e.get("checked"):
        lines += [f"Checked against the rows: {c['pageviews']:,} page views, {c['sessions']:,} sessions and "
                  f"{c['visitors']:,} visitors in the range; the days add up to its page views and hold "
                  f"{c['days_sessions']:,} sessions (a session counts on each day it has page views on); the top "
                  f"page: {c['top_page']}.", ""]
    if h.get("measures"):
        lines += ["## Over HTTP", "", f"`footfall serve` on the same data directory (started in "
                  f"{h['server_startup_s']} s), one keep-alive connection, bearer token; time until the whole body is "
                  f"read ({', '.join(f'{k} {v:,} bytes' for k, v in h['bytes'].items())}).", "",
                  *table(h["measures"], "/healthz"), ""]
    return "\n".join(lines) + "\n"


# -- main -----------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.stats", description=__doc__.split("\n")[0])
    for name, default, text in (("rows", 10_000_000, "rows stored (page views and events)"),
                                ("block", 2_000_000, "rows per INSERT"), ("runs", 10, "timed rounds"),
                                ("warmup", 1, "untimed rounds first")):
        p.add_argument(f"--{name}", type=int, default=env_default("stats", name, default),
                       help=f"{text} [{default:,}]")
    p.add_argument("--no-optimize", dest="optimize", action="store_false", help="skip OPTIMIZE TABLE ... FINAL")
    p.add_argument("--no-http", dest="http", action="store_false", help="skip part 2 (the server)")
    p.add_argument("--out", type=Path, default=RESULTS, help="report directory [bench/results]")
    ns = p.parse_args(argv)
    if ns.block <= 0 or ns.block % BLOCK_MULTIPLE:
        p.error(f"--block is a multiple of {BLOCK_MULTIPLE}: a block holds its sessions whole")
    return ns


def main(argv: list[str] | None = None) -> int:
    ns = parse_args(argv)
    started = datetime.now(UTC)
    report: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"), "stamp": started.strftime("%Y%m%dT%H%M%SZ"),
        "host": host(), "config": {"rows": ns.rows, "block": ns.block, "runs": ns.runs, "warmup": ns.warmup,
                                   "metrics": METRICS, "optimize": ns.optimize, "http": ns.http, "goal_ms": GOAL_MS}}
    print(f"== stats benchmark: {ns.rows:,} rows", flush=True)
    run_parts(report, ns, "stats", SITE, ORIGIN, embedded_part, http_part)
    report.update(goals=goals_of(report), elapsed_s=round((datetime.now(UTC) - started).total_seconds(), 1))
    goals = [f"{g['measure']:45}: median {fmt(g['median'], 1):>8} ms, p90 {fmt(g['p90'], 1):>8} ms "
             f"(goal < {GOAL_MS:,.0f} ms: {'met' if g['met'] else 'NOT met'})" for g in report["goals"]]
    return finish(report, ns.out, "stats", markdown(report), goals)


if __name__ == "__main__":
    sys.exit(main())

"""The click heatmap of one page over 10 million stored clicks, next to a bare `count()` of the same
rows in the same run, against the goal of a map in under 300 ms.

The machine is shared and noisy, so every measure is also given as a multiple of the bare count's
median: that ratio, unlike the milliseconds, is comparable from run to run. Two parts:

1. In process, in a child process that owns the embedded store (chDB allows one data path per
   process): the clicks are made in ClickHouse (`INSERT ... SELECT ... FROM numbers()`), then the
   count, the map as JSON and as PNG (as the API builds them), the elements ranking, and what the
   maps' time is made of, are timed in interleaved rounds.
2. Over HTTP: `footfall serve` on the same data directory, once the child has exited, and the
   endpoint next to `GET /healthz` and the click count endpoint on the same server.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import gc
import http.client
import json
import multiprocessing
import os
import platform
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from starlette.responses import JSONResponse

from analysis import heatmap_image, heatmaps
from collector.runtime import lock_data_dir
from collector.store import Store
from collector.store.migrations import migrate
from collector.testing import ServerProcess, cli_json

from .harness import BenchError
from .loadgen import percentile
from .report import fmt
from .snippet import median

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SITE = "bench"
ORIGIN = "http://shop.test"
PAGE = "/product/1"
DEVICE = "desktop"
GOAL_MS = 300.0
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Where the page's clicks land: (selector, text, centre x, centre y, spread x, spread y, share %).
# The last spot has no centre: clicks anywhere on the 1280 x 6000 px page, as stray clicks are.
SPOTS = [
    ("#add-to-cart", "Add to cart", 980, 620, 60, 14, 25),
    (".gallery img", "", 400, 560, 160, 120, 15),
    (".size-picker button", "42", 960, 480, 70, 10, 10),
    ("nav a.cart", "Cart", 1200, 40, 12, 8, 8),
    ("nav a.home", "Home", 80, 40, 30, 8, 6),
    (".thumbs img", "", 400, 900, 150, 30, 8),
    (".tabs button", "Reviews", 500, 1400, 120, 12, 8),
    (".related a", "", 640, 4200, 400, 60, 6),
    ("footer a", "", 640, 5800, 400, 60, 4),
    ("main", "", -1, -1, 0, 0, 10),
]
PAGE_W, PAGE_H = 1280, 6000


def sql_array(values: list[Any]) -> str:
    return "[" + ", ".join(f"'{v}'" if isinstance(v, str) else str(v) for v in values) + "]"


def fill_sql() -> str:
    """One block of clicks, made by ClickHouse from numbers(first, count): deterministic, spread over
    the last six days. Of every 20 rows one is on another page and one on this page from a phone, so
    the path and device filters both have rows to skip; the rest are this page on desktop."""
    columns = list(zip(*SPOTS, strict=True))
    bounds, total = [], 0
    for share in columns[6]:
        total += share
        bounds.append(total)
    def offset(a: str, b: str) -> str:  # -2..2, peaked at 0
        return f"(toInt32({a} % 1001) + toInt32({b} % 1001) - 1000) / 500"

    return f"""
INSERT INTO events (site, time, type, session_id, visitor_id, pageview_id, path, device, browser, selector,
                    text, x, y, rx, ry, viewport_width, dead, rage, page_height, retention)
SELECT '{SITE}', now64(3, 'UTC') - toIntervalMillisecond(h0 % 518400000), 'click',
       hex(h1 % 3000000), hex(h1 % 1500000), hex(sipHash64(intDiv(n, 6))),
       if(n % 20 = 0, concat('/product/', toString(2 + h1 % 50)), '{PAGE}'),
       if(n % 20 = 1, 'mobile', '{DEVICE}'), 'Chrome', {sql_array(list(columns[0]))}[spot],
       {sql_array(list(columns[1]))}[spot],
       toInt32(if(cx < 0, h2 % {PAGE_W}, least({PAGE_W - 1}, greatest(0, cx + round(sx * {offset("h2", "h3")}))))),
       toInt32(if(cy < 0, h3 % {PAGE_H}, least({PAGE_H - 1}, greatest(0, cy + round(sy * {offset("h4", "h5")}))))),
       (h6 % 1000) / 1000, (intDiv(h6, 1000) % 1000) / 1000, {PAGE_W}, h7 % 100 < 4, h7 % 500 = 0, {PAGE_H}, 365
FROM (SELECT number AS n, sipHash64(number, 0) AS h0, sipHash64(number, 1) AS h1, sipHash64(number, 2) AS h2,
             sipHash64(number, 3) AS h3, sipHash64(number, 4) AS h4, sipHash64(number, 5) AS h5,
             sipHash64(number, 6) AS h6, sipHash64(number, 7) AS h7,
             arrayFirstIndex(b -> h0 % {total} < b, {sql_array(bounds)}) AS spot,
             {sql_array(list(columns[2]))}[spot] AS cx, {sql_array(list(columns[3]))}[spot] AS cy,
             {sql_array(list(columns[4]))}[spot] AS sx, {sql_array(list(columns[5]))}[spot] AS sy
      FROM numbers({{first:UInt64}}, {{count:UInt64}}))"""


def matched(rows: int) -> int:
    """Rows of the page on desktop among numbers 0..rows-1 (n % 20 of 0 and 1 are elsewhere)."""
    return rows - 2 * (rows // 20) - min(rows % 20, 2)


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's header, None if it is not a PNG."""
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE):
        return None
    return struct.unpack(">II", data[16:24])


# -- timing ---------------------------------------------------------------------------------------

def summary(values: list[float]) -> dict[str, Any]:
    """Median, nearest-rank p90, min and max of milliseconds."""
    if not values:
        return {"median": None, "p90": None, "min": None, "max": None, "runs": 0}
    return {"median": median(values), "p90": round(percentile(values, 90), 3), "min": round(min(values), 3),
            "max": round(max(values), 3), "runs": len(values)}


def summarise(runs: list[dict[str, float]]) -> dict[str, Any]:
    """A measure's runs (total and steps in ms) as summaries, the runs themselves kept."""
    steps = [k for k in (runs[0] if runs else {}) if k != "total"]
    return {"ms": summary([r["total"] for r in runs]),
            "steps_ms": {k: summary([r[k] for r in runs if k in r]) for k in steps},
            "runs_ms": [round(r["total"], 2) for r in runs]}


class Steps(dict):
    """Milliseconds of the named steps of one run."""

    def time(self, name: str, fn: Callable[..., Any], *args: Any) -> Any:
        t = time.perf_counter()
        out = fn(*args)
        self[name] = self.get(name, 0.0) + (time.perf_counter() - t) * 1000
        return out


def rounds(measures: dict[str, Callable[[Steps], Any]], runs: int, warmup: int) -> dict[str, dict[str, Any]]:
    """Every measure once per round, the order reversed every other round so that a slow spell of
    the shared machine falls on all of them alike; the first `warmup` rounds are not kept."""
    kept: dict[str, list[dict[str, float]]] = {name: [] for name in measures}
    names = list(measures)
    for r in range(warmup + runs):
        for name in names if r % 2 == 0 else names[::-1]:
            steps = Steps()
            t = time.perf_counter()
            measures[name](steps)
            total = (time.perf_counter() - t) * 1000
            if r >= warmup:
                kept[name].append({"total": total, **steps})
    return {name: summarise(kept[name]) for name in measures}


def ratios(measures: dict[str, dict[str, Any]], baseline: float | None) -> None:
    """Each measure's median as a multiple of the baseline's median, in place."""
    for m in measures.values():
        value = m["ms"]["median"]
        m["x_count"] = round(value / baseline, 2) if value is not None and baseline else None


# -- part 1: in process ---------------------------------------------------------------------------

def scope_of() -> heatmaps.Scope:
    """The API's default range: the last 30 days, today included."""
    today = datetime.now(UTC).date()
    end = datetime(today.year, today.month, today.day, tzinfo=UTC) + timedelta(days=1)
    return heatmaps.Scope(SITE, end - timedelta(days=30), end, PAGE, DEVICE)


def embedded_part(data: str, ns: argparse.Namespace) -> dict[str, Any]:
    """Fill the store and time the analysis functions (runs in a child process; see the docstring)."""
    lock_data_dir(Path(data))  # held until this process exits: no server or CLI on the store meanwhile
    store = Store(f"chdb://{Path(data) / 'clickhouse'}")
    out: dict[str, Any] = {"rows": ns.rows, "block": ns.block}
    try:
        migrate(store)
        t0 = time.monotonic()
        sql = fill_sql()
        for first in range(0, ns.rows, ns.block):
            store.command(sql, {"first": first, "count": min(ns.block, ns.rows - first)})
            print(f"   {min(first + ns.block, ns.rows):,} clicks stored ({time.monotonic() - t0:.1f} s)", flush=True)
        out["fill_s"] = round(time.monotonic() - t0, 1)
        if ns.optimize:
            t0 = time.monotonic()
            store.command("OPTIMIZE TABLE events FINAL")
            out["optimize_s"] = round(time.monotonic() - t0, 1)
        out["parts"] = int(store.scalar("SELECT count() FROM system.parts WHERE active AND table = 'events' "
                                        "AND database = currentDatabase()"))
        stored = int(store.scalar("SELECT count() FROM events"))
        if stored != ns.rows:
            raise BenchError(f"{stored:,} clicks stored of {ns.rows:,} (retention TTL or a failed insert)")
        gc.collect()
        gc.freeze()  # as the server does after start-up (collector/app.py): collections skip the setup's objects

        scope = scope_of()
        condition, params = heatmaps.where(scope, "click")
        sent: list[tuple[str, dict[str, Any]]] = []  # the cells query as the analysis code sends it, to time alone
        heatmaps.click_cells(SimpleNamespace(rows=lambda sql, params: sent.append((sql, params)) or []), scope)
        cells_sql, cells_params = sent[0]
        last: dict[str, Any] = {}

        def count(steps: Steps) -> None:
            last["count"] = store.scalar(f"SELECT count() FROM events WHERE {condition}", params)

        def grouped(steps: Steps) -> None:
            store.scalar(f"SELECT count() FROM ({cells_sql})", cells_params)

        def as_json(steps: Steps) -> None:
            found = steps.time("query", heatmaps.click_cells, store, scope)
            body = steps.time("as_json", lambda: heatmaps.as_json(found, *heatmaps.extent(found, None, None)))
            last["json"] = steps.time("encode", lambda: JSONResponse(body).body)
            last["cells"] = found

        def as_png(steps: Steps) -> None:
            found = steps.time("query", heatmaps.click_cells, store, scope)
            last["png"] = steps.time("heat_png", lambda: heatmap_image.heat_png(
                found, *heatmaps.extent(found, None, None)))

        def png_steps(steps: Steps) -> None:
            found = last["cells"]
            grid = steps.time("grid_of", heatmap_image.grid_of, found, *heatmaps.extent(found, None, None))
            heat = steps.time("blur", heatmap_image.blur, grid)
            steps.time("png", heatmap_image.png, steps.time("colour", heatmap_image.colour, heat))

        def elements(steps: Steps) -> None:
            last["elements"] = heatmaps.elements(store, scope)

        measures: dict[str, Callable[[Steps], Any]] = {"count": count, "json": as_json, "png": as_png,
                                                       "grouped": grouped}
        if ns.elements:
            measures["elements"] = elements
        as_json(Steps())  # png_steps needs the cells
        measures["png_steps"] = png_steps
        print(f"== timing {', '.join(measures)}: {ns.runs} rounds after {ns.warmup} warm-up", flush=True)
        results = rounds(measures, ns.runs, ns.warmup)
        ratios(results, results["count"]["ms"]["median"])
        body = json.loads(last["json"])
        found = last["cells"]
        width, height = heatmaps.extent(found, None, None)
        out.update({
            "matched": int(last["count"]), "expected": matched(ns.rows), "cells": len(found),
            "grid_cells": [width, height], "cell_px": heatmaps.CELL, "json_total": body["total"],
            "json_bytes": len(last["json"]), "png_bytes": len(last["png"]), "png_size": png_size(last["png"]),
            "elements_ranked": len(last["elements"]["elements"]) if "elements" in last else None,
            "measures": results})
        if not out["matched"] == out["json_total"] == out["expected"]:
            raise BenchError(f"count() {out['matched']:,}, map total {out['json_total']:,}, "
                             f"expected {out['expected']:,}")
        if out["png_size"] != (width, height):
            raise BenchError(f"PNG is {out['png_size']}, the grid {width} x {height} cells")
    finally:
        store.close()
    return out


# -- part 2: over HTTP ----------------------------------------------------------------------------

def get(conn: http.client.HTTPConnection, path: str, token: str, retry: bool = True) -> tuple[int, bytes]:
    """One GET on a keep-alive connection (as a dashboard's browser holds one), the whole body read."""
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    except (http.client.RemoteDisconnected, ConnectionError):  # the server closed an idle keep-alive
        conn.close()
        if not retry:
            raise
        return get(conn, path, token, retry=False)


def http_part(data: Path, ns: argparse.Namespace, embedded: dict[str, Any]) -> dict[str, Any]:
    token = cli_json(data, "token", "create", "bench", "--site", SITE)["token"]
    t0 = time.monotonic()
    server = ServerProcess(data)
    startup = round(time.monotonic() - t0, 1)
    try:
        conn = http.client.HTTPConnection(server.host, server.port, timeout=120)
        page = f"/api/v1/sites/{SITE}/heatmaps/click?url={PAGE}&device={DEVICE}"
        paths = {"healthz": "/healthz", "count": f"/api/v1/sites/{SITE}/events/count?type=click",
                 "json": page + "&format=json", "png": page + "&format=png"}
        last: dict[str, bytes] = {}

        def request(name: str) -> Callable[[Steps], None]:
            def run(steps: Steps) -> None:
                status, body = get(conn, paths[name], token)
                if status != 200:
                    raise BenchError(f"GET {paths[name]}: HTTP {status} {body[:200]!r}")
                last[name] = body
            return run

        print(f"== over HTTP ({server.url}, started in {startup} s): {ns.runs} rounds after {ns.warmup} warm-up",
              flush=True)
        results = rounds({name: request(name) for name in paths}, ns.runs, ns.warmup)
    finally:
        server.stop()
    ratios(results, embedded["measures"]["count"]["ms"]["median"])  # the same rows' count, part 1
    total = json.loads(last["json"])["total"]
    counted = json.loads(last["count"])["count"]
    if total != embedded["expected"] or counted != embedded["rows"]:
        raise BenchError(f"over HTTP the map counts {total:,} clicks (expected {embedded['expected']:,}) "
                         f"and the count endpoint {counted:,} (expected {embedded['rows']:,})")
    if png_size(last["png"]) != tuple(embedded["grid_cells"]):
        raise BenchError(f"over HTTP the PNG is {png_size(last['png'])}, the grid {embedded['grid_cells']}")
    return {"server_startup_s": startup, "paths": paths, "json_bytes": len(last["json"]),
            "png_bytes": len(last["png"]), "measures": results}


# -- report ---------------------------------------------------------------------------------------

TITLES = {
    "count": "bare `count()`, same WHERE (baseline)", "json": "click map as JSON (cells, `as_json`, encode)",
    "png": "click map as PNG (cells, `heat_png`)", "grouped": "the cells query in ClickHouse alone (`count()` of it)",
    "elements": "elements ranking (`heatmaps.elements`)", "png_steps": "`heat_png`'s steps on the same cells",
}
HTTP_TITLES = {"healthz": "`GET /healthz` (no-op)",
               "count": "`GET .../events/count?type=click` (all the site's clicks; its WHERE is on key columns only)",
               "json": "`GET .../heatmaps/click?format=json`", "png": "`GET .../heatmaps/click?format=png`"}


def goals_of(report: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for part, key in (("in process", "embedded"), ("over HTTP", "http")):
        for name, m in ((report.get(key) or {}).get("measures") or {}).items():
            value = m["ms"]["median"]
            if name in ("json", "png"):
                out.append({"measure": f"{name.upper()} map, {part}", "median": value, "p90": m["ms"]["p90"],
                            "met": value is not None and value < GOAL_MS})
    return out


def reading(report: dict[str, Any]) -> list[str]:
    """Where the maps' time goes, from the step medians."""
    m = (report.get("embedded") or {}).get("measures")
    if not m:
        return []

    def med(name: str, step: str | None = None) -> float:
        source = m[name]["ms"] if step is None else m[name]["steps_ms"].get(step, {})
        return source.get("median") or 0.0

    query, total, grouped, count = med("json", "query"), med("json"), med("grouped"), med("count")
    e = report["embedded"]
    lines = [f"Of the JSON map's {total:,.0f} ms, the cells query (`click_cells`: ClickHouse, the rows into Python, "
             f"numpy) is {query:,.0f} ms ({query / total if total else 0:.0%}), `extent` and `as_json` "
             f"{med('json', 'as_json'):,.1f} ms and encoding (Starlette's `JSONResponse`, as the API) "
             f"{med('json', 'encode'):,.1f} ms, for {e['cells']:,} cells ({e['json_bytes']:,} bytes). Of the PNG "
             f"map's {med('png'):,.0f} ms, the query is {med('png', 'query'):,.0f} ms and `heat_png` "
             f"{med('png', 'heat_png'):,.1f} ms (grid {med('png_steps', 'grid_of'):,.1f}, blur "
             f"{med('png_steps', 'blur'):,.1f}, colour {med('png_steps', 'colour'):,.1f}, PNG encoding "
             f"{med('png_steps', 'png'):,.1f} ms).",
             f"In ClickHouse alone (the cells query wrapped in `count()`, so one row comes back) the map takes "
             f"{grouped:,.0f} ms, {grouped / GOAL_MS:.0%} of the {GOAL_MS:.0f} ms goal by itself; the bare "
             f"`count()` of the same {e['matched']:,} rows takes {count:,.0f} ms (finding and filtering them), "
             f"reading x and y and grouping them into cells {grouped - count:,.0f} ms more, and bringing the "
             f"cells into Python {query - grouped:,.0f} ms more."]
    h = (report.get("http") or {}).get("measures")
    if h:
        lines.append(f"Over HTTP the JSON map takes {h['json']['ms']['median']:,.0f} ms and the PNG map "
                     f"{h['png']['ms']['median']:,.0f} ms ({h['json']['ms']['median'] - total:+,.0f} and "
                     f"{h['png']['ms']['median'] - med('png'):+,.0f} ms against in process); the no-op "
                     f"`GET /healthz` takes {h['healthz']['ms']['median']:,.2f} ms on the same connection.")
    return lines


def table(rows: dict[str, dict[str, Any]], titles: dict[str, str]) -> list[str]:
    lines = ["| measure | median ms | p90 ms | min ms | max ms | × count() |", "|---|---|---|---|---|---|"]
    for name, m in rows.items():
        ms = m["ms"]
        lines.append(f"| {titles.get(name, name)} | {fmt(ms['median'], 1)} | {fmt(ms['p90'], 1)} | "
                     f"{fmt(ms['min'], 1)} | {fmt(ms['max'], 1)} | {fmt(m.get('x_count'), 2)} |")
    return lines


def markdown(report: dict[str, Any]) -> str:
    host, cfg, e = report["host"], report["config"], report.get("embedded") or {}
    lines = [f"# Click heatmap benchmark, {report['started']}", "",
             f"Host: {host['cpus']} CPUs ({host['machine']}), load average before the run {host['loadavg']}, "
             f"Python {host['python']}. {cfg['runs']} timed rounds after {cfg['warmup']} warm-up, the measures "
             "interleaved (order reversed every other round).", ""]
    if report.get("error"):
        lines += [f"**Benchmark failed:** {report['error']}", ""]
    if e.get("measures"):
        lines += [f"Data: {e['rows']:,} clicks made in ClickHouse in blocks of {e['block']:,} ({e['fill_s']} s), "
                  + (f"then `OPTIMIZE TABLE events FINAL` ({e['optimize_s']} s); " if "optimize_s" in e else "")
                  + f"{e['parts']} active parts. The map is `{PAGE}` on {DEVICE} over the API's default 30 days: "
                  f"{e['matched']:,} clicks (the rest: other pages, or this page on mobile) from the last six days, "
                  f"on {len(SPOTS) - 1} hot spots plus {SPOTS[-1][6]}% anywhere on a {PAGE_W} × {PAGE_H} px page. "
                  f"{e['cells']:,} non-empty {e['cell_px']} px cells, grid {e['grid_cells'][0]} × "
                  f"{e['grid_cells'][1]} cells; JSON {e['json_bytes']:,} bytes, PNG {e['png_bytes']:,} bytes.", ""]
    goals = report.get("goals") or []
    if goals:
        lines += [f"## Goal: a map in under {GOAL_MS:.0f} ms (median)", "", "| measure | median ms | p90 ms | met |",
                  "|---|---|---|---|"]
        lines += [f"| {g['measure']} | {fmt(g['median'], 1)} | {fmt(g['p90'], 1)} | {'yes' if g['met'] else 'no'} |"
                  for g in goals]
        lines.append("")
    if e.get("measures"):
        lines += ["## In process", "", *table(e["measures"], TITLES), "", "Steps (medians, ms):", "",
                  "| measure | step | median ms | p90 ms |", "|---|---|---|---|"]
        for name, m in e["measures"].items():
            for step, s in m["steps_ms"].items():
                lines.append(f"| {name} | {step} | {fmt(s['median'], 2)} | {fmt(s['p90'], 2)} |")
        lines.append("")
    h = report.get("http") or {}
    if h.get("measures"):
        lines += ["## Over HTTP", "", f"`footfall serve` on the same data directory (started in "
                  f"{h['server_startup_s']} s), one keep-alive connection, bearer token; time until the whole "
                  "body is read. `× count()` is against the bare `count()` of the map's rows in process (above).",
                  "", *table(h["measures"], HTTP_TITLES), ""]
    if report.get("reading"):
        lines += ["## Reading", "", *[f"- {line}" for line in report["reading"]], ""]
    return "\n".join(lines) + "\n"


def write_reports(report: dict[str, Any], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    md = markdown(report)
    json_path, md_path = out / f"heatmap-{report['stamp']}.json", out / f"heatmap-{report['stamp']}.md"
    json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    md_path.write_text(md)
    (out / "heatmap-latest.md").write_text(md)
    return md_path, json_path


# -- main -----------------------------------------------------------------------------------------

def env_default(name: str, default: Any) -> Any:
    raw = os.environ.get(f"BENCH_HEATMAP_{name.upper()}")
    return type(default)(raw) if raw else default


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.heatmap", description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=env_default("rows", 10_000_000), help="clicks stored [10,000,000]")
    p.add_argument("--block", type=int, default=env_default("block", 2_000_000), help="clicks per INSERT [2,000,000]")
    p.add_argument("--runs", type=int, default=env_default("runs", 15), help="timed rounds [15]")
    p.add_argument("--warmup", type=int, default=env_default("warmup", 2), help="untimed rounds first [2]")
    p.add_argument("--no-optimize", dest="optimize", action="store_false", help="skip OPTIMIZE TABLE events FINAL")
    p.add_argument("--no-elements", dest="elements", action="store_false", help="skip the elements ranking")
    p.add_argument("--no-http", dest="http", action="store_false", help="skip part 2 (the server)")
    p.add_argument("--out", type=Path, default=RESULTS, help="report directory [bench/results]")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    ns = parse_args(argv)
    started = datetime.now(UTC)
    report: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"), "stamp": started.strftime("%Y%m%dT%H%M%SZ"),
        "host": {"cpus": os.cpu_count(), "machine": platform.machine(), "python": platform.python_version(),
                 "loadavg": [round(x, 2) for x in os.getloadavg()]},
        "config": {"rows": ns.rows, "block": ns.block, "runs": ns.runs, "warmup": ns.warmup, "page": PAGE,
                   "device": DEVICE, "optimize": ns.optimize, "http": ns.http, "goal_ms": GOAL_MS}}
    print(f"== heatmap benchmark: {ns.rows:,} clicks", flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix="footfall-bench-heatmap-") as tmp:
            data = Path(tmp) / "data"
            cli_json(data, "site", "create", "Bench", "--origin", ORIGIN, "--key", SITE)
            spawn = multiprocessing.get_context("spawn")
            with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
                report["embedded"] = pool.submit(embedded_part, str(data), ns).result()
            if ns.http:
                report["http"] = http_part(data, ns, report["embedded"])
    except Exception as exc:  # the benchmark's own failure, reported below
        report["error"] = f"{type(exc).__name__}: {exc}"
    report["goals"] = goals_of(report)
    report["reading"] = reading(report)
    report["elapsed_s"] = round((datetime.now(UTC) - started).total_seconds(), 1)
    md_path, json_path = write_reports(report, ns.out.resolve())
    for g in report["goals"]:
        print(f"   {g['measure']:22}: median {fmt(g['median'], 1):>7} ms, p90 {fmt(g['p90'], 1):>7} ms "
              f"(goal < {GOAL_MS:.0f} ms: {'met' if g['met'] else 'NOT met'})")
    print(f"   report: {md_path.relative_to(ROOT) if md_path.is_relative_to(ROOT) else md_path} and "
          f"{json_path.name}; {report['elapsed_s']} s in all")
    if report.get("error"):
        print(f"benchmark FAILED: {report['error']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

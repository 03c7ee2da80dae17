"""The click heatmap of one page over 10 million stored clicks, against the goal of 300 ms a map.

Next to a bare `count()` of the same clicks in the same run: on a shared, noisy machine that ratio,
unlike the milliseconds, compares from run to run. In a child process owning the embedded store, the
clicks are made in ClickHouse straight into `events`, counted into the heatmap tables by migration
0005's backfill (as the ingest views do live), and the maps are timed in interleaved rounds; then
`footfall serve` on the same data directory, the maps over HTTP.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import msgspec

from footfall.analysis import heatmap_image, heatmaps
from footfall.store import Store
from footfall.store.migrations import available, migrate
from footfall.web.runtime import lock_data_dir
from footfall.web.testing import ServerProcess, cli_json

from .report import fmt
from .store_bench import Steps, env_default, finish, host, require, rounds, run_parts, sql_array

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SITE, ORIGIN = "bench", "http://shop.test"
PAGE, DEVICE = "/product/1", "desktop"
GOAL_MS = 300.0
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TABLES = ("events", "heatmap_cells", "heatmap_elements")

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
    (".related a", "", 640, 4200, 300, 60, 6),
    ("footer a", "", 640, 5800, 300, 60, 4),
    ("main", "", -1, -1, 0, 0, 10),
]
PAGE_W, PAGE_H = 1280, 6000


def box(spot: tuple[Any, ...]) -> list[int]:
    """A spot's element [left, top, width, height] (page px, inside the page): two spreads each side of its centre;
    for stray clicks, the page."""
    _, _, cx, cy, sx, sy, _ = spot
    return [0, 0, PAGE_W, PAGE_H] if cx < 0 else [cx - 2 * sx, cy - 2 * sy, 4 * sx, 4 * sy]


# The layout a viewer posts: the boxes of the nine hot spots' elements, where the clicks were made.
LAYOUT = {spot[0]: [float(v) for v in box(spot)] for spot in SPOTS if spot[2] >= 0}


def fill_sql() -> str:
    """One block of clicks, made by ClickHouse from numbers(first, count): deterministic, spread over
    the last six days. Of every 20 rows one is on another page and one on this page from a phone, so
    the path and device filters both have rows to skip; the rest are this page on desktop. A click's
    offset inside its element (rx, ry) follows from its position in the element's box, as on a page."""
    columns = list(zip(*SPOTS, strict=True))
    boxes = list(zip(*(box(spot) for spot in SPOTS), strict=True))
    bounds = [sum(columns[6][:i + 1]) for i in range(len(SPOTS))]  # cumulative shares

    def position(centre: str, spread: str, a: str, b: str, size: int) -> str:  # centre + spread * -2..2, peaked at 0
        return (f"toInt32(if({centre} < 0, {a} % {size}, least({size - 1}, greatest(0, {centre} + round({spread} * "
                f"(toInt32({a} % 1001) + toInt32({b} % 1001) - 1000) / 500)))))")

    def inside(v: str, low: str, size: str) -> str:
        return f"least(0.999, greatest(0, ({v} - {low}) / {size}))"

    spot_columns = ", ".join(f"{sql_array(list(values))}[spot] AS {name}" for name, values in zip(
        ("cx", "cy", "sx", "sy", "bx", "by", "bw", "bh"), [*columns[2:6], *boxes], strict=True))
    return f"""
INSERT INTO events (site, time, type, session_id, visitor_id, pageview_id, path, device, browser, selector,
                    text, x, y, rx, ry, viewport_width, dead, rage, page_height, retention)
SELECT '{SITE}', now64(3, 'UTC') - toIntervalMillisecond(h0 % 518400000), 'click',
       hex(h1 % 3000000), hex(h1 % 1500000), hex(sipHash64(intDiv(n, 6))),
       if(n % 20 = 0, concat('/product/', toString(2 + h1 % 50)), '{PAGE}'),
       if(n % 20 = 1, 'mobile', '{DEVICE}'), 'Chrome', {sql_array(list(columns[0]))}[spot],
       {sql_array(list(columns[1]))}[spot],
       {position("cx", "sx", "h2", "h3", PAGE_W)} AS px, {position("cy", "sy", "h4", "h5", PAGE_H)} AS py,
       {inside("px", "bx", "bw")}, {inside("py", "by", "bh")}, {PAGE_W}, h7 % 100 < 4, h7 % 500 = 0, {PAGE_H}, 365
FROM (SELECT number AS n, sipHash64(number, 0) AS h0, sipHash64(number, 1) AS h1, sipHash64(number, 2) AS h2,
             sipHash64(number, 3) AS h3, sipHash64(number, 4) AS h4, sipHash64(number, 5) AS h5,
             sipHash64(number, 7) AS h7, arrayFirstIndex(b -> h0 % {bounds[-1]} < b, {sql_array(bounds)}) AS spot,
             {spot_columns}
      FROM numbers({{first:UInt64}}, {{count:UInt64}}))"""


def backfill_statements() -> list[str]:
    """Migration 0005's backfill of the heatmap tables from `events`: what the ingest views count live."""
    migration = next(m for m in available() if m.version == 5)
    return [s for s in migration.statements() if s.startswith("INSERT")]


def matched(rows: int) -> int:
    """Rows of the page on desktop among numbers 0..rows-1 (n % 20 of 0 and 1 are elsewhere)."""
    return rows - 2 * (rows // 20) - min(rows % 20, 2)


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's header, None if it is not a PNG."""
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE):
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


# -- timing ---------------------------------------------------------------------------------------

def ratios(measures: dict[str, dict[str, Any]], baseline: float | None) -> None:
    """Each measure's median as a multiple of the baseline's median, in place."""
    for m in measures.values():
        m["x_count"] = round(m["ms"]["median"] / baseline, 2) if m["ms"]["median"] is not None and baseline else None


# -- part 1: in process ---------------------------------------------------------------------------

def scope_of() -> heatmaps.Scope:
    """The API's default range: the last 30 days, today included."""
    today = datetime.now(UTC).date()
    end = datetime(today.year, today.month, today.day, tzinfo=UTC) + timedelta(days=1)
    return heatmaps.Scope(SITE, end - timedelta(days=30), end, PAGE, DEVICE)


def fill(store: Store, ns: argparse.Namespace, scope: heatmaps.Scope, out: dict[str, Any]) -> None:
    """The clicks into `events`, the cells counted, the tables optionally merged (a part per partition)."""
    t0, sql, setup = time.monotonic(), fill_sql(), Steps()
    for first in range(0, ns.rows, ns.block):
        store.command(sql, {"first": first, "count": min(ns.block, ns.rows - first)})
        print(f"   {min(first + ns.block, ns.rows):,} clicks stored ({time.monotonic() - t0:.1f} s)", flush=True)
    out["fill_s"] = round(time.monotonic() - t0, 1)
    stored = int(store.scalar("SELECT count() FROM events"))
    require(stored == ns.rows, f"{stored:,} clicks stored of {ns.rows:,} (retention TTL or a failed insert)")
    for statement in backfill_statements():
        setup.time(f"{statement.splitlines()[0]} SELECT ... FROM events", store.command, statement)
        print(f"   {statement.splitlines()[0]} ({time.monotonic() - t0:.1f} s)", flush=True)
    for table in TABLES if ns.optimize else ():
        setup.time(f"OPTIMIZE TABLE {table} FINAL", store.command, f"OPTIMIZE TABLE {table} FINAL")
    out["setup_s"] = {k: round(v / 1000, 1) for k, v in setup.items()}
    out["tables"] = {t: {"rows": int(store.scalar(f"SELECT count() FROM {t}")), "parts": int(store.scalar(
        "SELECT count() FROM system.parts WHERE active AND table = {t:String} AND database = currentDatabase()",
        {"t": t}))} for t in TABLES}
    for key, table, kind in (("cell_rows", "heatmap_cells", "click"), ("element_rows", "heatmap_elements", None)):
        condition, params = heatmaps.counted(scope, kind)  # the map's scope, as the map reads it
        out[key] = int(store.scalar(f"SELECT count() FROM {table} WHERE {condition}", params))


def drawn(found: Any) -> bytes:
    return heatmap_image.heat_png(found, *heatmaps.extent(found, None, None))


def embedded_part(data: str, ns: argparse.Namespace) -> dict[str, Any]:
    """Fill the store and time the analysis functions (runs in a child process; see the docstring)."""
    lock_data_dir(Path(data))  # held until this process exits: no server or CLI on the store meanwhile
    store = Store(f"chdb://{Path(data) / 'clickhouse'}")
    out: dict[str, Any] = {"rows": ns.rows, "block": ns.block}
    try:
        migrate(store)
        scope = scope_of()
        fill(store, ns, scope, out)
        gc.collect()
        gc.freeze()  # as the server does after start-up (web/app.py): collections skip the setup's objects

        condition, params = heatmaps.where(scope, "click")
        sent: list[tuple[str, dict[str, Any]]] = []  # the cells query as the analysis code sends it, to time alone
        heatmaps.click_cells(SimpleNamespace(raw=lambda sql, params: sent.append((sql, params)) or b""), scope)
        cells_sql, cells_params = sent[0]
        selectors, last = list(LAYOUT), {}

        def as_json(steps: Steps) -> tuple[Any, bytes]:
            found = steps.time("query", heatmaps.click_cells, store, scope)
            body = steps.time("as_json", lambda: heatmaps.as_json(found, *heatmaps.extent(found, None, None)))
            return found, steps.time("encode", msgspec.json.encode, body)  # as the API (heatmaps_api.cell_map)

        def with_layout(steps: Steps) -> tuple[Any, bytes]:
            placed = steps.time("click_map", heatmaps.click_map, store, scope, LAYOUT)
            return placed, steps.time("heat_png", drawn, placed)

        def parts(steps: Steps) -> None:  # heat_png's on the map's cells, and click_map's, each alone
            grid = steps.time("grid_of", heatmap_image.grid_of, found, *heatmaps.extent(found, None, None))
            heat = steps.time("blur", heatmap_image.blur, grid)
            steps.time("png", heatmap_image.png, steps.time("colour", heatmap_image.colour, heat))
            steps.time("by_page", heatmaps.click_cells, store, scope, selectors)
            offsets = steps.time("offsets", heatmaps.element_offsets, store, scope, selectors)
            steps.time("place", heatmaps.place, offsets, LAYOUT)

        measures: dict[str, Callable[[Steps], Any]] = {
            "count": lambda steps: store.scalar(f"SELECT count() FROM events WHERE {condition}", params),
            "json": as_json, "png": lambda steps: steps.time("heat_png", drawn, steps.time(
                "query", heatmaps.click_cells, store, scope)),
            "grouped": lambda steps: store.scalar(f"SELECT count() FROM ({cells_sql})", cells_params),
            "layout": with_layout}
        if ns.elements:
            measures["elements"] = lambda steps: heatmaps.elements(store, scope)
        found = as_json(Steps())[0]  # the cells `parts` draws
        measures["parts"] = parts
        print(f"== timing {', '.join(measures)}: {ns.runs} rounds after {ns.warmup} warm-up", flush=True)
        results = rounds(measures, ns.runs, ns.warmup, last)
        ratios(results, results["count"]["ms"]["median"])
        (found, body), (placed, drawn_placed) = last["json"], last["layout"]
        out.update(matched=int(last["count"]), expected=matched(ns.rows), cells=len(found), cell_px=heatmaps.CELL,
                   grid_cells=list(heatmaps.extent(found, None, None)), json_total=msgspec.json.decode(body)["total"],
                   json_bytes=len(body), png_bytes=len(last["png"]), layout_total=int(placed[:, 2].sum()),
                   layout_grid=list(heatmaps.extent(placed, None, None)), measures=results)
        require(out["matched"] == out["json_total"] == out["layout_total"] == out["expected"],
                f"count() {out['matched']:,}, map total {out['json_total']:,}, map with a layout "
                f"{out['layout_total']:,}, expected {out['expected']:,}")
        for drawing, grid in ((last["png"], out["grid_cells"]), (drawn_placed, out["layout_grid"])):  # a px a cell
            require(png_size(drawing) == tuple(grid), f"PNG is {png_size(drawing)}, the grid {grid} cells")
        if ranking := last.get("elements"):
            e = out["elements"] = {"ranked": len(ranking["elements"]), "total": ranking["total"],
                                   "clicks": sum(row["clicks"] for row in ranking["elements"])}
            require(e["clicks"] == e["total"] == out["expected"], f"elements ranking: {e['clicks']:,} clicks "
                    f"ranked, total {e['total']:,}, expected {out['expected']:,}")
    finally:
        store.close()
    return out


# -- part 2: over HTTP ----------------------------------------------------------------------------

def http_part(data: Path, ns: argparse.Namespace, embedded: dict[str, Any]) -> dict[str, Any]:
    token = cli_json(data, "token", "create", "bench", "--site", SITE)["token"]
    t0, layout, server = time.monotonic(), msgspec.json.encode({"layout": LAYOUT}), ServerProcess(data)
    startup = round(time.monotonic() - t0, 1)
    page = f"/api/v1/sites/{SITE}/heatmaps/click?url={PAGE}&device={DEVICE}&format="
    paths = {"healthz": "/healthz", "json": page + "json", "png": page + "png", "post": page + "png",
             "post_json": page + "json"}
    last: dict[str, bytes] = {}

    def fetch(name: str) -> bytes:  # a GET, or a POST of the layout; the bearer token spares it the CSRF check
        post = name.startswith("post")
        conn.request("POST" if post else "GET", paths[name], body=layout if post else None,
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        resp = conn.getresponse()
        body = resp.read()  # the whole body, on one keep-alive connection as a dashboard's browser holds one
        require(resp.status == 200, f"{name} {paths[name]}: HTTP {resp.status} {body[:200]!r}")
        return body

    try:
        conn = http.client.HTTPConnection(server.host, server.port, timeout=120)
        print(f"== over HTTP ({server.url}, started in {startup} s): {ns.runs} rounds after {ns.warmup} warm-up",
              flush=True)
        results = rounds({name: lambda steps, name=name: fetch(name) for name in paths if name != "post_json"},
                         ns.runs, ns.warmup, last)
        last["post_json"] = fetch("post_json")  # the map with a layout as JSON, once, for its total
    finally:
        server.stop()
    ratios(results, embedded["measures"]["count"]["ms"]["median"])  # the same rows' count, part 1
    totals = [json.loads(last[name])["total"] for name in ("json", "post_json")]
    require(totals == [embedded["expected"]] * 2, f"over HTTP the maps count {totals} clicks, expected "
            f"{embedded['expected']:,}")
    for name, grid in (("png", "grid_cells"), ("post", "layout_grid")):
        require(png_size(last[name]) == tuple(embedded[grid]),
                f"over HTTP the {name} PNG is {png_size(last[name])}, the grid {embedded[grid]}")
    return {"server_startup_s": startup, "paths": paths, "layout_bytes": len(layout), "json_bytes": len(last["json"]),
            "png_bytes": len(last["png"]), "measures": results}


# -- report ---------------------------------------------------------------------------------------

TITLES = {
    "count": "bare `count()` of the clicks in `events`, same WHERE (baseline)",
    "json": "click map as JSON (cells, `as_json`, msgspec)", "png": "click map as PNG (cells, `heat_png`)",
    "grouped": "the cells query in ClickHouse alone (`count()` of it)",
    "layout": f"click map with a layout of {len(LAYOUT)} boxes as PNG (`click_map`, `heat_png`)",
    "elements": "elements ranking (`heatmaps.elements`)", "parts": "`heat_png`'s and `click_map`'s parts, each alone"}
HTTP_TITLES = {"healthz": "`GET /healthz` (no-op)", "json": "`GET .../heatmaps/click?format=json`",
               "png": "`GET .../heatmaps/click?format=png`", "post": "`POST .../heatmaps/click?format=png`, layout"}
GOALS = {("embedded", "json"): "JSON map, in process", ("embedded", "png"): "PNG map, in process",
         ("embedded", "layout"): "PNG map with a layout, in process", ("http", "json"): "JSON map, over HTTP",
         ("http", "png"): "PNG map, over HTTP", ("http", "post"): "PNG map with a layout (POST), over HTTP"}


def goals_of(report: dict[str, Any]) -> list[dict[str, Any]]:
    found = [(title, ((report.get(part) or {}).get("measures") or {}).get(key)) for (part, key), title in GOALS.items()]
    return [{"measure": title, "median": m["ms"]["median"], "p90": m["ms"]["p90"],
             "met": m["ms"]["median"] is not None and m["ms"]["median"] < GOAL_MS} for title, m in found if m]


def reading(report: dict[str, Any]) -> list[str]:
    """What the maps read and where their time goes, from the step medians."""
    e = report.get("embedded") or {}
    if not (m := e.get("measures")):
        return []

    def med(name: str, step: str | None = None) -> float:
        source = (m.get(name) or {}).get("ms", {}) if step is None else m[name]["steps_ms"].get(step, {})
        return source.get("median") or 0.0

    query, total, grouped, count = med("json", "query"), med("json"), med("grouped"), med("count")
    per_row = e["matched"] / max(1, e["cell_rows"])
    lines = [
        f"The maps read per-day counts, not clicks: counting the cells made {e['tables']['heatmap_cells']['rows']:,} "
        f"`heatmap_cells` rows of the {e['rows']:,} clicks, {e['cell_rows']:,} of them the map's ({per_row:.1f} clicks "
        f"a row); the elements ranking reads {e['element_rows']:,} `heatmap_elements` rows. Of the JSON map's "
        f"{total:,.0f} ms, the cells query (`click_cells`: ClickHouse sums "
        f"the rows per cell, RowBinary decoded by numpy) is {query:,.0f} ms ({query / total if total else 0:.0%}), "
        f"`extent` and `as_json` {med('json', 'as_json'):,.1f} ms and encoding (msgspec, as the API) "
        f"{med('json', 'encode'):,.1f} ms, for {e['cells']:,} cells ({e['json_bytes']:,} bytes).",
        f"Of the PNG map's {med('png'):,.0f} ms, the query is {med('png', 'query'):,.0f} ms and `heat_png` "
        f"{med('png', 'heat_png'):,.1f} ms (grid {med('parts', 'grid_of'):,.1f}, blur {med('parts', 'blur'):,.1f}, "
        f"colour {med('parts', 'colour'):,.1f}, PNG encoding {med('parts', 'png'):,.1f} ms).",
        f"In ClickHouse alone (the cells query in `count()`, one row back) the map takes {grouped:,.0f} ms, "
        f"{grouped / count if count else 0:.2f} times the bare `count()` of the {e['matched']:,} clicks in `events` "
        f"({count:,.0f} ms), which the map does not read; the cells into Python add {query - grouped:,.0f} ms.",
        f"The map with a layout of {len(LAYOUT)} element boxes takes {med('layout'):,.0f} ms: `click_map` "
        f"{med('layout', 'click_map'):,.0f} ms (its parts alone: the other clicks by page position "
        f"{med('parts', 'by_page'):,.0f} ms, the boxed elements' clicks per offset {med('parts', 'offsets'):,.0f} ms, "
        f"placing them {med('parts', 'place'):,.1f} ms) and `heat_png` {med('layout', 'heat_png'):,.1f} ms."]
    if "elements" in m:
        lines.append(f"The elements ranking takes {med('elements'):,.0f} ms ({m['elements'].get('x_count')} times "
                     f"the bare count) for {(e.get('elements') or {}).get('ranked')} elements.")
    if h := (report.get("http") or {}).get("measures"):
        ms = {name: h[name]["ms"]["median"] or 0.0 for name in ("json", "png", "post", "healthz")}
        diff = [round(ms[k] - med(name)) for k, name in (("json", "json"), ("png", "png"), ("post", "layout"))]
        lines.append(f"Over HTTP the JSON map takes {ms['json']:,.0f} ms, the PNG map {ms['png']:,.0f} ms and the POST "
                     f"with the layout {ms['post']:,.0f} ms ({diff[0]:+,}, {diff[1]:+,} and {diff[2]:+,} ms against in "
                     f"process); the no-op `GET /healthz` takes {ms['healthz']:,.2f} ms on the same connection.")
    return lines


def table(rows: dict[str, dict[str, Any]], titles: dict[str, str]) -> list[str]:
    return ["| measure | median ms | p90 ms | min ms | max ms | × count() |", "|---|---|---|---|---|---|"] + [
        f"| {titles.get(name, name)} | {fmt(m['ms']['median'], 1)} | {fmt(m['ms']['p90'], 1)} | "
        f"{fmt(m['ms']['min'], 1)} | {fmt(m['ms']['max'], 1)} | {fmt(m.get('x_count'), 2)} |"
        for name, m in rows.items()]


def markdown(report: dict[str, Any]) -> str:
    host, cfg, e, h = report["host"], report["config"], report.get("embedded") or {}, report.get("http") or {}
    lines = [f"# Click heatmap benchmark, {report['started']}", "",
             f"Host: {host['cpus']} CPUs ({host['machine']}), load average before the run {host['loadavg']}, "
             f"Python {host['python']}. {cfg['runs']} timed rounds after {cfg['warmup']} warm-up, the measures "
             "interleaved (order reversed every other round).", ""]
    if report.get("error"):
        lines += [f"**Benchmark failed:** {report['error']}", ""]
    if e.get("measures"):
        setup = ", ".join(f"`{k}` ({v} s)" for k, v in e["setup_s"].items())
        tables = ", ".join(f"`{k}` {v['rows']:,} rows in {v['parts']} active parts" for k, v in e["tables"].items())
        grid, placed = (" × ".join(map(str, e[key])) for key in ("grid_cells", "layout_grid"))
        lines += [f"Data: {e['rows']:,} clicks made in ClickHouse in blocks of {e['block']:,} ({e['fill_s']} s) "
                  "straight into `events`, then counting the cells (the migration's backfill, as the ingest views do "
                  f"live) and merging: {setup}. {tables}. The map is `{PAGE}` on {DEVICE} over the API's default 30 "
                  f"days: {e['matched']:,} clicks (the rest: other pages, or this page on mobile) from the last six "
                  f"days, on {len(SPOTS) - 1} hot spots plus {SPOTS[-1][6]}% anywhere on a {PAGE_W} × {PAGE_H} px "
                  f"page, each click's offset inside its element following from its position: {e['cells']:,} "
                  f"non-empty {e['cell_px']} px cells, grid {grid} ({placed} with the layout); JSON "
                  f"{e['json_bytes']:,} bytes, PNG {e['png_bytes']:,} bytes.", ""]
    if goals := report.get("goals"):
        lines += [f"## Goal: each map in under {GOAL_MS:.0f} ms (median)", "", "| measure | median ms | p90 ms | met |",
                  "|---|---|---|---|", *[f"| {g['measure']} | {fmt(g['median'], 1)} | {fmt(g['p90'], 1)} | "
                                         f"{'yes' if g['met'] else 'no'} |" for g in goals], ""]
    if e.get("measures"):
        lines += ["## In process", "", *table(e["measures"], TITLES), "", "Steps (medians, ms):", "",
                  "| measure | step | median ms | p90 ms |", "|---|---|---|---|",
                  *[f"| {name} | {step} | {fmt(s['median'], 2)} | {fmt(s['p90'], 2)} |"
                    for name, m in e["measures"].items() for step, s in m["steps_ms"].items()], ""]
    if h.get("measures"):
        lines += ["## Over HTTP", "", f"`footfall serve` on the same data directory (started in "
                  f"{h['server_startup_s']} s), one keep-alive connection, bearer token; time until the whole "
                  f"body is read; the POST sends the layout ({h.get('layout_bytes')} bytes of JSON). `× count()` is "
                  "against the bare `count()` of the map's clicks in `events`, in process (above).", "",
                  *table(h["measures"], HTTP_TITLES), ""]
    if report.get("reading"):
        lines += ["## Reading", "", *[f"- {line}" for line in report["reading"]], ""]
    return "\n".join(lines) + "\n"


# -- main -----------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.heatmap", description=__doc__.split("\n")[0])
    for name, default, text in (("rows", 10_000_000, "clicks stored"), ("block", 2_000_000, "clicks per INSERT"),
                                ("runs", 15, "timed rounds"), ("warmup", 2, "untimed rounds first")):
        p.add_argument(f"--{name}", type=int, default=env_default("heatmap", name, default),
                       help=f"{text} [{default:,}]")
    p.add_argument("--no-optimize", dest="optimize", action="store_false", help="skip OPTIMIZE TABLE ... FINAL")
    p.add_argument("--no-elements", dest="elements", action="store_false", help="skip the elements ranking")
    p.add_argument("--no-http", dest="http", action="store_false", help="skip part 2 (the server)")
    p.add_argument("--out", type=Path, default=RESULTS, help="report directory [bench/results]")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    ns = parse_args(argv)
    started = datetime.now(UTC)
    report: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"), "stamp": started.strftime("%Y%m%dT%H%M%SZ"),
        "host": host(),
        "config": {"rows": ns.rows, "block": ns.block, "runs": ns.runs, "warmup": ns.warmup, "page": PAGE,
                   "device": DEVICE, "optimize": ns.optimize, "http": ns.http, "goal_ms": GOAL_MS}}
    print(f"== heatmap benchmark: {ns.rows:,} clicks", flush=True)
    run_parts(report, ns, "heatmap", SITE, ORIGIN, embedded_part, http_part)
    report.update(goals=goals_of(report), reading=reading(report),
                  elapsed_s=round((datetime.now(UTC) - started).total_seconds(), 1))
    goals = [f"{g['measure']:40}: median {fmt(g['median'], 1):>7} ms, p90 {fmt(g['p90'], 1):>7} ms "
             f"(goal < {GOAL_MS:.0f} ms: {'met' if g['met'] else 'NOT met'})" for g in report["goals"]]
    return finish(report, ns.out, "heatmap", markdown(report), goals)

if __name__ == "__main__":
    sys.exit(main())

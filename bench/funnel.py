"""A 5-step funnel over 10 million events and 1 million sessions, against the goal of 1 s (median).

Next to a bare `windowFunnel` over the same rows in the same run: on a shared, noisy machine that ratio,
unlike the milliseconds, compares from run to run. In a child process owning the embedded store, the
sessions' page views and events are made in ClickHouse straight into `pageviews` and `events` (each event
with the page view it happened on), then from the page views their page-load measurements (`page_timings`,
`web_vitals`, `resources`, `errors`); the funnels (`analysis.funnels.query`) and the funnel with each step's
performance (`analysis.funnel_performance.query_with_performance`) are timed in interleaved rounds; then
`footfall serve` on the same data directory, the funnel over HTTP without and with performance.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import gc
import http.client
import json
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from analysis import funnel_performance, funnels
from analysis.funnels import Funnel, Step
from collector.runtime import lock_data_dir
from collector.store import Store
from collector.store.migrations import migrate
from collector.testing import ServerProcess, cli_json

from .report import fmt
from .store_bench import Steps, require, rounds, sql_array

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SITE, ORIGIN = "bench", "http://shop.test"
GOAL_MS = 1000.0
TABLES = ("pageviews", "events")
PERF_TABLES = ("page_timings", "web_vitals", "resources", "errors")  # made from the page views
STEPS = (Step(page="/"), Step(page="/category/*"), Step(page="/product/*"),
         Step(event="add_to_cart", props=(("plan", "pro"),)), Step(page="/checkout"))
FUNNEL = Funnel(STEPS, window_s=86400, mode="ordered", count_by="session")
VARIANTS = {"ordered": {}, "strict": {"mode": "strict"}, "unordered": {"mode": "unordered"},
            "visitor": {"count_by": "visitor"}, "breakdown": {"breakdown": "device"}}
BLOCK_MULTIPLE = 20  # numbers per two whole sessions (rows_sql)
STEP1_TOLERANCE = 0.03  # the funnel's step 1 and windowFunnel's level >= 1 may differ by this share at most

# A session's journey: it is meant to reach DEPTH[k] of 10,000 sessions' step k + 1 (home, a category, a
# product, add to cart, checkout), no more steps than it has rows; the steps spread over its rows, the other
# rows are other pages (FILLER_PAGES, weights in %; a trailing / takes a number), clicks and custom events.
DEPTH = [6000, 4200, 2730, 1092, 600]
FILLER_PAGES = [("/", 4), ("/category/", 6), ("/product/", 8), ("/about", 10), ("/search", 15), ("/blog/", 25),
                ("/contact", 5), ("/cart", 10), ("/pricing", 12), ("/faq", 5)]
SELECTORS = ["#buy", "nav a", ".gallery img", "button.size", "footer a"]
NAMES = ["view_item", "add_to_cart", "signup", "newsletter"]  # add_to_cart among them with {"plan":"free"}
VISITORS = 600_000  # sessions draw their visitor from this many: most visitors have one to three sessions

# A page view's measurements, drawn from hashes of its id (log-normal around a desktop median; mobile pages
# 1.5 times and tablet ones 1.25 times slower): every page view has a `page_timings` row and TTFB, FCP, LCP and
# CLS, INP_SHARE % of them INP (a page without an interaction has none), two of RESOURCES (an even and an odd
# one) and ERROR_PER_MILLE of them a JavaScript error. Ratings by the web-vitals library's thresholds.
SLOWER = "multiIf(device = 'mobile', 1.5, device = 'tablet', 1.25, 1.0)"
MADE_VITALS = (("TTFB", 350, 0.5, 800, 1800), ("FCP", 1100, 0.5, 1800, 3000), ("LCP", 1800, 0.55, 2500, 4000),
               ("INP", 120, 0.8, 200, 500), ("CLS", 0.04, 1.0, 0.1, 0.25))  # name, median, sigma, good, poor
INP_SHARE = 70
MADE_PHASES = (("redirect", 80, 0.5), ("dns", 25, 0.6), ("connect", 35, 0.5), ("tls", 45, 0.5),
               ("request", 250, 0.5), ("download", 40, 0.7), ("dom", 450, 0.5), ("load", 150, 0.6))
REDIRECTED, FRESH = 5, 30  # % of page views after a redirect, on a new connection (dns, connect and tls)
RESOURCES = [("https://cdn.shop.test/static/app.js", "script", 180, 95_000),
             ("https://cdn.shop.test/static/app.css", "link", 90, 30_000),
             ("https://fonts.shop.test/s/inter.woff2", "css", 120, 48_000),
             ("https://cdn.shop.test/img/hero.jpg", "img", 350, 220_000),
             ("https://tags.analytics.test/gtm.js", "script", 260, 110_000),
             ("https://api.shop.test/v1/cart", "fetch", 220, 2_000),
             ("https://cdn.shop.test/static/vendor.js", "script", 240, 180_000),
             ("https://cdn.shop.test/img/product.webp", "img", 420, 160_000),
             ("https://js.payments.test/v3/", "script", 300, 140_000),
             ("https://api.shop.test/v1/recommendations", "fetch", 480, 12_000)]  # url, kind, median ms, bytes
ERROR_PER_MILLE = 20
ERRORS = [("error", "TypeError: undefined is not an object (evaluating e.price)"),
          ("error", "ReferenceError: gtag is not defined"), ("rejection", "Failed to fetch"),
          ("error", "ChunkLoadError: Loading chunk 42 failed.")]


def rows_sql() -> str:
    """Rows numbers(first, count) as a session's rows: each 20 numbers are two sessions of 10 - a and 10 + a
    rows (a = 0..8), so the rows total is exact and sessions have 2 to 18 rows. Deterministic from sipHash64;
    sessions start in the last six days, their rows 10 to 70 s apart. A session's first row is a page view,
    and a click or custom event has the id of the page view before it (`pageview_id` of the session's last
    page row so far: a window over the session, which a block of numbers holds whole as BLOCK_MULTIPLE
    divides its size)."""
    bounds = [sum(w for _, w in FILLER_PAGES[:i + 1]) for i in range(len(FILLER_PAGES))]
    depth = " + ".join(f"(hs % 10000 < {b})" for b in DEPTH)
    step = "intDiv(k * d + L - 1, L)"  # the step this row is if any: the steps sit at rows intDiv(j * L, d)
    return f"""
SELECT s, k, hr, step, kind, path,
       now64(3, 'UTC') - toIntervalMillisecond(3600000 + bitShiftRight(hs, 24) % 518400000)
           + toIntervalMillisecond(k * 40000 + bitShiftRight(hr, 40) % 30000) AS time,
       hex(sipHash64(s, 4)) AS session_id, hex(sipHash64(sipHash64(s, 5) % {VISITORS})) AS visitor_id,
       hex(sipHash64(s, pk, 7)) AS pageview_id,
       multiIf(bitShiftRight(hs, 40) % 20 < 11, 'desktop', bitShiftRight(hs, 40) % 20 < 19, 'mobile', 'tablet')
           AS device,
       ['Chrome', 'Safari', 'Firefox', 'Edge'][1 + bitShiftRight(hs, 48) % 4] AS browser,
       ['', 'google.com', 'news.ycombinator.com', 't.co', 'duckduckgo.com'][1 + bitShiftRight(hs, 52) % 5]
           AS referrer_host
FROM (
 SELECT *, max(if(kind = 'page', k, 0)) OVER (PARTITION BY s ORDER BY k ROWS UNBOUNDED PRECEDING) AS pk
 FROM (
  SELECT s, k, hs, hr, step,
         multiIf(step = 3, 'custom', step >= 0 OR k = 0, 'page', hr % 100 < 55, 'page', hr % 100 < 85, 'click',
                 'custom') AS kind,
         {sql_array([p for p, _ in FILLER_PAGES])}[arrayFirstIndex(b -> bitShiftRight(hr, 8) % 100 < b,
                                                                   {sql_array(bounds)})] AS filler,
         multiIf(step = 0, '/', step = 1, concat('/category/', toString(1 + bitShiftRight(hs, 8) % 20)),
                 step IN (2, 3) OR kind != 'page', concat('/product/', toString(1 + bitShiftRight(hs, 16) % 500)),
                 step = 4, '/checkout', filler != '/' AND endsWith(filler, '/'),
                 concat(filler, toString(1 + bitShiftRight(hr, 16) % 50)), filler) AS path
  FROM (
    SELECT s, k, L, hs, hr, least(L, {depth}) AS d,
           if(d > 0 AND {step} < d AND intDiv({step} * L, d) = k, toInt8({step}), toInt8(-1)) AS step
    FROM (SELECT number AS n, intDiv(n, 20) AS j, sipHash64(j, 1) % 9 AS a, n % 20 AS r,
                 if(r < 10 - a, 2 * j, 2 * j + 1) AS s, if(r < 10 - a, r, r - (10 - a)) AS k,
                 if(r < 10 - a, 10 - a, 10 + a) AS L, sipHash64(s, 2) AS hs, sipHash64(n, 3) AS hr
          FROM numbers({{first:UInt64}}, {{count:UInt64}})))))"""


def fill_statements() -> list[str]:
    """The page views into `pageviews`, the clicks and custom events into `events`: the same rows split."""
    rows = rows_sql()
    return [f"""
INSERT INTO pageviews (site, time, received, session_id, visitor_id, pageview_id, url, path, referrer_host, device,
                       browser, os, retention)
SELECT '{SITE}', time, time, session_id, visitor_id, pageview_id, concat('{ORIGIN}', path), path, referrer_host,
       device, browser, 'Linux', 365
FROM ({rows}) WHERE kind = 'page'""", f"""
INSERT INTO events (site, time, type, session_id, visitor_id, pageview_id, path, device, browser, selector, name,
                    props, retention)
SELECT '{SITE}', time, kind, session_id, visitor_id, pageview_id, path, device, browser,
       if(kind = 'click', {sql_array(SELECTORS)}[1 + bitShiftRight(hr, 32) % {len(SELECTORS)}], ''),
       multiIf(step = 3, 'add_to_cart', kind = 'custom', {sql_array(NAMES)}[1 + bitShiftRight(hr, 32) % {len(NAMES)}],
               ''),
       multiIf(step = 3, '{{"plan":"pro"}}', kind = 'custom' AND bitShiftRight(hr, 32) % {len(NAMES)} = 1,
               '{{"plan":"free"}}', kind = 'custom', '{{}}', ''), 365
FROM ({rows}) WHERE kind != 'page'"""]


def lognormal(median: str, sigma: Any, h: str) -> str:
    """SQL: a log-normal draw with this median from the 64-bit hash `h` (Box-Muller over its two halves)."""
    return (f"({median}) * exp({sigma} * sqrt(-2 * log((bitAnd({h}, 4294967295) + 1) / 4294967297)) "
            f"* cos(2 * pi() * bitShiftRight({h}, 32) / 4294967296))")


def perf_statements() -> dict[str, str]:
    """Per table, the INSERT ... SELECT that makes its rows from the stored page views (see MADE_VITALS)."""
    columns = "site, time, session_id, visitor_id, pageview_id, path, device, browser"
    pv = f"SELECT {columns}, retention, {SLOWER} AS slower FROM pageviews WHERE site = '{SITE}'"
    names, medians, sigmas, good, poor = (list(c) for c in zip(*MADE_VITALS, strict=True))
    phases = []
    for k, (name, median, sigma) in enumerate(MADE_PHASES):
        draw = f"round({lognormal(f'{median} * slower', sigma, f'sipHash64(pageview_id, {20 + k})')})"
        when = (f"h % 100 < {REDIRECTED}" if name == "redirect" else
                f"bitShiftRight(h, 8) % 100 < {FRESH}" if name in ("dns", "connect", "tls") else "1")
        phases.append(f"toFloat32(if({when}, {draw}, 0)) AS {name}")
    total = " + ".join(name for name, _, _ in MADE_PHASES)
    urls, kinds, durations, sizes = (list(c) for c in zip(*RESOURCES, strict=True))
    return {"page_timings": f"""
INSERT INTO page_timings ({columns}, redirect, dns, connect, tls, request, download, dom, load, total, transfer_size,
                          retention)
SELECT site, time + toIntervalMillisecond(toUInt64(total) + 50), session_id, visitor_id, pageview_id, path, device,
       browser, {", ".join(name for name, _, _ in MADE_PHASES)}, toFloat32({total}) AS total,
       toUInt32(15000 + bitShiftRight(h, 16) % 60000), retention
FROM (SELECT *, sipHash64(pageview_id, 19) AS h, {", ".join(phases)} FROM ({pv}))""",
            "web_vitals": f"""
INSERT INTO web_vitals ({columns}, name, value, rating, retention)
SELECT site, time + toIntervalMillisecond(if(name IN ('INP', 'CLS'), 20000 + sipHash64(pageview_id, 9) % 40000,
                                             toUInt64(value))),
       session_id, visitor_id, pageview_id, path, device, browser, name, value,
       multiIf(value <= good, 'good', value <= poor, 'needs-improvement', 'poor'), retention
FROM (SELECT *, name, good, poor, sipHash64(pageview_id, name) AS h,  -- `*` leaves out what ARRAY JOIN adds
             if(name = 'CLS', round({lognormal('median', 'sigma', 'h')}, 4),
                round({lognormal('median * slower', 'sigma', 'h')})) AS value
      FROM ({pv}) ARRAY JOIN {sql_array(names)} AS name, {sql_array(medians)} AS median,
                             {sql_array(sigmas)} AS sigma, {sql_array(good)} AS good, {sql_array(poor)} AS poor
      WHERE name != 'INP' OR sipHash64(pageview_id, 8) % 100 < {INP_SHARE})""",
            "resources": f"""
INSERT INTO resources ({columns}, kind, url, duration, transfer_size, retention)
SELECT site, time + toIntervalMillisecond(3000 + toUInt64(duration)), session_id, visitor_id, pageview_id, path,
       device, browser, {sql_array(kinds)}[i], {sql_array(urls)}[i], toFloat32(duration) AS duration,
       toUInt64({sql_array(sizes)}[i] * (900 + bitShiftRight(h, 40) % 200) / 1000), retention
FROM (SELECT *, sipHash64(pageview_id, 10, r) AS h, 1 + r + 2 * (bitShiftRight(h, 8) % {len(RESOURCES) // 2}) AS i,
             round({lognormal(f'{sql_array(durations)}[i] * slower', 0.6, 'h')}) AS duration
      FROM ({pv}) ARRAY JOIN [0, 1] AS r)""",
            "errors": f"""
INSERT INTO errors ({columns}, os, kind, message, stack, source, line, column, fingerprint, retention)
SELECT site, time + toIntervalMillisecond(500 + bitShiftRight(h, 8) % 20000), session_id, visitor_id, pageview_id,
       path, device, browser, 'Linux', {sql_array([k for k, _ in ERRORS])}[i], msg,
       concat(msg, '\\n    at render (', src, ':1:', toString(col), ')'), src, 1, col, lower(hex(sipHash64(msg, src))),
       retention
FROM (SELECT *, sipHash64(pageview_id, 11) AS h, 1 + bitShiftRight(h, 24) % {len(ERRORS)} AS i,
             {sql_array([m for _, m in ERRORS])}[i] AS msg, 'https://cdn.shop.test/static/app.js' AS src,
             toUInt32(1 + bitShiftRight(h, 32) % 5000) AS col
      FROM ({pv}) WHERE h % 1000 < {ERROR_PER_MILLE})"""}


def window_funnel_sql(f: Funnel, params: dict[str, Any]) -> str:
    """The baseline: units per level of a bare `windowFunnel` over the rows that fill a step, the page views'
    and the events' (UNION ALL), each step's condition as the funnel writes it (`funnels.matches`)."""
    unit = "session_id" if f.count_by == "session" else "visitor_id"
    span = "site = {site:String} AND time >= {start:DateTime64(3)} AND time < {until:DateTime64(3)}"
    parts = []
    for source, table, extra in (("page", "pageviews", ""), ("event", "events", " AND type IN ('custom', 'click')")):
        tests = [funnels.matches(s, f"w{source[0]}{k}", params, source) for k, s in enumerate(f.steps)]
        columns = ", ".join(f"toUInt8({t}) AS c{k}" for k, t in enumerate(tests))
        parts.append(f"SELECT {unit} AS unit, toUInt64(toUnixTimestamp64Milli(time)) AS t, {columns} FROM {table} "
                     f"WHERE {span}{extra} AND ({' OR '.join(t for t in tests if t != '0') or '0'})")
    conditions = ", ".join(f"c{k}" for k in range(len(f.steps)))
    return (f"SELECT level, count() FROM (SELECT unit, windowFunnel({f.window_s * 1000})(t, {conditions}) AS level "
            f"FROM ({' UNION ALL '.join(parts)}) GROUP BY unit) WHERE level > 0 GROUP BY level ORDER BY level")


def entered(levels: list[tuple[int, int]], n: int) -> list[int]:
    """Units per level as units that reached each step (level >= k)."""
    found = dict(levels)
    return [sum(c for level, c in found.items() if level >= k) for k in range(1, n + 1)]


def parts_sql(f: Funnel) -> tuple[dict[str, str], dict[str, Any]]:
    """The funnel query's parts as the analysis code writes them, each wrapped so one row comes back: the
    stream of rows, the rows grouped per unit, the units (sorted, attempts folded), and `windowFunnel` over the
    same stream."""
    start, end = scope()
    params = funnels.range_params(SITE, start, end, f)
    stream, units = funnels.stream_sql(f, params), funnels.units_sql(f, params)
    bits = ", ".join(f"bitTest(m, {k})" for k in range(len(f.steps)))
    return {"stream": f"SELECT count(), sum(length(unit)), sum(m) FROM ({stream})",
            "grouped": f"SELECT count(), sum(length(ev)) FROM (SELECT unit, groupArray((t, m, pv, x, bd)) AS ev "
                       f"FROM ({stream}) GROUP BY unit)",
            "units": f"SELECT count(), sum(level), sum(length(ev)), sum(length(starts)), max(length(ev)), "
                     f"max(length(starts)) FROM ({units})",
            "wf_stream": f"SELECT count() FROM (SELECT unit, windowFunnel({f.window_s * 1000})(toUInt64(t), {bits}) "
                         f"AS level FROM ({stream}) GROUP BY unit) WHERE level > 0"}, params


def scope() -> tuple[datetime, datetime]:
    """The API's default range: the last 30 days, today included."""
    today = datetime.now(UTC).date()
    end = datetime(today.year, today.month, today.day, tzinfo=UTC) + timedelta(days=1)
    return end - timedelta(days=30), end


def body_of(f: Funnel) -> dict[str, Any]:
    """The funnel as the API takes it."""
    steps = [{k: v for k, v in (("page", s.page), ("event", s.event), ("selector", s.selector)) if v is not None}
             | ({"props": dict(s.props)} if s.props else {}) for s in f.steps]
    return {"steps": steps, "window_s": f.window_s, "mode": f.mode, "count_by": f.count_by,
            **({"breakdown": f.breakdown} if f.breakdown else {})}


def ratios(measures: dict[str, dict[str, Any]], baseline: float | None) -> None:
    """Each measure's median as a multiple of the baseline's median, in place."""
    for m in measures.values():
        median = m["ms"]["median"]
        m["x_base"] = round(median / baseline, 2) if median is not None and baseline else None


# -- part 1: in process ---------------------------------------------------------------------------

def fill(store: Store, ns: argparse.Namespace, out: dict[str, Any]) -> None:
    """The rows into both tables, then the page views' measurements into theirs, optionally merged (a part per
    partition)."""
    t0, setup, made, statements = time.monotonic(), Steps(), Steps(), fill_statements()
    for first in range(0, ns.rows, ns.block):
        for sql in statements:
            store.command(sql, {"first": first, "count": min(ns.block, ns.rows - first)})
        print(f"   {min(first + ns.block, ns.rows):,} rows stored ({time.monotonic() - t0:.1f} s)", flush=True)
    out["fill_s"] = round(time.monotonic() - t0, 1)
    tables = TABLES + PERF_TABLES if ns.performance else TABLES
    for table, sql in perf_statements().items() if ns.performance else ():
        made.time(table, store.command, sql)
        print(f"   {table} made from the page views ({made[table] / 1000:.1f} s)", flush=True)
    out["perf_fill_s"] = {k: round(v / 1000, 1) for k, v in made.items()}
    for table in tables if ns.optimize else ():
        setup.time(f"OPTIMIZE TABLE {table} FINAL", store.command, f"OPTIMIZE TABLE {table} FINAL")
    out["setup_s"] = {k: round(v / 1000, 1) for k, v in setup.items()}
    out["tables"] = {t: {"rows": int(store.scalar(f"SELECT count() FROM {t}")), "parts": int(store.scalar(
        "SELECT count() FROM system.parts WHERE active AND table = {t:String} AND database = currentDatabase()",
        {"t": t}))} for t in tables}
    stored = sum(out["tables"][t]["rows"] for t in TABLES)
    require(stored == ns.rows, f"{stored:,} rows stored of {ns.rows:,} (retention TTL or a failed insert)")
    views = out["tables"]["pageviews"]["rows"]
    if ns.performance:
        require(out["tables"]["page_timings"]["rows"] == views, f"{out['tables']['page_timings']['rows']:,} page "
                f"timings for {views:,} page views")
        out["vitals"] = {str(name): [int(n), int(good), int(poor)] for name, n, good, poor in store.rows(
            "SELECT name, count(), countIf(rating = 'good'), countIf(rating = 'poor') FROM web_vitals "
            "GROUP BY name ORDER BY name")}
        out["error_views"] = int(store.scalar("SELECT uniqExact(pageview_id) FROM errors"))
    orphans = int(store.scalar("SELECT count() FROM events WHERE pageview_id NOT IN "
                               "(SELECT pageview_id FROM pageviews)"))
    require(orphans == 0, f"{orphans:,} events without their page view")
    units = "SELECT session_id, visitor_id FROM pageviews UNION ALL SELECT session_id, visitor_id FROM events"
    sessions, visitors = store.rows(f"SELECT uniqExact(session_id), uniqExact(visitor_id) FROM ({units})")[0]
    out.update(sessions=int(sessions), visitors=int(visitors), kinds=[
        [str(k), str(n), str(p), int(c)] for k, n, p, c in store.rows(
            "SELECT type, name, props, count() FROM events GROUP BY ALL ORDER BY type, name, props")])
    require(abs(out["sessions"] - ns.rows / 10) <= 2, f"{out['sessions']:,} sessions stored, {ns.rows // 10:,} made")


def embedded_part(data: str, ns: argparse.Namespace) -> dict[str, Any]:
    """Fill the store and time the funnels (runs in a child process; see the docstring)."""
    lock_data_dir(Path(data))  # held until this process exits: no server or CLI on the store meanwhile
    store = Store(f"chdb://{Path(data) / 'clickhouse'}")
    out: dict[str, Any] = {"rows": ns.rows, "block": ns.block}
    try:
        migrate(store)
        fill(store, ns, out)
        gc.collect()
        gc.freeze()  # as the server does after start-up (collector/app.py): collections skip the setup's objects
        start, end = scope()
        baseline_params = funnels.range_params(SITE, start, end, FUNNEL)
        baseline_sql = window_funnel_sql(FUNNEL, baseline_params)
        parts, params = parts_sql(FUNNEL)
        measures: dict[str, Callable[[Steps], Any]] = {
            "window_funnel": lambda steps: store.rows(baseline_sql, baseline_params)}
        for name in [v for v in VARIANTS if v in ns.variants]:
            f = dataclasses.replace(FUNNEL, **VARIANTS[name])
            measures[name] = lambda steps, f=f: funnels.query(store, SITE, start, end, f)

        def timed_parts(steps: Steps) -> dict[str, Any]:
            return {name: steps.time(name, store.rows, sql, params)[0] for name, sql in parts.items()}

        if ns.parts:
            measures["parts"] = timed_parts
        last: dict[str, Any] = {}
        print(f"== timing {', '.join(measures)}: {ns.runs} rounds after {ns.warmup} warm-up", flush=True)
        results = rounds(measures, ns.runs, ns.warmup, last)
        ratios(results, results["window_funnel"]["ms"]["median"])
        if ns.performance:  # in rounds of their own: after one, the next query takes 5-10% longer
            print(f"== timing window_funnel, performance: {ns.runs} rounds after {ns.warmup} warm-up", flush=True)
            measured = rounds({"window_funnel": measures["window_funnel"], "performance": lambda steps:
                               funnel_performance.query_with_performance(store, SITE, start, end, FUNNEL)},
                              ns.runs, ns.warmup, last)
            baseline = measured["window_funnel"]["ms"]["median"]
            ratios(measured, baseline)
            results["performance"] = measured["performance"] | {"baseline_ms": baseline}
        n = len(STEPS)
        counts = {"window_funnel": entered(last["window_funnel"], n)}
        for name in (*VARIANTS, "performance"):
            if name in last:
                counts[name] = [s["entered"] for s in last[name]["steps"]]
                require(counts[name] == sorted(counts[name], reverse=True), f"{name}: the steps grow {counts[name]}")
        out.update(measures=results, counts=counts, labels=[s.label for s in STEPS],
                   ordered=last.get("ordered"))
        if "ordered" in counts:
            wf1, f1 = counts["window_funnel"][0], counts["ordered"][0]
            require(abs(f1 - wf1) <= STEP1_TOLERANCE * max(wf1, 1), f"step 1: the funnel counts {f1:,} sessions, "
                    f"windowFunnel {wf1:,} (more than {STEP1_TOLERANCE:.0%} apart)")
        if "ordered" in counts and "performance" in counts:
            require(counts["performance"] == counts["ordered"], f"with performance the funnel counts "
                    f"{counts['performance']}, without {counts['ordered']}")
        if "performance" in last:
            out["performance"] = check_performance(last["performance"])
        if groups := (last.get("breakdown") or {}).get("breakdown", {}).get("groups"):
            out["groups"] = {g["value"]: g["steps"][0]["entered"] for g in groups}
            require(sum(out["groups"].values()) == counts["breakdown"][0], f"breakdown groups {out['groups']} "
                    f"do not add up to {counts['breakdown'][0]:,}")
        if shape := last.get("parts"):
            rows = shape["stream"][0]  # and the sessions among them, once, untimed
            stream_units = store.scalar(f"SELECT uniqExact(unit) FROM ({funnels.stream_sql(FUNNEL, params)})", params)
            counted, _, held, starts, most, most_starts = shape["units"]
            out["shape"] = {"stream_rows": int(rows), "stream_units": int(stream_units), "counted": int(counted),
                            "rows_per_unit": round(held / max(counted, 1), 2), "max_rows": int(most),
                            "starts_per_unit": round(starts / max(counted, 1), 2), "max_starts": int(most_starts)}
    finally:
        store.close()
    return out


def check_performance(found: dict[str, Any]) -> list[dict[str, Any]]:
    """What each step's performance counts, checked against the data as made: every page view has its page
    timings and its LCP, so each step has exactly one of them per unit that entered it (the unit's page view of
    that step, or for an event step the page view the event happened on); fewer mean a join that lost page
    views, more one that multiplied them. INP is on a share of the page views, errors on fewer still."""
    out = []
    for s in found["steps"]:
        perf, entered = s["performance"], s["entered"]
        lcp, inp = perf["vitals"]["LCP"], perf["vitals"]["INP"]
        row = {"step": s["step"], "entered": entered, "timed": perf["navigation"]["timed"], "lcp": lcp["count"],
               "lcp_p75": lcp["p75"], "lcp_good": lcp["good"], "inp": inp["count"], "inp_p75": inp["p75"],
               "with_error": perf["errors"]["pageviews_with_error"], "error_rate": perf["errors"]["error_rate"],
               "resources": len(perf["slowest_resources"]),
               "slowest": perf["slowest_resources"][0]["url"] if perf["slowest_resources"] else None}
        require(row["timed"] == entered and row["lcp"] == entered, f"step {s['step']}: {entered:,} entered, "
                f"{row['timed']:,} with page timings and {row['lcp']:,} with LCP (each page view has both)")
        require(row["inp"] <= entered and row["with_error"] <= entered, f"step {s['step']}: {entered:,} entered, "
                f"{row['inp']:,} with INP and {row['with_error']:,} with an error")
        out.append(row)
    require(bool(out) and out[0]["lcp"] > 0 and out[0]["resources"] > 0, f"step 1 without measurements: {out[:1]}")
    return out


# -- part 2: over HTTP ----------------------------------------------------------------------------

def http_part(data: Path, ns: argparse.Namespace, embedded: dict[str, Any]) -> dict[str, Any]:
    token = cli_json(data, "token", "create", "bench", "--site", SITE)["token"]
    t0, server = time.monotonic(), ServerProcess(data)
    startup = round(time.monotonic() - t0, 1)
    start, end = scope()
    dates = f"from={start.date().isoformat()}&to={(end - timedelta(days=1)).date().isoformat()}"
    path, body = f"/api/v1/sites/{SITE}/funnels/query?{dates}", msgspec.json.encode(body_of(FUNNEL))
    requests = {"healthz": ("GET", "/healthz", None), "funnel": ("POST", f"{path}&performance=false", body),
                "performance": ("POST", path, body)}  # performance is on by default
    last: dict[str, bytes] = {}

    def fetch(name: str) -> bytes:  # the bearer token spares the POST the CSRF check
        method, path, body = requests[name]
        conn.request(method, path, body=body,
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        resp = conn.getresponse()
        read = resp.read()  # the whole body, on one keep-alive connection as a dashboard's browser holds one
        require(resp.status == 200, f"{name} {path}: HTTP {resp.status} {read[:200]!r}")
        return read

    try:
        conn = http.client.HTTPConnection(server.host, server.port, timeout=300)
        print(f"== over HTTP ({server.url}, started in {startup} s): {ns.runs} rounds after {ns.warmup} warm-up",
              flush=True)
        results = rounds({name: lambda steps, name=name: fetch(name) for name in ("healthz", "funnel")}, ns.runs,
                         ns.warmup, last)
        if ns.performance:  # in rounds of its own, as in process
            results |= rounds({"performance": lambda steps: fetch("performance")}, ns.runs, ns.warmup, last)
    finally:
        server.stop()
    ratios(results, embedded["measures"]["window_funnel"]["ms"]["median"])  # the same rows' baseline, part 1
    bare = json.loads(last["funnel"])
    got = [s["entered"] for s in bare["steps"]]
    require(all("performance" not in s for s in bare["steps"]), "performance=false gave performance")
    if ns.performance:
        measured = json.loads(last["performance"])
        require([s["entered"] for s in measured["steps"]] == got, f"over HTTP the funnel with performance counts "
                f"{[s['entered'] for s in measured['steps']]}, without {got}")
        require(check_performance(measured) == embedded["performance"], "over HTTP the steps' performance "
                "differs from in process")
    if "ordered" in embedded["counts"]:
        require(got == embedded["counts"]["ordered"], f"over HTTP the funnel counts {got}, in process "
                f"{embedded['counts']['ordered']}")
    return {"server_startup_s": startup, "path": requests["funnel"][1], "body": body_of(FUNNEL),
            "response_bytes": len(last["funnel"]), "performance_bytes": len(last.get("performance", b"")),
            "counts": got, "measures": results}


# -- report ---------------------------------------------------------------------------------------

TITLES = {"window_funnel": "bare `windowFunnel(86400 s)` per session, UNION of both tables (baseline)",
          "ordered": "funnel, ordered, per session (`funnels.query`)", "strict": "funnel, strict, per session",
          "unordered": "funnel, unordered, per session", "visitor": "funnel, ordered, per visitor",
          "breakdown": "funnel, ordered, per session, breakdown by device",
          "performance": "funnel, ordered, per session, with each step's performance (`query_with_performance`)",
          "parts": "the funnel query's parts, each alone (below)"}
HTTP_TITLES = {"healthz": "`GET /healthz` (no-op)",
               "funnel": "`POST .../funnels/query?performance=false`, ordered, per session",
               "performance": "`POST .../funnels/query` (performance on, the default), ordered, per session"}
PERFORMANCE_LINE = ("With performance: `funnels.query`, then one more query that walks the funnel again keeping each "
                    "step's page view and joins to those page views the rows of `web_vitals` (latest value per page "
                    "view and name), `page_timings` (8 phases), `errors` (not console) and `resources` in the range, "
                    "for each step's vitals (p50/p75/p95, ratings), navigation phases, error rate, 10 slowest "
                    "resources and the LCP / INP conversion impact (Wilson intervals, in Python).")
GOALS = {("embedded", "ordered"): "5-step funnel, in process", ("http", "funnel"): "5-step funnel, over HTTP"}


def goals_of(report: dict[str, Any]) -> list[dict[str, Any]]:
    found = [(title, ((report.get(part) or {}).get("measures") or {}).get(key)) for (part, key), title in GOALS.items()]
    return [{"measure": title, "median": m["ms"]["median"], "p90": m["ms"]["p90"], "x_base": m.get("x_base"),
             "met": m["ms"]["median"] is not None and m["ms"]["median"] < GOAL_MS} for title, m in found if m]


def reading(report: dict[str, Any]) -> list[str]:
    """What the funnel reads and where its time goes, from the medians."""
    e = report.get("embedded") or {}
    if not (m := e.get("measures")) or "ordered" not in m:
        return []

    def med(name: str, step: str | None = None) -> float:
        if name not in m:
            return 0.0
        source = m[name]["ms"] if step is None else m[name]["steps_ms"].get(step, {})
        return source.get("median") or 0.0

    total, base = med("ordered"), med("window_funnel")
    lines = [f"The ordered funnel per session takes {total:,.0f} ms, {m['ordered'].get('x_base')} times the bare "
             f"`windowFunnel` over the same rows ({base:,.0f} ms); the goal of {GOAL_MS:,.0f} ms is "
             f"{'met' if total < GOAL_MS else 'not met'}."]
    if sh := e.get("shape"):
        stream, grouped, units, wf = (med("parts", s) for s in ("stream", "grouped", "units", "wf_stream"))
        lines += [
            f"It reads {sh['stream_rows']:,} rows that fill a step ({sh['stream_units']:,} sessions) of the "
            f"{e['rows']:,}; {sh['counted']:,} sessions reach step 1, with {sh['rows_per_unit']} such rows "
            f"(at most {sh['max_rows']}) and {sh['starts_per_unit']} starts (at most {sh['max_starts']}) each.",
            f"Its parts alone: the stream of rows {stream:,.0f} ms; grouping them per session into arrays "
            f"{grouped:,.0f} ms (+{grouped - stream:,.0f}); sorting, finding the starts and folding the attempts, the "
            f"`units` CTE, {units:,.0f} ms (+{units - grouped:,.0f}); the final counts and quantiles "
            f"(`GROUPING SETS`) the rest, {total - units:,.0f} ms. `windowFunnel` over the same stream takes "
            f"{wf:,.0f} ms, {units - wf:+,.0f} ms against the `units` CTE."]
    others = [f"{name} {med(name):,.0f} ms ({m[name].get('x_base')}×)" for name in VARIANTS if name in m
              and name != "ordered"]
    if others:
        lines.append("The other funnels: " + ", ".join(others) + "; strict mode reads every page view, unordered "
                     "mode starts an attempt at every row that fills a step.")
    if "performance" in m:
        made = sum((e.get("tables") or {}).get(t, {}).get("rows", 0) for t in PERF_TABLES)
        lines.append(f"With each step's performance (`query_with_performance`) the funnel takes "
                     f"{med('performance'):,.0f} ms, {m['performance'].get('x_base')} times the bare `windowFunnel` "
                     f"and {med('performance') / max(total, 1e-9):.2f} times the funnel alone (+"
                     f"{med('performance') - total:,.0f} ms for the {made:,} rows of measurements it joins).")
    if h := (report.get("http") or {}).get("measures"):
        lines.append(f"Over HTTP the funnel takes {h['funnel']['ms']['median'] or 0:,.0f} ms "
                     f"({(h['funnel']['ms']['median'] or 0) - total:+,.0f} ms against in process); the no-op "
                     f"`GET /healthz` takes {h['healthz']['ms']['median'] or 0:,.2f} ms on the same connection"
                     + (f"; with performance (the default) {h['performance']['ms']['median'] or 0:,.0f} ms."
                        if "performance" in h else "."))
    return lines


def table(rows: dict[str, dict[str, Any]], titles: dict[str, str]) -> list[str]:
    return ["| measure | median ms | p90 ms | min ms | max ms | × windowFunnel |", "|---|---|---|---|---|---|"] + [
        f"| {titles.get(name, name)} | {fmt(m['ms']['median'], 1)} | {fmt(m['ms']['p90'], 1)} | "
        f"{fmt(m['ms']['min'], 1)} | {fmt(m['ms']['max'], 1)} | {fmt(m.get('x_base'), 2)} |"
        for name, m in rows.items()]


def counts_table(e: dict[str, Any]) -> list[str]:
    counts = e["counts"]

    def cell(c: list[int], k: int) -> str:
        return f"{c[k]:,} ({c[k] / max(c[0], 1):.1%})"

    return [f"| step | {' | '.join(counts)} |", "|---" * (len(counts) + 1) + "|"] + [
        f"| {k + 1}. {label} | {' | '.join(cell(c, k) for c in counts.values())} |"
        for k, label in enumerate(e["labels"])]


def performance_table(e: dict[str, Any]) -> list[str]:
    """Each step's performance as `query_with_performance` gave it (checked: `check_performance`)."""
    def pct(x: float | None) -> str:
        return "–" if x is None else f"{x:.1%}"

    return ["| step | entered | timed | LCP n | LCP p75 ms | LCP good | INP n | INP p75 ms | with error | slowest "
            "resource |", "|---|---|---|---|---|---|---|---|---|---|"] + [
        f"| {r['step']}. {label} | {r['entered']:,} | {r['timed']:,} | {r['lcp']:,} | {fmt(r['lcp_p75'], 0)} | "
        f"{pct(r['lcp_good'])} | {r['inp']:,} | {fmt(r['inp_p75'], 0)} | {r['with_error']:,} "
        f"({pct(r['error_rate'])}) | {r['slowest'] or '–'} |" for r, label in zip(e["performance"], e["labels"],
                                                                             strict=True)]


def markdown(report: dict[str, Any]) -> str:
    host, cfg, e, h = report["host"], report["config"], report.get("embedded") or {}, report.get("http") or {}
    lines = [f"# Funnel benchmark, {report['started']}", "",
             f"Host: {host['cpus']} CPUs ({host['machine']}), load average before the run {host['loadavg']}, "
             f"Python {host['python']}. {cfg['runs']} timed rounds after {cfg['warmup']} warm-up, the measures "
             "interleaved (order reversed every other round).", ""]
    if report.get("error"):
        lines += [f"**Benchmark failed:** {report['error']}", ""]
    if e.get("tables"):
        setup = ", ".join(f"`{k}` ({v} s)" for k, v in e["setup_s"].items()) or "no merge"
        tables = ", ".join(f"`{k}` {v['rows']:,} rows in {v['parts']} active parts" for k, v in e["tables"].items())
        kinds = ", ".join(" ".join(f"`{v}`" for v in (t, n, p) if v) + f" {c:,}" for t, n, p, c in e["kinds"])
        made = ", ".join(f"`{k}` {v} s" for k, v in (e.get("perf_fill_s") or {}).items())
        lines += [f"Data: {e['rows']:,} rows made in ClickHouse in blocks of {e['block']:,} ({e['fill_s']} s) "
                  f"straight into `pageviews` and `events` (an event with the id of the page view before it), "
                  + (f"then from the page views their measurements ({made}; {sum(e['perf_fill_s'].values()):.1f} s "
                     f"in all: page timings and TTFB, FCP, LCP, CLS for every page view, INP for {INP_SHARE}%, two "
                     f"resources each, an error on {ERROR_PER_MILLE / 10:g}%), " if made else "")
                  + f"then {setup}: {tables}; {e['sessions']:,} sessions of "
                  f"2 to 18 rows, {e['visitors']:,} visitors, over the last six days. Events: {kinds}. Funnel: "
                  f"{' → '.join(f'`{s}`' for s in e.get('labels', []))} (the event with `plan` = `pro`), "
                  f"a window of {FUNNEL.window_s:,} s, over the API's default 30 days.", ""]
    if goals := report.get("goals"):
        lines += [f"## Goal: the funnel in under {GOAL_MS:,.0f} ms (median)", "",
                  "| measure | median ms | p90 ms | × windowFunnel | met |", "|---|---|---|---|---|",
                  *[f"| {g['measure']} | {fmt(g['median'], 1)} | {fmt(g['p90'], 1)} | {fmt(g['x_base'], 2)} | "
                    f"{'yes' if g['met'] else 'no'} |" for g in goals], ""]
    if e.get("measures"):
        lines += ["## In process", "", *table(e["measures"], TITLES), "",
                  *([f"{PERFORMANCE_LINE} Timed in rounds of its own beside the baseline again (median "
                       f"{fmt(e['measures']['performance'].get('baseline_ms'), 1)} ms there, its `× windowFunnel`), "
                       "not to slow the funnels above: after one, the next query takes 5-10% longer.", ""]
                    if "performance" in e["measures"] else []), "Parts (medians, ms):", "",
                  "| measure | step | median ms | p90 ms |", "|---|---|---|---|",
                  *[f"| {name} | {step} | {fmt(s['median'], 1)} | {fmt(s['p90'], 1)} |"
                    for name, m in e["measures"].items() for step, s in m["steps_ms"].items()], "",
                  "Units reaching each step (and from step 1), `windowFunnel`'s levels beside the funnels':", "",
                  *counts_table(e), ""]
    if e.get("performance"):
        lines += ["Each step's performance with the funnel (`query_with_performance`; checked: every unit's page "
                  "view of the step has its page timings and LCP):", "", *performance_table(e), ""]
    if h.get("measures"):
        lines += ["## Over HTTP", "", f"`footfall serve` on the same data directory (started in "
                  f"{h['server_startup_s']} s), one keep-alive connection, bearer token; time until the whole body is "
                  f"read ({h['response_bytes']:,} bytes"
                  + (f", {h['performance_bytes']:,} with performance" if h.get("performance_bytes") else "")
                  + "). `× windowFunnel` is against the baseline in process.", "",
                  *table(h["measures"], HTTP_TITLES), ""]
    if report.get("reading"):
        lines += ["## Reading", "", *[f"- {line}" for line in report["reading"]], ""]
    return "\n".join(lines) + "\n"


# -- main -----------------------------------------------------------------------------------------

def env_default(name: str, default: Any) -> Any:
    raw = os.environ.get(f"BENCH_FUNNEL_{name.upper()}")
    return type(default)(raw) if raw else default


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.funnel", description=__doc__.split("\n")[0])
    for name, default, text in (("rows", 10_000_000, "rows stored (page views and events)"),
                                ("block", 2_000_000, "rows per INSERT"), ("runs", 10, "timed rounds"),
                                ("warmup", 1, "untimed rounds first")):
        p.add_argument(f"--{name}", type=int, default=env_default(name, default), help=f"{text} [{default:,}]")
    p.add_argument("--variants", default=",".join(VARIANTS), help=f"funnels to time [{','.join(VARIANTS)}]")
    p.add_argument("--no-parts", dest="parts", action="store_false", help="skip timing the query's parts")
    p.add_argument("--no-performance", dest="performance", action="store_false",
                   help="skip the page views' measurements and the funnel with performance")
    p.add_argument("--no-optimize", dest="optimize", action="store_false", help="skip OPTIMIZE TABLE ... FINAL")
    p.add_argument("--no-http", dest="http", action="store_false", help="skip part 2 (the server)")
    p.add_argument("--out", type=Path, default=RESULTS, help="report directory [bench/results]")
    ns = p.parse_args(argv)
    if ns.block <= 0 or ns.block % BLOCK_MULTIPLE:
        p.error(f"--block is a multiple of {BLOCK_MULTIPLE}: a block holds its sessions whole")
    ns.variants = [v for v in ns.variants.split(",") if v]
    if unknown := set(ns.variants) - set(VARIANTS):
        p.error(f"unknown variants {sorted(unknown)}: choose from {', '.join(VARIANTS)}")
    return ns


def main(argv: list[str] | None = None) -> int:
    ns = parse_args(argv)
    started = datetime.now(UTC)
    report: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"), "stamp": started.strftime("%Y%m%dT%H%M%SZ"),
        "host": {"cpus": os.cpu_count(), "machine": platform.machine(), "python": platform.python_version(),
                 "loadavg": [round(x, 2) for x in os.getloadavg()]},
        "config": {"rows": ns.rows, "block": ns.block, "runs": ns.runs, "warmup": ns.warmup, "variants": ns.variants,
                   "performance": ns.performance, "optimize": ns.optimize, "http": ns.http, "goal_ms": GOAL_MS,
                   "funnel": body_of(FUNNEL)}}
    print(f"== funnel benchmark: {ns.rows:,} rows, {ns.rows // 10:,} sessions", flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix="footfall-bench-funnel-") as tmp:
            data = Path(tmp) / "data"
            cli_json(data, "site", "create", "Bench", "--origin", ORIGIN, "--key", SITE)
            spawn = multiprocessing.get_context("spawn")
            with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
                report["embedded"] = pool.submit(embedded_part, str(data), ns).result()
            if ns.http:
                report["http"] = http_part(data, ns, report["embedded"])
    except Exception as exc:  # the benchmark's own failure, reported below
        report["error"] = f"{type(exc).__name__}: {exc}"
    report.update(goals=goals_of(report), reading=reading(report),
                  elapsed_s=round((datetime.now(UTC) - started).total_seconds(), 1))
    out = ns.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    md, json_path, md_path = markdown(report), *(out / f"funnel-{report['stamp']}.{ext}" for ext in ("json", "md"))
    json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    for path in (md_path, out / "funnel-latest.md"):  # the run's report, and the latest
        path.write_text(md)
    for g in report["goals"]:
        print(f"   {g['measure']:30}: median {fmt(g['median'], 1):>8} ms, p90 {fmt(g['p90'], 1):>8} ms, "
              f"{fmt(g['x_base'], 2)} × windowFunnel (goal < {GOAL_MS:,.0f} ms: {'met' if g['met'] else 'NOT met'})")
    print(f"   report: {md_path.relative_to(ROOT) if md_path.is_relative_to(ROOT) else md_path} and "
          f"{json_path.name}; {report['elapsed_s']} s in all")
    if report.get("error"):
        print(f"benchmark FAILED: {report['error']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

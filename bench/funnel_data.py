"""The benchmark funnel's data, made inside ClickHouse: 1 million sessions of page views, clicks and
custom events (`rows_sql`, `fill_statements`), then from the page views their page-load measurements
(`perf_statements`), deterministic from sipHash64 so every run stores the same rows."""

from __future__ import annotations

import argparse
import time
from typing import Any

from footfall.store import Store

from .store_bench import Steps, require, sql_array

SITE, ORIGIN = "bench", "http://shop.test"
TABLES = ("pageviews", "events")
PERF_TABLES = ("page_timings", "web_vitals", "resources", "errors")  # made from the page views
SUMMARY = ("pageview_performance",)  # filled from those by the store's views as they are made
BLOCK_MULTIPLE = 20  # numbers per two whole sessions (rows_sql)

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


def fill(store: Store, ns: argparse.Namespace, out: dict[str, Any]) -> None:
    """The rows into both tables, then the page views' measurements into theirs, optionally merged (a part per
    partition)."""
    t0, setup, made, statements = time.monotonic(), Steps(), Steps(), fill_statements()
    for first in range(0, ns.rows, ns.block):
        for sql in statements:
            store.command(sql, {"first": first, "count": min(ns.block, ns.rows - first)})
        print(f"   {min(first + ns.block, ns.rows):,} rows stored ({time.monotonic() - t0:.1f} s)", flush=True)
    out["fill_s"] = round(time.monotonic() - t0, 1)
    tables = TABLES + PERF_TABLES + SUMMARY if ns.performance else TABLES
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

"""A 5-step funnel over 10 million events and 1 million sessions, against the goal of 1 s (median).

Next to a bare `windowFunnel` over the same rows in the same run: on a shared, noisy machine that ratio,
unlike the milliseconds, compares from run to run. In a child process owning the embedded store, the
sessions' page views and events are made in ClickHouse straight into `pageviews` and `events` (each event
with the page view it happened on), then from the page views their page-load measurements (`page_timings`,
`web_vitals`, `resources`, `errors`); the funnels (`footfall.analysis.funnels.query`) and the funnel with each step's
performance (`footfall.analysis.funnel_performance.query_with_performance`) are timed in interleaved rounds; then
`footfall serve` on the same data directory, the funnel over HTTP without and with performance.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import http.client
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from footfall.analysis import funnel_performance, funnels
from footfall.analysis.funnels import Funnel, Step
from footfall.store import Store
from footfall.store.migrations import migrate
from footfall.web.runtime import lock_data_dir
from footfall.web.testing import ServerProcess, cli_json

from .funnel_data import BLOCK_MULTIPLE, ERROR_PER_MILLE, INP_SHARE, ORIGIN, SITE, fill
from .report import fmt
from .store_bench import Steps, env_default, finish, host, require, rounds, run_parts

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
GOAL_MS = 1000.0
STEPS = (Step(page="/"), Step(page="/category/*"), Step(page="/product/*"),
         Step(event="add_to_cart", props=(("plan", "pro"),)), Step(page="/checkout"))
FUNNEL = Funnel(STEPS, window_s=86400, mode="ordered", count_by="session")
VARIANTS = {"ordered": {}, "strict": {"mode": "strict"}, "unordered": {"mode": "unordered"},
            "visitor": {"count_by": "visitor"}, "breakdown": {"breakdown": "device"}}
STEP1_TOLERANCE = 0.03  # the funnel's step 1 and windowFunnel's level >= 1 may differ by this share at most

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

def embedded_part(data: str, ns: argparse.Namespace) -> dict[str, Any]:
    """Fill the store and time the funnels (runs in a child process; see the docstring)."""
    lock_data_dir(Path(data))  # held until this process exits: no server or CLI on the store meanwhile
    store = Store(f"chdb://{Path(data) / 'clickhouse'}")
    out: dict[str, Any] = {"rows": ns.rows, "block": ns.block}
    try:
        migrate(store)
        fill(store, ns, out)
        gc.collect()
        gc.freeze()  # as the server does after start-up (web/app.py): collections skip the setup's objects
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
            print(f"== timing window_funnel, funnel, performance: {ns.runs} rounds after {ns.warmup} warm-up",
                  flush=True)
            measured = rounds({"window_funnel": measures["window_funnel"],
                               "funnel": lambda steps: funnels.query(store, SITE, start, end, FUNNEL),
                               "performance": lambda steps:
                               funnel_performance.query_with_performance(store, SITE, start, end, FUNNEL)},
                              ns.runs, ns.warmup, last)
            baseline, alone = measured["window_funnel"]["ms"]["median"], measured["funnel"]["ms"]["median"]
            ratios(measured, baseline)
            results["performance"] = measured["performance"] | {
                "baseline_ms": baseline, "funnel_ms": alone,
                "x_funnel": round(measured["performance"]["ms"]["median"] / alone, 2) if alone else None}
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
PERFORMANCE_LINE = ("With performance: one query that walks the funnel once, each unit keeping its step's page "
                    "views, and answers both the counts and the performance: a row per unit and step for the "
                    "counts, and the steps' page views joined, by a hash of their id, to their rows of "
                    "`pageview_performance` (a page view's vitals, ratings, 8 phases and error flag in one row, "
                    "grouped per page view) and of `resources` in the range, for each step's vitals (p50/p75/p95, "
                    "ratings), navigation phases, error rate, 10 slowest resources and the LCP / INP conversion "
                    "impact (Wilson intervals, in Python).")
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
        made = sum((e.get("tables") or {}).get(t, {}).get("rows", 0) for t in ("pageview_performance", "resources"))
        lines.append(f"With each step's performance (`query_with_performance`) the funnel takes "
                     f"{med('performance'):,.0f} ms, {m['performance'].get('x_base')} times the bare `windowFunnel` "
                     f"and {m['performance'].get('x_funnel') or round(med('performance') / max(total, 1e-9), 2)} "
                     f"times the funnel alone (+"
                     f"{med('performance') - total:,.0f} ms for the {made:,} rows it joins: a row per page view's "
                     f"measurements and a row per resource).")
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
                  *([f"{PERFORMANCE_LINE} Timed in rounds of its own beside the baseline and the ordered funnel "
                       f"again (medians {fmt(e['measures']['performance'].get('baseline_ms'), 1)} ms and "
                       f"{fmt(e['measures']['performance'].get('funnel_ms'), 1)} ms there, its `× windowFunnel` and "
                       f"{fmt(e['measures']['performance'].get('x_funnel'), 2)} × the funnel alone), not to slow the "
                       "funnels above: after one, the next query takes 5-10% longer.", ""]
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

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.funnel", description=__doc__.split("\n")[0])
    for name, default, text in (("rows", 10_000_000, "rows stored (page views and events)"),
                                ("block", 2_000_000, "rows per INSERT"), ("runs", 10, "timed rounds"),
                                ("warmup", 1, "untimed rounds first")):
        p.add_argument(f"--{name}", type=int, default=env_default("funnel", name, default),
                       help=f"{text} [{default:,}]")
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
        "host": host(),
        "config": {"rows": ns.rows, "block": ns.block, "runs": ns.runs, "warmup": ns.warmup, "variants": ns.variants,
                   "performance": ns.performance, "optimize": ns.optimize, "http": ns.http, "goal_ms": GOAL_MS,
                   "funnel": body_of(FUNNEL)}}
    print(f"== funnel benchmark: {ns.rows:,} rows, {ns.rows // 10:,} sessions", flush=True)
    run_parts(report, ns, "funnel", SITE, ORIGIN, embedded_part, http_part)
    report.update(goals=goals_of(report), reading=reading(report),
                  elapsed_s=round((datetime.now(UTC) - started).total_seconds(), 1))
    goals = [f"{g['measure']:30}: median {fmt(g['median'], 1):>8} ms, p90 {fmt(g['p90'], 1):>8} ms, "
             f"{fmt(g['x_base'], 2)} × windowFunnel (goal < {GOAL_MS:,.0f} ms: {'met' if g['met'] else 'NOT met'})"
             for g in report["goals"]]
    return finish(report, ns.out, "funnel", markdown(report), goals)

if __name__ == "__main__":
    sys.exit(main())

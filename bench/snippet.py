"""Snippet benchmark: what /f.js costs the demo shop page in Chromium, against the same page
without it, in the same run.

    .venv/bin/python -m bench.snippet [--rounds 7] [--clicks 100]

Starts `footfall demo` (nothing seeded) on a free port in a temp directory and opens its shop page
in headless Chromium, alternately with the snippet and with the `/f.js` request aborted. Each
visit loads the page, clicks product images, links and prices, and scrolls to the bottom and
back. Per phase it records the renderer's main-thread time (`Performance.getMetrics`), long
tasks, and from a trace the work done by the snippet's own code. Reports go to
bench/results/snippet-<UTC>.{md,json} and snippet-latest.md, with the size of f.js (raw and
gzip -9) against its 6 KB gzipped budget.

The exit status is non-zero only when the benchmark itself failed (server did not start, the page
or the snippet did not load); costs and the size budget are only reported.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import platform
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from footfall.web.testing import ServerProcess

from .harness import BenchError
from .snippet_setup import METRICS, PAGE, PHASES, SCROLL_STEP, VIEWPORT

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SNIPPET = ROOT / "web" / "static" / "f.js"
GZIP_BUDGET = 6144  # bytes of f.js after gzip -9
CHROMIUM = "/usr/bin/chromium"
# The flags the e2e tests use; AutomationControlled off so navigator.webdriver is false and a
# snippet that ignores automated browsers still records this one.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         "--disable-blink-features=AutomationControlled"]
STEP_PAUSE_MS = 16  # one frame between wheel events
TRACE_CATEGORIES = ["devtools.timeline"]
MARK = "ffbench:"
# Both kinds of visit run this before the page's scripts: it collects long tasks and keeps
# clicked links from navigating away (a bubbling listener on window, after the page's own).
INIT_SCRIPT = """
window.__ffbench = {long: []};
try {
  new PerformanceObserver(function (list) {
    list.getEntries().forEach(function (e) { window.__ffbench.long.push([e.startTime, e.duration]); });
  }).observe({type: "longtask", buffered: true});
} catch (e) {}
addEventListener("click", function (e) {
  if (e.target instanceof Element && e.target.closest("a[href]")) e.preventDefault();
});
"""
CLICK_TARGETS = ".product-card .product-image, .product-card h3 a, .product-card .price, main h2"
PREPARE_CLICKS = """selector => {
  document.querySelector(".product-grid").scrollIntoView({block: "center"});
  const inside = r => r.width > 0 && r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth;
  return [...document.querySelectorAll(selector)].map(e => e.getBoundingClientRect()).filter(inside)
    .map(r => [Math.round(r.left + r.width / 2), Math.round(r.top + r.height / 2)]);
}"""


# -- pure helpers (tests/bench/test_snippet.py) ---------------------------------------------

def size_of(data: bytes, budget: int = GZIP_BUDGET) -> dict[str, Any]:
    """Raw and gzip -9 bytes; mtime 0 so the same file always gives the same number."""
    gzipped = len(gzip.compress(data, compresslevel=9, mtime=0))
    return {"raw_bytes": len(data), "gzip_bytes": gzipped, "gzip_budget_bytes": budget,
            "within_budget": gzipped <= budget, "sha256": hashlib.sha256(data).hexdigest()[:12]}


def median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(float(statistics.median(present)), 3) if present else None


def compare(with_snippet: list[float], without: list[float]) -> dict[str, Any]:
    """Medians of both kinds of visit, what the snippet adds, and the ratio: the machine's noise
    hits the visits of one run alike, so only these relative numbers are comparable."""
    a, b = median(with_snippet), median(without)
    return {
        "with": a, "without": b,
        "added": round(a - b, 3) if a is not None and b is not None else None,
        "ratio": round(a / b, 3) if a is not None and b else None,
        "with_range": [min(with_snippet), max(with_snippet)] if with_snippet else None,
        "without_range": [min(without), max(without)] if without else None,
    }


def metric_deltas(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Milliseconds of each cumulative CDP metric spent between two snapshots."""
    return {key: round(max(0.0, after.get(name, 0.0) - before.get(name, 0.0)) * 1000, 3)
            for key, name in METRICS.items()}


def is_snippet_url(url: str | None, origin: str) -> bool:
    """The snippet is every script Footfall serves (f.js and whatever it loads later), the shop's
    own shop.js, served from the same host under /demo/, excepted."""
    if not url or not url.startswith(origin.rstrip("/") + "/"):
        return False
    return not urlsplit(url).path.startswith("/demo/")


def phase_of(ts: float, marks: dict[str, float]) -> str | None:
    """The phase a trace timestamp falls in; None between phases (scrolling into place)."""
    if ts <= marks.get("load:end", float("inf")):
        return "load"
    for phase in PHASES[1:]:
        start, end = marks.get(f"{phase}:start"), marks.get(f"{phase}:end")
        if start is not None and end is not None and start <= ts <= end:
            return phase
    return None


def outermost(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Complete events not nested in an earlier one on the same thread (a callback the snippet
    calls from its own callback would otherwise count twice)."""
    kept: list[dict[str, Any]] = []
    ends: dict[tuple[Any, Any], float] = {}
    for event in sorted(events, key=lambda e: (e.get("pid"), e.get("tid"), e["ts"])):
        thread = (event.get("pid"), event.get("tid"))
        if event["ts"] < ends.get(thread, float("-inf")):
            continue
        kept.append(event)
        ends[thread] = event["ts"] + event.get("dur", 0)
    return kept


def snippet_work(events: list[dict[str, Any]], origin: str) -> dict[str, Any]:
    """The snippet's own main-thread work in a trace: its evaluation, then its callbacks (event
    listeners, timers, observers) per phase, as thread time and wall time in ms.

    The renderer's main thread is the one the bench's `console.timeStamp` marks appear on."""
    ours = [e for e in events if e.get("name") == "TimeStamp"
            and str((e.get("args", {}).get("data") or {}).get("message", "")).startswith(MARK)]
    marks = {e["args"]["data"]["message"][len(MARK):]: e["ts"] for e in ours}
    threads = {(e.get("pid"), e.get("tid")) for e in ours}
    own = [e for e in events
           if e.get("ph") == "X" and e.get("name") in ("EvaluateScript", "FunctionCall")
           and (e.get("pid"), e.get("tid")) in threads
           and is_snippet_url((e.get("args", {}).get("data") or {}).get("url"), origin)]
    out: dict[str, Any] = {key: {"thread_ms": 0.0, "wall_ms": 0.0, "calls": 0}
                           for key in ("evaluate", *PHASES, "visit")}
    for event in outermost(own):
        keys = ["visit", "evaluate" if event["name"] == "EvaluateScript" else None,
                phase_of(event["ts"], marks)]
        for key in filter(None, keys):
            out[key]["thread_ms"] += event.get("tdur", event.get("dur", 0)) / 1000
            out[key]["wall_ms"] += event.get("dur", 0) / 1000
            out[key]["calls"] += 1
    for part in out.values():
        part["thread_ms"], part["wall_ms"] = round(part["thread_ms"], 3), round(part["wall_ms"], 3)
    return out


def long_tasks_by_phase(tasks: list[list[float]], marks: dict[str, float]) -> dict[str, Any]:
    """Long tasks per phase; marks and task starts are both performance.now() milliseconds."""
    counts = {phase: 0 for phase in (*PHASES, "visit")}
    for start, _duration in tasks:
        counts["visit"] += 1
        phase = phase_of(start, marks)
        if phase:
            counts[phase] += 1
    counts["max_ms"] = round(max((d for _, d in tasks), default=0.0), 1)
    return counts


def summarise(visits: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians with and without the snippet, per phase and metric."""
    measured = [v for v in visits if not v.get("warmup")]
    on = [v for v in measured if v["snippet"]]
    off = [v for v in measured if not v["snippet"]]
    main_thread = {phase: {key: compare([v["main_thread_ms"][phase][key] for v in on],
                                        [v["main_thread_ms"][phase][key] for v in off])
                           for key in METRICS}
                   for phase in (*PHASES, "visit")}
    long_tasks = {phase: compare([v["long_tasks"][phase] for v in on],
                                 [v["long_tasks"][phase] for v in off])
                  | {"with_total": sum(v["long_tasks"][phase] for v in on),
                     "without_total": sum(v["long_tasks"][phase] for v in off)}
                  for phase in (*PHASES, "visit")}
    own = {key: {field: median(v["snippet_trace"][key][field] for v in on)
                 for field in ("thread_ms", "wall_ms", "calls")}
           for key in ("evaluate", *PHASES, "visit")}
    return {"visits_with": len(on), "visits_without": len(off), "main_thread_ms": main_thread,
            "long_tasks": long_tasks, "snippet_trace_ms": own,
            "beacons_per_visit": median(v["beacons"] for v in on),
            "page_errors": {"with": sum(len(v["page_errors"]) for v in on),
                            "without": sum(len(v["page_errors"]) for v in off),
                            "examples": sorted({e for v in measured for e in v["page_errors"]})[:5]}}


# -- the browser ---------------------------------------------------------------------------------

class Visit:
    """One visit to the shop page in a fresh context, with or without the snippet."""

    def __init__(self, browser: Any, server_url: str, snippet: bool, user_agent: str) -> None:
        self.server_url, self.snippet = server_url, snippet
        self.context = browser.new_context(viewport=VIEWPORT, user_agent=user_agent)
        self.context.add_init_script(INIT_SCRIPT)
        self.page = self.context.new_page()
        self.page.route("**/f.js", self.route)
        self.beacons = 0
        self.snippet_status: int | None = None
        self.page_errors: list[str] = []
        self.page.on("pageerror", lambda error: self.page_errors.append(str(error)[:200]))
        self.page.on("request", self.on_request)
        self.page.on("response", self.on_response)
        self.cdp = self.context.new_cdp_session(self.page)
        self.cdp.send("Performance.enable", {"timeDomain": "threadTicks"})
        self.marks: dict[str, float] = {}
        self.metrics: dict[str, dict[str, float]] = {}

    def route(self, route: Any) -> None:
        if self.snippet:
            route.continue_()
        else:
            route.abort()

    def on_request(self, request: Any) -> None:
        if "/i/v1/" in request.url:
            self.beacons += 1

    def on_response(self, response: Any) -> None:
        if urlsplit(response.url).path == "/f.js":
            self.snippet_status = response.status

    def snapshot(self) -> dict[str, float]:
        return {m["name"]: m["value"] for m in self.cdp.send("Performance.getMetrics")["metrics"]}

    def mark(self, name: str) -> None:
        """A trace mark, a performance.now() for long tasks and a metrics snapshot, together."""
        self.marks[name] = self.page.evaluate(
            "name => { console.timeStamp(name); return performance.now(); }", MARK + name)
        self.metrics[name] = self.snapshot()

    def run(self, clicks: int, settle_ms: int) -> dict[str, Any]:
        page = self.page
        self.metrics["start"] = self.snapshot()
        response = page.goto(self.server_url + PAGE, wait_until="load")
        if response is None or response.status != 200:
            raise BenchError(f"{PAGE}: HTTP {response.status if response else 'no response'}")
        if not page.query_selector(".product-grid"):
            raise BenchError(f"{PAGE}: no product grid on the page")
        page.wait_for_timeout(settle_ms)
        self.mark("load:end")

        targets = page.evaluate(PREPARE_CLICKS, CLICK_TARGETS)
        if len(targets) < 4:
            raise BenchError(f"only {len(targets)} click targets in view")
        page.wait_for_timeout(200)
        self.mark("clicks:start")
        for i in range(clicks):
            page.mouse.click(*targets[i % len(targets)])
        page.wait_for_timeout(settle_ms)
        self.mark("clicks:end")

        steps = page.evaluate("step => { scrollTo(0, 0); return Math.ceil((document.documentElement"
                              ".scrollHeight - innerHeight) / step) + 2; }", SCROLL_STEP)
        page.mouse.move(VIEWPORT["width"] // 2, VIEWPORT["height"] // 2)
        page.wait_for_timeout(200)
        self.mark("scroll:start")
        for delta in [SCROLL_STEP] * steps + [-SCROLL_STEP] * steps:
            page.mouse.wheel(0, delta)
            page.wait_for_timeout(STEP_PAUSE_MS)
        page.wait_for_timeout(settle_ms)
        self.mark("scroll:end")
        depth, back = page.evaluate("[document.documentElement.scrollHeight - innerHeight, scrollY]")
        long_tasks = page.evaluate("window.__ffbench.long")
        phases = {"load": ("start", "load:end"), "clicks": ("clicks:start", "clicks:end"),
                  "scroll": ("scroll:start", "scroll:end"), "visit": ("start", "scroll:end")}
        return {
            "snippet": self.snippet,
            "snippet_status": self.snippet_status,
            "main_thread_ms": {phase: metric_deltas(self.metrics[a], self.metrics[b])
                               for phase, (a, b) in phases.items()},
            "long_tasks": long_tasks_by_phase(long_tasks, self.marks),
            "beacons": self.beacons,
            "page_errors": self.page_errors,
            "click_targets": len(targets),
            "clicks": clicks,
            "scroll_steps": steps,
            "scroll_depth_px": depth,
            "scrolled_back": back == 0,
        }

    def close(self) -> None:
        self.context.close()


def visit(browser: Any, server_url: str, snippet: bool, user_agent: str, clicks: int,
          settle_ms: int) -> dict[str, Any]:
    """One traced visit; fails when the page did not load or the snippet did (not) run."""
    v = Visit(browser, server_url, snippet, user_agent)
    try:
        browser.start_tracing(page=v.page, categories=TRACE_CATEGORIES)
        try:
            result = v.run(clicks, settle_ms)
        finally:
            trace = json.loads(browser.stop_tracing())
    finally:
        v.close()
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    result["snippet_trace"] = snippet_work(events, server_url)
    evaluated = result["snippet_trace"]["evaluate"]["calls"]
    if snippet and (result["snippet_status"] != 200 or not evaluated):
        raise BenchError(f"the snippet did not run (GET /f.js: {result['snippet_status']}, "
                         f"{evaluated} evaluations in the trace)")
    if not snippet and result["snippet_trace"]["visit"]["calls"]:
        raise BenchError("the snippet ran although /f.js was aborted")
    return result


def browse(server_url: str, rounds: int, warmup_rounds: int, clicks: int, settle_ms: int,
           progress: Callable[[str], None] = print) -> tuple[list[dict[str, Any]], str]:
    """All visits, interleaved: the order flips every round so neither kind always goes first."""
    from playwright.sync_api import sync_playwright

    visits: list[dict[str, Any]] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            # A desktop Chrome user agent: HeadlessChrome could be told apart from a visitor.
            major = browser.version.split(".")[0]
            user_agent = (f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                          f"Chrome/{major}.0.0.0 Safari/537.36")
            for r in range(warmup_rounds + rounds):
                warm = r < warmup_rounds
                for snippet in ((True, False) if r % 2 == 0 else (False, True)):
                    result = visit(browser, server_url, snippet, user_agent, clicks, settle_ms)
                    result.update({"round": r - warmup_rounds, "warmup": warm})
                    visits.append(result)
                    mt = result["main_thread_ms"]
                    progress(f"   {'warm-up' if warm else f'round {r - warmup_rounds + 1}'}"
                             f" {'with   ' if snippet else 'without'}: task ms load "
                             f"{mt['load']['task']:6.1f}  clicks {mt['clicks']['task']:6.1f}  "
                             f"scroll {mt['scroll']['task']:6.1f}; f.js thread ms "
                             f"{result['snippet_trace']['visit']['thread_ms']:5.2f}")
            name = f"Chromium {browser.version}"
        finally:
            browser.close()
    return visits, name


# -- main -----------------------------------------------------------------------------------------

def env_default(name: str, default: Any) -> Any:
    raw = os.environ.get(f"BENCH_SNIPPET_{name.upper()}")
    return type(default)(raw) if raw not in (None, "") else default


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.snippet", description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=env_default("rounds", 7),
                   help="measured visits of each kind [BENCH_SNIPPET_ROUNDS, 7]")
    p.add_argument("--warmup-rounds", type=int, default=env_default("warmup_rounds", 1),
                   help="unmeasured pairs of visits first [BENCH_SNIPPET_WARMUP_ROUNDS, 1]")
    p.add_argument("--clicks", type=int, default=env_default("clicks", 100), help="clicks per visit")
    p.add_argument("--settle-ms", type=int, default=env_default("settle_ms", 500),
                   help="wait after each phase for the work it set off (timers, beacons)")
    p.add_argument("--out", type=Path, default=RESULTS, help="report directory [bench/results]")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from .snippet_report import print_summary, write_reports

    ns = parse_args(argv)
    started = datetime.now(UTC)
    report: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "stamp": started.strftime("%Y%m%dT%H%M%SZ"),
        "host": {"cpus": os.cpu_count(), "machine": platform.machine(),
                 "python": platform.python_version(),
                 "loadavg": [round(x, 2) for x in os.getloadavg()]},
        "config": {"rounds": ns.rounds, "warmup_rounds": ns.warmup_rounds, "clicks": ns.clicks,
                   "settle_ms": ns.settle_ms, "page": PAGE, "viewport": VIEWPORT,
                   "scroll_step_px": SCROLL_STEP, "playwright": version("playwright"),
                   "metrics_time_domain": "threadTicks", "flags": FLAGS},
        "size": size_of(SNIPPET.read_bytes()),
    }
    print(f"== snippet benchmark: f.js {report['size']['raw_bytes']:,} bytes, "
          f"{report['size']['gzip_bytes']:,} gzipped", flush=True)
    failed = None
    with tempfile.TemporaryDirectory(prefix="footfall-bench-snippet-") as tmp:
        server = None
        try:
            t0 = datetime.now(UTC)
            server = ServerProcess(Path(tmp) / "data", {"FOOTFALL_RATE_LIMIT": "0"}, command="demo",
                                   extra=("--sessions", "0"))
            report["server_startup_s"] = round((datetime.now(UTC) - t0).total_seconds(), 2)
            visits, browser_name = browse(server.url, ns.rounds, ns.warmup_rounds, ns.clicks,
                                          ns.settle_ms, lambda line: print(line, flush=True))
            report["config"]["browser"] = browser_name
            report["visits"] = visits
            report["summary"] = summarise(visits)
        except Exception as exc:  # any failure here is the benchmark's own, reported below
            failed = f"{type(exc).__name__}: {exc}"
            if server is not None:
                report["server_log_tail"] = server.read_log()
        finally:
            if server is not None:
                report["server_exit_code"] = server.stop()
    report["elapsed_s"] = round((datetime.now(UTC) - started).total_seconds(), 1)
    if size_of(SNIPPET.read_bytes())["sha256"] != report["size"]["sha256"]:
        report["warning"] = "web/static/f.js changed during the run: repeat it"
        print(f"warning: {report['warning']}", file=sys.stderr)
    if failed:
        report["error"] = failed
    md_path, json_path = write_reports(report, ns.out.resolve())
    print_summary(report)
    print(f"   report: {md_path.relative_to(ROOT) if md_path.is_relative_to(ROOT) else md_path}"
          f" and {json_path.name}; {report['elapsed_s']} s in all")
    if failed:
        print(f"benchmark FAILED: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

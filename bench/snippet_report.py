"""The snippet benchmark's report: the Markdown next to the JSON in bench/results/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .report import fmt
from .snippet_setup import LONG_TASK_MS, METRICS, PAGE, PHASE_TITLES, PHASES, SCROLL_STEP, VIEWPORT

# -- the report ------------------------------------------------------------------------------------

def phase_title(phase: str, config: dict[str, Any]) -> str:
    return PHASE_TITLES[phase].format(clicks=config.get("clicks", 100))


def markdown(report: dict[str, Any]) -> str:
    cfg, host, size = report["config"], report["host"], report["size"]
    lines = [
        f"# Snippet benchmark, {report['started']}",
        "",
        f"Host: {host['cpus']} CPUs ({host['machine']}), load average before the run "
        f"{host['loadavg']}, Python {host['python']}, {cfg.get('browser', 'Chromium')} (headless) "
        f"through Playwright {cfg.get('playwright')}. Page: the demo shop (`{PAGE}`) at "
        f"{VIEWPORT['width']}×{VIEWPORT['height']} from `footfall demo` with nothing seeded. "
        f"{cfg['rounds']} visits with the snippet and {cfg['rounds']} without it (the `/f.js` "
        f"request aborted), interleaved, after {cfg['warmup_rounds']} warm-up pair(s); each visit "
        f"in a fresh browser context. A visit: load and wait {cfg['settle_ms']} ms; "
        f"{cfg['clicks']} clicks on product images, names (navigation prevented), prices and the "
        f"heading; a scroll session of wheel steps of {SCROLL_STEP} px to the bottom and back.",
        "",
    ]
    if report.get("error"):
        lines += [f"**Benchmark failed:** {report['error']}", ""]
    if report.get("warning"):
        lines += [f"**Warning:** {report['warning']}.", ""]
    lines += ["## Size", "", "| file | raw bytes | gzip -9 bytes | gzipped budget | within budget |",
              "|---|---|---|---|---|",
              f"| `web/static/f.js` ({size['sha256']}) | {fmt(size['raw_bytes'])} | "
              f"{fmt(size['gzip_bytes'])} | {fmt(size['gzip_budget_bytes'])} | "
              f"{'yes' if size['within_budget'] else '**no**'} |", ""]
    summary = report.get("summary")
    if not summary:
        return "\n".join(lines) + "\n"
    lines += ["## Main-thread time added", "",
              "The renderer's main thread from `Performance.getMetrics` (ScriptDuration: "
              "JavaScript; TaskDuration: every task, style, layout and paint included), as thread "
              f"time; medians over {summary['visits_with']} + {summary['visits_without']} visits. "
              "\"Added\" is the median with the snippet minus the median without.", "",
              "| phase | metric | with snippet ms | without ms | added ms | ratio | range with / "
              "without ms |", "|---|---|---|---|---|---|---|"]
    for phase in (*PHASES, "visit"):
        for key, name in METRICS.items():
            c = summary["main_thread_ms"][phase][key]
            lines.append(f"| {phase_title(phase, cfg)} | {name} | {fmt(c['with'], 2)} | "
                         f"{fmt(c['without'], 2)} | {fmt(c['added'], 2)} | {fmt(c['ratio'], 2)} | "
                         f"{span(c['with_range'])} / {span(c['without_range'])} |")
    own, errors = summary["snippet_trace_ms"], summary["page_errors"]
    lines += ["", "## The snippet's own work", "",
              "From a `devtools.timeline` trace of each visit: the main-thread time of "
              "`EvaluateScript` and `FunctionCall` events of scripts Footfall serves (f.js and "
              "anything it loads), outermost only; medians of the visits with the snippet.", "",
              "| part | thread ms | wall ms | calls |", "|---|---|---|---|"]
    for key in ("evaluate", *PHASES, "visit"):
        title = "evaluation of the script" if key == "evaluate" else phase_title(key, cfg)
        if key == "load":
            title += " (evaluation included)"
        lines.append(f"| {title} | {fmt(own[key]['thread_ms'], 2)} | {fmt(own[key]['wall_ms'], 2)} "
                     f"| {fmt(own[key]['calls'], 0)} |")
    lines += ["", f"## Long tasks (> {LONG_TASK_MS} ms)", "",
              "| phase | with snippet: median per visit (all visits) | without (all visits) |",
              "|---|---|---|"]
    for phase in (*PHASES, "visit"):
        c = summary["long_tasks"][phase]
        lines.append(f"| {phase_title(phase, cfg)} | {fmt(c['with'], 1)} ({c['with_total']}) | "
                     f"{fmt(c['without'], 1)} ({c['without_total']}) |")
    lines += ["", "## Notes", "",
              "- Both kinds of visit run on the same server, browser and page in the same run, "
              "alternating (the order flips every round), so the noise of the shared 2-core "
              "machine falls on both; compare the added time and the ratio, not absolute "
              "milliseconds across runs. Times are thread time (`timeDomain: threadTicks`), "
              "which a busy machine inflates less than wall time; long tasks are wall time.",
              "- Page load runs from navigation until the load event plus the settle time; "
              "clicks and scroll from just before the first input until the settle time after "
              "the last. The whole visit also covers scrolling the grid into place.",
              "- Without the snippet the `/f.js` request is aborted by a route; with it the same "
              "route lets it through, so request interception costs both alike.",
              f"- Beacons sent by the snippet per visit (median): {fmt(summary['beacons_per_visit'], 0)}. "
              f"Uncaught page errors: {errors['with']} with the snippet, {errors['without']} without"
              + (f" ({'; '.join(errors['examples'])})." if errors["examples"] else "."),
              f"- Run time: {fmt(report.get('elapsed_s'))} s, server start-up "
              f"{fmt(report.get('server_startup_s'), 2)} s.", ""]
    return "\n".join(lines) + "\n"


def span(values: list[float] | None) -> str:
    return f"{fmt(values[0], 1)}–{fmt(values[1], 1)}" if values else "-"


def write_reports(report: dict[str, Any], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    md = markdown(report)
    json_path, md_path = out / f"snippet-{report['stamp']}.json", out / f"snippet-{report['stamp']}.md"
    json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    md_path.write_text(md)
    (out / "snippet-latest.md").write_text(md)
    return md_path, json_path


def print_summary(report: dict[str, Any]) -> None:
    size, summary = report["size"], report.get("summary")
    print("\n== summary")
    print(f"   f.js: {size['raw_bytes']:,} bytes, {size['gzip_bytes']:,} gzipped (-9); budget "
          f"{size['gzip_budget_bytes']:,}: {'within' if size['within_budget'] else 'OVER'}")
    if not summary:
        return
    own = summary["snippet_trace_ms"]
    print(f"   evaluation of f.js: {fmt(own['evaluate']['thread_ms'], 2)} ms thread time "
          f"({fmt(own['evaluate']['wall_ms'], 2)} ms wall)")
    for phase in (*PHASES, "visit"):
        task, script = (summary["main_thread_ms"][phase][k] for k in ("task", "script"))
        print(f"   {phase_title(phase, report['config']):15}: main thread +{fmt(task['added'], 2)} ms "
              f"(ratio {fmt(task['ratio'], 2)}), script +{fmt(script['added'], 2)} ms; f.js's own "
              f"{fmt(own[phase]['thread_ms'], 2)} ms; long tasks {fmt(summary['long_tasks'][phase]['with_total'])}"
              f" with / {fmt(summary['long_tasks'][phase]['without_total'])} without")

"""The ingestion benchmark's report: goals, Markdown and JSON files under bench/results/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import loadgen
from .loadgen import BATCH_PATH, EVENTS_PER_BATCH, NOOP_PATH

GOAL_RATIO = 0.5
GOAL_QUERYABLE_S = 2.0


# goal key -> what is measured, for the report's table
GOAL_LABELS = {
    "ratio": "batch req/s ÷ no-op req/s",
    "ratio_invalid": "batch req/s ÷ no-op req/s, 1 invalid event in 25",
    "queryable": "time until queryable",
    "queryable_after_dead_letter": "time until queryable after 2 dead-lettered segments",
}


def goals_of(run: dict[str, Any]) -> dict[str, Any]:
    ratio, worst = run.get("ratio"), run["queryable"]["max_s"]
    failed = run["queryable"]["failed"]
    goals = {
        "ratio": {"goal": f">= {GOAL_RATIO}", "value": ratio,
                  "met": ratio is not None and ratio >= GOAL_RATIO},
        "queryable": {"goal": f"<= {GOAL_QUERYABLE_S} s (every probe)", "value": worst,
                      "met": worst is not None and not failed and worst <= GOAL_QUERYABLE_S},
    }
    checks = run.get("validation")
    if checks:
        value = checks.get("invalid_to_noop")
        goals["ratio_invalid"] = {"goal": f">= {GOAL_RATIO}", "value": value,
                                  "met": value is not None and value >= GOAL_RATIO}
    late = run.get("dead_letter")
    if late:
        value = late.get("queryable_s")
        goals["queryable_after_dead_letter"] = {
            "goal": f"<= {GOAL_QUERYABLE_S} s", "value": value,
            "met": value is not None and late["in_dead_letter"] and value <= GOAL_QUERYABLE_S}
    return {key: goals[key] for key in GOAL_LABELS if key in goals}


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown(report: dict[str, Any]) -> str:
    cfg, host = report["config"], report["host"]
    lines = [
        f"# Ingestion benchmark, {report['started']}",
        "",
        f"Host: {host['cpus']} CPUs ({host['machine']}), load average before the run "
        f"{host['loadavg']}, Python {host['python']}. Load generator: {cfg['client']}, "
        f"{cfg['connections']} connections, {fmt(cfg['duration_s'])} s per phase after "
        f"{fmt(cfg['warmup_s'])} s warm-up. Batches: {EVENTS_PER_BATCH} events "
        f"({', '.join(f'{n} {k}' for k, n in loadgen.MIX.items())}), unique id/sid/pv each, "
        "Content-Type text/plain, Origin of the site.",
        "",
    ]
    if cfg.get("server_env"):
        lines += [f"Extra server environment: `{cfg['server_env']}`.", ""]
    if report.get("error"):
        lines += [f"**Benchmark failed:** {report['error']}", ""]
    goals = report.get("goals")
    if goals:
        lines += ["## Goals (fsync on)", "", "| goal | target | measured | met |",
                  "|---|---|---|---|"]
        for key, goal in goals.items():
            value = (f"{fmt(goal['value'], 2)} s" if key.startswith("queryable")
                     else fmt(goal["value"], 3))
            lines.append(f"| {GOAL_LABELS[key]} | {goal['goal']} | {value} | "
                         f"{'yes' if goal['met'] else 'no'} |")
        lines.append("")
    lines += ["## Throughput and latency", "",
              "| config | endpoint | req/s | events/s | p50 ms | p90 ms | p99 ms | max ms | "
              "not OK | socket errors | server cores (event loop) | client cores | "
              "machine busy cores |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for run in report["runs"]:
        for key, endpoint in (("noop", f"GET {NOOP_PATH}"),
                              ("post_noop", f"POST {NOOP_PATH} (batch body, 405)"),
                              ("batch", f"POST {BATCH_PATH}")):
            ph = run.get(key)
            if not ph:
                continue
            lat, cpu = ph["latency_ms"], ph["cpu"]
            client = cpu.get("child_client_cores", 0) + (
                cpu.get("bench_process_cores", 0) if "python" in ph["client"] else 0)
            lines.append(
                f"| {run['label']} | {endpoint} | "
                f"{fmt(ph['rps'], 0)} | {fmt(ph['events_per_s'], 0) if key == 'batch' else '-'} | "
                f"{fmt(lat['p50'], 2)} | {fmt(lat['p90'], 2)} | {fmt(lat['p99'], 2)} | "
                f"{fmt(lat['max'], 1)} | {fmt(ph['non_ok'])} {ph['status_counts'] or ''} | "
                f"{sum(ph['socket_errors'].values())} | {fmt(cpu.get('server_cores'), 2)} "
                f"({fmt(cpu.get('event_loop_cores'), 2)}) | "
                f"{fmt(client, 2)} | {fmt(cpu.get('machine_busy_cores'), 2)} |")
    lines += ["", "| config | ratio batch/no-op req/s | queryable max s (under load / idle) | "
              "probes | spool backlog: max sealed segments (MB) under load, at its end, "
              "drained after | stored = accepted |", "|---|---|---|---|---|---|"]
    for run in report["runs"]:
        if "queryable" not in run:
            continue
        q, v, b = run["queryable"], run["verification"], run.get("spool_backlog", {})
        lines.append(
            f"| {run['label']} | {fmt(run['ratio'], 3)} | {fmt(q['max_s'], 2)} "
            f"({fmt(q['under_load_max_s'], 2)} / {fmt(q['idle_max_s'], 2)}) | "
            f"{len(q['probes'])} ({q['failed']} failed) | "
            f"{fmt(b.get('max_sealed_segments_under_load'))} "
            f"({fmt(b.get('max_sealed_mb_under_load'))}), "
            f"{fmt(b.get('sealed_segments_at_load_end'))}, "
            f"{fmt(b.get('drained_s_after_load'), 2)} s | "
            f"{'yes' if v['ok'] else 'NO'}: {fmt(v['stored_batches'])} stored for "
            f"{fmt(v['accepted_batches_counted'])} 202s (+{v['allowed_extra_batches']} in "
            "flight allowed) |")
    for run in report["runs"]:
        lines += validation_lines(run) + dead_letter_lines(run)
    lines += ["", "## Time until queryable, per probe", "",
              "A probe is one more 25-event batch plus a custom event with a unique name, posted "
              "from the bench process; the time runs from sending it until "
              "`GET /api/v1/sites/bench/events/count?type=custom` includes it (polled every 50 "
              "ms).", "", "| config | when | 202 after ms | queryable after s | polls |",
              "|---|---|---|---|---|"]
    for run in report["runs"]:
        for p in run.get("queryable", {}).get("probes", []):
            lines.append(f"| {run['label']} | {p['when']} | {fmt(p.get('ack_ms'))} | "
                         f"{fmt(p.get('queryable_s'), 3)} {p.get('error', '')} | "
                         f"{fmt(p.get('polls'))} |")
    lines += ["", "## Notes", "",
              "- The ratio compares two endpoints on the same server in the same run, so the "
              "noise of the shared machine mostly cancels; absolute numbers vary from run to "
              "run. The no-op runs in two halves, before the batch phase and after the spool "
              "has drained, and counts as one (latencies merged by histogram).",
              "- The no-op is `GET /healthz` (no body, no validation, no disk). POSTing the same "
              "batch bodies to `/healthz` (405 from the router; `--post-noop`) runs at about the "
              "GET's rate, so the body's transfer and HTTP parsing are not what separates the "
              "endpoints."
              + "".join(f" Here ({r['label']}): POST no-op {fmt(r['post_noop']['rps'], 0)} "
                        "req/s." for r in report["runs"] if r.get("post_noop")),
              "- Spool backlog: sealed segments (up to FOOTFALL_FLUSH_ROWS rows or "
              "FOOTFALL_FLUSH_INTERVAL_MS old) that the writer has not yet inserted into "
              "ClickHouse, sampled every 0.25 s from the data directory. A backlog that grows "
              "during the load means time-until-queryable grows with the length of the load.",
              "- With 2 cores, the load generator and the server compete for CPU: see the "
              "client and machine-busy columns. Time-until-queryable probes run in the bench "
              "process during the batch phase and add a few requests and queries.",
              f"- Server start-up (migrations included): "
              f"{', '.join(fmt(r.get('server_startup_s'), 1) + ' s' for r in report['runs'])}.",
              ""]
    for run in report["runs"]:
        noise = run.get("noise")
        if noise:
            lines.append(
                f"- {run['label']}: no-op halves {fmt(noise['noop_halves_rps'][0], 0)} and "
                f"{fmt(noise['noop_halves_rps'][1], 0)} req/s (drift "
                f"{noise['noop_drift'] * 100:.0f}%); other processes used up to "
                f"{noise['max_other_cores']:.2f} cores during the no-op and "
                f"{noise.get('batch_other_cores', 0):.2f} during the batches (this includes "
                "the kernel writing the spool back)"
                + (" — **noisy run, repeat it**." if noise["noisy"] else "."))
    for run in report["runs"]:
        if run.get("profile"):
            lines.append(f"- py-spy flame graph of the server during the {run['label']} batch "
                         f"phase: `{run['profile']}`")
    return "\n".join(lines) + "\n"


def validation_lines(run: dict[str, Any]) -> list[str]:
    checks = run.get("validation")
    if not checks:
        return []
    lines = ["", f"## Per-event validation cost ({run['label']})", "",
             "Batches of 25 events with none invalid, and with the last one an invalid form event "
             "(`refocus: -1`, as the snippet once sent), which the collector decodes again as an "
             "envelope plus each event and drops (24 stored). Run in turns "
             f"({', '.join(checks['order'])}), each after the spool drained, without probes; "
             "ratios are to the no-op rate of the same run.", "",
             "| batches | req/s | ÷ no-op | ÷ valid | p50 / p99 ms | not OK | server CPU µs per "
             "batch (event loop) | stored = accepted |", "|---|---|---|---|---|---|---|---|"]
    for kind, title in (("valid", "0 invalid in 25"), ("invalid", "1 invalid in 25")):
        ph, kept = checks[kind], checks[f"{kind}_stored"]
        lines.append(
            f"| {title} | {fmt(ph['rps'], 0)} | {fmt(checks.get(f'{kind}_to_noop'), 3)} | "
            f"{fmt(checks['invalid_to_valid'] if kind == 'invalid' else 1.0, 3)} | "
            f"{fmt(ph['latency_ms']['p50'], 2)} / {fmt(ph['latency_ms']['p99'], 2)} | "
            f"{fmt(ph['non_ok'])} {ph['status_counts'] or ''} | "
            f"{fmt(ph.get('server_us_per_batch'), 0)} ({fmt(ph.get('event_loop_us_per_batch'), 0)})"
            f" | {'yes' if kept['ok'] else 'NO'}: {fmt(kept['stored_batches'])} for "
            f"{fmt(kept['accepted_batches_counted'])} |")
    steps = run.get("validation_steps")
    if steps:
        lines += ["", "The same steps in the bench process, without HTTP or the store (median of "
                  f"{steps['rounds']} rounds of {fmt(steps['number'])} calls, µs per batch): "
                  + "; ".join(f"{name} {fmt(us, 2)}" for name, us in steps["us_per_batch"].items())
                  + f". Decoding a batch with one invalid event costs "
                  f"{fmt(steps['decode_invalid_to_valid'], 2)}x a valid one."]
    return lines


def dead_letter_lines(run: dict[str, Any]) -> list[str]:
    late = run.get("dead_letter")
    if not late:
        return []
    landed = late["dead_lettered_after_s"]
    return [
        "", f"## Time until queryable after dead-lettered segments ({run['label']})", "",
        "Two sealed segments no retry cures were put into `<data>/spool` to be written first (a "
        "batch frame whose page views span 120 monthly partitions, and a frame of unknown kind "
        "`X{}`); a marked batch was posted at once and the read API polled until it counted it.",
        "",
        f"- queryable after **{fmt(late['queryable_s'], 3)} s** (an idle probe just before: "
        f"{fmt(late['baseline_s'], 3)} s);",
        "- in `<data>/spool/dead-letter`: "
        + ("yes, " if late["in_dead_letter"] else "**no**, ")
        + ", ".join(f"`{name}` {fmt(landed.get(name), 2)} s" for name in late["segments"])
        + " after they were written"
        + (f"; still in the spool: {late['left_in_spool']}" if late["left_in_spool"] else "")
        + ";",
        "- writer counters: " + ", ".join(f"{k} {v}" for k, v in
                                          sorted(late["writer_counters"].items())) + ".",
    ]


def write_reports(report: dict[str, Any], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    stamp = report["stamp"]
    md = markdown(report)
    json_path, md_path = out / f"ingest-{stamp}.json", out / f"ingest-{stamp}.md"
    json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    md_path.write_text(md)
    cfg = report["config"]
    if not cfg.get("server_env") and not cfg.get("profile"):  # experiments keep their own files
        (out / "ingest-latest.md").write_text(md)
    return md_path, json_path

"""The ingestion benchmark's report: goals, Markdown and JSON files under bench/results/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import loadgen
from .loadgen import BATCH_PATH, EVENTS_PER_BATCH, NOOP_PATH

GOAL_RATIO = 0.5
GOAL_QUERYABLE_S = 2.0


def goals_of(run: dict[str, Any]) -> dict[str, Any]:
    ratio, worst = run.get("ratio"), run["queryable"]["max_s"]
    failed = run["queryable"]["failed"]
    return {
        "ratio": {"goal": f">= {GOAL_RATIO}", "value": ratio,
                  "met": ratio is not None and ratio >= GOAL_RATIO},
        "queryable": {"goal": f"<= {GOAL_QUERYABLE_S} s (every probe)", "value": worst,
                      "met": worst is not None and not failed and worst <= GOAL_QUERYABLE_S},
    }


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
                  "|---|---|---|---|",
                  f"| batch req/s ÷ no-op req/s | {goals['ratio']['goal']} | "
                  f"{fmt(goals['ratio']['value'], 3)} | "
                  f"{'yes' if goals['ratio']['met'] else 'no'} |",
                  f"| time until queryable | {goals['queryable']['goal']} | "
                  f"{fmt(goals['queryable']['value'], 2)} s | "
                  f"{'yes' if goals['queryable']['met'] else 'no'} |", ""]
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

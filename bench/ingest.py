"""Ingestion benchmark: 25-event batches against a no-op endpoint on the same server, same run.

    .venv/bin/python -m bench.ingest [--duration 10] [--connections 32] [--no-fsync-off]

Starts `footfall serve` (fsync on, defaults, rate limit off) on a free port in a temp directory,
creates a site and an API token, warms up, then measures GET /healthz (the no-op baseline) and
POST /i/v1/batch at a fixed concurrency with wrk (or a Python client), measures the time until
marked batches are queryable through the read API (during and after the load), and checks that
every accepted batch was stored. A second server with FOOTFALL_SPOOL_FSYNC=false runs the same
phases for comparison. Reports go to bench/results/ingest-<UTC>.{md,json} and ingest-latest.md.

The exit status is non-zero only when the benchmark itself failed (server did not start, load
generator failed, nothing was accepted, accepted events went missing); goals are only reported.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from footfall.web.testing import cli_json

from . import dead_letter, loadgen, phases, validation
from .harness import SITE, BenchError, Prober, Server, SpoolWatcher, count, cpu_meter, wait_drained
from .loadgen import BATCH_PATH, EVENTS_PER_BATCH, NOOP_PATH, ORIGIN
from .phases import PhaseResult
from .report import fmt, goals_of, write_reports

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
WARM_SITE = "warm"
NOISY_DRIFT = 0.15  # the two no-op halves differ by more than this share
NOISY_OTHER_CORES = 0.3  # other processes used more than this many cores in a phase


# -- one configuration ---------------------------------------------------------------------------

@dataclasses.dataclass
class Options:
    duration: float
    warmup: float
    connections: int
    threads: int
    client: str
    probe_interval: float
    idle_probes: int
    queryable_timeout: float
    drain_timeout: float
    profile: bool
    out: Path
    post_noop: bool = False
    extras: bool = True  # also per-event validation cost and the dead-letter probe (1st config)


def run_load(opts: Options, server: Server, name: str, site: str | None, run_id: str,
             duration: float, workdir: Path, post_noop: bool = False,
             invalid: bool = False) -> PhaseResult:
    """site None: the GET no-op; post_noop: the batch bodies POSTed to the no-op (405);
    invalid: batches with one invalid event in 25."""
    result_file = workdir / f"wrk-{name}.json"
    if opts.client == "wrk":
        if site is None:
            lua = loadgen.noop_lua(str(result_file))
            return loadgen.run_wrk(name, server.url, lua, result_file, duration,
                                   opts.connections, opts.threads, 0, NOOP_PATH)
        if post_noop:
            lua = loadgen.batch_lua(str(result_file), site, run_id, NOOP_PATH, 405, False)
            return loadgen.run_wrk(name, server.url, lua, result_file, duration,
                                   opts.connections, opts.threads, 0, NOOP_PATH)
        lua = loadgen.batch_lua(str(result_file), site, run_id, invalid=invalid)
        return loadgen.run_wrk(name, server.url, lua, result_file, duration, opts.connections,
                               opts.threads, EVENTS_PER_BATCH, BATCH_PATH)
    if post_noop:
        raise BenchError("--post-noop needs wrk")
    return loadgen.run_python(name, server.host, server.port, site, run_id, duration,
                              opts.connections, NOOP_PATH if site is None else BATCH_PATH,
                              invalid)


def measure(opts: Options, server: Server, name: str, site: str | None, run_id: str,
            workdir: Path, post_noop: bool = False, duration: float | None = None,
            invalid: bool = False) -> PhaseResult:
    cpu: dict[str, float] = {}
    with cpu_meter(server, cpu):
        result = run_load(opts, server, name, site, run_id, duration or opts.duration, workdir,
                          post_noop, invalid)
    result.cpu = cpu
    if result.ok == 0:
        raise BenchError(f"{name}: no successful requests ({result.status_counts}, "
                         f"{result.socket_errors})")
    return result


def profile_server(server: Server, seconds: float, target: Path) -> subprocess.Popen[bytes] | None:
    """py-spy in the background: a flame graph of the server while the batch load runs."""
    pyspy = Path(sys.executable).with_name("py-spy")
    if not pyspy.exists():
        return None
    return subprocess.Popen(
        [str(pyspy), "record", "--pid", str(server.proc.pid), "--duration", str(int(seconds)),
         "--rate", "100", "--format", "flamegraph", "--output", str(target)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def verify(server: Server, token: str, ok_batches: int, slack: int, probes: int,
           timeout: float) -> dict[str, Any]:
    """Wait for the spool to drain, then compare stored rows per type with the accepted batches.

    wrk stops with up to one request in flight per connection; the server may still accept and
    store those, so the measured site may hold up to `slack` more batches than 202s counted.
    """
    per_batch = loadgen.rows_per_batch()
    low = ok_batches + probes
    high = low + slack
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    counts: dict[str, int] = {}
    while True:
        counts = {kind: count(server, token, kind) for kind in (*per_batch, "custom")}
        batches = counts["pageview"]
        complete = low <= batches <= high and all(
            counts[kind] == batches * rows for kind, rows in per_batch.items()
        ) and counts["custom"] == probes
        if complete or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    return {
        "ok": complete,
        "drain_wait_s": round(time.monotonic() - started, 2),
        "accepted_batches_counted": low,
        "allowed_extra_batches": slack,
        "stored_batches": counts.get("pageview", 0),
        "stored_rows": counts,
        "expected_rows_per_batch": {**per_batch, "custom (probe batches only)": 1},
    }


def run_config(opts: Options, label: str, env: dict[str, str]) -> dict[str, Any]:
    run_id = secrets.token_hex(3)
    print(f"\n== {label}: {env or 'defaults'}", flush=True)
    with tempfile.TemporaryDirectory(prefix="footfall-bench-") as tmp:
        workdir = Path(tmp)
        data = workdir / "data"
        for key in (SITE, WARM_SITE, *(validation.SITES if opts.extras else ())):
            cli_json(data, "site", "create", key.title(), "--origin", ORIGIN, "--key", key)
        t0 = time.monotonic()
        server = Server(data, env)
        startup = time.monotonic() - t0
        out: dict[str, Any] = {"label": label, "env": env, "server_startup_s": round(startup, 2)}
        try:
            token = cli_json(data, "token", "create", "bench")["token"]
            if opts.warmup > 0:
                print(f"   warm-up {opts.warmup:g}s each", flush=True)
                run_load(opts, server, "warm-noop", None, run_id, opts.warmup, workdir)
                run_load(opts, server, "warm-batch", WARM_SITE, run_id + "w", opts.warmup, workdir)
                wait_drained(data / "spool", opts.drain_timeout)  # the writer would skew no-op 1

            # The no-op runs in two halves that bracket the batch phase (before it, and after
            # the spool has drained), so a change in the machine's load shows as drift.
            half = max(1.0, opts.duration / 2)
            noop_a = measure(opts, server, "noop-1", None, run_id, workdir, duration=half)
            print(f"   no-op  GET  {NOOP_PATH} (1st half): {noop_a.rps:9.0f} req/s", flush=True)
            if opts.post_noop:
                post = measure(opts, server, "post-noop", WARM_SITE, run_id + "n", workdir, True)
                out["post_noop"] = post.to_json()
                print(f"   no-op  POST {NOOP_PATH} (batch body, 405): {post.rps:9.0f} req/s  p50 "
                      f"{post.latency_ms['p50']:.1f} ms  p99 {post.latency_ms['p99']:.1f} ms",
                      flush=True)

            prober = Prober(server, token, run_id, opts.queryable_timeout)
            under_load: list[dict[str, Any]] = []
            stop = threading.Event()
            thread = threading.Thread(target=prober.during,
                                      args=(stop, opts.probe_interval, under_load), daemon=True)
            profiler = None
            if opts.profile:
                opts.out.mkdir(parents=True, exist_ok=True)
                flame = opts.out / f"ingest-profile-{label.replace(' ', '-')}.svg"
                profiler = profile_server(server, max(1, opts.duration - 1), flame)
                shown = flame.relative_to(ROOT) if flame.is_relative_to(ROOT) else flame
                out["profile"] = str(shown) if profiler else None
            watcher = SpoolWatcher(data / "spool")
            watcher.start()
            thread.start()
            try:
                batch = measure(opts, server, "batch", SITE, run_id, workdir)
            finally:
                watcher.mark_load_end()
                stop.set()
                thread.join(opts.queryable_timeout + 15)
                if profiler:
                    profiler.wait(60)
            print(f"   batch  POST {BATCH_PATH}: {batch.rps:9.0f} req/s  "
                  f"{batch.events_per_s:9.0f} events/s  p50 {batch.latency_ms['p50']:.1f} ms  "
                  f"p99 {batch.latency_ms['p99']:.1f} ms  non-202 {batch.non_ok}", flush=True)

            idle = [prober.probe("after load" if i == 0 else "idle")
                    for i in range(opts.idle_probes)]
            probes = under_load + idle
            for p in probes:
                print(f"   probe ({p['when']}): queryable after {p.get('queryable_s')} s "
                      f"{p.get('error', '')}", flush=True)
            slack = opts.connections + sum(n for kind, n in batch.socket_errors.items()
                                           if kind != "status")
            verification = verify(server, token, batch.ok, slack, prober.sent, opts.drain_timeout)
            print(f"   stored: {verification['stored_batches']} batches for "
                  f"{verification['accepted_batches_counted']} counted 202s "
                  f"(+{slack} allowed in flight): {'ok' if verification['ok'] else 'MISMATCH'}",
                  flush=True)
            backlog = watcher.summary()
            print(f"   spool backlog: up to {backlog['max_sealed_segments_under_load']} sealed "
                  f"segments under load ({backlog['sealed_segments_at_load_end']} at its end), "
                  f"drained {backlog['drained_s_after_load']} s after the load", flush=True)
            checks = None
            if opts.extras:
                print(f"   per-event validation: valid and invalid batches in turns, "
                      f"{half:g} s each", flush=True)
                checks = validation.measure_pair(
                    lambda name, site, invalid, seconds: measure(  # own ids per phase
                        opts, server, name, site, f"{run_id}-{name}", workdir, duration=seconds,
                        invalid=invalid),
                    server, token, data / "spool", half, opts.drain_timeout)
            noop_b = measure(opts, server, "noop-2", None, run_id, workdir, duration=half)
            noop = phases.merge("noop", [noop_a, noop_b])
            print(f"   no-op  GET  {NOOP_PATH} (2nd half): {noop_b.rps:9.0f} req/s; both: "
                  f"{noop.rps:9.0f} req/s  p50 {noop.latency_ms['p50']:.1f} ms  p99 "
                  f"{noop.latency_ms['p99']:.1f} ms  non-200 {noop.non_ok}", flush=True)
            if checks is not None:
                validation.complete_with(checks, noop.rps)
                out["validation"] = checks
                print(f"   validation: valid {checks['valid']['rps']:,.0f} / invalid "
                      f"{checks['invalid']['rps']:,.0f} req/s = {checks['invalid_to_valid']}; "
                      f"to the no-op {checks['valid_to_noop']} / {checks['invalid_to_noop']}",
                      flush=True)
                wait_drained(data / "spool", opts.drain_timeout)
                late = dead_letter.measure(server, prober, token, data / "spool",
                                           opts.queryable_timeout)
                out["dead_letter"] = late
                print(f"   dead-letter: queryable after {late['queryable_s']} s (idle before: "
                      f"{late['baseline_s']} s); set aside after {late['dead_lettered_after_s']}"
                      f" s; in dead-letter: {late['in_dead_letter']}", flush=True)
                out["validation_steps"] = validation.step_costs()  # in this process, server idle
            times = [p["queryable_s"] for p in probes if p.get("queryable_s") is not None]
            out.update({
                "noop": noop.to_json(),
                "batch": batch.to_json(),
                "ratio": round(batch.rps / noop.rps, 3) if noop.rps else None,
                "queryable": {
                    "probes": probes,
                    "max_s": max(times) if times else None,
                    "under_load_max_s": max((p["queryable_s"] for p in under_load
                                             if p.get("queryable_s") is not None), default=None),
                    "idle_max_s": max((p["queryable_s"] for p in idle
                                       if p.get("queryable_s") is not None), default=None),
                    "failed": sum(1 for p in probes if p.get("queryable_s") is None),
                },
                "verification": verification,
                "spool_backlog": backlog,
                "noise": noise_of(noop_a, noop_b, batch),
            })
        finally:
            code = server.stop()
            out["server_exit_code"] = code
            if code not in (0, None):
                out["server_log_tail"] = server.read_log()
    return out


def noise_of(noop_a: PhaseResult, noop_b: PhaseResult, batch: PhaseResult) -> dict[str, Any]:
    """How much the machine changed under us: no-op drift and CPU used by other processes."""
    mean = (noop_a.rps + noop_b.rps) / 2
    drift = abs(noop_a.rps - noop_b.rps) / mean if mean else 0.0
    # Only the no-op phases count: during batches the kernel's writeback of our own spool
    # (kworker, jbd2) also shows up as "other".
    other = max(r.cpu.get("other_cores", 0.0) for r in (noop_a, noop_b))
    return {"noop_halves_rps": [round(noop_a.rps, 1), round(noop_b.rps, 1)],
            "noop_drift": round(drift, 3), "max_other_cores": other,
            "batch_other_cores": batch.cpu.get("other_cores", 0.0),
            "noisy": drift > NOISY_DRIFT or other > NOISY_OTHER_CORES}


# -- main -----------------------------------------------------------------------------------------

def env_default(name: str, default: Any) -> Any:
    raw = os.environ.get(f"BENCH_{name.upper()}")
    return type(default)(raw) if raw not in (None, "") else default


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.split("\n")[0])
    p.add_argument("--duration", type=float, default=env_default("duration", 10.0),
                   help="seconds per measured phase [BENCH_DURATION, 10]")
    p.add_argument("--warmup", type=float, default=env_default("warmup", 2.0),
                   help="seconds of warm-up per endpoint [BENCH_WARMUP, 2]")
    p.add_argument("--connections", type=int, default=env_default("connections", 32),
                   help="concurrent keep-alive connections [BENCH_CONNECTIONS, 32]")
    p.add_argument("--threads", type=int, default=env_default("threads", 1),
                   help="wrk threads [BENCH_THREADS, 1]")
    p.add_argument("--client", choices=("auto", "wrk", "python"),
                   default=env_default("client", "auto"),
                   help="load generator: wrk if installed, else the Python asyncio client")
    p.add_argument("--probe-interval", type=float, default=2.0,
                   help="seconds between time-until-queryable probes during the batch load")
    p.add_argument("--idle-probes", type=int, default=3,
                   help="time-until-queryable probes after the load")
    p.add_argument("--queryable-timeout", type=float, default=15.0)
    p.add_argument("--drain-timeout", type=float, default=60.0)
    p.add_argument("--no-fsync-off", action="store_true",
                   help="skip the comparison run with FOOTFALL_SPOOL_FSYNC=false")
    p.add_argument("--no-validation", action="store_true",
                   help="skip the per-event validation and dead-letter phases (quicker; also for "
                        "comparing with a build from before per-event checks)")
    p.add_argument("--profile", action="store_true",
                   help="record a py-spy flame graph of the server during each batch phase")
    p.add_argument("--post-noop", action="store_true",
                   help="also POST the batch bodies to /healthz (405): HTTP and body cost only")
    p.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                   help="extra environment for both servers, e.g. FOOTFALL_FLUSH_ROWS=50000")
    p.add_argument("--out", type=Path, default=RESULTS, help="report directory [bench/results]")
    return p.parse_args(argv)


def main(argv: list[str] | None = None, runner: Callable[..., dict[str, Any]] = run_config) -> int:
    ns = parse_args(argv)
    client = ns.client
    if client == "auto":
        client = "wrk" if loadgen.wrk_path() else "python"
    opts = Options(ns.duration, ns.warmup, ns.connections, ns.threads, client,
                   ns.probe_interval, ns.idle_probes, ns.queryable_timeout, ns.drain_timeout,
                   ns.profile, ns.out.resolve(), ns.post_noop)
    extra = dict(item.split("=", 1) for item in ns.server_env)
    started = datetime.now(UTC)
    report: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "stamp": started.strftime("%Y%m%dT%H%M%SZ"),
        "host": {"cpus": os.cpu_count(), "machine": platform.machine(),
                 "python": platform.python_version(),
                 "loadavg": [round(x, 2) for x in os.getloadavg()]},
        "config": {"client": client if client == "python" else f"wrk -t{opts.threads}",
                   "connections": opts.connections, "duration_s": opts.duration,
                   "warmup_s": opts.warmup, "events_per_batch": EVENTS_PER_BATCH,
                   "batch_body_bytes": len(loadgen.body_for(SITE, "size-check")),
                   "server": "footfall serve, defaults (fsync on), FOOTFALL_RATE_LIMIT=0",
                   "server_env": extra, "profile": opts.profile},
        "runs": [],
    }
    configs = [("fsync on", extra)]
    if not ns.no_fsync_off:
        configs.append(("fsync off", {**extra, "FOOTFALL_SPOOL_FSYNC": "false"}))
    failed = None
    for label, env in configs:
        try:
            # Validation cost and the dead-letter probe run with the goals' configuration only.
            extras = label == configs[0][0] and not ns.no_validation
            run = runner(dataclasses.replace(opts, extras=extras), label, env)
        except (BenchError, RuntimeError, OSError) as exc:
            failed = f"{label}: {exc}"
            print(f"benchmark failed: {failed}", file=sys.stderr)
            break
        report["runs"].append(run)
        if not run["verification"]["ok"]:
            failed = (f"{label}: stored rows do not match accepted batches: "
                      f"{run['verification']}")
        for key in ("valid_stored", "invalid_stored"):
            if not run.get("validation", {}).get(key, {"ok": True})["ok"]:
                failed = f"{label}: {key}: {run['validation'][key]}"
    report["elapsed_s"] = round((datetime.now(UTC) - started).total_seconds(), 1)
    if report["runs"]:
        report["goals"] = goals_of(report["runs"][0])
    if failed:
        report["error"] = failed
    md_path, json_path = write_reports(report, opts.out)

    print("\n== summary")
    for run in report["runs"]:
        print(f"   {run['label']:9}: batch {run['batch']['rps']:,.0f} req/s "
              f"({run['batch']['events_per_s']:,.0f} events/s) / no-op {run['noop']['rps']:,.0f} "
              f"req/s = ratio {run['ratio']:.3f}; p50 {run['batch']['latency_ms']['p50']:.1f} ms, "
              f"p99 {run['batch']['latency_ms']['p99']:.1f} ms; queryable within "
              f"{fmt(run['queryable']['max_s'], 2)} s")
    for name, goal in report.get("goals", {}).items():
        print(f"   goal {name} {goal['goal']}: measured {fmt(goal['value'], 3)} -> "
              f"{'MET' if goal['met'] else 'NOT MET'}")
    print(f"   report: {md_path.relative_to(ROOT) if md_path.is_relative_to(ROOT) else md_path}"
          f" and {json_path.name}; {report['elapsed_s']} s in all")
    if failed:
        print(f"benchmark FAILED: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

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
import contextlib
import dataclasses
import http.client
import json
import math
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import loadgen
from .loadgen import BATCH_PATH, EVENTS_PER_BATCH, NOOP_PATH, ORIGIN, PhaseResult

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
FOOTFALL = [sys.executable, "-m", "collector.cli"]
SITE, WARM_SITE = "bench", "warm"
GOAL_RATIO = 0.5
GOAL_QUERYABLE_S = 2.0
NOISY_DRIFT = 0.15  # the two no-op halves differ by more than this share
NOISY_OTHER_CORES = 0.3  # other processes used more than this many cores in a phase
CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    """The benchmark could not produce a valid measurement."""


# -- the server under test ----------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def footfall(data: Path, *args: str) -> Any:
    out = subprocess.run([*FOOTFALL, *args, "--data", str(data), "--json"], capture_output=True,
                         text=True, timeout=120, cwd=ROOT)
    if out.returncode != 0:
        raise BenchError(f"footfall {' '.join(args)} failed: {out.stderr.strip()}")
    return json.loads(out.stdout)


class Server:
    def __init__(self, data: Path, env: dict[str, str]) -> None:
        self.data = data
        self.port = free_port()
        self.host = "127.0.0.1"
        self.url = f"http://{self.host}:{self.port}"
        self.env = {**os.environ, "FOOTFALL_LOG_LEVEL": "warning", "FOOTFALL_RATE_LIMIT": "0",
                    **env}
        self.log_path = data.parent / "server.log"
        self.log = open(self.log_path, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [*FOOTFALL, "serve", "--data", str(data), "--port", str(self.port)],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT,
        )
        self.wait_healthy()

    def wait_healthy(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"server exited with {self.proc.returncode}: {self.tail()}")
            with contextlib.suppress(OSError, BenchError):
                if get_json(self.host, self.port, NOOP_PATH)[0] == 200:
                    return
            time.sleep(0.1)
        raise BenchError(f"server not healthy after {timeout}s: {self.tail()}")

    def tail(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")[-3000:]

    def cpu_seconds(self, main_thread: bool = False) -> float:
        """User + system CPU of the server process (all its threads, chDB included), or of its
        main thread alone: the event loop that runs every request."""
        pid = self.proc.pid
        stat = f"/proc/{pid}/task/{pid}/stat" if main_thread else f"/proc/{pid}/stat"
        fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)
        self.log.close()
        return self.proc.returncode


# -- small HTTP helpers (the bench's own requests, not the load) -------------------------------

def get_json(host: str, port: int, path: str, token: str = "") -> tuple[int, Any]:
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, json.loads(body) if body else None
    except ValueError as exc:
        raise BenchError(f"GET {path}: not JSON: {exc}") from None
    finally:
        conn.close()


def post_batch(host: str, port: int, body: bytes) -> tuple[int, Any]:
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request("POST", BATCH_PATH, body=body, headers=loadgen.batch_headers())
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"null")
    finally:
        conn.close()


def count(server: Server, token: str, kind: str, site: str = SITE) -> int:
    status, body = get_json(server.host, server.port,
                            f"/api/v1/sites/{site}/events/count?type={kind}", token)
    if status != 200:
        raise BenchError(f"count {kind}: HTTP {status} {body}")
    return int(body["count"])


# -- CPU accounting -------------------------------------------------------------------------------

def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies over all CPUs, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])
    return (total - idle) / CLK_TCK, total / CLK_TCK


@contextlib.contextmanager
def cpu_meter(server: Server, out: dict[str, float]) -> Iterator[None]:
    """Average cores used while the block runs: server, load client (a child, or this process)."""
    import resource

    start = time.monotonic()
    srv0, kids0 = server.cpu_seconds(), loadgen.children_cpu()
    loop0 = server.cpu_seconds(main_thread=True)
    me0 = resource.getrusage(resource.RUSAGE_SELF)
    busy0, _ = machine_busy()
    yield
    wall = time.monotonic() - start
    me1 = resource.getrusage(resource.RUSAGE_SELF)
    busy1, _ = machine_busy()
    out["server_cores"] = round((server.cpu_seconds() - srv0) / wall, 2)
    out["event_loop_cores"] = round((server.cpu_seconds(main_thread=True) - loop0) / wall, 2)
    out["child_client_cores"] = round((loadgen.children_cpu() - kids0) / wall, 2)
    out["bench_process_cores"] = round(
        (me1.ru_utime + me1.ru_stime - me0.ru_utime - me0.ru_stime) / wall, 2)
    out["machine_busy_cores"] = round((busy1 - busy0) / wall, 2)
    out["machine_cores"] = os.cpu_count() or 0
    # Everything else on the machine (other tenants, kernel threads): noise for this phase.
    out["other_cores"] = round(max(0.0, out["machine_busy_cores"] - out["server_cores"]
                                   - out["child_client_cores"] - out["bench_process_cores"]), 2)


# -- time until queryable ------------------------------------------------------------------------

@dataclasses.dataclass
class Prober:
    """Sends marked batches (one custom event each) and polls the read API until each shows."""

    server: Server
    token: str
    run_id: str
    timeout: float
    poll_interval: float = 0.05
    sent: int = 0  # probe batches answered 202 (each adds one custom event and one batch)

    def probe(self, when: str) -> dict[str, Any]:
        k = self.sent + 1
        marker = f"probe-{self.run_id}-{k}"
        body = loadgen.body_for(SITE, f"{self.run_id}-probe-{k}", marker=marker)
        t0 = time.perf_counter()
        try:
            status, answer = post_batch(self.server.host, self.server.port, body)
        except OSError as exc:
            return {"when": when, "error": f"post: {exc}"}
        ack = time.perf_counter()
        if status != 202 or answer.get("accepted") != EVENTS_PER_BATCH + 1:
            return {"when": when, "error": f"post answered {status} {answer}"}
        self.sent = k
        polls = 0
        while True:
            polls += 1
            try:
                seen = count(self.server, self.token, "custom")
            except (OSError, BenchError):
                seen = -1
            now = time.perf_counter()
            if seen >= k:
                return {"when": when, "ack_ms": round((ack - t0) * 1000, 1),
                        "queryable_s": round(now - t0, 3), "polls": polls}
            if now - t0 > self.timeout:
                return {"when": when, "ack_ms": round((ack - t0) * 1000, 1),
                        "queryable_s": None, "polls": polls,
                        "error": f"not queryable within {self.timeout}s"}
            time.sleep(self.poll_interval)

    def during(self, stop: threading.Event, interval: float, out: list[dict[str, Any]]) -> None:
        stop.wait(min(1.0, interval))  # let the load reach a steady state first
        while not stop.is_set():
            out.append(self.probe("under load"))
            stop.wait(interval)


class SpoolWatcher(threading.Thread):
    """Samples the sealed-segment backlog (written by the server, not yet in ClickHouse)."""

    def __init__(self, spool: Path, interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.spool, self.interval = spool, interval
        self.start_time = time.monotonic()
        self.load_end: float | None = None
        self.samples: list[tuple[float, int, int]] = []  # (seconds, sealed segments, bytes)
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            sealed = list(self.spool.glob("*.seg"))
            size = 0
            for path in sealed:
                with contextlib.suppress(OSError):
                    size += path.stat().st_size
            self.samples.append((time.monotonic() - self.start_time, len(sealed), size))
            self.halt.wait(self.interval)

    def mark_load_end(self) -> None:
        self.load_end = time.monotonic() - self.start_time

    def summary(self) -> dict[str, Any]:
        self.halt.set()
        self.join(5)
        end = self.load_end if self.load_end is not None else math.inf
        during = [s for s in self.samples if s[0] <= end]
        after = [s for s in self.samples if s[0] > end]
        drained = next((s[0] - end for s in after if s[1] == 0), None)
        return {
            "max_sealed_segments_under_load": max((s[1] for s in during), default=0),
            "max_sealed_mb_under_load": round(max((s[2] for s in during), default=0) / 2**20, 1),
            "sealed_segments_at_load_end": during[-1][1] if during else 0,
            "drained_s_after_load": round(drained, 2) if drained is not None else None,
            "samples": [(round(t, 2), n, size) for t, n, size in self.samples],
        }


def wait_drained(spool: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while (any(spool.glob("*.seg")) or any(spool.glob("*.open"))) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)


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


def run_load(opts: Options, server: Server, name: str, site: str | None, run_id: str,
             duration: float, workdir: Path, post_noop: bool = False) -> PhaseResult:
    """site None: the GET no-op; post_noop: the batch bodies POSTed to the no-op (405)."""
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
        lua = loadgen.batch_lua(str(result_file), site, run_id)
        return loadgen.run_wrk(name, server.url, lua, result_file, duration, opts.connections,
                               opts.threads, EVENTS_PER_BATCH, BATCH_PATH)
    if post_noop:
        raise BenchError("--post-noop needs wrk")
    return loadgen.run_python(name, server.host, server.port, site, run_id, duration,
                              opts.connections, NOOP_PATH if site is None else BATCH_PATH)


def measure(opts: Options, server: Server, name: str, site: str | None, run_id: str,
            workdir: Path, post_noop: bool = False, duration: float | None = None) -> PhaseResult:
    cpu: dict[str, float] = {}
    with cpu_meter(server, cpu):
        result = run_load(opts, server, name, site, run_id, duration or opts.duration, workdir,
                          post_noop)
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
        for key in (SITE, WARM_SITE):
            footfall(data, "site", "create", key.title(), "--origin", ORIGIN, "--key", key)
        t0 = time.monotonic()
        server = Server(data, env)
        startup = time.monotonic() - t0
        out: dict[str, Any] = {"label": label, "env": env, "server_startup_s": round(startup, 2)}
        try:
            token = footfall(data, "token", "create", "bench")["token"]
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
            noop_b = measure(opts, server, "noop-2", None, run_id, workdir, duration=half)
            noop = loadgen.merge("noop", [noop_a, noop_b])
            print(f"   no-op  GET  {NOOP_PATH} (2nd half): {noop_b.rps:9.0f} req/s; both: "
                  f"{noop.rps:9.0f} req/s  p50 {noop.latency_ms['p50']:.1f} ms  p99 "
                  f"{noop.latency_ms['p99']:.1f} ms  non-200 {noop.non_ok}", flush=True)
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
                out["server_log_tail"] = server.tail()
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


# -- reports --------------------------------------------------------------------------------------

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
            run = runner(opts, label, env)
        except (BenchError, RuntimeError, OSError) as exc:
            failed = f"{label}: {exc}"
            print(f"benchmark failed: {failed}", file=sys.stderr)
            break
        report["runs"].append(run)
        if not run["verification"]["ok"]:
            failed = (f"{label}: stored rows do not match accepted batches: "
                      f"{run['verification']}")
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

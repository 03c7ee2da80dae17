"""The instrumented server under load: the process, the bench's own requests to it, and what
is watched while load runs (CPU use, time until queryable, spool backlog)."""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import json
import math
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from footfall.web.testing import ServerProcess

from . import loadgen
from .loadgen import BATCH_PATH, EVENTS_PER_BATCH

CLK_TCK = os.sysconf("SC_CLK_TCK")
SITE = "bench"


class BenchError(Exception):
    """The benchmark could not produce a valid measurement."""


# -- the server under test ----------------------------------------------------------------------

class Server(ServerProcess):
    """The server under load, with the rate limits off (all load comes from one IP): the byte
    budget too, whose 32 MB burst the batch load would use up in about a second."""

    def __init__(self, data: Path, env: dict[str, str]) -> None:
        super().__init__(data, {"FOOTFALL_RATE_LIMIT": "0", "FOOTFALL_RATE_LIMIT_KB": "0", **env})

    def cpu_seconds(self, main_thread: bool = False) -> float:
        """User + system CPU of the server process (all its threads, chDB included), or of its
        main thread alone: the event loop that runs every request."""
        pid = self.proc.pid
        stat = f"/proc/{pid}/task/{pid}/stat" if main_thread else f"/proc/{pid}/stat"
        fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK


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

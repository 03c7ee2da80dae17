"""Per-event validation cost: batches with 0 and with 1 invalid event in 25 on the same server.

A valid batch is decoded in one pass. One invalid event makes the collector decode the batch
again, as an envelope plus each event on its own, and drop and count that event
(collector/decode.py `decode_batch`, pipeline.py `Ingestor.batch`). The two kinds run in
turns (valid, invalid, invalid, valid), each after the spool has drained, so a change in the
machine's load falls on both alike. The same steps are also timed in this process, without
HTTP or the store: the decode of each kind, the per-request work the valid path gained with
per-event checks (event time window, byte budget, session bookkeeping), and for scale the URL
cleaning it gained just before them.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from footfall.collector.decode import decode_batch
from footfall.collector.ownership import Recordings
from footfall.collector.pipeline import Ingestor
from footfall.collector.ratelimit import RateLimiter
from footfall.collector.rejection import Counters
from footfall.collector.urls import clean_batch

from . import loadgen, phases
from .harness import BenchError, Server, count, wait_drained
from .loadgen import EVENTS_PER_BATCH
from .phases import PhaseResult

VALID_SITE, INVALID_SITE = "valid", "invalid"
SITES = (VALID_SITE, INVALID_SITE)
ORDER = (False, True, True, False)  # invalid?, in turns
# measure(name, site, invalid, duration) -> one load phase on the server under test
Measure = Callable[[str, str, bool, float], PhaseResult]


def per_batch_us(phase: PhaseResult, key: str) -> float | None:
    """CPU microseconds per accepted batch: cores busy divided by batches per second."""
    cores = phase.cpu.get(key)
    return round(cores / phase.rps * 1e6, 1) if cores is not None and phase.rps else None


def summary(phase: PhaseResult) -> dict[str, Any]:
    return {**phase.to_json(), "server_us_per_batch": per_batch_us(phase, "server_cores"),
            "event_loop_us_per_batch": per_batch_us(phase, "event_loop_cores")}


def stored(server: Server, token: str, site: str, ok: int, slack: int, invalid: bool,
           timeout: float) -> dict[str, Any]:
    """Once drained: a site holds its accepted batches (up to `slack` more, in flight when the
    load stopped), every valid event of each, and no invalid one."""
    rows = loadgen.rows_per_batch(invalid=invalid)
    deadline = time.monotonic() + timeout
    while True:
        counts = {kind: count(server, token, kind, site) for kind in rows}
        batches = counts["pageview"]
        complete = ok <= batches <= ok + slack and all(
            counts[kind] == batches * n for kind, n in rows.items())
        if complete or time.monotonic() > deadline:
            return {"ok": complete, "stored_batches": batches, "accepted_batches_counted": ok,
                    "allowed_extra_batches": slack, "stored_rows": counts,
                    "expected_rows_per_batch": rows}
        time.sleep(0.25)


def measure_pair(measure: Measure, server: Server, token: str, spool: Path, half: float,
                 drain_timeout: float, noop_rps: float | None = None) -> dict[str, Any]:
    """Valid and invalid batches in turns; merged per kind; their rates, ratios and storage."""
    runs: dict[bool, list[PhaseResult]] = {False: [], True: []}
    for invalid in ORDER:
        wait_drained(spool, drain_timeout)
        name = f"{'invalid' if invalid else 'valid'}-{len(runs[invalid]) + 1}"
        phase = measure(name, INVALID_SITE if invalid else VALID_SITE, invalid, half)
        runs[invalid].append(phase)
        print(f"   {name:9} batches: {phase.rps:9.0f} req/s  p50 {phase.latency_ms['p50']:.1f} ms"
              f"  not OK {phase.non_ok}", flush=True)
    valid, invalid = (phases.merge(k, runs[flag]) for k, flag in (("valid", False),
                                                                   ("invalid", True)))
    out: dict[str, Any] = {"order": ["invalid" if i else "valid" for i in ORDER],
                           "valid": summary(valid), "invalid": summary(invalid),
                           "invalid_to_valid": round(invalid.rps / valid.rps, 3)
                           if valid.rps else None}
    if noop_rps is not None:
        complete_with(out, noop_rps)
    for key, site, flag, phase in (("valid_stored", VALID_SITE, False, valid),
                                   ("invalid_stored", INVALID_SITE, True, invalid)):
        slack = phase.connections * len(phase.parts) + sum(
            n for kind, n in phase.socket_errors.items() if kind != "status")
        out[key] = stored(server, token, site, phase.ok, slack, flag, drain_timeout)
    return out


def complete_with(out: dict[str, Any], noop_rps: float) -> None:
    """Ratios to the run's no-op rate (known only once its second half has run)."""
    out["noop_rps"] = round(noop_rps, 1)
    for kind in ("valid", "invalid"):
        out[f"{kind}_to_noop"] = round(out[kind]["rps"] / noop_rps, 3) if noop_rps else None


# -- in this process: the steps alone -------------------------------------------------------

def _time_us(call: Callable[[], object], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        call()
    return (time.perf_counter() - start) / number * 1e6


def step_costs(rounds: int = 7, number: int = 2000) -> dict[str, Any]:
    """Microseconds per batch of each step, the median of `rounds` interleaved rounds."""
    valid_body = loadgen.body_for(VALID_SITE, "steps")
    invalid_body = loadgen.body_for(INVALID_SITE, "steps", invalid=True)
    batch, dropped = decode_batch(valid_body)
    checked, invalid = decode_batch(invalid_body)
    if dropped or len(batch.events) != EVENTS_PER_BATCH:
        raise BenchError(f"the valid batch did not decode whole: {dropped}")
    if len(checked.events) != EVENTS_PER_BATCH - 1 or [e.reason for e in invalid] != [
            f"form.{loadgen.INVALID_FIELD}"]:
        raise BenchError(f"the invalid batch decoded as {len(checked.events)} events, {invalid}")

    class Counted:  # what Ingestor.in_time needs of its ingestor
        counters = Counters()

    in_time = Ingestor.in_time
    budget = RateLimiter(1024 * 1024, 32768 * 1024)  # the default byte budget, rate=1024 KB/s
    seen = Recordings(None, size=200_000)  # type: ignore[arg-type]  # saw() never reads the store
    sessions = iter(range(1 << 62))
    steps: dict[str, Callable[[], object]] = {
        "decode, valid": lambda: decode_batch(valid_body),
        "decode, 1 invalid in 25": lambda: decode_batch(invalid_body),
        "event time window (valid)": lambda: in_time(Counted(), batch, []),  # type: ignore[arg-type]
        "byte budget": lambda: budget.allow("127.0.0.1", VALID_SITE, cost=len(valid_body)),
        "session bookkeeping": lambda: seen.saw(VALID_SITE, f"s-{next(sessions)}"),
        "URL cleaning": lambda: clean_batch(batch),
    }
    samples: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, call in steps.items():
            budget.buckets.clear()  # a full bucket each round: the allow() path, never the refusal
            samples[name].append(_time_us(call, number))
    out = {name: round(statistics.median(values), 2) for name, values in samples.items()}
    return {"us_per_batch": out, "rounds": rounds, "number": number,
            "decode_invalid_to_valid": round(out["decode, 1 invalid in 25"] / out["decode, valid"],
                                             2),
            "body_bytes": {"valid": len(valid_body), "invalid": len(invalid_body)}}

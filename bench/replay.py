"""Replay benchmark: what session recording stores and costs, how fast a long recording starts playing,
and how fast the session list answers on 100,000 sessions.

    .venv/bin/python -m bench.replay [--pairs 3] [--minutes 30] [--list-sessions 100000]

1. Bytes per minute: a scripted two-minute visit of the demo shop (six pages, scrolling, mouse
   movement, clicks, a form) in headless Chromium against `footfall demo --sessions 0`, whose site
   records every session; the replay chunks the session stored, read after the server stopped, per
   minute of recording: as stored (the `data` column), and gzipped at rest (gzip of the decoded JSON),
   broken down by rrweb event type. Baseline in the same run: the same visit recorded with rrweb's
   default options (same privacy options), the recorder rebuilt from sdk-js/ with its options left out.
2. Recorder cost: main-thread time (CDP `Performance.getMetrics`, thread time) per minute of the same
   visit with the recorder and with the `/replay.js` request aborted; f.js runs in both. The visits
   run side by side in pairs, started 2 s apart, so the machine's noise falls on both kinds alike.
3. Time until the first frame: a 30-minute recording built from the real events of part 1 (see
   `build_long_recording`) is stored through the ingestion endpoints of a live server; Chromium opens
   the dashboard's player page for it and the time until the replayer's frame holds the recorded page
   is taken, next to the same page for the real two-minute recording.
4. Session list: 100,000 demo journeys (demo/journeys.py) through the ingestion path
   (frames.pack, frames.blocks, Store.insert_json) into an embedded store, then
   `footfall.replay.sessions.list_sessions` for the first page and two filtered queries, each next to bare
   queries over the same rows.

Reports go to bench/results/replay-<UTC>.{md,json} and replay-latest.md. The exit status is non-zero
only when the benchmark itself broke; a missed goal is only reported.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import platform
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from footfall.web.testing import ServerProcess

from .harness import BenchError
from .replay_data import (
    METRICS,
    RESULTS,
    ROOT,
    SITE,
    VIEWPORT,
    breakdown,
    compact,
    decoded_text,
    goals_of,
    per_minute,
    recording_bytes,
)
from .replay_list import session_list
from .replay_player import first_frame
from .replay_report import advice_of, kb, write_reports, yes_no
from .replay_visitor import build_defaults_recorder, check_visits, read_store, visits
from .snippet import compare, median

# -- part 1 and 2 ---------------------------------------------------------------------------------

def summarise_recording(sessions: list[dict[str, Any]]) -> dict[str, Any]:
    out = {}
    for kind in ("with", "defaults"):
        mine = [s["bytes"]["per_minute"] for s in sessions if s["kind"] == kind]
        if mine:
            out[kind] = {f"{short}_per_min": median(m[key] for m in mine)
                         for short, key in (("gzip", "gzip_bytes"), ("stored", "stored_bytes"),
                                            ("json", "json_bytes"), ("chunk_gzip", "chunk_gzip_bytes"))}
            out[kind]["sessions"] = len(mine)
    return out


def summarise_cost(results: list[dict[str, Any]]) -> dict[str, Any]:
    on = [r for r in results if r["kind"] == "with"]
    off = [r for r in results if r["kind"] == "without"]
    defaults = [r for r in results if r["kind"] == "defaults"]
    return {
        "with_runs": len(on), "without_runs": len(off),
        "per_minute": {key: compare([r["per_minute"][key] for r in on], [r["per_minute"][key] for r in off])
                       for key in METRICS},
        "defaults_per_minute": ({key: median(r["per_minute"][key] for r in defaults) for key in METRICS}
                                if defaults else None),
        "visits": results,
    }


DISK_COPY = "bench_replay_copy"
DISK_JSON = "bench_replay_json"


def on_disk(data: Path, chunks: dict[str, list[tuple[int, str, str]]], minutes: float) -> dict[str, Any]:
    """What the recorder's sessions take on disk in ClickHouse (the `data` column's ZSTD(3) codec),
    each way copied into a table of its own and merged: as stored (base64 of each chunk's gzip), and
    as the decoded JSON would be if the collector stored that instead."""
    sids = sorted(chunks)
    lines = b"\n".join(compact({"session_id": sid, "seq": seq, "data": decoded_text(enc, text).decode()})
                       for sid in sids for seq, enc, text in chunks[sid])
    size = ("SELECT sum(data_compressed_bytes), sum(data_uncompressed_bytes) FROM system.parts_columns "
            "WHERE database = currentDatabase() AND table = {t:String} AND column = 'data' AND active")
    found = read_store(data, [
        ("drop", f"DROP TABLE IF EXISTS {DISK_COPY}", {}),
        ("drop", f"DROP TABLE IF EXISTS {DISK_JSON}", {}),
        ("create", f"CREATE TABLE {DISK_COPY} AS replay_chunks ENGINE = MergeTree "
         "ORDER BY (site, session_id, seq)", {}),
        ("copy", f"INSERT INTO {DISK_COPY} SELECT * FROM replay_chunks FINAL WHERE site = {{site:String}} "
         "AND session_id IN {sids:Array(String)}", {"site": SITE, "sids": sids}),
        ("create", f"CREATE TABLE {DISK_JSON} (session_id String, seq UInt32, data String CODEC(ZSTD(3))) "
         "ENGINE = MergeTree ORDER BY (session_id, seq)", {}),
        (f"insert:{DISK_JSON}", DISK_JSON, {"lines": lines.decode() + "\n"}),
        ("merge", f"OPTIMIZE TABLE {DISK_COPY} FINAL", {}),
        ("merge", f"OPTIMIZE TABLE {DISK_JSON} FINAL", {}),
        ("stored", size, {"t": DISK_COPY}),
        ("json", size, {"t": DISK_JSON}),
        ("drop", f"DROP TABLE {DISK_COPY}", {}),
        ("drop", f"DROP TABLE {DISK_JSON}", {}),
    ])
    out = {}
    for key in ("stored", "json"):
        compressed, uncompressed = (int(v or 0) for v in (found[key][0] if found[key] else (0, 0)))
        out[key] = {"compressed_bytes": compressed, "uncompressed_bytes": uncompressed,
                    "compressed_per_min": per_minute(compressed, minutes * 60000)}
    return out


def record_and_measure(ns: argparse.Namespace, data: Path, report: dict[str, Any],
                       progress: Callable[[str], None]) -> dict[str, Any]:
    """Parts 1 and 2: the visits against a live demo server, then its store read after it stopped.
    Gives the real events of the recorder's median session, for part 3."""
    defaults_js, why = build_defaults_recorder() if ns.defaults_baseline else (None, "turned off")
    kinds = [kind for _ in range(ns.pairs) for kind in ("with", "without")]
    if defaults_js:
        kinds.append("defaults")
    report["config"]["defaults_baseline"] = bool(defaults_js) or why
    progress(f"== parts 1-2: {len(kinds)} visits side by side ({', '.join(kinds)}), about 2 minutes")
    server = ServerProcess(data, {"FOOTFALL_RATE_LIMIT": "0"}, command="demo", extra=("--sessions", "0"))
    try:
        results, browser = asyncio.run(visits(server.url, kinds, defaults_js, ns.stagger, progress))
        report["config"]["browser"] = browser
        report["config"]["server_url_parts_1_2"] = server.url
    finally:
        server.stop()
    check_visits(results)
    report["config"]["visit_s"] = median(r["wall_s"] for r in results)
    gaps = [b["at_s"] - a["at_s"] for r in results for a, b in itertools.pairwise(r["pages"])]
    report["config"]["page_gap_s"] = [min(gaps), median(gaps), max(gaps)]
    recorded = [r for r in results if r["kind"] != "without"]
    with_sids = [r["sid"] for r in results if r["kind"] == "with"]
    every = {"site": SITE, "sids": [r["sid"] for r in results]}
    found = read_store(data, [
        ("chunks", "SELECT session_id, seq, encoding, data FROM replay_chunks FINAL WHERE site = {site:String} "
         "AND session_id IN {sids:Array(String)} ORDER BY session_id, seq", every),
        ("pageviews", "SELECT session_id, count() FROM pageviews WHERE site = {site:String} "
         "AND session_id IN {sids:Array(String)} GROUP BY session_id", every),
    ])
    by_session: dict[str, list[tuple[int, str, str]]] = {}
    for sid, seq, encoding, chunk in found["chunks"]:
        by_session.setdefault(sid, []).append((int(seq), encoding, chunk))
    pageviews = {sid: int(n) for sid, n in found["pageviews"]}
    for r in results:
        if pageviews.get(r["sid"], 0) != len(r["pages"]):
            raise BenchError(f"visit {r['sid']}: {pageviews.get(r['sid'], 0)} page views stored for "
                             f"{len(r['pages'])} pages")
        if r["kind"] == "without" and r["sid"] in by_session:
            raise BenchError(f"visit {r['sid']} without the recorder has replay chunks")
    sessions, events_of = [], {}
    for r in recorded:
        if r["sid"] not in by_session:
            raise BenchError(f"{r['kind']} visit {r['sid']}: no replay chunk stored")
        sizes, events = recording_bytes(by_session[r["sid"]])
        events_of[r["sid"]] = events
        sessions.append({"sid": r["sid"], "kind": r["kind"], "bytes": sizes})
    summary = summarise_recording(sessions)
    # The recorder's session with the median bytes per minute stands for it (breakdown, part 3); sessions
    # are not gzipped together, which would let one compress against the others.
    mine = sorted((s for s in sessions if s["kind"] == "with"), key=lambda s: s["bytes"]["per_minute"]["gzip_bytes"])
    chosen = mine[len(mine) // 2]
    parts = {}
    for kind, session in (("with", chosen), ("defaults", next((s for s in sessions if s["kind"] == "defaults"), None))):
        if session:
            parts[kind] = breakdown(events_of[session["sid"]])
            parts[kind].update(minutes=session["bytes"]["duration_ms"] / 60000, sid=session["sid"])
    with_minutes = sum(s["bytes"]["duration_ms"] for s in sessions if s["kind"] == "with") / 60000
    disk = on_disk(data, {sid: chunks for sid, chunks in by_session.items() if sid in with_sids}, with_minutes)
    report["recording"] = {
        "sessions": sessions, "summary": summary, "breakdown": parts,
        "on_disk": disk,
        "advice": advice_of(summary, parts, disk),
    }
    report["main_thread"] = summarise_cost(results)
    return {"sid": chosen["sid"], "events": events_of[chosen["sid"]], "origin": server.url}


# -- main -----------------------------------------------------------------------------------------

def env_default(name: str, default: Any) -> Any:
    raw = os.environ.get(f"BENCH_REPLAY_{name.upper()}")
    return type(default)(raw) if raw not in (None, "") else default


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.replay", description=__doc__.split("\n")[0])
    p.add_argument("--pairs", type=int, default=env_default("pairs", 3),
                   help="visits with and without the recorder, side by side [BENCH_REPLAY_PAIRS, 3]")
    p.add_argument("--stagger", type=float, default=env_default("stagger", 2.0),
                   help="seconds between the starts of the visits [2]")
    p.add_argument("--no-defaults-baseline", dest="defaults_baseline", action="store_false",
                   help="skip the visit recorded with rrweb's default options")
    p.add_argument("--minutes", type=float, default=env_default("minutes", 30.0),
                   help="length of the long recording for the player [30]")
    p.add_argument("--player-rounds", type=int, default=env_default("player_rounds", 5),
                   help="player loads per recording after one warm-up [5]")
    p.add_argument("--list-sessions", type=int, default=env_default("list_sessions", 100_000),
                   help="sessions generated for the session list [100000]")
    p.add_argument("--list-days", type=int, default=env_default("list_days", 14),
                   help="days the generated sessions spread over [14]")
    p.add_argument("--list-runs", type=int, default=env_default("list_runs", 5),
                   help="timed runs of each query after one warm-up [5]")
    p.add_argument("--parts", default="1,3,4", help="parts to run: 1 (bytes and cost, which 3 needs), 3, 4")
    p.add_argument("--out", type=Path, default=RESULTS, help="report directory [bench/results]")
    return p.parse_args(argv)


def print_summary(report: dict[str, Any]) -> None:
    print("\n== summary")
    names = {"bytes": "bytes per minute (gzip at rest)", "bytes_stored": "bytes per minute (on disk)",
             "main_thread": "recorder main thread per minute",
             "first_frame": "first frame, long session", "session_list": "session list, slowest query"}
    for key, g in (report.get("goals") or {}).items():
        value = g.get("value")
        shown = kb(value) if key.startswith("bytes") else ("-" if value is None else f"{value:,.1f} ms")
        base = g.get("baseline")
        base_shown = kb(base) if key.startswith("bytes") else ("-" if base is None else f"{base:,.1f} ms")
        met = "" if key == "main_thread" else f" goal {g['goal']}: {yes_no(g.get('met')).strip('*')}"
        print(f"   {names[key]:34} {shown:>12} (baseline {base_shown});{met}")


def main(argv: list[str] | None = None) -> int:
    ns = parse_args(argv)
    parts = {p.strip() for p in ns.parts.split(",") if p.strip()}
    started = datetime.now(UTC)
    report: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "stamp": started.strftime("%Y%m%dT%H%M%SZ"),
        "host": {"cpus": os.cpu_count(), "machine": platform.machine(), "python": platform.python_version(),
                 "loadavg": [round(x, 2) for x in os.getloadavg()]},
        "config": {"pairs": ns.pairs, "stagger_s": ns.stagger, "long_minutes": ns.minutes,
                   "player_rounds": ns.player_rounds, "list_sessions": ns.list_sessions, "list_days": ns.list_days,
                   "list_runs": ns.list_runs, "parts": sorted(parts), "viewport": VIEWPORT,
                   "playwright": version("playwright"), "metrics_time_domain": "threadTicks"},
        "errors": {},
    }
    print(f"== replay benchmark, parts {', '.join(sorted(parts))}", flush=True)

    def progress(line: str) -> None:
        print(line, flush=True)

    with tempfile.TemporaryDirectory(prefix="footfall-bench-replay-") as tmp:
        data = Path(tmp) / "data"
        source = None
        if "1" in parts:
            try:
                source = record_and_measure(ns, data, report, progress)
            except Exception as exc:  # the benchmark's own failure, reported below
                report["errors"]["parts 1-2"] = f"{type(exc).__name__}: {exc}"
        if "3" in parts:
            if source is None:
                report["first_frame"] = {"measured": False, "reason": "part 1 made no recording to build on"}
            else:
                try:
                    first_frame(ns, data, source, report, progress)
                except Exception as exc:
                    report["errors"]["part 3"] = f"{type(exc).__name__}: {exc}"
                    report["first_frame"] = {"measured": False, "reason": f"the benchmark failed: {exc}"}
    if "4" in parts:
        try:
            session_list(ns, report, progress)
        except Exception as exc:
            report["errors"]["part 4"] = f"{type(exc).__name__}: {exc}"
    report["goals"] = goals_of(report)
    report["elapsed_s"] = round((datetime.now(UTC) - started).total_seconds(), 1)
    md_path, json_path = write_reports(report, ns.out.resolve())
    print_summary(report)
    print(f"   report: {md_path.relative_to(ROOT) if md_path.is_relative_to(ROOT) else md_path}"
          f" and {json_path.name}; {report['elapsed_s']} s in all")
    if report["errors"]:
        for part, error in report["errors"].items():
            print(f"benchmark FAILED ({part}): {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The replay benchmark's pure side: its constants, the arithmetic on recordings (bytes per
minute, breakdowns by rrweb event type, the synthetic long recording) and the goals; no browser,
no server, so tests/bench/test_replay.py checks it directly."""

from __future__ import annotations

import base64
import gzip
import itertools
import json
from pathlib import Path
from typing import Any

from footfall.store.chunks import GZIP_BASE64, GZIP_LEVEL
from footfall.store.chunks import decode as decode_chunk

from .snippet import median

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SDK = ROOT / "sdk-js"
SITE = "demo"  # the demo shop's site: replay_sample 1.0, every session recorded
SHOP = "/demo/shop"
VIEWPORT = {"width": 1280, "height": 800}
DEMO_LOGIN = ("demo@footfall.local", "footfall-demo")  # web/demo.py, shown on the demo's login page

KB = 1024
GOAL_BYTES_PER_MIN = 15 * KB  # gzipped at rest, per minute of recording
RRWEB_DEFAULTS_CLAIM = 19 * KB  # the figure for rrweb's defaults on a small shop page
GOAL_FIRST_FRAME_MS = 500
GOAL_LIST_MS = 300
CHECKOUT_MS = 3 * 60 * 1000  # the recorder's checkoutEveryNms: a full snapshot every 3 minutes
CHUNK_MS = 5000  # the recorder sends a chunk every 5 s (sdk-js/src/replay/chunks.js)
MAX_CHUNK_CHARS = 200_000
METRICS = {"task": "TaskDuration", "script": "ScriptDuration"}

META, FULL_SNAPSHOT, INCREMENTAL = 4, 2, 3
EVENT_TYPES = {0: "DOM content loaded", 1: "load", 2: "full snapshot", 3: "incremental", 4: "meta", 5: "custom",
               6: "plugin"}
SOURCES = {0: "mutation", 1: "mouse move", 2: "mouse interaction", 3: "scroll", 4: "viewport resize", 5: "input",
           6: "touch move", 7: "media interaction", 8: "style sheet rule", 9: "canvas mutation", 10: "font",
           11: "log", 12: "drag", 13: "style declaration", 14: "selection", 15: "adopted style sheet",
           16: "custom element"}

# The baseline recorder: recorder.js's wiring (same chunks, same endpoint), rrweb's default options
# apart from the same privacy options. Bundled from sdk-js/ by esbuild at run time.
# -- pure helpers (tests/bench/test_replay.py) -----------------------------------------------

def per_minute(total: float | None, duration_ms: float | None) -> float | None:
    """`total` per minute of a span of `duration_ms`; None without a positive span."""
    if total is None or not duration_ms or duration_ms <= 0:
        return None
    return round(total / (duration_ms / 60_000), 3)


def gzip_size(data: bytes, level: int = GZIP_LEVEL) -> int:
    return len(gzip.compress(data, compresslevel=level, mtime=0))


def compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


class ThreadClock:
    """Main-thread milliseconds from cumulative CDP metrics sampled now and then. The counters start
    again from zero with each new document, so a sample below the previous one means a navigation:
    what the new document did up to it counts whole. (The old page's work after its last sample, its
    unload handlers, is not seen; sample right before navigating.)"""

    def __init__(self) -> None:
        self.last: dict[str, float] = {}
        self.total: dict[str, float] = {key: 0.0 for key in METRICS}
        self.samples = 0
        self.resets = 0

    def update(self, metrics: dict[str, float]) -> None:
        """`metrics`: CDP metric name to seconds, as `Performance.getMetrics` gives them."""
        reset = False
        for key, name in METRICS.items():
            value = metrics.get(name, 0.0) * 1000
            last = self.last.get(key)
            if last is not None:
                if value >= last:
                    self.total[key] += value - last
                else:
                    self.total[key] += value
                    reset = True
            self.last[key] = value
        self.samples += 1
        self.resets += reset

    def ms(self) -> dict[str, float]:
        return {key: round(value, 3) for key, value in self.total.items()}


def event_kind(event: dict[str, Any]) -> str:
    kind = EVENT_TYPES.get(event.get("type"), f"type {event.get('type')}")
    if event.get("type") == INCREMENTAL:
        source = (event.get("data") or {}).get("source")
        return f"incremental: {SOURCES.get(source, f'source {source}')}"
    return kind


def css_texts(node: Any) -> list[str]:
    """The stylesheets rrweb inlined into a serialized node tree: `_cssText` attributes (link and style
    elements) and the text of style elements."""
    found, stack = [], [node]
    while stack:
        n = stack.pop()
        if not isinstance(n, dict):
            continue
        attributes = n.get("attributes")
        if isinstance(attributes, dict) and isinstance(attributes.get("_cssText"), str):
            found.append(attributes["_cssText"])
        if n.get("isStyle") and isinstance(n.get("textContent"), str):
            found.append(n["textContent"])
        stack.extend(n.get("childNodes") or [])
    return found


def breakdown(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Events, JSON bytes and gzip bytes per rrweb event kind (each kind gzipped on its own, so the
    gzip column adds up to more than the whole recording gzipped), and the stylesheets inlined into
    the full snapshots."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        groups.setdefault(event_kind(event), []).append(event)
    kinds = {}
    for kind, found in groups.items():
        sizes = [len(compact(e)) for e in found]
        kinds[kind] = {"events": len(found), "json_bytes": sum(sizes) + len(found),
                       "gzip_bytes": gzip_size(compact(found))}
    total_json = sum(k["json_bytes"] for k in kinds.values()) or 1
    total_gzip = sum(k["gzip_bytes"] for k in kinds.values()) or 1
    for k in kinds.values():
        k["json_share"] = round(k["json_bytes"] / total_json, 4)
        k["gzip_share"] = round(k["gzip_bytes"] / total_gzip, 4)
    css = [text for e in events if e.get("type") == FULL_SNAPSHOT
           for text in css_texts((e.get("data") or {}).get("node"))]
    snapshots = groups.get("full snapshot", [])
    css_bytes = sum(len(t.encode()) for t in css)
    return {
        "kinds": dict(sorted(kinds.items(), key=lambda item: -item[1]["gzip_bytes"])),
        "full_snapshots": len(snapshots),
        "full_snapshot_css": {"stylesheets": len(css), "json_bytes": css_bytes,
                              "gzip_bytes": gzip_size("".join(css).encode()) if css else 0,
                              "share_of_snapshot_json": round(
                                  css_bytes / max(1, sum(len(compact(e)) for e in snapshots)), 4)},
    }


def decoded_text(encoding: str, data: str) -> bytes:
    """A stored chunk's JSON text (store/chunks.py)."""
    return decode_chunk(encoding, data).encode()


def recording_bytes(chunks: list[tuple[int, str, str]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Sizes of one session's stored chunks `(seq, encoding, data)`, in seq order: the `data` column
    as stored, the decoded JSON, each chunk gzipped (what the browser sent, before base64), and the
    session's decoded JSON gzipped as one stream (at rest); the events and their time span."""
    texts, events, chunk_gzip, encodings = [], [], 0, {}
    for _seq, encoding, data in sorted(chunks):
        text = decoded_text(encoding, data)
        texts.append(text)
        events.extend(json.loads(text))
        chunk_gzip += len(base64.b64decode(data)) if encoding == GZIP_BASE64 else gzip_size(text)
        encodings[encoding] = encodings.get(encoding, 0) + 1
    stamps = [e["timestamp"] for e in events if isinstance(e.get("timestamp"), (int, float))]
    duration = (max(stamps) - min(stamps)) if stamps else 0
    out = {
        "chunks": len(chunks), "encodings": encodings, "events": len(events),
        "full_snapshots": sum(e.get("type") == FULL_SNAPSHOT for e in events),
        "duration_ms": duration,
        "stored_bytes": sum(len(data.encode()) for _s, _e, data in chunks),
        "json_bytes": sum(len(t) for t in texts),
        "chunk_gzip_bytes": chunk_gzip,
        "gzip_bytes": gzip_size(b"\n".join(texts)) if texts else 0,
    }
    out["per_minute"] = {key: per_minute(out[key], duration)
                         for key in ("stored_bytes", "json_bytes", "chunk_gzip_bytes", "gzip_bytes")}
    return out, events


def segments(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """A recording cut into page loads: each starts at a meta event followed by a full snapshot."""
    out: list[list[dict[str, Any]]] = []
    for event in sorted(events, key=lambda e: e["timestamp"]):
        if event.get("type") == META:
            out.append([event])
        elif out:
            out[-1].append(event)
    return [s for s in out if any(e.get("type") == FULL_SNAPSHOT for e in s)]


def shifted(event: dict[str, Any], delta: int) -> dict[str, Any]:
    return {**event, "timestamp": event["timestamp"] + delta}


def build_long_recording(events: list[dict[str, Any]], minutes: float, start_ms: int,
                         block_ms: int = CHECKOUT_MS) -> list[dict[str, Any]]:
    """A `minutes`-long recording from a short real one, in blocks of `block_ms` (the recorder's full
    snapshot interval). Block i is page load i (cycling through the source's page loads): its meta
    and full snapshot at the block's start, then the page's incremental events (mouse, scroll,
    input, mutations) repeated at their recorded pace, timestamps shifted, until the block ends.
    So a full snapshot comes every `block_ms` as the recorder's checkout makes it, and in between
    the activity of a real page."""
    pages = segments(events)
    if not pages:
        raise ValueError("the recording has no page load (meta + full snapshot)")
    end = start_ms + round(minutes * 60_000)
    out: list[dict[str, Any]] = []
    for i, block_start in enumerate(range(start_ms, end, block_ms)):
        page = pages[i % len(pages)]
        block_end = min(end, block_start + block_ms)
        base = page[0]["timestamp"]
        snapshot_at = next(e["timestamp"] for e in page if e.get("type") == FULL_SNAPSHOT)
        head = [e for e in page if e["timestamp"] <= snapshot_at and e.get("type") != INCREMENTAL]
        activity = [e for e in page if e.get("type") == INCREMENTAL]
        out.extend(shifted(e, block_start - base) for e in head)
        if not activity:
            continue
        first, last = activity[0]["timestamp"], activity[-1]["timestamp"]
        lead = first - base  # from the meta to the first incremental event
        span = max(1000, last - first + 1000)  # a second between repetitions
        for repeat in itertools.count():
            offset = block_start + lead + repeat * span - first
            if first + offset >= block_end:
                break
            out.extend(shifted(e, offset) for e in activity if e["timestamp"] + offset < block_end)
    return sorted(out, key=lambda e: e["timestamp"])


def cycle_recording(events: list[dict[str, Any]], minutes: float, start_ms: int) -> list[dict[str, Any]]:
    """The whole short recording repeated back to back (a second apart), timestamps shifted, to fill
    `minutes`: every page load keeps its own full snapshot (here one every ~20 s)."""
    ordered = sorted(events, key=lambda e: e["timestamp"])
    first = ordered[0]["timestamp"]
    span = ordered[-1]["timestamp"] - first + 1000
    end = start_ms + round(minutes * 60_000)
    out = []
    for repeat in itertools.count():
        offset = start_ms + repeat * span - first
        if first + offset >= end:
            break
        out.extend(shifted(e, offset) for e in ordered if e["timestamp"] + offset < end)
    return out


def chunks_of(events: list[dict[str, Any]], interval_ms: int = CHUNK_MS,
              max_chars: int = MAX_CHUNK_CHARS) -> list[list[dict[str, Any]]]:
    """Events grouped as the recorder's chunker sends them: one chunk per `interval_ms` of events, or
    sooner once `max_chars` of JSON wait."""
    out: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    window, size = None, 0
    for event in events:
        at = event["timestamp"] // interval_ms
        if current and (at != window or size >= max_chars):
            out.append(current)
            current, size = [], 0
        window = at
        current.append(event)
        size += len(compact(event))
    if current:
        out.append(current)
    return out


def rewrite_origin(events: list[dict[str, Any]], old: str, new: str) -> list[dict[str, Any]]:
    """The recorded page's absolute URLs (images, links, the meta's href) pointed at another server."""
    if old == new:
        return events
    return json.loads(json.dumps(events).replace(old, new))


def speed_summary(values: list[float]) -> dict[str, Any]:
    present = [v for v in values if v is not None]
    return {"median": median(present), "min": min(present) if present else None,
            "max": max(present) if present else None, "runs": len(present)}


def goals_of(report: dict[str, Any]) -> dict[str, Any]:
    """Each goal with its measured value and whether it is met (None: not measured)."""
    goals: dict[str, Any] = {}
    recording = (report.get("recording") or {}).get("summary") or {}
    for key, field in (("bytes", "gzip_per_min"), ("bytes_stored", "stored_per_min")):
        value = (recording.get("with") or {}).get(field)
        goals[key] = {"goal": f"<= {GOAL_BYTES_PER_MIN:,} bytes (15 KB) per minute", "value": value,
                      "met": None if value is None else value <= GOAL_BYTES_PER_MIN,
                      "baseline": (recording.get("defaults") or {}).get(field)}
    # What "stored" means for the goal: the bytes the store keeps on disk (the collector stores a
    # chunk as its JSON and the column's codec compresses across chunks); the column's logical
    # size stays in the report as context.
    disk = (((report.get("recording") or {}).get("on_disk") or {}).get("stored") or {}).get("compressed_per_min")
    if disk is not None:
        goals["bytes_stored"] = {**goals["bytes_stored"], "value": disk, "met": disk <= GOAL_BYTES_PER_MIN,
                                 "logical": goals["bytes_stored"]["value"]}
    cost = (report.get("main_thread") or {}).get("per_minute") or {}
    task = cost.get("task") or {}
    goals["main_thread"] = {"goal": "no number set: reported next to the page without the recorder",
                            "value": task.get("added"), "met": None, "baseline": task.get("without")}
    player = report.get("first_frame") or {}
    long = ((player.get("variants") or {}).get("long") or {}).get("frame_ms") or {}
    short = ((player.get("variants") or {}).get("recorded") or {}).get("frame_ms") or {}
    value = long.get("median")
    goals["first_frame"] = {"goal": f"< {GOAL_FIRST_FRAME_MS} ms", "value": value,
                            "met": None if value is None else value < GOAL_FIRST_FRAME_MS,
                            "baseline": short.get("median")}
    listing = report.get("session_list") or {}
    queries = [q for name, q in (listing.get("queries") or {}).items() if q.get("kind") == "list"]
    worst = max((q["ms"]["median"] for q in queries if q["ms"]["median"] is not None), default=None)
    base = (listing.get("queries") or {}).get("count", {}).get("ms", {}).get("median")
    goals["session_list"] = {"goal": f"< {GOAL_LIST_MS} ms (every query)", "value": worst,
                             "met": None if worst is None else worst < GOAL_LIST_MS, "baseline": base}
    return goals

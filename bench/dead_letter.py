"""Time until data is queryable when the spool holds segments the store refuses for good.

Two sealed segments are put into <data>/spool, named to be written before anything else, as an
older collector (without the event time window) or a damaged disk could have left them: a batch
frame whose page views span 120 monthly partitions (ClickHouse refuses an insert touching more
than 100) and a frame of an unknown kind. A normal marked batch is posted at once, and the read
API polled until it counts it. The writer tries each bad segment twice, sets it aside in
<data>/spool/dead-letter and goes on (collector/writer.py). An idle probe just before is
the same run's baseline.
"""

from __future__ import annotations

import threading
import time
import zlib
from pathlib import Path
from typing import Any

import msgspec

from footfall.collector.spool import FRAME, SEALED
from footfall.collector.writer import DEAD_LETTER

from . import loadgen
from .harness import SITE, BenchError, Prober, Server, get_json

MONTH_MS = 31 * 24 * 3600 * 1000
SPREAD_FROM_MS = 1262304000000  # 2010-01-01
MONTHS = 120
BAD_SEGMENTS = ("00000000000000000001-too-wide", "00000000000000000002-unknown-kind")


def too_wide_frame(received_ms: int) -> bytes:
    """A batch frame as the spool holds them, its page views one a month from 2010 on."""
    head = {"srv_received": received_ms, "srv_visitor": "v", "srv_browser": "",
            "srv_browser_version": "", "srv_os": "", "srv_device": "desktop",
            "srv_retention": 30}
    body = loadgen.batch(SITE, "b-too-wide", "s-too-wide", "p-too-wide", received_ms,
                         received_ms)
    body["e"] = [{"t": "pageview", "ts": SPREAD_FROM_MS + i * MONTH_MS} for i in range(MONTHS)]
    return b"B" + msgspec.json.encode({**head, **body})


def segment_bytes(*payloads: bytes) -> bytes:
    return b"".join(FRAME.pack(len(p), zlib.crc32(p)) + p for p in payloads)


def put_segments(spool: Path, received_ms: int) -> list[Path]:
    """Written aside and renamed, so the writer never reads one half written."""
    paths = []
    for name, payload in zip(BAD_SEGMENTS, (too_wide_frame(received_ms), b"X{}"), strict=True):
        temporary = spool / (name + ".tmp")
        temporary.write_bytes(segment_bytes(payload))
        paths.append(temporary.rename(spool / (name + SEALED)))
    return paths


def watch(folder: Path, names: list[str], since: float, out: dict[str, float],
          stop: threading.Event) -> None:
    """When each segment shows up in the dead-letter folder, in seconds after `since`."""
    while not stop.is_set() and len(out) < len(names):
        for name in names:
            if name not in out and (folder / name).exists():
                out[name] = round(time.perf_counter() - since, 3)
        stop.wait(0.02)


def measure(server: Server, prober: Prober, token: str, spool: Path,
            timeout: float) -> dict[str, Any]:
    baseline = prober.probe("idle, before")
    folder = spool / DEAD_LETTER
    landed: dict[str, float] = {}
    stop = threading.Event()
    written = time.perf_counter()
    paths = put_segments(spool, int(time.time() * 1000))
    names = [p.name for p in paths]
    watcher = threading.Thread(target=watch, args=(folder, names, written, landed, stop),
                               daemon=True)
    watcher.start()
    after = prober.probe("after dead-letter")
    deadline = time.monotonic() + timeout
    while len(landed) < len(names) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    watcher.join(5)
    status, stats = get_json(server.host, server.port, "/api/v1/ingest/stats", token)
    if status != 200:
        raise BenchError(f"ingest stats: HTTP {status} {stats}")
    left = [p.name for p in paths if p.exists()]
    return {
        "segments": names,
        "baseline_s": baseline.get("queryable_s"),
        "queryable_s": after.get("queryable_s"),
        "probe": after,
        "baseline_probe": baseline,
        "dead_lettered_after_s": landed,  # from writing the segments
        "in_dead_letter": all((folder / name).exists() for name in names),
        "left_in_spool": left,
        "writer_counters": {k: v for k, v in stats.items() if k.startswith("writer.")},
    }

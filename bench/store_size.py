"""Store size: bytes on disk per event and per page view, on the demo's journeys.

`python -m bench.store_size [--sessions 44000] [--days 30]` generates the demo's sessions (varied
visitors, devices, pages, vitals, clicks, forms and errors) over the last `--days` days, lands them
in a new embedded store as the writer lands spool segments (so the ingest views make the rows, the
rollups and the session index included), merges every table (`OPTIMIZE TABLE ... FINAL`) and
reports each table's rows and bytes on disk. Writes `bench/results/store-size-<stamp>.json` and
`.md`, and overwrites `store-size-latest.md`. Recordings are not included: the replay benchmark
reports their bytes per minute.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from footfall.demo import journeys
from footfall.demo.shop import SITE_KEY
from footfall.store import Store, sites
from footfall.store.migrations import migrate
from footfall.web import demo, runtime

from .report import fmt

RESULTS = Path(__file__).resolve().parent / "results"
CHUNK = 2_000  # sessions per landed segment


def measure(sessions: int, days: int, path: Path) -> dict[str, Any]:
    """Land `sessions` demo journeys in a new store at `path`, merge, and count bytes per table."""
    store = Store(f"chdb://{path}")
    migrate(store)
    sites.create(store, "Demo shop", [journeys.DEFAULT_ORIGIN], key=SITE_KEY, retention_days=3650)
    source = journeys.generate(SITE_KEY, sessions, days)
    events = pageviews = 0
    started = time.monotonic()
    while chunk := list(itertools.islice(source, CHUNK)):
        payloads = demo.encode(chunk, 3650)
        events += sum(n for _, n in payloads)
        pageviews += len(payloads)
        runtime.land(store, [payload for payload, n in payloads if n], uuid.uuid4().hex)
    landed = time.monotonic() - started
    tables = [name for (name,) in store.rows(
        "SELECT DISTINCT table FROM system.parts WHERE database = currentDatabase() AND active")]
    for name in tables:
        store.command(f"OPTIMIZE TABLE {name} FINAL")
    parts = store.rows(
        "SELECT table, sum(rows), sum(bytes_on_disk), sum(data_uncompressed_bytes) FROM system.parts "
        "WHERE database = currentDatabase() AND active GROUP BY table ORDER BY sum(bytes_on_disk) DESC, table")
    total = sum(int(p[2]) for p in parts)
    return {
        "sessions": sessions, "days": days, "events": events, "pageviews": pageviews,
        "landed_seconds": round(landed, 1), "bytes": total,
        "bytes_per_event": round(total / max(events, 1), 1),
        "bytes_per_pageview": round(total / max(pageviews, 1), 1),
        "tables": [{"table": t, "rows": int(r), "bytes": int(b), "uncompressed": int(u)} for t, r, b, u in parts],
    }


def markdown(report: dict[str, Any]) -> str:
    host, m = report["host"], report["measured"]
    lines = [
        f"# Store size benchmark, {report['started']}", "",
        f"Host: {host['cpus']} CPUs ({host['machine']}), Python {host['python']}. Data: the demo's journeys, "
        f"{fmt(m['sessions'])} sessions over the last {m['days']} days: {fmt(m['pageviews'])} page views and "
        f"{fmt(m['events'])} events (the snippet's: page views, clicks, scrolls, pointer trails, vitals, "
        f"timings, resources, forms, errors), landed in a new embedded store as the writer lands spool "
        f"segments ({m['landed_seconds']} s), then every table merged (`OPTIMIZE TABLE ... FINAL`). "
        "Recordings are not included (see the replay benchmark).", "",
        "## Bytes on disk", "",
        "| measure | value |", "|---|---|",
        f"| all tables | {fmt(m['bytes'])} bytes ({m['bytes'] / 2**20:.1f} MiB) |",
        f"| per event | {fmt(m['bytes_per_event'])} bytes |",
        f"| per page view | {fmt(m['bytes_per_pageview'])} bytes |",
        f"| per million events | {m['bytes_per_event']:.0f} MB |", "",
        "## Per table", "",
        "| table | rows | bytes on disk | uncompressed bytes | share |", "|---|---|---|---|---|",
    ]
    for t in m["tables"]:
        share = t["bytes"] / max(m["bytes"], 1)
        lines.append(f"| `{t['table']}` | {fmt(t['rows'])} | {fmt(t['bytes'])} | {fmt(t['uncompressed'])} | "
                     f"{share:.1%} |")
    return "\n".join(lines) + "\n"


def write_reports(report: dict[str, Any], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    md = markdown(report)
    json_path, md_path = out / f"store-size-{report['stamp']}.json", out / f"store-size-{report['stamp']}.md"
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    md_path.write_text(md)
    (out / "store-size-latest.md").write_text(md)
    return md_path, json_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=44_000, help="demo sessions (about 1 million events)")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="footfall-store-size-") as tmp:
        measured = measure(args.sessions, args.days, Path(tmp) / "clickhouse")
    report = {
        "started": now.isoformat(timespec="seconds"), "stamp": now.strftime("%Y%m%dT%H%M%SZ"),
        "host": {"cpus": os.cpu_count(), "machine": platform.machine(), "python": platform.python_version()},
        "measured": measured,
    }
    md_path, _ = write_reports(report, args.out)
    print(f"{measured['bytes_per_event']} bytes per event, {measured['bytes_per_pageview']} per page view: "
          f"{md_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The store size benchmark: its report on made-up numbers, and a small run of its own process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench import store_size

ROOT = Path(__file__).resolve().parents[2]


def report() -> dict:
    return {
        "started": "2026-12-07T16:00:00+00:00", "stamp": "20261207T160000Z",
        "host": {"cpus": 2, "machine": "x86_64", "python": "3.11.7"},
        "measured": {"sessions": 10, "days": 30, "events": 2_000, "pageviews": 200, "landed_seconds": 0.5,
                     "bytes": 120_000, "bytes_per_event": 60.0, "bytes_per_pageview": 600.0,
                     "tables": [{"table": "web_vitals", "rows": 900, "bytes": 90_000, "uncompressed": 400_000},
                                {"table": "pageviews", "rows": 200, "bytes": 30_000, "uncompressed": 80_000}]},
    }


def test_the_report_gives_bytes_per_event_page_view_and_table(tmp_path: Path) -> None:
    md = store_size.markdown(report())
    assert "| per event | 60.0 bytes |" in md and "| per page view | 600.0 bytes |" in md
    assert "| per million events | 60 MB |" in md
    assert "| `web_vitals` | 900 | 90,000 | 400,000 | 75.0% |" in md
    md_path, json_path = store_size.write_reports(report(), tmp_path)
    assert (tmp_path / "store-size-latest.md").read_text() == md == md_path.read_text()
    assert json.loads(json_path.read_text())["measured"]["bytes"] == 120_000


def test_a_small_run_counts_what_it_landed(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "bench.store_size", "--sessions", "40", "--days", "2",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    [found] = tmp_path.glob("store-size-2*.json")
    measured = json.loads(found.read_text())["measured"]
    tables = {t["table"]: t for t in measured["tables"]}
    assert tables["pageviews"]["rows"] == measured["pageviews"] > 40  # one row per page view landed
    assert measured["events"] > measured["pageviews"]
    assert measured["bytes"] == sum(t["bytes"] for t in measured["tables"])
    assert measured["bytes_per_event"] == round(measured["bytes"] / measured["events"], 1)

"""The replay benchmark's pure parts on made-up recordings: per-minute arithmetic, the main-thread
clock, the byte breakdown, the long-recording builder, chunking and the report (no browser, no store)."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from bench import replay_data, replay_report

MIN = 60_000


def meta(ts: int, href: str = "http://127.0.0.1:9000/demo/shop/") -> dict[str, Any]:
    return {"type": 4, "timestamp": ts, "data": {"href": href, "width": 1280, "height": 800}}


def snapshot(ts: int, css: str = "body{margin:0}") -> dict[str, Any]:
    node = {"type": 0, "id": 1, "childNodes": [
        {"type": 2, "id": 2, "tagName": "html", "attributes": {}, "childNodes": [
            {"type": 2, "id": 3, "tagName": "link", "attributes": {"rel": "stylesheet", "_cssText": css},
             "childNodes": []},
            {"type": 2, "id": 4, "tagName": "style", "attributes": {}, "childNodes": [
                {"type": 3, "id": 5, "textContent": "p{color:red}", "isStyle": True}]},
            {"type": 2, "id": 6, "tagName": "body", "attributes": {}, "childNodes": [
                {"type": 3, "id": 7, "textContent": "Boots"}]}]}]}
    return {"type": 2, "timestamp": ts, "data": {"node": node, "initialOffset": {"left": 0, "top": 0}}}


def move(ts: int) -> dict[str, Any]:
    positions = [{"x": 1, "y": 2, "id": 6, "timeOffset": 0}]
    return {"type": 3, "timestamp": ts, "data": {"source": 1, "positions": positions}}


def click(ts: int) -> dict[str, Any]:
    return {"type": 3, "timestamp": ts, "data": {"source": 2, "type": 2, "id": 6, "x": 3, "y": 4}}


def page(start: int, href: str = "http://127.0.0.1:9000/demo/shop/") -> list[dict[str, Any]]:
    """A page load: meta, full snapshot, then a move and a click over 10 s."""
    return [meta(start, href), snapshot(start + 5), move(start + 2000), click(start + 10_000)]


SOURCE = page(1_000_000) + page(1_020_000, "http://127.0.0.1:9000/demo/shop/cart")


# -- arithmetic --------------------------------------------------------------------------------------

def test_per_minute() -> None:
    assert replay_data.per_minute(30_000, 2 * MIN) == 15_000
    assert replay_data.per_minute(1000, 90_000) == pytest.approx(666.667)
    assert replay_data.per_minute(1000, 0) is None
    assert replay_data.per_minute(None, MIN) is None
    assert replay_data.per_minute(1000, -5) is None


def test_thread_clock_adds_increments_and_restarts_after_a_navigation() -> None:
    clock = replay_data.ThreadClock()
    clock.update({"TaskDuration": 0.010, "ScriptDuration": 0.002})  # the first sample is the zero point
    clock.update({"TaskDuration": 0.050, "ScriptDuration": 0.012})
    assert clock.ms() == {"task": 40.0, "script": 10.0}
    clock.update({"TaskDuration": 0.030, "ScriptDuration": 0.001})  # a new document: counters from zero
    assert clock.ms() == {"task": 70.0, "script": 11.0}
    clock.update({"TaskDuration": 0.045, "ScriptDuration": 0.001})
    assert clock.ms() == {"task": 85.0, "script": 11.0}
    assert (clock.samples, clock.resets) == (4, 1)


# -- what a recording is made of ---------------------------------------------------------------------

def test_event_kinds() -> None:
    assert replay_data.event_kind(meta(0)) == "meta"
    assert replay_data.event_kind(snapshot(0)) == "full snapshot"
    assert replay_data.event_kind(move(0)) == "incremental: mouse move"
    assert replay_data.event_kind(click(0)) == "incremental: mouse interaction"
    assert replay_data.event_kind({"type": 3, "timestamp": 0, "data": {"source": 99}}) == "incremental: source 99"
    assert replay_data.event_kind({"type": 42, "timestamp": 0}) == "type 42"


def test_css_texts_finds_inlined_stylesheets_and_style_text() -> None:
    assert sorted(replay_data.css_texts(snapshot(0, "a{b:c}")["data"]["node"])) == ["a{b:c}", "p{color:red}"]
    assert replay_data.css_texts(None) == []


def test_breakdown_by_kind() -> None:
    events = SOURCE
    b = replay_data.breakdown(events)
    assert set(b["kinds"]) == {"meta", "full snapshot", "incremental: mouse move", "incremental: mouse interaction"}
    assert b["kinds"]["full snapshot"]["events"] == 2 and b["full_snapshots"] == 2
    assert sum(k["json_bytes"] for k in b["kinds"].values()) == sum(len(replay_data.compact(e)) + 1 for e in events)
    assert sum(k["json_share"] for k in b["kinds"].values()) == pytest.approx(1, abs=1e-3)
    assert list(b["kinds"])[0] == "full snapshot"  # sorted by gzip bytes, largest first
    css = b["full_snapshot_css"]
    assert css["stylesheets"] == 4 and css["json_bytes"] == 2 * len("body{margin:0}p{color:red}")
    assert 0 < css["share_of_snapshot_json"] < 1


def test_recording_bytes_of_stored_chunks() -> None:
    first, second = SOURCE[:3], SOURCE[3:]
    packed = gzip.compress(replay_data.compact(first))
    chunks = [(1, "json", replay_data.compact(second).decode()), (0, "gzip-base64", base64.b64encode(packed).decode())]
    sizes, events = replay_data.recording_bytes(chunks)
    assert events == first + second  # in seq order, whatever order the rows came in
    assert sizes["chunks"] == 2 and sizes["encodings"] == {"gzip-base64": 1, "json": 1}
    assert sizes["stored_bytes"] == len(base64.b64encode(packed)) + len(replay_data.compact(second))
    assert sizes["json_bytes"] == len(replay_data.compact(first)) + len(replay_data.compact(second))
    assert sizes["chunk_gzip_bytes"] == len(packed) + replay_data.gzip_size(replay_data.compact(second))
    stream = replay_data.compact(first) + b"\n" + replay_data.compact(second)
    assert sizes["gzip_bytes"] == replay_data.gzip_size(stream)
    assert sizes["duration_ms"] == 30_000 and sizes["full_snapshots"] == 2
    assert sizes["per_minute"]["stored_bytes"] == pytest.approx(sizes["stored_bytes"] * 2, abs=0.01)


# -- the long recording --------------------------------------------------------------------------------

def test_segments_start_at_a_meta_with_a_full_snapshot() -> None:
    stray = [move(999_000)]  # before any meta: dropped
    half = [meta(1_040_000)]  # a meta without a snapshot: dropped
    found = replay_data.segments(stray + SOURCE + half)
    assert [len(s) for s in found] == [4, 4]
    assert [s[0]["data"]["href"] for s in found] == [SOURCE[0]["data"]["href"], SOURCE[4]["data"]["href"]]


def test_long_recording_has_a_full_snapshot_every_block_and_repeats_each_page_s_activity() -> None:
    start = 5_000_000
    long = replay_data.build_long_recording(SOURCE, minutes=30, start_ms=start)
    stamps = [e["timestamp"] for e in long]
    assert stamps == sorted(stamps) and stamps[0] == start and stamps[-1] < start + 30 * MIN
    assert stamps[-1] > start + 30 * MIN - 20_000  # filled to the end
    snapshots = [e["timestamp"] for e in long if e["type"] == 2]
    assert snapshots == [start + i * replay_data.CHECKOUT_MS + 5 for i in range(10)]
    metas = [e for e in long if e["type"] == 4]
    assert [m["data"]["href"].endswith("/cart") for m in metas] == [i % 2 == 1 for i in range(10)]  # pages cycle
    block = [e for e in long if start <= e["timestamp"] < start + replay_data.CHECKOUT_MS]
    # the page's activity (a move at +2 s, a click at +10 s) repeats every 9 s (its span plus a second)
    assert [e["timestamp"] - start for e in block if e["type"] == 3][:4] == [2000, 10_000, 11_000, 19_000]
    assert all(e["type"] in (2, 4) for e in block if e["timestamp"] - start < 2000)
    assert SOURCE[0]["timestamp"] == 1_000_000  # the source is not changed
    with pytest.raises(ValueError):
        replay_data.build_long_recording([move(0)], 30, start)


def test_cycle_recording_repeats_the_whole_source() -> None:
    start = 5_000_000
    long = replay_data.cycle_recording(SOURCE, minutes=5, start_ms=start)
    span = 30_000 + 1000  # the source's span plus a second
    assert long[0]["timestamp"] == start and long[-1]["timestamp"] < start + 5 * MIN
    assert sum(e["type"] == 2 for e in long) == 2 * -(-5 * MIN // span)
    assert long[4]["timestamp"] == start + 20_000 and long[8]["timestamp"] == start + span


def test_chunks_follow_the_recorder_s_interval_and_size_cap() -> None:
    events = [move(1_000_000 + i * 1000) for i in range(12)]  # one a second for 12 s
    chunks = replay_data.chunks_of(events, interval_ms=5000)
    assert [len(c) for c in chunks] == [5, 5, 2]
    assert [e for c in chunks for e in c] == events
    capped = replay_data.chunks_of(events, interval_ms=60_000, max_chars=len(replay_data.compact(events[0])) * 3)
    assert [len(c) for c in capped] == [3, 3, 3, 3]


def test_rewrite_origin() -> None:
    out = replay_data.rewrite_origin(SOURCE, "http://127.0.0.1:9000", "http://127.0.0.1:9001")
    assert out[0]["data"]["href"] == "http://127.0.0.1:9001/demo/shop/"
    assert SOURCE[0]["data"]["href"] == "http://127.0.0.1:9000/demo/shop/"
    assert replay_data.rewrite_origin(SOURCE, "x", "x") is SOURCE


# -- goals and report --------------------------------------------------------------------------------

def report(**parts: Any) -> dict[str, Any]:
    return {"started": "2026-11-23T18:00:00+00:00", "stamp": "20261123T180000Z",
            "host": {"cpus": 2, "machine": "x86_64", "python": "3.11", "loadavg": [0.5, 0.5, 0.5]},
            "config": {"long_minutes": 30, "list_sessions": 100_000, "visit_s": 118.0}, "errors": {}, **parts}


def test_goals_and_a_report_with_nothing_measured() -> None:
    r = report(first_frame={"measured": False, "reason": "the player is not there yet"})
    r["goals"] = replay_data.goals_of(r)
    assert {g["met"] for g in r["goals"].values()} == {None}
    md = replay_report.markdown(r)
    assert "Not measured: the player is not there yet" in md
    assert md.count("| not measured |") == 4


def full_report() -> dict[str, Any]:
    sizes, _ = replay_data.recording_bytes([(0, "json", replay_data.compact(SOURCE).decode())])
    per_min = {"gzip_per_min": 12_000.0, "stored_per_min": 20_000.0, "json_per_min": 60_000.0,
               "chunk_gzip_per_min": 15_000.0}
    parts = replay_data.breakdown(SOURCE) | {"minutes": 0.5}
    visit = {"sid": "s1", "kind": "with", "wall_s": 118.0, "pages": [{}] * 6, "samples": 80,
             "main_thread_ms": {"task": 2000.0, "script": 300.0}, "replay_js": {"200": 6}, "beacons": 25,
             "replay_posts": 17}
    frame = {"median": 1400.0, "min": 1300.0, "max": 1500.0, "runs": 5}
    variant = {"title": "30 min", "minutes": 30.0, "events": 3400, "chunks": 357, "full_snapshots": 10,
               "gzip_bytes": 150_000, "ndjson_bytes": 650_000, "frame_ms": frame, "html_ms": frame}
    r = report(
        recording={"sessions": [{"sid": "s1", "kind": "with", "bytes": sizes}],
                   "summary": {"with": per_min, "defaults": {**per_min, "gzip_per_min": 14_000.0}},
                   "breakdown": {"with": parts}, "advice": ["Largest parts: full snapshot."],
                   "on_disk": {"stored": {"compressed_bytes": 100, "uncompressed_bytes": 120,
                                          "compressed_per_min": 16_000.0},
                               "json": {"compressed_bytes": 50, "uncompressed_bytes": 500,
                                        "compressed_per_min": 6_000.0}}},
        main_thread={"with_runs": 3, "without_runs": 3, "defaults_per_minute": None, "visits": [visit],
                     "per_minute": {k: {"with": 1100.0, "without": 950.0, "added": 150.0, "ratio": 1.16,
                                        "with_range": [1000.0, 1200.0], "without_range": [900.0, 1000.0]}
                                    for k in replay_data.METRICS}},
        first_frame={"measured": True, "method": "How.", "variants": {"recorded": {**variant, "frame_ms": {
            **frame, "median": 700.0}}, "long": variant}, "reading": ["Fetching dominates."]},
        session_list={"measured": True, "sessions": 100_000, "days": 14, "seed": 1729, "block_sessions": 10_000,
                      "generation_s": 50.0, "rows": {"pageviews": 220_000, "events": 700_000, "errors": 9000},
                      "runs": 5, "reading": [], "queries": {
                          "count": {"title": "count", "kind": "baseline", "total": 220_000,
                                    "ms": {"median": 2.0, "min": 1.0, "max": 3.0}},
                          "first_page": {"title": "first page", "kind": "list", "total": 100_000,
                                         "ms": {"median": 1500.0, "min": 1400.0, "max": 1600.0}},
                          "url": {"title": "url", "kind": "list", "total": 11_000,
                                  "ms": {"median": 250.0, "min": 240.0, "max": 260.0}},
                          "first_page_today": {"title": "today", "kind": "list_small", "total": 5000,
                                               "ms": {"median": 100.0, "min": 90.0, "max": 110.0}}}})
    r["goals"] = replay_data.goals_of(r)
    return r


def test_goals_judge_each_measure_against_its_target() -> None:
    goals = full_report()["goals"]
    assert (goals["bytes"]["value"], goals["bytes"]["met"], goals["bytes"]["baseline"]) == (12_000.0, True, 14_000.0)
    # stored bytes are judged on disk (the column after its codec); the logical size is kept as context
    assert (goals["bytes_stored"]["value"], goals["bytes_stored"]["met"]) == (16_000.0, False)
    assert goals["bytes_stored"]["logical"] == 20_000.0
    assert goals["main_thread"]["value"] == 150.0 and goals["main_thread"]["met"] is None
    assert (goals["first_frame"]["value"], goals["first_frame"]["met"], goals["first_frame"]["baseline"]) == (
        1400.0, False, 700.0)
    # the slowest goal query; the small-range query is context only
    assert (goals["session_list"]["value"], goals["session_list"]["met"], goals["session_list"]["baseline"]) == (
        1500.0, False, 2.0)


def test_markdown_and_files(tmp_path: Path) -> None:
    r = full_report()
    md = replay_report.markdown(r)
    assert md.startswith("# Replay benchmark, 2026-11-23T18:00:00+00:00")
    for text in ("| Replay bytes per minute, gzipped at rest", "11.7 KB", "| yes |", "| **no** |",
                 "### What the recorder stores, by rrweb event type", "| full snapshot | 2 |",
                 "**1,400** (1,300–1,500)", "Fetching dominates.", "| first page | 1,500.0 | 1,400.0–1,600.0 |",
                 "15.6 KB per minute** as stored", "| TaskDuration | 1,100.0 | 950.0 | 150.0 | 1.16 |"):
        assert text in md, text
    md_path, json_path = replay_report.write_reports(r, tmp_path)
    assert md_path.name == "replay-20261123T180000Z.md" and md_path.read_text() == md
    assert (tmp_path / "replay-latest.md").read_text() == md
    assert json.loads(json_path.read_text())["goals"]["bytes"]["met"] is True


def test_advice_names_what_dominates_and_what_would_help() -> None:
    parts = {"with": replay_data.breakdown(SOURCE) | {"minutes": 0.5}}
    within = replay_report.advice_of({"with": {"gzip_per_min": 6000.0, "stored_per_min": 9000.0,
                                        "chunk_gzip_per_min": 8000.0}}, parts, None)
    assert within[0].startswith("Largest parts (gzip, each type alone): full snapshot")
    assert "within the goal" in within[-1]
    over = replay_report.advice_of({"with": {"gzip_per_min": 6000.0, "stored_per_min": 20_000.0,
                                      "chunk_gzip_per_min": 15_000.0}}, parts,
                            {"stored": {"compressed_per_min": 15_500.0}, "json": {"compressed_per_min": 5000.0}})
    text = " ".join(over)
    assert "as stored (19.5 KB per minute)" in text and "on disk (15.1 KB per minute)" in text
    assert "would keep 4.9 KB" in text and "inlineStylesheet" in text
    assert "rrweb's defaults" not in text  # no baseline measured
    both = parts | {"defaults": replay_data.breakdown(SOURCE + [move(1_001_000)]) | {"minutes": 0.5}}
    summary = {"with": {"gzip_per_min": 6000.0}, "defaults": {"gzip_per_min": 8000.0}}
    compared = replay_report.advice_of(summary, both, None)
    assert "save 25% at rest" in compared[1]
    assert replay_report.advice_of({}, parts, None) == []

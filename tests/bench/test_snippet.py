"""The snippet benchmark's arithmetic, trace attribution and report, on made-up input (no browser)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from bench import snippet, snippet_report

ORIGIN = "http://127.0.0.1:8123"


def test_size_of_counts_raw_and_gzip_9_bytes_against_the_budget() -> None:
    data = b"function f(){return 1}\n" * 200
    size = snippet.size_of(data)
    assert size["raw_bytes"] == len(data)
    assert size["gzip_bytes"] == len(gzip.compress(data, compresslevel=9, mtime=0)) < len(data)
    assert size["gzip_budget_bytes"] == 6144 and size["within_budget"] is True
    assert snippet.size_of(data, budget=size["gzip_bytes"])["within_budget"] is True
    assert snippet.size_of(data, budget=size["gzip_bytes"] - 1)["within_budget"] is False
    assert snippet.size_of(data) == size  # mtime 0: the same bytes give the same numbers


def test_median_and_compare() -> None:
    assert snippet.median([3.0, 1.0, 2.0]) == 2.0
    assert snippet.median([4.0, 1.0, None, 2.0, 3.0]) == 2.5
    assert snippet.median([]) is None
    c = snippet.compare([12.0, 10.0, 11.0], [8.0, 9.0, 7.0])
    assert (c["with"], c["without"], c["added"], c["ratio"]) == (11.0, 8.0, 3.0, 1.375)
    assert c["with_range"] == [10.0, 12.0] and c["without_range"] == [7.0, 9.0]
    zero = snippet.compare([2.0], [0.0])
    assert zero["added"] == 2.0 and zero["ratio"] is None
    assert snippet.compare([], [1.0])["added"] is None


def test_metric_deltas_in_milliseconds() -> None:
    before = {"ScriptDuration": 0.004, "TaskDuration": 0.050, "Nodes": 10}
    after = {"ScriptDuration": 0.0105, "TaskDuration": 0.1, "Nodes": 12}
    assert snippet.metric_deltas(before, after) == {"script": 6.5, "task": 50.0}
    assert snippet.metric_deltas(after, before) == {"script": 0.0, "task": 0.0}  # never negative


def test_snippet_urls_are_footfall_scripts_but_not_the_shop_s_own() -> None:
    assert snippet.is_snippet_url(f"{ORIGIN}/f.js", ORIGIN)
    assert snippet.is_snippet_url(f"{ORIGIN}/r.js?v=2", ORIGIN + "/")
    assert not snippet.is_snippet_url(f"{ORIGIN}/demo/shop/shop.js", ORIGIN)
    assert not snippet.is_snippet_url("http://127.0.0.1:81234/f.js", ORIGIN)
    assert not snippet.is_snippet_url(None, ORIGIN)
    assert not snippet.is_snippet_url("", ORIGIN)


MARKS = {"load:end": 100.0, "clicks:start": 150.0, "clicks:end": 300.0,
         "scroll:start": 350.0, "scroll:end": 500.0}


def test_phase_of() -> None:
    assert snippet.phase_of(0.0, MARKS) == "load"
    assert snippet.phase_of(100.0, MARKS) == "load"
    assert snippet.phase_of(120.0, MARKS) is None  # scrolling the grid into place
    assert snippet.phase_of(150.0, MARKS) == "clicks"
    assert snippet.phase_of(400.0, MARKS) == "scroll"
    assert snippet.phase_of(600.0, MARKS) is None
    assert snippet.phase_of(600.0, {}) == "load"  # no marks yet: everything is the load


def event(name: str, ts: float, dur: float, url: str | None = f"{ORIGIN}/f.js", tdur: float | None = None,
          tid: int = 1) -> dict[str, Any]:
    e: dict[str, Any] = {"name": name, "ph": "X", "ts": ts, "dur": dur, "pid": 7, "tid": tid,
                         "args": {"data": {"url": url}}}
    if tdur is not None:
        e["tdur"] = tdur
    return e


def mark(name: str, ts: float, tid: int = 1) -> dict[str, Any]:
    return {"name": "TimeStamp", "ph": "I", "ts": ts, "pid": 7, "tid": tid,
            "args": {"data": {"message": snippet.MARK + name}}}


def test_outermost_drops_nested_events_per_thread() -> None:
    outer, inner = event("FunctionCall", 10, 20), event("FunctionCall", 15, 5)
    after, other_thread = event("FunctionCall", 30, 2), event("FunctionCall", 12, 3, tid=2)
    assert snippet.outermost([inner, after, outer, other_thread]) == [outer, after, other_thread]


def test_snippet_work_splits_the_snippet_s_own_time_by_phase() -> None:
    events = [
        *(mark(name, ts) for name, ts in
          {"load:end": 100_000, "clicks:start": 150_000, "clicks:end": 300_000,
           "scroll:start": 350_000, "scroll:end": 500_000}.items()),
        {"name": "TimeStamp", "ph": "I", "ts": 1, "pid": 7, "tid": 1,
         "args": {"data": {"message": "someone else's"}}},
        {"name": "TimeStamp", "ph": "I", "ts": 2, "pid": 7, "tid": 2, "args": {"data": {"message": "a worker's"}}},
        event("EvaluateScript", 50_000, 8_000, tdur=4_000),
        event("FunctionCall", 50_100, 1_000, tdur=900),  # nested in the evaluation
        event("FunctionCall", 90_000, 2_000, tdur=1_000),
        event("FunctionCall", 160_000, 500, tdur=400),
        event("FunctionCall", 170_000, 500),  # no thread time recorded: wall time stands in
        event("FunctionCall", 160_100, 300, url=f"{ORIGIN}/demo/shop/shop.js"),
        event("FunctionCall", 200_000, 3_000, tid=2),  # not the page's main thread
        event("FunctionCall", 360_000, 1_500, tdur=1_200),
        event("FunctionCall", 120_000, 1_000, tdur=1_000),  # between phases: the visit only
        {"name": "FunctionCall", "ph": "B", "ts": 161_000, "pid": 7, "tid": 1,
         "args": {"data": {"url": f"{ORIGIN}/f.js"}}},
    ]
    work = snippet.snippet_work(events, ORIGIN)
    assert work["evaluate"] == {"thread_ms": 4.0, "wall_ms": 8.0, "calls": 1}
    assert work["load"] == {"thread_ms": 5.0, "wall_ms": 10.0, "calls": 2}
    assert work["clicks"] == {"thread_ms": 0.9, "wall_ms": 1.0, "calls": 2}
    assert work["scroll"] == {"thread_ms": 1.2, "wall_ms": 1.5, "calls": 1}
    assert work["visit"] == {"thread_ms": 8.1, "wall_ms": 13.5, "calls": 6}
    assert snippet.snippet_work([e for e in events if e["name"] == "TimeStamp"], ORIGIN)["visit"]["calls"] == 0


def test_long_tasks_by_phase() -> None:
    tasks = [[20.0, 60.0], [160.0, 51.0], [170.0, 80.5], [120.0, 55.0], [400.0, 52.0]]
    assert snippet.long_tasks_by_phase(tasks, MARKS) == {
        "load": 1, "clicks": 2, "scroll": 1, "visit": 5, "max_ms": 80.5}
    assert snippet.long_tasks_by_phase([], MARKS)["visit"] == 0


def made_up_visit(with_snippet: bool, task: float, own: float, warmup: bool = False) -> dict[str, Any]:
    phases = (*snippet.PHASES, "visit")
    return {
        "snippet": with_snippet, "warmup": warmup, "beacons": 2 if with_snippet else 0,
        "page_errors": ["TypeError: x is undefined"] if with_snippet and task > 50 else [],
        "main_thread_ms": {p: {"script": task / 10, "task": task} for p in phases},
        "long_tasks": {**{p: 1 if with_snippet else 0 for p in phases}, "max_ms": 60.0},
        "snippet_trace": {p: {"thread_ms": own, "wall_ms": own * 2, "calls": 3 if own else 0}
                          for p in ("evaluate", *phases)},
    }


def test_summarise_leaves_out_warm_up_visits() -> None:
    visits = [made_up_visit(True, 1000.0, 50.0, warmup=True), made_up_visit(False, 1000.0, 0.0, warmup=True),
              made_up_visit(True, 60.0, 5.0), made_up_visit(False, 50.0, 0.0),
              made_up_visit(False, 40.0, 0.0), made_up_visit(True, 44.0, 3.0)]
    summary = snippet.summarise(visits)
    assert summary["visits_with"] == summary["visits_without"] == 2
    clicks = summary["main_thread_ms"]["clicks"]["task"]
    assert (clicks["with"], clicks["without"], clicks["added"], clicks["ratio"]) == (52.0, 45.0, 7.0, 1.156)
    assert summary["snippet_trace_ms"]["evaluate"] == {"thread_ms": 4.0, "wall_ms": 8.0, "calls": 3}
    assert summary["long_tasks"]["scroll"]["with_total"] == 2
    assert summary["long_tasks"]["scroll"]["without_total"] == 0
    assert summary["beacons_per_visit"] == 2
    assert summary["page_errors"] == {"with": 1, "without": 0, "examples": ["TypeError: x is undefined"]}


def report_of(summary: dict[str, Any] | None, gzip_bytes: int) -> dict[str, Any]:
    return {
        "started": "2026-11-23T18:00:00+00:00", "stamp": "20261123T180000Z",
        "host": {"cpus": 2, "machine": "x86_64", "python": "3.11.7", "loadavg": [1.0, 1.0, 1.0]},
        "config": {"rounds": 2, "warmup_rounds": 1, "clicks": 100, "settle_ms": 500,
                   "browser": "Chromium 156", "playwright": "1.65.2"},
        "size": {"raw_bytes": 18325, "gzip_bytes": gzip_bytes, "gzip_budget_bytes": 6144,
                 "within_budget": gzip_bytes <= 6144, "sha256": "abc"},
        "summary": summary, "elapsed_s": 60.0, "server_startup_s": 1.4,
    }


def test_markdown_reports_the_budget_and_the_added_time(tmp_path: Path) -> None:
    summary = snippet.summarise([made_up_visit(True, 60.0, 5.0), made_up_visit(False, 50.0, 0.0)])
    md = snippet_report.markdown(report_of(summary, 5000))
    assert "| `web/static/f.js` (abc) | 18,325 | 5,000 | 6,144 | yes |" in md
    assert "| 100 clicks | TaskDuration | 60.00 | 50.00 | 10.00 | 1.20 | 60.0–60.0 / 50.0–50.0 |" in md
    assert "| evaluation of the script | 5.00 | 10.00 | 3 |" in md
    assert "| scroll session | 1.0 (1) | 0.0 (0) |" in md
    assert "Uncaught page errors: 1 with the snippet, 0 without (TypeError: x is undefined)." in md
    over = snippet_report.markdown(report_of(None, 7826) | {"error": "server did not start"})
    assert "| 7,826 | 6,144 | **no** |" in over and "**Benchmark failed:** server did not start" in over
    assert "## Main-thread time added" not in over and "Warning" not in over
    changed = snippet_report.markdown(report_of(summary, 5000) | {"warning": "f.js changed during the run"})
    assert "**Warning:** f.js changed during the run." in changed

    md_path, json_path = snippet_report.write_reports(report_of(summary, 5000), tmp_path)
    assert md_path.name == "snippet-20261123T180000Z.md" and md_path.read_text() == md
    assert (tmp_path / "snippet-latest.md").read_text() == md
    assert json.loads(json_path.read_text())["size"]["gzip_bytes"] == 5000

"""The funnel benchmark's pure parts on made-up timings: the data's shape, the baseline's SQL, the funnel
as the API takes it, the level counts, the ratios, the goals and the report (no store, no server)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from bench import funnel
from collector import funnels_api


def test_journeys_are_weighted_and_drop_off() -> None:
    assert sum(w for _, w in funnel.FILLER_PAGES) == 100
    assert funnel.DEPTH == sorted(funnel.DEPTH, reverse=True) and funnel.DEPTH[0] <= 10_000
    assert len(funnel.DEPTH) == len(funnel.STEPS) == 5


def test_fill_statements_split_the_same_rows() -> None:
    pageviews, events = funnel.fill_statements()
    assert pageviews.lstrip().startswith("INSERT INTO pageviews") and "WHERE kind = 'page'" in pageviews
    assert events.lstrip().startswith("INSERT INTO events") and "WHERE kind != 'page'" in events
    for sql in (pageviews, events):
        assert "numbers({first:UInt64}, {count:UInt64})" in sql and ", 365" in sql
    assert '{"plan":"pro"}' in events and "'#buy'" in events and "'add_to_cart'" in events


def test_the_baseline_is_a_bare_window_funnel_over_both_tables() -> None:
    params: dict[str, Any] = {}
    sql = funnel.window_funnel_sql(funnel.FUNNEL, params)
    assert "windowFunnel(86400000)(t, c0, c1, c2, c3, c4)" in sql
    assert "FROM pageviews" in sql and "FROM events" in sql and "UNION ALL" in sql and "session_id AS unit" in sql
    assert params["pwp0"] == "^/$" and params["nwe3"] == "add_to_cart" and params["vwe3_0"] == "pro"


def test_levels_become_units_per_step() -> None:
    assert funnel.entered([(1, 5), (2, 3), (5, 1)], 5) == [9, 4, 1, 1, 1]
    assert funnel.entered([], 3) == [0, 0, 0]


def test_parts_are_the_analysis_codes_sql() -> None:
    parts, params = funnel.parts_sql(funnel.FUNNEL)
    assert list(parts) == ["stream", "grouped", "units", "wf_stream"]
    assert "arrayFold" in parts["units"] and "groupArray" in parts["grouped"] and "windowFunnel" in parts["wf_stream"]
    assert params["site"] == funnel.SITE and params["window"] == 86_400_000


def test_the_posted_body_is_the_same_funnel() -> None:
    assert funnels_api.funnel_of(msgspec.json.encode(funnel.body_of(funnel.FUNNEL))) == funnel.FUNNEL
    with_breakdown = funnel.body_of(funnel.dataclasses.replace(funnel.FUNNEL, breakdown="device"))
    assert with_breakdown["breakdown"] == "device"


def test_variants_are_checked() -> None:
    assert funnel.parse_args(["--variants", "ordered,strict"]).variants == ["ordered", "strict"]
    with pytest.raises(SystemExit):
        funnel.parse_args(["--variants", "ordered,sideways"])


def measure(median: float) -> dict[str, Any]:
    return {"ms": {"median": median, "p90": median * 1.1, "min": median * 0.9, "max": median * 1.2, "runs": 3},
            "runs_ms": [median] * 3, "steps_ms": {}}


def made_up_report() -> dict[str, Any]:
    measures = {"window_funnel": measure(500.0), "ordered": measure(1100.0), "strict": measure(1900.0),
                "parts": measure(2000.0)}
    measures["parts"]["steps_ms"] = {k: {"median": v, "p90": v} for k, v in
                                     (("stream", 300.0), ("grouped", 600.0), ("units", 950.0), ("wf_stream", 520.0))}
    funnel.ratios(measures, 500.0)
    embedded = {"rows": 10_000_000, "block": 2_000_000, "fill_s": 20.0, "setup_s": {"OPTIMIZE TABLE events FINAL": 4},
                "tables": {"pageviews": {"rows": 6, "parts": 1}, "events": {"rows": 4, "parts": 1}},
                "sessions": 1_000_000, "visitors": 480_000, "kinds": [["click", "", "", 4], ["custom", "x", "{}", 1]],
                "labels": [s.label for s in funnel.STEPS], "measures": measures,
                "counts": {"window_funnel": [10, 8, 6, 3, 1], "ordered": [10, 8, 6, 3, 1], "strict": [10, 4, 2, 1, 0]},
                "shape": {"stream_rows": 2_278_948, "stream_units": 841_699, "counted": 679_858, "rows_per_unit": 3.0,
                          "max_rows": 11, "starts_per_unit": 1.17, "max_starts": 6}}
    http = {"server_startup_s": 0.8, "response_bytes": 900, "measures": {"healthz": measure(0.5),
                                                                         "funnel": measure(1150.0)}}
    funnel.ratios(http["measures"], 500.0)
    return {"started": "2026-12-04T00:00:00+00:00", "config": {"runs": 3, "warmup": 1},
            "host": {"cpus": 2, "machine": "x86_64", "loadavg": [1.0, 1.0, 1.0], "python": "3.11"},
            "embedded": embedded, "http": http}


def test_ratios_goals_and_report() -> None:
    report = made_up_report()
    assert report["embedded"]["measures"]["ordered"]["x_base"] == 2.2
    report["goals"] = funnel.goals_of(report)
    assert [(g["median"], g["met"]) for g in report["goals"]] == [(1100.0, False), (1150.0, False)]
    report["reading"] = funnel.reading(report)
    assert "2.2 times the bare `windowFunnel`" in report["reading"][0] and "not met" in report["reading"][0]
    assert "the `units` CTE, 950 ms (+350)" in report["reading"][2]
    md = funnel.markdown(report)
    assert "| 5-step funnel, in process | 1,100.0 | 1,210.0 | 2.20 | no |" in md
    assert "| 2. /category/* | 8 (80.0%) | 8 (80.0%) | 4 (40.0%) |" in md
    assert "## Over HTTP" in md and "## Reading" in md


def test_a_failed_run_still_reports() -> None:
    report = {"started": "2026-12-04T00:00:00+00:00", "config": {"runs": 3, "warmup": 1}, "error": "BenchError: x",
              "host": {"cpus": 2, "machine": "x86_64", "loadavg": [1.0], "python": "3.11"}}
    report["goals"], report["reading"] = funnel.goals_of(report), funnel.reading(report)
    assert report["goals"] == [] and report["reading"] == []
    assert "**Benchmark failed:** BenchError: x" in funnel.markdown(report)

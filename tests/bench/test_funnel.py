"""The funnel benchmark's pure parts on made-up timings: the data's shape, the baseline's SQL, the funnel
as the API takes it, the level counts, the ratios, the checks, the goals and the report (no store, no server);
and once, the in-process part on a few thousand rows in a child process (an embedded store, no server)."""

from __future__ import annotations

import concurrent.futures
import copy
import multiprocessing
from pathlib import Path
from typing import Any

import msgspec
import pytest

from bench import funnel, funnel_data
from bench.harness import BenchError
from footfall.web import funnels_api


def test_journeys_are_weighted_and_drop_off() -> None:
    assert sum(w for _, w in funnel_data.FILLER_PAGES) == 100
    assert funnel_data.DEPTH == sorted(funnel_data.DEPTH, reverse=True) and funnel_data.DEPTH[0] <= 10_000
    assert len(funnel_data.DEPTH) == len(funnel.STEPS) == 5


def test_fill_statements_split_the_same_rows() -> None:
    pageviews, events = funnel_data.fill_statements()
    assert pageviews.lstrip().startswith("INSERT INTO pageviews") and "WHERE kind = 'page'" in pageviews
    assert events.lstrip().startswith("INSERT INTO events") and "WHERE kind != 'page'" in events
    for sql in (pageviews, events):
        assert "numbers({first:UInt64}, {count:UInt64})" in sql and ", 365" in sql
    assert '{"plan":"pro"}' in events and "'#buy'" in events and "'add_to_cart'" in events
    # a session opens with a page view; an event has the id of the last page view before it
    assert "step >= 0 OR k = 0, 'page'" in pageviews and "hex(sipHash64(s, pk, 7)) AS pageview_id" in events
    assert "OVER (PARTITION BY s ORDER BY k ROWS UNBOUNDED PRECEDING) AS pk" in events


def test_measurements_are_made_from_the_page_views() -> None:
    made = funnel_data.perf_statements()
    assert list(made) == list(funnel_data.PERF_TABLES) == ["page_timings", "web_vitals", "resources", "errors"]
    for table, sql in made.items():
        assert sql.lstrip().startswith(f"INSERT INTO {table} (site, time, session_id, visitor_id, pageview_id, path")
        assert f"FROM pageviews WHERE site = '{funnel.SITE}'" in sql and sql.count("(") == sql.count(")")
    vitals = made["web_vitals"]
    assert "['TTFB', 'FCP', 'LCP', 'INP', 'CLS'] AS name" in vitals and "[800, 1800, 2500, 200, 0.1] AS good" in vitals
    assert "multiIf(value <= good, 'good', value <= poor, 'needs-improvement', 'poor')" in vitals
    assert f"name != 'INP' OR sipHash64(pageview_id, 8) % 100 < {funnel_data.INP_SHARE}" in vitals
    assert "ARRAY JOIN [0, 1] AS r" in made["resources"]
    assert "'https://cdn.shop.test/static/app.js'" in made["resources"]
    assert f"h % 1000 < {funnel_data.ERROR_PER_MILLE}" in made["errors"] and "'console'" not in made["errors"]
    for name, _, _ in funnel_data.MADE_PHASES:
        assert f"AS {name}" in made["page_timings"]
    assert "'" not in "".join(m for _, m in funnel_data.ERRORS)  # quoted as SQL literals as they are
    assert funnel_data.lognormal("2 * x", 0.5, "h").startswith("(2 * x) * exp(0.5 * sqrt(-2 * log(")


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


def test_a_block_holds_whole_sessions() -> None:
    assert funnel.parse_args(["--block", "1000"]).block == 1000 and funnel.parse_args([]).performance
    assert not funnel.parse_args(["--no-performance"]).performance
    with pytest.raises(SystemExit):
        funnel.parse_args(["--block", "1010"])  # would split a session between two blocks


def performance_of(entered: list[int]) -> dict[str, Any]:
    """A made-up `query_with_performance` result in which every step's page views have their measurements."""
    def step(k: int, n: int) -> dict[str, Any]:
        vitals = {name: {"count": 0, "p75": None, "good": None} for name in ("TTFB", "FCP", "LCP", "INP", "CLS")}
        vitals["LCP"] = {"count": n, "p75": 3000.0, "good": 0.6}
        vitals["INP"] = {"count": n * 7 // 10, "p75": 240.0, "good": 0.7}
        return {"step": k + 1, "entered": n, "performance": {
            "vitals": vitals, "navigation": {"timed": n, "phases": {}},
            "errors": {"pageviews_with_error": n // 50, "error_rate": 0.02},
            "slowest_resources": [{"url": "https://api.shop.test/v1/recommendations"}]}}

    return {"steps": [step(k, n) for k, n in enumerate(entered)]}


def test_the_performance_check_catches_a_broken_join() -> None:
    rows = funnel.check_performance(performance_of([1000, 700, 400]))
    assert [(r["entered"], r["timed"], r["lcp"], r["inp"], r["with_error"]) for r in rows] == [
        (1000, 1000, 1000, 700, 20), (700, 700, 700, 490, 14), (400, 400, 400, 280, 8)]
    assert rows[0]["slowest"] == "https://api.shop.test/v1/recommendations"
    lost = performance_of([1000, 700, 400])
    lost["steps"][1]["performance"]["navigation"]["timed"] = 350  # page views the join lost
    with pytest.raises(BenchError, match="step 2: 700 entered, 350 with page timings"):
        funnel.check_performance(lost)
    doubled = performance_of([1000, 700, 400])
    doubled["steps"][2]["performance"]["vitals"]["LCP"]["count"] = 800  # page views the join multiplied
    with pytest.raises(BenchError, match="step 3"):
        funnel.check_performance(doubled)
    with pytest.raises(BenchError, match="step 1 without measurements"):
        funnel.check_performance(performance_of([0, 0]))


def tiny_run(data: Path, *flags: str) -> dict[str, Any]:
    ns = funnel.parse_args(["--rows", "4000", "--block", "2000", "--runs", "1", "--warmup", "0",
                            "--variants", "ordered", "--no-parts", "--no-optimize", *flags])
    spawn = multiprocessing.get_context("spawn")  # one chDB data path per process: the store in a child
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
        return pool.submit(funnel.embedded_part, str(data), ns).result(timeout=120)


def test_a_tiny_run_in_process_measures_the_funnel_with_performance(tmp_path: Path) -> None:
    out = tiny_run(tmp_path / "data")
    assert list(out["measures"]) == ["window_funnel", "ordered", "performance"]
    performance = out["measures"]["performance"]
    assert performance["ms"]["runs"] == 1 and performance["baseline_ms"] > 0
    assert performance["x_base"] == round(performance["ms"]["median"] / performance["baseline_ms"], 2)
    assert performance["x_funnel"] == round(performance["ms"]["median"] / performance["funnel_ms"], 2)
    assert out["counts"]["performance"] == out["counts"]["ordered"] and out["counts"]["ordered"][0] > 100
    views = out["tables"]["pageviews"]["rows"]
    assert out["tables"]["page_timings"]["rows"] == views and out["tables"]["resources"]["rows"] == 2 * views
    assert out["vitals"]["LCP"][0] == views and 0.5 * views < out["vitals"]["INP"][0] < 0.9 * views
    assert out["vitals"]["LCP"][1] > 0 and out["vitals"]["LCP"][2] > 0  # good and poor ones
    assert 0 < out["error_views"] < 0.05 * views and set(out["perf_fill_s"]) == set(funnel_data.PERF_TABLES)
    first = out["performance"][0]
    assert first["timed"] == first["lcp"] == first["entered"] == out["counts"]["ordered"][0] and first["resources"]


def test_a_tiny_run_without_performance_makes_no_measurements(tmp_path: Path) -> None:
    out = tiny_run(tmp_path / "data", "--no-performance")
    assert list(out["measures"]) == ["window_funnel", "ordered"] and list(out["tables"]) == list(funnel_data.TABLES)
    assert out["perf_fill_s"] == {} and "performance" not in out and "vitals" not in out


def measure(median: float) -> dict[str, Any]:
    return {"ms": {"median": median, "p90": median * 1.1, "min": median * 0.9, "max": median * 1.2, "runs": 3},
            "runs_ms": [median] * 3, "steps_ms": {}}


def made_up_report() -> dict[str, Any]:
    measures = {"window_funnel": measure(500.0), "ordered": measure(1100.0), "strict": measure(1900.0),
                "performance": measure(2600.0), "parts": measure(2000.0)}
    measures["parts"]["steps_ms"] = {k: {"median": v, "p90": v} for k, v in
                                     (("stream", 300.0), ("grouped", 600.0), ("units", 950.0), ("wf_stream", 520.0))}
    funnel.ratios(measures, 500.0)
    measures["performance"] |= {"baseline_ms": 500.0, "funnel_ms": 1250.0, "x_funnel": 2.08}
    embedded = {"rows": 10_000_000, "block": 2_000_000, "fill_s": 20.0, "setup_s": {"OPTIMIZE TABLE events FINAL": 4},
                "perf_fill_s": {"page_timings": 8.0, "web_vitals": 30.0, "resources": 12.0, "errors": 1.0},
                "tables": {"pageviews": {"rows": 6, "parts": 1}, "events": {"rows": 4, "parts": 1},
                           "page_timings": {"rows": 6, "parts": 1}, "web_vitals": {"rows": 28, "parts": 1},
                           "resources": {"rows": 12, "parts": 1}, "errors": {"rows": 1, "parts": 1},
                           "pageview_performance": {"rows": 6, "parts": 1}},
                "performance": funnel.check_performance(performance_of([10, 8, 6, 3, 1])),
                "sessions": 1_000_000, "visitors": 480_000, "kinds": [["click", "", "", 4], ["custom", "x", "{}", 1]],
                "labels": [s.label for s in funnel.STEPS], "measures": measures,
                "counts": {"window_funnel": [10, 8, 6, 3, 1], "ordered": [10, 8, 6, 3, 1], "strict": [10, 4, 2, 1, 0]},
                "shape": {"stream_rows": 2_278_948, "stream_units": 841_699, "counted": 679_858, "rows_per_unit": 3.0,
                          "max_rows": 11, "starts_per_unit": 1.17, "max_starts": 6}}
    http = {"server_startup_s": 0.8, "response_bytes": 900, "performance_bytes": 15_000, "measures": {
        "healthz": measure(0.5), "funnel": measure(1150.0), "performance": measure(2700.0)}}
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


def test_the_funnel_with_performance_is_reported_beside_the_goal() -> None:
    report = made_up_report()
    report["goals"] = funnel.goals_of(report)
    assert [g["measure"] for g in report["goals"]] == ["5-step funnel, in process", "5-step funnel, over HTTP"]
    assert [g["median"] for g in report["goals"]] == [1100.0, 1150.0]  # the bare funnel, not with performance
    assert report["embedded"]["measures"]["performance"]["x_base"] == 5.2
    assert report["http"]["measures"]["performance"]["x_base"] == 5.4
    report["reading"] = funnel.reading(report)
    assert any("(`query_with_performance`) the funnel takes 2,600 ms, 5.2 times the bare `windowFunnel` and "
               "2.08 times the funnel alone (+1,500 ms for the 18 rows it joins" in line for line in report["reading"])
    assert "with performance (the default) 2,700 ms" in report["reading"][-1]
    md = funnel.markdown(report)
    assert ("| funnel, ordered, per session, with each step's performance (`query_with_performance`) | 2,600.0 | "
            "2,860.0 | 2,340.0 | 3,120.0 | 5.20 |") in md
    assert funnel.PERFORMANCE_LINE in md and "(medians 500.0 ms and 1,250.0 ms there" in md
    assert "2.08 × the funnel alone" in md
    assert "| `POST .../funnels/query?performance=false`, ordered, per session | 1,150.0 |" in md
    assert "| `POST .../funnels/query` (performance on, the default), ordered, per session | 2,700.0 |" in md
    assert "(900 bytes, 15,000 with performance)" in md and "`web_vitals` 30.0 s" in md and "51.0 s in all" in md
    assert ("| 1. / | 10 | 10 | 10 | 3,000 | 60.0% | 7 | 240 | 0 (2.0%) | https://api.shop.test/v1/recommendations |"
            in md)


def test_a_report_without_the_performance_measure_still_renders() -> None:
    report = copy.deepcopy(made_up_report())
    for part in ("embedded", "http"):
        del report[part]["measures"]["performance"]
    del report["embedded"]["performance"], report["embedded"]["perf_fill_s"], report["http"]["performance_bytes"]
    report["goals"], report["reading"] = funnel.goals_of(report), funnel.reading(report)
    md = funnel.markdown(report)
    assert funnel.PERFORMANCE_LINE not in md and "query_with_performance" not in md
    assert "(900 bytes)" in md and report["reading"][-1].endswith("on the same connection.")


def test_a_failed_run_still_reports() -> None:
    report = {"started": "2026-12-04T00:00:00+00:00", "config": {"runs": 3, "warmup": 1}, "error": "BenchError: x",
              "host": {"cpus": 2, "machine": "x86_64", "loadavg": [1.0], "python": "3.11"}}
    report["goals"], report["reading"] = funnel.goals_of(report), funnel.reading(report)
    assert report["goals"] == [] and report["reading"] == []
    assert "**Benchmark failed:** BenchError: x" in funnel.markdown(report)

"""The heatmap benchmark's pure parts on made-up timings: the summaries, the interleaved rounds,
the ratios, the goals and the report (no store, no server)."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from bench import heatmap


def test_matched_counts_the_page_on_desktop() -> None:
    # n % 20 == 0 is another page, n % 20 == 1 this page on a phone
    for rows in (0, 1, 2, 3, 19, 20, 21, 22, 999):
        assert heatmap.matched(rows) == sum(1 for n in range(rows) if n % 20 >= 2)
    assert heatmap.matched(10_000_000) == 9_000_000


def test_png_size_reads_the_header() -> None:
    buffer = io.BytesIO()
    Image.new("RGBA", (160, 750)).save(buffer, format="PNG")
    assert heatmap.png_size(buffer.getvalue()) == (160, 750)
    assert heatmap.png_size(b"{}") is None


def test_fill_sql_spots_and_parameters() -> None:
    assert sum(spot[6] for spot in heatmap.SPOTS) == 100
    sql = heatmap.fill_sql()
    assert "numbers({first:UInt64}, {count:UInt64})" in sql
    assert "[25, 40, 50, 58, 64, 72, 80, 86, 90, 100]" in sql
    assert "'#add-to-cart'" in sql and "365" in sql


def test_summary_median_p90_min_max() -> None:
    s = heatmap.summary([float(v) for v in range(1, 11)])
    assert s == {"median": 5.5, "p90": 9.0, "min": 1.0, "max": 10.0, "runs": 10}
    assert heatmap.summary([])["median"] is None


def test_rounds_interleave_and_drop_warmups() -> None:
    order: list[str] = []

    def measure(name: str) -> Any:
        def run(steps: heatmap.Steps) -> None:
            order.append(name)
            steps["query"] = 1.0
        return run

    out = heatmap.rounds({"a": measure("a"), "b": measure("b")}, runs=3, warmup=1)
    assert order == ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert out["a"]["ms"]["runs"] == 3 and len(out["b"]["runs_ms"]) == 3
    assert out["a"]["steps_ms"]["query"]["median"] == 1.0


def measures(**medians: float) -> dict[str, Any]:
    return {name: {"ms": heatmap.summary([value, value * 1.5]), "steps_ms": {}, "runs_ms": [value, value * 1.5]}
            for name, value in medians.items()}


def fake_report() -> dict[str, Any]:
    embedded = measures(count=100.0, json=400.0, png=200.0, grouped=250.0, png_steps=20.0)
    embedded["json"]["steps_ms"] = {k: heatmap.summary([v]) for k, v in
                                    (("query", 300.0), ("as_json", 80.0), ("encode", 20.0))}
    embedded["png"]["steps_ms"] = {k: heatmap.summary([v]) for k, v in (("query", 190.0), ("heat_png", 10.0))}
    heatmap.ratios(embedded, embedded["count"]["ms"]["median"])
    over_http = measures(healthz=0.3, count=6.0, json=420.0, png=150.0)
    heatmap.ratios(over_http, embedded["count"]["ms"]["median"])
    return {"started": "2026-12-04T00:00:00+00:00", "stamp": "20261204T000000Z",
            "host": {"cpus": 2, "machine": "x86_64", "python": "3.11", "loadavg": [0.1, 0.1, 0.1]},
            "config": {"runs": 2, "warmup": 1},
            "embedded": {"rows": 1000, "block": 500, "fill_s": 0.1, "optimize_s": 0.1, "parts": 1, "matched": 900,
                         "cells": 42, "cell_px": 8, "grid_cells": [160, 750], "json_bytes": 999, "png_bytes": 99,
                         "measures": embedded},
            "http": {"server_startup_s": 0.5, "measures": over_http}}


def test_ratios_goals_and_report() -> None:
    report = fake_report()
    assert report["embedded"]["measures"]["json"]["x_count"] == 4.0  # medians 500 over 125
    goals = {g["measure"]: g["met"] for g in heatmap.goals_of(report)}
    assert goals == {"JSON map, in process": False, "PNG map, in process": True, "JSON map, over HTTP": False,
                     "PNG map, over HTTP": True}
    report["goals"], report["reading"] = heatmap.goals_of(report), heatmap.reading(report)
    assert any("104% of the 300 ms goal by itself" in line for line in report["reading"])
    md = heatmap.markdown(report)
    assert "## Goal: a map in under 300 ms (median)" in md
    assert "| JSON map, in process | 500.0 | 600.0 | no |" in md
    assert "| bare `count()`, same WHERE (baseline) | 125.0 | 150.0 | 100.0 | 150.0 | 1.00 |" in md
    assert "## Over HTTP" in md and "## Reading" in md


def test_report_of_a_failed_run_still_renders() -> None:
    report = fake_report()
    del report["embedded"], report["http"]
    report["error"] = "BenchError: nothing stored"
    md = heatmap.markdown({**report, "goals": heatmap.goals_of(report), "reading": heatmap.reading(report)})
    assert "**Benchmark failed:** BenchError: nothing stored" in md and "## Goal" not in md

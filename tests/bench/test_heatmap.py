"""The heatmap benchmark's pure parts on made-up timings: the data's shape, the backfill it runs,
the summaries, the interleaved rounds, the ratios, the goals and the report (no store, no server)."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

from PIL import Image

from bench import heatmap, store_bench
from footfall.analysis import heatmaps


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
    assert "AS bx" in sql and "(px - bx) / bw" in sql  # the offset inside the element follows from the position


def test_layout_boxes_hold_their_spots_inside_the_page() -> None:
    assert len(heatmap.LAYOUT) == 9 and heatmaps.valid_layout(heatmap.LAYOUT) == heatmap.LAYOUT
    for selector, _, cx, cy, sx, sy, _ in heatmap.SPOTS[:-1]:
        left, top, width, height = heatmap.LAYOUT[selector]
        assert left <= cx - 2 * sx and cx + 2 * sx <= left + width
        assert top <= cy - 2 * sy and cy + 2 * sy <= top + height
        assert left >= 0 and top >= 0 and left + width <= heatmap.PAGE_W and top + height <= heatmap.PAGE_H
    assert heatmap.box(heatmap.SPOTS[-1]) == [0, 0, heatmap.PAGE_W, heatmap.PAGE_H]


def test_backfill_is_the_migrations_two_inserts_from_events() -> None:
    statements = heatmap.backfill_statements()
    assert [s.splitlines()[0] for s in statements] == ["INSERT INTO heatmap_cells", "INSERT INTO heatmap_elements"]
    assert all("FROM events" in s for s in statements)


def test_the_cells_query_is_captured_through_raw() -> None:
    sent: list[tuple[str, dict[str, Any]]] = []
    found = heatmaps.click_cells(SimpleNamespace(raw=lambda sql, params: sent.append((sql, params)) or b""),
                                 heatmap.scope_of())
    assert len(found) == 0 and len(sent) == 1
    assert "FROM heatmap_cells" in sent[0][0] and sent[0][1]["path"] == heatmap.PAGE


def test_summary_median_p90_min_max() -> None:
    s = store_bench.summary([float(v) for v in range(1, 11)])
    assert s == {"median": 5.5, "p90": 9.0, "min": 1.0, "max": 10.0, "runs": 10}
    assert store_bench.summary([])["median"] is None


def test_rounds_interleave_and_drop_warmups() -> None:
    order: list[str] = []

    def measure(name: str) -> Any:
        def run(steps: store_bench.Steps) -> str:
            order.append(name)
            steps["query"] = 1.0
            return name
        return run

    last: dict[str, Any] = {}
    out = store_bench.rounds({"a": measure("a"), "b": measure("b")}, runs=3, warmup=1, last=last)
    assert order == ["a", "b", "b", "a", "a", "b", "b", "a"] and last == {"a": "a", "b": "b"}
    assert out["a"]["ms"]["runs"] == 3 and len(out["b"]["runs_ms"]) == 3
    assert out["a"]["steps_ms"]["query"]["median"] == 1.0


def measures(**medians: float) -> dict[str, Any]:
    return {name: {"ms": store_bench.summary([value, value * 1.5]), "steps_ms": {}, "runs_ms": [value, value * 1.5]}
            for name, value in medians.items()}


def fake_report() -> dict[str, Any]:
    embedded = measures(count=100.0, json=400.0, png=200.0, grouped=250.0, layout=240.0, elements=50.0, parts=40.0)
    for name, steps in (("json", {"query": 300.0, "as_json": 80.0, "encode": 20.0}),
                        ("png", {"query": 190.0, "heat_png": 10.0}), ("layout", {"click_map": 220.0, "heat_png": 20.0}),
                        ("parts", {"grid_of": 3.0, "blur": 2.0, "colour": 4.0, "png": 1.0, "by_page": 180.0,
                                   "offsets": 30.0, "place": 0.5})):
        embedded[name]["steps_ms"] = {k: store_bench.summary([v]) for k, v in steps.items()}
    heatmap.ratios(embedded, embedded["count"]["ms"]["median"])
    over_http = measures(healthz=0.3, json=420.0, png=150.0, post=260.0)
    heatmap.ratios(over_http, embedded["count"]["ms"]["median"])
    setup = {"INSERT INTO heatmap_cells SELECT ... FROM events": 1.5, "OPTIMIZE TABLE events FINAL": 0.1}
    tables = {t: {"rows": 1000, "parts": 1} for t in heatmap.TABLES}
    return {"started": "2026-12-04T00:00:00+00:00", "stamp": "20261204T000000Z",
            "host": {"cpus": 2, "machine": "x86_64", "python": "3.11", "loadavg": [0.1, 0.1, 0.1]},
            "config": {"runs": 2, "warmup": 1},
            "embedded": {"rows": 1000, "block": 500, "fill_s": 0.1, "setup_s": setup, "tables": tables,
                         "cell_rows": 300, "element_rows": 20, "matched": 900, "cells": 42, "cell_px": 8,
                         "grid_cells": [160, 750], "layout_grid": [160, 740], "json_bytes": 999, "png_bytes": 99,
                         "elements": {"ranked": 10, "total": 900, "clicks": 900}, "measures": embedded},
            "http": {"server_startup_s": 0.5, "layout_bytes": 375, "measures": over_http}}


def test_ratios_goals_and_report() -> None:
    report = fake_report()
    assert report["embedded"]["measures"]["json"]["x_count"] == 4.0  # medians 500 over 125
    goals = {g["measure"]: g["met"] for g in heatmap.goals_of(report)}
    assert goals == {"JSON map, in process": False, "PNG map, in process": True,
                     "PNG map with a layout, in process": False, "JSON map, over HTTP": False,
                     "PNG map, over HTTP": True, "PNG map with a layout (POST), over HTTP": False}
    report["goals"], report["reading"] = heatmap.goals_of(report), heatmap.reading(report)
    text = " ".join(report["reading"])
    assert "3.0 clicks a row" in text and "2.50 times the bare `count()`" in text
    assert "the boxed elements' clicks per offset 30 ms" in text and "POST with the layout 325 ms" in text
    md = heatmap.markdown(report)
    assert "## Goal: each map in under 300 ms (median)" in md
    assert "| JSON map, in process | 500.0 | 600.0 | no |" in md
    assert "| bare `count()` of the clicks in `events`, same WHERE (baseline) | 125.0 | 150.0 | 100.0 | 150.0 |" in md
    assert "`INSERT INTO heatmap_cells SELECT ... FROM events` (1.5 s)" in md and "grid 160 × 750 (160 × 740" in md
    assert "## Over HTTP" in md and "## Reading" in md and "JSONResponse" not in md


def test_report_of_a_failed_run_still_renders() -> None:
    report = fake_report()
    del report["embedded"], report["http"]
    report["error"] = "BenchError: nothing stored"
    md = heatmap.markdown({**report, "goals": heatmap.goals_of(report), "reading": heatmap.reading(report)})
    assert "**Benchmark failed:** BenchError: nothing stored" in md and "## Goal" not in md

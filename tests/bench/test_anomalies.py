"""The anomaly benchmark's own code: a tiny run in process (both grains answered, every stored row read by
the baseline), the goals and the report; never a speed."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
from pathlib import Path
from typing import Any

from bench import anomalies


def tiny_run(data: Path) -> dict[str, Any]:
    ns = anomalies.parse_args(["--rows", "4000", "--block", "2000", "--runs", "1", "--warmup", "0"])
    spawn = multiprocessing.get_context("spawn")  # one chDB data path per process: the store in a child
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
        return pool.submit(anomalies.embedded_part, str(data), ns).result(timeout=120)


def test_a_tiny_run_times_both_grains_and_reports_them(tmp_path: Path) -> None:
    out = tiny_run(tmp_path / "data")
    assert list(out["measures"]) == ["baseline", "hour", "day"]
    assert all(m["ms"]["runs"] == 1 and m["x_base"] > 0 for m in out["measures"].values())
    assert set(out["found"]) == {"hour", "day"}
    report = {"started": "2026-12-07T00:00:00+00:00", "host": {"cpus": 2, "machine": "x86_64", "loadavg": [0, 0, 0],
                                                                "python": "3.11"},
              "config": {"runs": 1, "warmup": 0}, "embedded": out}
    report["goals"] = anomalies.goals_of(report)
    assert [g["measure"] for g in report["goals"]] == [anomalies.TITLES["hour"], anomalies.TITLES["day"]]
    assert all(g["met"] == (g["median"] < anomalies.GOAL_MS) for g in report["goals"])
    text = anomalies.markdown(report)
    assert "## Goal: detection in under 10 s" in text and f"{len(anomalies.PATTERNS)} URL patterns" in text


def test_the_site_has_fifty_patterns_and_the_range_is_a_week() -> None:
    first, last = anomalies.days()
    assert len(set(anomalies.PATTERNS)) == 50 and (last - first).days == 6

"""The stats benchmark's own code: a tiny run in process (the overview's answers, checked against the rows),
the checks that make a wrong answer its failure, the goals and the report; never a speed."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from bench import stats
from bench.harness import BenchError


def tiny_run(data: Path) -> dict[str, Any]:
    ns = stats.parse_args(["--rows", "4000", "--block", "2000", "--runs", "1", "--warmup", "0", "--no-optimize"])
    spawn = multiprocessing.get_context("spawn")  # one chDB data path per process: the store in a child
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
        return pool.submit(stats.embedded_part, str(data), ns).result(timeout=120)


def test_a_tiny_run_answers_the_overview_and_checks_it_against_the_rows(tmp_path: Path) -> None:
    out = tiny_run(tmp_path / "data")
    assert list(out["measures"]) == ["totals", "series", "pages"]
    assert all(m["ms"]["runs"] == 1 and m["x_base"] > 0 for m in out["measures"].values())
    series, pages, checked = out["answers"]["series"], out["answers"]["pages"], out["checked"]
    assert checked["pageviews"] == out["tables"]["pageviews"]["rows"] and checked["sessions"] == 400
    assert sum(row["pageviews"] for row in series["results"]) == checked["pageviews"]
    assert series["columns"] == ["time", *stats.METRICS] and len(series["results"]) == 30
    assert pages["columns"] == ["page", *stats.METRICS] and 0 < len(pages["results"]) <= stats.TOP
    assert pages["results"][0]["pageviews"] == max(row["pageviews"] for row in pages["results"])


def answer(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"results": rows}


def test_the_checks_refuse_answers_that_do_not_add_up() -> None:
    day = {"pageviews": 5, "sessions": 2, "visitors": 2}
    top = {"page": "/", "pageviews": 4, "visitors": 2}
    assert stats.checked(answer([day] * 30), answer([top]), (150, 60, 50))["days_sessions"] == 60
    with pytest.raises(BenchError, match="page views"):
        stats.checked(answer([day] * 30), answer([top]), (151, 60, 50))
    with pytest.raises(BenchError, match="sessions"):
        stats.checked(answer([day] * 30), answer([top]), (150, 61, 50))
    with pytest.raises(BenchError, match="days in the series"):
        stats.checked(answer([day] * 29), answer([top]), (145, 58, 50))
    with pytest.raises(BenchError, match="exceeds"):
        stats.checked(answer([day] * 30), answer([top | {"visitors": 51}]), (150, 60, 50))


def test_the_requests_ask_the_overview_of_the_last_30_days() -> None:
    asked = stats.paths()
    first, last = stats.days()
    assert (last - first).days == 29 and asked["healthz"] == "/healthz"
    for name, extra in (("series", {"interval": ["day"]}), ("pages", {"by": ["page"], "limit": [str(stats.TOP)]})):
        url = urlsplit(asked[name])
        assert url.path == f"/api/v1/sites/{stats.SITE}/stats"
        assert parse_qs(url.query) == {"metrics": [",".join(stats.METRICS)], "from": [first.isoformat()],
                                       "to": [last.isoformat()], **extra}


def measure(median: float) -> dict[str, Any]:
    return {"ms": {"median": median, "p90": median * 1.1, "min": median * 0.9, "max": median * 1.2, "runs": 3}}


def test_the_goals_and_the_report() -> None:
    embedded = {"totals": measure(50.0), "series": measure(800.0), "pages": measure(1200.0)}
    http = {"healthz": measure(0.5), "series": measure(850.0), "pages": measure(1250.0)}
    stats.ratios(embedded, 50.0)
    stats.ratios(http, 0.5)
    report = {"started": "2026-12-07T18:00:00+00:00", "host": {"cpus": 2, "machine": "x86_64", "loadavg": [1, 1, 1],
                                                               "python": "3.11"},
              "config": {"runs": 3, "warmup": 1}, "embedded": {"measures": embedded},
              "http": {"measures": http, "server_startup_s": 1.5, "bytes": {"series": 4000, "pages": 1300}}}
    report["goals"] = stats.goals_of(report)
    assert [(g["median"], g["met"]) for g in report["goals"]] == [(800.0, True), (1200.0, False), (850.0, True),
                                                                  (1250.0, False)]
    assert embedded["series"]["x_base"] == 16.0 and http["pages"]["x_base"] == 2500.0
    md = stats.markdown(report)
    assert "| daily series, 30 days (`interval=day`), in process | 800.0 | 880.0 | 16.00 | yes |" in md
    assert "| top 10 pages (`by=page`), over HTTP | 1,250.0 | 1,375.0 | 2,500.00 | no |" in md
    assert "sessions and visitors of the range's page views (baseline) | 50.0 |" in md

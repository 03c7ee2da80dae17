"""Anomalies found in a store of six weeks of traffic with one planted cause (anomaly_data.py): a new
TypeError for Safari visitors on /checkout one afternoon. The detector finds it at the hours it was
planted, explains it by that browser, that page and that error, and finds nothing else of that
severity; the hourly answer and the daily one agree."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from footfall.analysis.anomalies import found
from tests.analysis import anomaly_data as data

SITE = f"anomalies-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def filled(store: Any) -> Any:
    """The process's one embedded store (chDB opens one path per process), the rows under a site of their own."""
    views, errors = data.rows(SITE)
    store.insert_rows("pageviews", data.PAGEVIEWS, views)
    store.insert_rows("errors", data.ERRORS, errors)
    return store


def week(store: Any, grain: str = "hour", severity: str = "medium") -> list[dict[str, Any]]:
    return found.anomalies(store, SITE, data.LAST_DAY - timedelta(days=6), data.LAST_DAY, "UTC", grain,
                           severity=severity)["anomalies"]


def test_the_planted_error_is_found_when_and_where_it_was_planted(filled: Any) -> None:
    anomalies = week(filled)
    assert anomalies, "nothing found"
    planted = (data.PLANTED, data.PLANTED + timedelta(hours=data.PLANTED_HOURS))
    for a in anomalies:  # nothing else: every anomaly is an error KPI inside the planted hours
        assert a["kpi"] in ("error_rate", "error_group_rate"), a["kpi"]
        assert planted[0].isoformat().replace("+00:00", "Z") <= a["start"] < planted[1].isoformat().replace(
            "+00:00", "Z"), a
        assert a["direction"] == "up" and a["observed"] > a["high"] >= a["expected"] >= a["low"]
    scopes = {(a["kpi"], tuple(a["scope"].items())) for a in anomalies}
    assert ("error_group_rate", (("error_group", "new-cart-total"),)) in scopes
    assert any(a["kpi"] == "error_rate" and a["scope"] in ({}, {"page": "/checkout"}) for a in anomalies)


def test_the_explanation_names_the_planted_browser_page_and_error(filled: Any) -> None:
    rate = next(a for a in week(filled) if a["kpi"] == "error_rate")
    why = rate["explanation"]
    assert why["breakdowns"]["browser"][0]["value"] == "Safari" and why["breakdowns"]["browser"][0]["share"] > 0.8
    assert "in Safari" in why["summary"]
    if not rate["scope"]:
        assert why["breakdowns"]["page"][0]["value"] == "/checkout" and "on /checkout" in why["summary"]
        assert why["breakdowns"]["error_group"][0]["value"] == "new-cart-total"
    assert "desktop" not in why["summary"] and "mobile" not in why["summary"]  # not disproportionate
    first = min(week(filled), key=lambda a: a["start"])
    assert [e["message"] for e in first["explanation"]["new_errors"]] == [data.NEW_ERROR]


def test_each_anomaly_lists_the_others_at_its_time_and_place_and_its_series(filled: Any) -> None:
    anomalies = week(filled)
    ids = {a["id"] for a in anomalies}
    group = next(a for a in anomalies if a["kpi"] == "error_group_rate")
    assert group["correlated"] and set(group["correlated"]) <= ids
    marked = [p for p in group["points"] if p["anomalous"]]
    assert group["end"] is not None and marked[0]["t"] == group["start"]  # an hour a point, start to end
    hours = (datetime.fromisoformat(group["end"]) - datetime.fromisoformat(group["start"])) // timedelta(hours=1)
    assert len(marked) == hours and marked[-1]["observed"] > marked[-1]["high"]
    assert max(p["observed"] for p in marked) > max(p["high"] for p in marked)


def test_the_daily_grain_finds_the_same_day(filled: Any) -> None:
    daily = week(filled, "day")
    assert daily and {a["start"][:10] for a in daily} == {data.PLANTED.date().isoformat()}


def test_a_higher_severity_shows_a_subset(filled: Any) -> None:
    every = {a["id"] for a in week(filled, severity="low")}
    high = {a["id"] for a in week(filled, severity="high")}
    assert high <= {a["id"] for a in week(filled)} <= every

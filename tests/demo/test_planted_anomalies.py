"""`footfall demo` with its defaults plants three anomalies in its eight weeks (demo/planted.py), and the
anomalies API at the Anomalies page's default (day grain, the last 30 days) finds each of them, on
its day, explained by its cause; every other anomaly of the default severity is a consequence of the
planted checkout bug (its dead and rage clicks, its slow order button), on the checkout and from its day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from footfall.demo import planted
from footfall.web.testing import ServerProcess, wait_for_demo
from tests.conftest import footfall


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[dict[str, Any]]]:
    data = tmp_path_factory.mktemp("planted") / "data"
    server = ServerProcess(data, {"FOOTFALL_RATE_LIMIT": "0"}, command="demo")
    try:
        token = footfall(data, "token", "create", "anomalies", "--scope", "admin")["token"]
        wait_for_demo(server, token, timeout=600)
        answer = httpx.get(server.url + "/api/v1/sites/demo/anomalies", params={"grain": "day"}, timeout=300,
                           headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        groups = httpx.get(server.url + "/api/v1/sites/demo/errors", params={"limit": 500}, timeout=120,
                           headers={"Authorization": f"Bearer {token}"}).json()["errors"]
        [planted_group] = [g["fingerprint"] for g in groups if g["message"] == planted.CHECKOUT_ERROR]
        yield [a | {"planted_error": a["scope"].get("error_group") == planted_group}
               for a in answer.json()["anomalies"]]
    finally:
        server.stop()


def day(days_ago: int) -> str:
    return (datetime.now(UTC).date() - timedelta(days=days_ago)).isoformat()


def is_the_error(a: dict[str, Any]) -> bool:
    return a["kpi"] == "error_group_rate" and a["planted_error"]


def is_the_slow_day(a: dict[str, Any]) -> bool:
    """The product pages' LCP on that day, or the site's, which they raise."""
    return a["kpi"] == "lcp_p75" and a["scope"] in ({}, {"page": "/demo/shop/product/*"}) \
        and a["start"][:10] == day(planted.SLOW_DAY_DAYS_AGO)


def test_the_new_checkout_error_on_safari_is_found_from_its_day(found: list[dict[str, Any]]) -> None:
    [error] = [a for a in found if is_the_error(a)]
    # from its first day, or the next with errors enough to judge (MIN_SUCCESSES; weekends are quieter)
    began = date.fromisoformat(day(planted.CHECKOUT_ERROR_DAYS_AGO))
    assert began <= date.fromisoformat(error["start"][:10]) <= began + timedelta(days=2) and error["open"]
    assert error["severity"] in ("medium", "high") and error["direction"] == "up"
    if error["start"][:10] == day(planted.CHECKOUT_ERROR_DAYS_AGO):  # first seen in it: a new error
        assert [e["message"] for e in error["explanation"]["new_errors"]] == [planted.CHECKOUT_ERROR]
    summary = error["explanation"]["summary"]
    assert "on /demo/shop/checkout" in summary and "Safari" in summary


def test_the_slow_day_of_product_pages_on_phones_is_found_on_that_day(found: list[dict[str, Any]]) -> None:
    slow = [a for a in found if is_the_slow_day(a) and a["scope"]]
    assert [(a["start"][:10], a["end"][:10]) for a in slow] == [(day(planted.SLOW_DAY_DAYS_AGO),
                                                                  day(planted.SLOW_DAY_DAYS_AGO - 1))]
    assert slow[0]["direction"] == "up" and "on mobile" in slow[0]["explanation"]["summary"]


def test_the_source_that_stopped_is_found_from_when_it_stopped(found: list[dict[str, Any]]) -> None:
    [gone] = [a for a in found if a["kpi"] == "sessions"]
    assert gone["scope"] == {"source": planted.GONE_SOURCE} and gone["direction"] == "down"
    # from the day it stopped, or the day before when a shift the CUSUM found begins its run there
    assert gone["start"][:10] in (day(planted.SOURCE_GONE_DAYS_AGO), day(planted.SOURCE_GONE_DAYS_AGO + 1))
    assert gone["open"] and all(p["observed"] == 0 for p in gone["points"]
                                if p["anomalous"] and p["t"][:10] >= day(planted.SOURCE_GONE_DAYS_AGO)
                                and p["observed"] is not None)


def test_nothing_else_is_flagged_but_the_checkout_bugs_own_effects(found: list[dict[str, Any]]) -> None:
    bug_day = date.fromisoformat(day(planted.CHECKOUT_ERROR_DAYS_AGO))
    for a in found:
        if is_the_error(a) or is_the_slow_day(a) or a["kpi"] == "sessions":
            continue
        on_checkout = a["scope"].get("page") == "/demo/shop/checkout" or "checkout" in a["explanation"]["summary"]
        # a shift the CUSUM finds dates from the start of its run, which may be a day or two earlier
        assert on_checkout and date.fromisoformat(a["start"][:10]) >= bug_day - timedelta(days=2), a


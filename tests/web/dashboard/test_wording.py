"""Counts read as people write them, on the pages as in the filter they go through."""

from __future__ import annotations

import re

import httpx

from footfall.web.dashboard.render import env
from footfall.web.wording import counted
from tests.conftest import Demo
from tests.helpers import csrf_of


def test_one_is_singular_and_every_other_count_plural() -> None:
    assert counted(1, "conversion") == "1 conversion"
    assert [counted(n, "day") for n in (0, 2, 1.0, 1.5)] == ["0 days", "2 days", "1 day", "1.5 days"]
    assert counted(12_345, "page view") == "12,345 page views"
    assert counted(3, "time", "times") == "3 times" and counted(2, "entry", "entries") == "2 entries"
    assert env.filters["counted"] is counted  # what the templates call


def test_a_one_day_overview_compares_with_the_previous_day_not_days(demo: Demo) -> None:
    with httpx.Client(base_url=demo.server.url, timeout=30) as client:
        client.post("/login", data={"csrf": csrf_of(client.get("/login").text), "email": demo.admin[0],
                                    "password": demo.admin[1]})
        page = client.get("/sites/demo/overview", params={"days": 1})
        assert page.status_code == 200, page.text
        changes = re.findall(r"% vs previous ([^<]+)</span>", page.text)
        assert changes and set(changes) == {"1 day"}
        week = client.get("/sites/demo/overview", params={"days": 7}).text
        assert set(re.findall(r"% vs previous ([^<]+)</span>", week)) == {"7 days"}
        sites = client.get("/sites").text
        assert "365 days" in sites  # the demo keeps a year

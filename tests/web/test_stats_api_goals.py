"""The stats API's goals and custom events on a real server: batches with custom events and clicks
sent through the ingestion endpoint on both sides of the site's local midnight, goals defined on the
Goals page, read back per local day in the site's zone and in UTC, by goal, by event name and by
property, as JSON and CSV, against counts worked out here from what was sent."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.conftest import ORIGIN, Server, footfall
from tests.helpers import csrf_of, get, get_text, goal_ids, post, wait_for_count
from tests.web.test_stats_api import zone_near_noon

MINUTE = timedelta(minutes=1)
ADMIN = ("admin@stats-goals.test", "correct-horse-1")
# (visitor, minutes from local midnight, path, custom events (name, props), clicked selectors)
SENT = [
    ("A", -20, "/", [("purchase", {"plan": "pro", "value": 49.9})], []),
    ("B", -10, "/pricing", [("purchase", {"plan": "free"})], ["#buy"]),
    ("A", 15, "/thanks", [("purchase", {"plan": "pro", "value": 49.9})], []),
    ("C", 20, "/", [("signup", {})], ["#buy"]),
    ("D", 25, "/thanks", [], []),
]
GOALS = {"Pro purchase": {"kind": "event", "target": "purchase", "props": "plan=pro"},
         "Thanks": {"kind": "page", "target": "/thanks"}, "Buy": {"kind": "click", "target": "#buy"}}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str, ZoneInfo, datetime, dict]]:
    data = tmp_path_factory.mktemp("stats-goals") / "data"
    zone = zone_near_noon()
    footfall(data, "site", "create", "Shop", "--origin", ORIGIN, "--key", "shop", "--time-zone", zone)
    footfall(data, "user", "create", ADMIN[0], "--role", "admin", "--password-stdin", stdin=ADMIN[1] + "\n")
    server = Server(data, {"FOOTFALL_RATE_LIMIT": "0"})
    token = footfall(data, "token", "create", "tests", "--scope", "read")["token"]
    tz = ZoneInfo(zone)
    midnight = datetime.now(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    for visitor, minutes, path, customs, clicks in SENT:
        ts = int((midnight + minutes * MINUTE).timestamp() * 1000)
        events: list[dict[str, Any]] = [{"t": "pageview", "ts": ts}]
        events += [{"t": "custom", "ts": ts + 1 + i, "n": n, "p": p} for i, (n, p) in enumerate(customs)]
        events += [{"t": "click", "ts": ts + 10 + i, "s": s, "x": 1, "y": 1} for i, s in enumerate(clicks)]
        body = {"v": 1, "site": "shop", "sid": uuid.uuid4().hex, "pv": uuid.uuid4().hex, "vid": visitor,
                "url": ORIGIN + path, "vw": 1280, "vh": 800, "e": events,
                "sent": int(datetime.now(UTC).timestamp() * 1000)}
        assert post(server.url, body)[0] == 202
    assert wait_for_count(server.url, token, "pageview", len(SENT)) == len(SENT)
    with httpx.Client(base_url=server.url, timeout=60) as client:
        login = csrf_of(client.get("/login").text)
        assert client.post("/login", data={"csrf": login, "email": ADMIN[0], "password": ADMIN[1]}).status_code == 303
        for name, fields in GOALS.items():
            csrf = csrf_of(client.get("/sites/shop/goals").text)
            assert client.post("/sites/shop/goals", data={"csrf": csrf, "name": name, **fields}).status_code == 303
        page = client.get("/sites/shop/goals").text
    ids = goal_ids(page)
    yield server, token, tz, midnight, ids
    server.stop()


def expected(tz: ZoneInfo | Any, midnight: datetime, day: Any) -> dict[str, dict[str, Any]]:
    """Per goal, on one day of the zone: converted visitors, conversions, conversion rate."""
    sent = [row for row in SENT if (midnight + row[1] * MINUTE).astimezone(tz).date() == day]
    everyone = {row[0] for row in sent}
    done = {"Pro purchase": [v for v, _, _, customs, _ in sent for n, p in customs if n == "purchase" and
                             p.get("plan") == "pro"],
            "Thanks": [v for v, _, path, _, _ in sent if path == "/thanks"],
            "Buy": [v for v, _, _, _, clicks in sent for s in clicks if s == "#buy"]}
    return {name: {"conversions": len(set(vs)), "total_conversions": len(vs),
                   "conversion_rate": round(len(set(vs)) / len(everyone), 4) if everyone else None}
            for name, vs in done.items()}


@pytest.mark.parametrize("in_utc", [False, True])
def test_goals_per_local_day(served, in_utc: bool) -> None:  # noqa: ANN001
    server, token, tz, midnight, ids = served
    zone = UTC if in_utc else tz
    days = sorted({(midnight + row[1] * MINUTE).astimezone(zone).date() for row in SENT})
    base = f"{server.url}/api/v1/sites/shop/stats?" + ("time_zone=UTC&" if in_utc else "")
    metrics = "conversions,total_conversions,conversion_rate"
    for day in days:
        status, body = get(f"{base}metrics={metrics}&by=goal&from={day}&to={day}", token)
        assert status == 200, body
        assert {row["goal"]: {k: row[k] for k in metrics.split(",")} for row in body["results"]} == \
            expected(zone, midnight, day), day
    status, series = get(f"{base}metrics=visitors,conversions,conversion_rate&goal={ids['Thanks']}&interval=day"
                         f"&from={days[0]}&to={days[-1]}", token)
    assert status == 200, series
    assert [(row["time"][:10], row["conversions"], row["conversion_rate"]) for row in series["results"]] == [
        (day.isoformat(), expected(zone, midnight, day)["Thanks"]["conversions"],
         expected(zone, midnight, day)["Thanks"]["conversion_rate"]) for day in days]


def test_custom_events_by_name_and_property_as_json_and_csv(served) -> None:  # noqa: ANN001
    server, token, tz, midnight, _ = served
    span = f"from={(midnight - timedelta(days=1)).date()}&to={midnight.date()}"
    base = f"{server.url}/api/v1/sites/shop/stats?{span}&metrics=events,visitors"
    names = get(f"{base}&by=event", token)[1]
    counted: dict[str, list[str]] = {}
    for visitor, _, _, customs, _ in SENT:
        for name, _props in customs:
            counted.setdefault(name, []).append(visitor)
    assert names["results"] == sorted([{"event": n, "events": len(vs), "visitors": len(set(vs))}
                                       for n, vs in counted.items()], key=lambda r: (-r["events"], r["event"]))
    url = f"{base}&by=event_prop:value&filter=event:is:purchase"
    as_json = get(url, token)[1]
    assert as_json["results"] == [{"event_prop:value": "49.9", "events": 2, "visitors": 1}]  # a number as its JSON
    status, text = get_text(url + "&format=csv", token)
    assert status == 200
    assert list(csv.DictReader(io.StringIO(text))) == [
        {"event_prop:value": "49.9", "events": "2", "visitors": "1"}]
    refused = get(f"{server.url}/api/v1/sites/shop/stats?metrics=conversions", token)
    assert refused[0] == 400 and refused[1]["field"] == "goal"
    assert get(f"{base}&by=event_prop:{'k' * 200}", token)[1]["field"] == "by"

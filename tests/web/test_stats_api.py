"""The stats API on a real server: batches sent through the ingestion endpoint on both sides of the
site's local midnight, read back as JSON and CSV in the site's zone and in UTC; refusals name their
parameter, and a token of another site is refused."""

from __future__ import annotations

import csv
import io
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import ORIGIN, Server, footfall
from tests.helpers import get, get_text, post, wait_for_count

CANDIDATES = ("America/New_York", "Asia/Tokyo", "Europe/Berlin", "America/Los_Angeles", "Asia/Kolkata",
              "Pacific/Auckland")
MINUTE = timedelta(minutes=1)


def zone_near_noon() -> str:
    """A zone whose last midnight is well inside the collector's 24-hour window and in the past."""
    now = datetime.now(UTC)
    return min(CANDIDATES, key=lambda name: abs(now.astimezone(ZoneInfo(name)).hour - 12))


def batch(url: str, at: datetime, sid: str, ref: str = "") -> dict[str, Any]:
    ts = int(at.timestamp() * 1000)
    return {"v": 1, "site": "shop", "sid": sid, "pv": uuid.uuid4().hex, "id": uuid.uuid4().hex,
            "url": f"{ORIGIN}{url}", "vw": 1280, "vh": 800, "ref": ref,
            "sent": int(datetime.now(UTC).timestamp() * 1000), "e": [{"t": "pageview", "ts": ts}]}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    data = tmp_path_factory.mktemp("stats") / "data"
    zone = zone_near_noon()
    footfall(data, "site", "create", "Shop", "--origin", ORIGIN, "--key", "shop", "--time-zone", zone)
    server = Server(data, {"FOOTFALL_RATE_LIMIT": "0"})
    token = footfall(data, "token", "create", "tests", "--scope", "read")["token"]
    footfall(data, "site", "create", "Other", "--origin", "https://other.test", "--key", "other")
    other = footfall(data, "token", "create", "other", "--site", "other")["token"]
    tz = ZoneInfo(zone)
    midnight = datetime.now(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    before, after = midnight - 20 * MINUTE, midnight + 20 * MINUTE
    # before local midnight: one session of two pages from Google; after it: two one-page sessions
    s1, s2, s3 = (uuid.uuid4().hex for _ in range(3))
    sent = [batch("/", before, s1, "https://www.google.com/"), batch("/pricing", before + MINUTE, s1),
            batch("/", after, s2), batch("/docs", after + MINUTE, s3, "https://duckduckgo.com/")]
    for body in sent:
        assert post(server.url, body)[0] == 202
    assert wait_for_count(server.url, token, "pageview", 4) == 4
    yield server, token, other, tz, midnight
    server.stop()


def test_days_are_the_sites_local_days(served) -> None:  # noqa: ANN001
    server, token, _, tz, midnight = served
    today, yesterday = midnight.date(), (midnight - timedelta(days=1)).date()
    base = f"{server.url}/api/v1/sites/shop/stats?metrics=visitors,sessions,pageviews,bounce_rate"
    status, body = get(f"{base}&from={yesterday}&to={today}&interval=day", token)
    assert status == 200 and body["time_zone"] == str(tz)
    assert body["results"] == [
        {"time": datetime(yesterday.year, yesterday.month, yesterday.day, tzinfo=tz).isoformat(),
         "visitors": 1, "sessions": 1, "pageviews": 2, "bounce_rate": 0.0},
        {"time": midnight.isoformat(), "visitors": 1, "sessions": 2, "pageviews": 2, "bounce_rate": 1.0},
    ]
    assert get(f"{base}&from={today}&to={today}", token)[1]["results"] == [
        {"visitors": 1, "sessions": 2, "pageviews": 2, "bounce_rate": 1.0}]
    # In UTC the same page views fall on other days, or all on one, as the zone's offset puts them.
    utc = get(f"{base}&from={yesterday - timedelta(days=1)}&to={today + timedelta(days=1)}&interval=day"
              "&time_zone=UTC", token)[1]
    by_day: dict[str, int] = {}
    for at, n in ((midnight - 20 * MINUTE, 1), (midnight - 19 * MINUTE, 1), (midnight + 20 * MINUTE, 1),
                  (midnight + 21 * MINUTE, 1)):
        day = at.astimezone(UTC).date().isoformat()
        by_day[day] = by_day.get(day, 0) + n
    assert {row["time"][:10]: row["pageviews"] for row in utc["results"] if row["pageviews"]} == by_day
    assert all(row["time"].endswith("+00:00") for row in utc["results"])


def test_breakdowns_filters_and_csv(served) -> None:  # noqa: ANN001
    server, token, _, _, midnight = served
    span = f"from={(midnight - timedelta(days=1)).date()}&to={midnight.date()}"
    base = f"{server.url}/api/v1/sites/shop/stats?{span}"
    status, body = get(f"{base}&metrics=visitors,pageviews,sessions&by=source", token)
    assert status == 200 and body["columns"] == ["source", "visitors", "pageviews", "sessions"]
    assert body["results"] == [
        {"source": "direct", "visitors": 1, "pageviews": 1, "sessions": 1},
        {"source": "duckduckgo.com", "visitors": 1, "pageviews": 1, "sessions": 1},
        {"source": "www.google.com", "visitors": 1, "pageviews": 2, "sessions": 1},
    ]
    pages = get(f"{base}&metrics=pageviews&by=page&filter=source:is:www.google.com", token)[1]["results"]
    assert pages == [{"page": "/", "pageviews": 1}, {"page": "/pricing", "pageviews": 1}]
    only = get(f"{base}&metrics=sessions,pageviews&filter=page:is_not:/&filter=entry_page:contains:/", token)[1]
    assert only["results"] == [{"sessions": 2, "pageviews": 2}]

    url = f"{base}&metrics=pageviews,bounce_rate,session_duration,lcp_p75&by=entry_page"
    as_json = get(url, token)[1]
    request = urllib.request.Request(url + "&format=csv", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as resp:
        assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert resp.headers["Content-Disposition"] == f'attachment; filename="footfall-shop-stats-{span[5:15]}-' \
                                                      f'{midnight.date()}.csv"'
        text = resp.read().decode()
    header, *lines = list(csv.reader(io.StringIO(text)))
    assert header == as_json["columns"] and len(lines) == len(as_json["results"]) == 2

    def value(raw: str, like: Any) -> Any:
        return None if raw == "" else type(like)(raw) if like is not None else raw

    for line, row in zip(lines, as_json["results"], strict=True):
        assert {name: value(raw, row[name]) for name, raw in zip(header, line, strict=True)} == row
    assert [row["lcp_p75"] for row in as_json["results"]] == [None, None]
    assert [row["session_duration"] for row in as_json["results"]] == [30.0, 0.0]  # the median of 60 s and 0 s


@pytest.mark.parametrize(("query", "field"), [
    ("metrics=visitors,hits", "metrics"),
    ("metrics=", "metrics"),
    ("metrics=visitors&by=planet", "by"),
    ("metrics=visitors&filter=page:equals:/", "filter"),
    ("metrics=visitors&filter=country:is:FR", "filter"),
    ("metrics=visitors&time_zone=Mars/Olympus", "time_zone"),
    ("metrics=visitors&by=page&interval=day", "interval"),
    ("metrics=visitors&interval=fortnight", "interval"),
    ("metrics=visitors&limit=0", "limit"),
    ("metrics=visitors&by=page&offset=99999999999", "offset"),
    ("metrics=visitors&format=xml", "format"),
    ("metrics=visitors&from=yesterday", "from"),
])
def test_refusals_name_the_parameter(served, query, field) -> None:  # noqa: ANN001
    server, token, *_ = served
    status, body = get(f"{server.url}/api/v1/sites/shop/stats?{query}", token)
    assert (status, body["field"]) == (400, field), body


def test_a_token_of_another_site_is_refused(served) -> None:  # noqa: ANN001
    server, token, other, *_ = served
    url = f"{server.url}/api/v1/sites/shop/stats?metrics=visitors"
    assert get(url, other)[0] == 403
    assert get(url)[0] == 401
    assert get(f"{server.url}/api/v1/sites/other/stats?metrics=visitors", other)[1]["results"] == [{"visitors": 0}]
    assert get_text(url + "&format=csv", token) == (200, "visitors\r\n1\r\n")


def test_every_read_takes_the_sites_local_days(served) -> None:  # noqa: ANN001
    """Not only the stats API: the other reads of the site's data count the same local days."""
    server, token, _, _, midnight = served
    today, yesterday = midnight.date(), (midnight - timedelta(days=1)).date()
    for day, pages in ((yesterday, 2), (today, 2)):
        count = get(f"{server.url}/api/v1/sites/shop/events/count?type=pageview&from={day}&to={day}", token)[1]
        assert (count["from"], count["to"], count["count"]) == (day.isoformat(), day.isoformat(), pages)
        listed = get(f"{server.url}/api/v1/sites/shop/sessions?from={day}&to={day}", token)[1]
        assert len(listed["sessions"]) == (1 if day == yesterday else 2)

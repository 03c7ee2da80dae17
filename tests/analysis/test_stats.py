"""The stats query on rows landed by the real ingestion path: every metric by every dimension, filters
and time series, in UTC and in two other zones across local midnights, against counts worked out
here from what was sent. The Overview is made of these calls (tests/analysis/test_overview.py)."""

from __future__ import annotations

import re
import statistics
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest

from footfall.analysis.stats import DIMENSIONS, METRICS, Filter, StatsError, stats
from footfall.collector import frames, rows, wire
from footfall.collector.enrich import Client
from tests import helpers

ORIGIN = "https://shop.test"
CHROME = Client("Chrome", "120", "Linux", False)
SAFARI = Client("Mobile Safari", "17", "iOS", False, "mobile")
FIREFOX = Client("Firefox", "126", "Windows", False)
DAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=5)
FIRST, LAST = (DAY - timedelta(days=1)).date(), (DAY + timedelta(days=1)).date()
ZONES = ("UTC", "America/New_York", "Asia/Tokyo")


@dataclass
class Sent:
    """One session as sent: its page views (path, seconds in, vitals, error kinds) and clicks."""

    visitor: str
    at: datetime
    client: Client
    device: str  # what its viewport width makes it (docs/wire-format.md)
    vw: int
    ref: str = ""
    utm: dict[str, str] = field(default_factory=dict)
    pages: list[tuple[str, float, dict[str, float], tuple[str, ...]]] = field(default_factory=list)
    clicks: list[float] = field(default_factory=list)  # seconds in
    sid: str = field(default_factory=lambda: uuid.uuid4().hex)

    def page(self, path: str, after_s: float, vitals: dict[str, float] | None = None,
             errors: tuple[str, ...] = ()) -> Sent:
        self.pages.append((path, after_s, vitals or {}, errors))
        return self


def at(hours: float) -> datetime:
    return DAY + timedelta(hours=hours)


# Sessions on both sides of midnight in UTC (00:00), New York (05:00 UTC) and Tokyo (15:00 UTC).
SENT = [
    Sent("A", at(-0.2), CHROME, "desktop", 1280, ref="https://www.google.com/")
    .page("/", 0, {"LCP": 1200, "CLS": 0.1}).page("/product/7", 30, {"INP": 120}).page("/cart", 90, errors=("error",)),
    Sent("B", at(0.2), SAFARI, "mobile", 390, utm={"source": "newsletter", "medium": "email", "campaign": "spring"})
    .page("/", 0, {"LCP": 3100}),
    Sent("A", at(4.8), CHROME, "desktop", 1280).page("/blog/a", 0).page("/blog/b", 20, {"LCP": 2500}),
    Sent("C", at(5.2), FIREFOX, "tablet", 800, ref="https://news.ycombinator.com/item?id=1")
    .page("/product/7", 0, {"LCP": 4200, "INP": 300, "CLS": 0.3}, ("error", "console")).page("/product/8/reviews", 45),
    Sent("D", at(14.8), CHROME, "desktop", 1440, ref="https://www.google.com/",
         utm={"source": "google", "medium": "cpc", "campaign": "boots"})
    .page("/", 0).page("/checkout", 60, {"INP": 80}, ("console",)),
    Sent("E", at(15.2), SAFARI, "mobile", 390).page("/product/9", 0, {"LCP": 900}),
    Sent("B", at(23.8), SAFARI, "mobile", 390, ref="https://duckduckgo.com/").page("/blog/a", 0),
    Sent("F", at(24.2), FIREFOX, "desktop", 1280).page("/", 0, {"CLS": 0.02}).page("/cart", 10).page("/", 25),
]
SENT[0].clicks.append(100)  # lengthens A's first session to 100 s
SENT[5].clicks.append(7)


def land(store, site: str, sent: list[Sent] = SENT) -> None:  # noqa: ANN001
    records = []
    for visit in sent:
        start = int(visit.at.timestamp() * 1000)
        last_path = ""
        for i, (path, after_s, vitals, errors) in enumerate(visit.pages):
            ts = start + int(after_s * 1000)
            events = [{"t": "pageview", "ts": ts}]
            events += [{"t": "vital", "ts": ts + 500, "n": name, "v": value, "r": "good"}
                       for name, value in vitals.items()]
            events += [{"t": "error", "ts": ts + 800, "msg": "boom", "kind": kind} for kind in errors]
            if i == len(visit.pages) - 1:
                events += [{"t": "click", "ts": start + int(s * 1000), "s": "#a", "x": 1, "y": 1} for s in visit.clicks]
            body: dict[str, Any] = {"v": 1, "site": site, "sid": visit.sid, "pv": uuid.uuid4().hex,
                                    "url": ORIGIN + path, "vid": visit.visitor, "vw": visit.vw, "e": events,
                                    "ref": ORIGIN + last_path if last_path else visit.ref}
            if visit.utm:
                body["utm"] = visit.utm
            batch = wire.batch_decoder.decode(msgspec.json.encode(body))
            received = max(e["ts"] for e in events) + 300
            records.append((frames.BATCH, batch, rows.Context(received, "h", visit.client, 3650)))
            last_path = path
    helpers.land(store, records)


@pytest.fixture(scope="module")
def site(store) -> str:  # noqa: ANN001
    key = f"stats-{uuid.uuid4().hex[:10]}"
    land(store, key)
    return key


# -- the expected numbers, worked out from SENT -----------------------------------------------------
def p75(values: list[float]) -> float | None:
    """Linear interpolation between the nearest samples (numpy's default)."""
    if not values:
        return None
    ordered, pos = sorted(values), 0.75 * (len(values) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def host(url: str) -> str:
    return url.split("/")[2] if url else ""


def views_in(zone: str, first: date, last: date) -> list[dict[str, Any]]:
    """Every page view sent on the local days first..last, with its session's facts."""
    tz = ZoneInfo(zone)
    views = []
    for visit in SENT:
        times = [visit.at + timedelta(seconds=s) for _, s, _, _ in visit.pages]
        kept = [(page, t) for page, t in zip(visit.pages, times, strict=True)
                if first <= t.astimezone(tz).date() <= last]
        if not kept:
            continue
        moments = [t for _, t in kept] + [visit.at + timedelta(seconds=s) for s in visit.clicks
                                          if first <= (visit.at + timedelta(seconds=s)).astimezone(tz).date() <= last]
        ref = host(visit.ref)
        session = {"session": visit.sid, "entry_page": kept[0][0][0], "exit_page": kept[-1][0][0],
                   "referrer": ref or "direct", "source": visit.utm.get("source") or ref or "direct",
                   "utm_source": visit.utm.get("source", ""), "utm_medium": visit.utm.get("medium", ""),
                   "utm_campaign": visit.utm.get("campaign", ""), "device": visit.device,
                   "browser": visit.client.browser, "os": visit.client.os, "views": len(kept),
                   "seconds": (max(moments) - min(moments)).total_seconds()}
        for (path, _, vitals, errors), moment in kept:
            views.append({**session, "page": path, "visitor": visit.visitor, "time": moment.astimezone(tz),
                          "vitals": vitals, "error": "error" in errors})
    return views


def expected(views: list[dict[str, Any]]) -> dict[str, Any]:
    sessions = {v["session"]: v for v in views}
    n = len(sessions)
    return {
        "visitors": len({v["visitor"] for v in views}), "sessions": n, "pageviews": len(views),
        "bounce_rate": round(sum(s["views"] == 1 for s in sessions.values()) / n, 4) if n else None,
        "session_duration": statistics.median(s["seconds"] for s in sessions.values()) if n else None,
        "views_per_session": round(len(views) / n, 4) if n else None,
        "error_rate": round(sum(v["error"] for v in views) / len(views), 4) if views else None,
        **{f"{name.lower()}_p75": p75([v["vitals"][name] for v in views if name in v["vitals"]])
           for name in ("LCP", "INP", "CLS")},
    }


def close(got: dict[str, Any], want: dict[str, Any]) -> bool:
    return got.keys() == want.keys() and all(
        got[k] == want[k] or (isinstance(want[k], float) and got[k] == pytest.approx(want[k])) for k in want)


# -- tests ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("zone", ZONES)
def test_totals_in_each_zone(store, site, zone) -> None:  # noqa: ANN001
    for first, last in ((FIRST, LAST), (DAY.date(), DAY.date())):
        [got] = stats(store, site, first, last, list(METRICS), zone=zone)["results"]
        assert close(got, expected(views_in(zone, first, last))), (zone, first)
    # one local day holds different sessions in each zone: its midnight falls between different visits
    one_day = {zone: stats(store, site, DAY.date(), DAY.date(), ["sessions"], zone=zone)["results"][0]["sessions"]
               for zone in ZONES}
    assert one_day == {"UTC": 6, "America/New_York": 5, "Asia/Tokyo": 5}


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("by", list(DIMENSIONS))
def test_every_dimension(store, site, zone, by) -> None:  # noqa: ANN001
    metrics = ["visitors", *(m for m in METRICS if m != "visitors")]
    got = stats(store, site, FIRST, LAST, metrics, zone=zone, by=by)
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for view in views_in(zone, FIRST, LAST):
        if view[by] or not by.startswith("utm_"):
            groups[view[by]].append(view)
    want = sorted(({by: key, **expected(views)} for key, views in groups.items()),
                  key=lambda row: (-row["visitors"], row[by]))
    assert got["columns"] == [by, *metrics]
    assert [row[by] for row in got["results"]] == [row[by] for row in want]
    for row, wanted in zip(got["results"], want, strict=True):
        assert close(row, wanted), (by, row, wanted)
    top_two = stats(store, site, FIRST, LAST, metrics, zone=zone, by=by, limit=2, offset=1)["results"]
    assert top_two == got["results"][1:3]


@pytest.mark.parametrize("first", list(METRICS))
def test_a_breakdown_is_ranked_by_its_first_metric(store, site, first) -> None:  # noqa: ANN001
    zone = "Asia/Tokyo"
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for view in views_in(zone, FIRST, LAST):
        groups[view["exit_page"]].append(view)
    want = sorted(({"exit_page": key, first: expected(views)[first]} for key, views in groups.items()),
                  key=lambda row: (-(row[first] or 0), row["exit_page"]))
    got = stats(store, site, FIRST, LAST, [first], zone=zone, by="exit_page")["results"]
    assert [row["exit_page"] for row in got] == [row["exit_page"] for row in want]
    assert all(close(row, wanted) for row, wanted in zip(got, want, strict=True))
    assert stats(store, site, FIRST, LAST, [first], zone=zone, by="exit_page", limit=3, offset=2)["results"] \
        == got[2:5]


FILTERS = {
    "page:is:/": lambda v: v["page"] == "/",
    "page:pattern:/product/*": lambda v: re.fullmatch(r"/product/[^/]+(/[^/]+)*", v["page"]) is not None,
    "page:contains:blog": lambda v: "blog" in v["page"],
    "entry_page:is_not:/": lambda v: v["entry_page"] != "/",
    "source:is:google": lambda v: v["source"] == "google",
    "referrer:is:direct": lambda v: v["referrer"] == "direct",
    "device:is:mobile": lambda v: v["device"] == "mobile",
    "os:is_not:Linux": lambda v: v["os"] != "Linux",
}


@pytest.mark.parametrize("text", list(FILTERS))
def test_filters(store, site, text) -> None:  # noqa: ANN001
    zone = "America/New_York"
    kept = [v for v in views_in(zone, FIRST, LAST) if FILTERS[text](v)]
    [got] = stats(store, site, FIRST, LAST, list(METRICS), zone=zone, filters=[Filter.parse(text)])["results"]
    assert kept and close(got, expected(kept)), text
    both = [Filter.parse(text), Filter.parse("device:is_not:tablet")]
    [narrower] = stats(store, site, FIRST, LAST, ["pageviews"], zone=zone, filters=both)["results"]
    assert narrower["pageviews"] == sum(1 for v in kept if v["device"] != "tablet")


@pytest.mark.parametrize("zone", ZONES)
def test_daily_and_hourly_series_in_the_zone(store, site, zone) -> None:  # noqa: ANN001
    tz = ZoneInfo(zone)
    views = views_in(zone, FIRST, LAST)
    got = stats(store, site, FIRST, LAST, ["visitors", "sessions", "pageviews", "bounce_rate"], zone=zone,
                interval="day")
    days = [FIRST + timedelta(days=k) for k in range(3)]
    assert [row["time"] for row in got["results"]] == [datetime(d.year, d.month, d.day, tzinfo=tz).isoformat()
                                                       for d in days]
    for day, row in zip(days, got["results"], strict=True):
        want = expected([v for v in views if v["time"].date() == day])
        assert close(row, {"time": row["time"], **{k: want[k] for k in ("visitors", "sessions", "pageviews",
                                                                        "bounce_rate")}}), (zone, day)
    hours = stats(store, site, DAY.date(), DAY.date(), ["pageviews"], zone=zone, interval="hour")["results"]
    assert len(hours) == 24 and hours[0]["time"] == datetime(DAY.year, DAY.month, DAY.day, tzinfo=tz).isoformat()
    for hour, row in enumerate(hours):
        assert row["pageviews"] == sum(1 for v in views if v["time"].date() == DAY.date() and v["time"].hour == hour)


def test_weeks_and_months_start_on_monday_and_the_first(store, site) -> None:  # noqa: ANN001
    weeks = stats(store, site, FIRST, LAST, ["pageviews"], zone="Asia/Tokyo", interval="week")["results"]
    mondays = sorted({d - timedelta(days=d.weekday()) for d in (FIRST, DAY.date(), LAST)})
    assert [row["time"][:10] for row in weeks] == [d.isoformat() for d in mondays]
    assert sum(row["pageviews"] for row in weeks) == len(views_in("Asia/Tokyo", FIRST, LAST))
    months = stats(store, site, FIRST, LAST, ["pageviews"], interval="month")["results"]
    assert [row["time"] for row in months] == [datetime(d.year, d.month, 1, tzinfo=UTC).isoformat() for d in
                                               sorted({date(d.year, d.month, 1) for d in (FIRST, LAST)})]


def test_empty_ranges_and_refusals(store, site) -> None:  # noqa: ANN001
    far = date(2001, 1, 1)
    [row] = stats(store, site, far, far, list(METRICS))["results"]
    assert row == {"visitors": 0, "sessions": 0, "pageviews": 0, "bounce_rate": None, "session_duration": None,
                   "views_per_session": None, "error_rate": None, "lcp_p75": None, "inp_p75": None, "cls_p75": None}
    assert stats(store, site, far, far, ["visitors"], by="page")["results"] == []
    assert stats(store, site, far, far, ["pageviews", "pageviews"])["columns"] == ["pageviews"]
    refused_calls = (
        (lambda: stats(store, site, far, far, ["hits"]), "metrics"),
        (lambda: stats(store, site, far, far, []), "metrics"),
        (lambda: stats(store, site, far, far, ["visitors"], by="planet"), "by"),
        (lambda: stats(store, site, far, far, ["visitors"], by="page", interval="day"), "interval"),
        (lambda: stats(store, site, far, far, ["visitors"], zone="Mars/Olympus"), "time_zone"),
        (lambda: Filter.parse("page:equals:/"), "filter"),
        (lambda: Filter.parse("planet:is:mars"), "filter"),
        (lambda: Filter.parse("page/"), "filter"),
    )
    for call, field_name in refused_calls:
        with pytest.raises(StatsError) as refused:
            call()
        assert refused.value.field == field_name


def test_hours_across_daylight_saving_changes(store) -> None:  # noqa: ANN001
    """New York's clocks go back at 02:00 EDT on 2026-11-01 (06:00 UTC): 01:30 comes twice, an hour
    apart, and the day has 25 hours; on 2026-03-08 they go forward and the day has 23."""
    site = f"stats-dst-{uuid.uuid4().hex[:10]}"
    twice = [datetime(2026, 11, 1, 5, 30, tzinfo=UTC), datetime(2026, 11, 1, 6, 30, tzinfo=UTC)]
    land(store, site, [Sent("A", moment, CHROME, "desktop", 1280).page("/", 0) for moment in twice])
    zone = "America/New_York"
    autumn = stats(store, site, date(2026, 11, 1), date(2026, 11, 1), ["pageviews"], zone=zone, interval="hour")
    assert len(autumn["results"]) == 25
    assert [row["time"] for row in autumn["results"][:4]] == [
        "2026-11-01T00:00:00-04:00", "2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00",
        "2026-11-01T02:00:00-05:00"]
    assert [row["pageviews"] for row in autumn["results"][:4]] == [0, 1, 1, 0]
    sunday = date(2026, 11, 1)
    [day] = stats(store, site, sunday, sunday, ["pageviews"], zone=zone, interval="day")["results"]
    assert day == {"time": "2026-11-01T00:00:00-04:00", "pageviews": 2}
    spring = stats(store, site, date(2026, 3, 8), date(2026, 3, 8), ["pageviews"], zone=zone, interval="hour")
    assert len(spring["results"]) == 23 and spring["results"][2]["time"] == "2026-03-08T03:00:00-04:00"

"""The Overview page's numbers, on rows made by the real ingestion path in the embedded store.

A small hand-made site with known answers checks every number; the demo generator's sessions
check the queries against real-shaped data."""

from __future__ import annotations

import json
import re
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import msgspec
import pytest

from footfall.analysis.overview import overview
from footfall.analysis.stats import stats
from footfall.collector import frames, rows, wire
from footfall.collector.enrich import Client, client_of
from footfall.demo import journeys
from footfall.store.conditions import step_regex
from tests import helpers

ORIGIN = "https://shop.test"
CHROME = Client("Chrome", "120", "Linux", False)
SAFARI = Client("Mobile Safari", "17", "iOS", False, "mobile")
FIREFOX = Client("Firefox", "126", "Ubuntu", False)
SECOND, HOUR, DAY = 1000, 3_600_000, 86_400_000
TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
START, END = TODAY - timedelta(days=4), TODAY  # four whole UTC days; the previous period is the four before
FIRST, LAST = START.date(), (END - timedelta(days=1)).date()  # the same days, as the Overview asks for them
FUNNEL = ["/", "/category/*", "/product/*", "/cart", "/checkout", "/thank-you"]
GOOGLE = "https://www.google.com/"


def ms(value: datetime) -> int:
    return int(value.timestamp()) * 1000


def land(store, records: list[tuple[wire.Batch, rows.Context]]) -> None:  # noqa: ANN001
    """One spool segment holding these batches, landed as the writer does."""
    helpers.land(store, [(frames.BATCH, batch, ctx) for batch, ctx in records])


class Visit:
    """One session's page views, each sent as its own batch, as the snippet does."""

    def __init__(self, site: str, visitor: str, at: int, client: Client = CHROME, vw: int = 1280,
                 ref: str = "", utm: dict[str, str] | None = None) -> None:
        self.site, self.visitor, self.at, self.client, self.vw = site, visitor, at, client, vw
        self.ref, self.utm, self.sid = ref, utm, uuid.uuid4().hex
        self.records: list[tuple[wire.Batch, rows.Context]] = []
        self.last_path = ""

    def page(self, path: str, after_s: float = 0, *events: dict[str, Any], query: str = "") -> Visit:
        """A page view `after_s` seconds into the visit; event times are seconds after that page view."""
        ts = self.at + int(after_s * SECOND)
        sent = [{"t": "pageview", "ts": ts}] + [{**e, "ts": ts + int(e["ts"] * SECOND)} for e in events]
        body: dict[str, Any] = {
            "v": 1, "site": self.site, "sid": self.sid, "pv": uuid.uuid4().hex, "url": ORIGIN + path + query,
            "vid": self.visitor, "vw": self.vw, "e": sent,
            "ref": ORIGIN + self.last_path if self.last_path else self.ref,
        }
        if self.utm:
            body["utm"] = self.utm
        batch = wire.batch_decoder.decode(msgspec.json.encode(body))
        received = max(e["ts"] for e in sent) + 300
        self.records.append((batch, rows.Context(received, "server-hash", self.client, 30)))
        self.last_path = path
        return self


def vital(name: str, value: float, rating: str, after_s: float = 0.5) -> dict[str, Any]:
    return {"t": "vital", "ts": after_s, "n": name, "v": value, "r": rating}


def error(after_s: float = 1) -> dict[str, Any]:
    return {"t": "error", "ts": after_s, "msg": "boom"}


def click(after_s: float) -> dict[str, Any]:
    return {"t": "click", "ts": after_s, "s": "#a", "x": 1, "y": 1}


def shop_site(store) -> str:  # noqa: ANN001
    """Visitors A, B, C in the range (4 sessions), A and D before it, E outside both periods."""
    site = f"overview-{uuid.uuid4().hex[:10]}"
    start = ms(START)
    visits = [
        # S1: A on a desktop from Google, the first page view exactly at the start; 160 s (the click)
        Visit(site, "A", start, ref=GOOGLE)
        .page("/", 0, vital("LCP", 1200, "good"), vital("CLS", 0.125, "good"), vital("FCP", 1000, "good"))
        .page("/category/boots", 30).page("/product/7", 90).page("/cart", 120, click(40)),
        # S2: A again on a tablet, from the newsletter; 120 s
        Visit(site, "A", start + DAY + 9 * HOUR, vw=800,
              utm={"source": "newsletter", "medium": "email", "campaign": "spring"})
        .page("/", 0).page("/product/8", 20, vital("INP", 200, "good")).page("/cart", 50)
        .page("/checkout", 70).page("/thank-you", 120),
        # S3: B on a phone from Hacker News, a bounce; vitals and errors do not lengthen it: 0 s
        Visit(site, "B", start + DAY + 15 * HOUR, SAFARI, vw=390, ref="https://news.ycombinator.com/item?id=1")
        .page("/category/boots", 0, vital("LCP", 3000, "needs-improvement"),
              vital("FCP", 2000, "needs-improvement"), vital("CLS", 0.5, "poor", 20), error(30)),
        # S4: C on a desktop from a Google ad (campaign in the landing URL), buys; 165 s
        Visit(site, "C", start + 3 * DAY + 20 * HOUR, vw=1440, ref=GOOGLE)
        .page("/", 0, vital("LCP", 5000, "poor"), vital("FCP", 4000, "poor"),
              query="?utm_source=google&utm_medium=cpc&utm_campaign=boots")
        .page("/category/boots", 10).page("/product/7", 40, vital("LCP", 2000, "good")).page("/cart", 60)
        .page("/checkout", 90, error()).page("/thank-you", 150, {"t": "custom", "ts": 15, "n": "purchase"}),
        # The previous period: D (30 s, an error, a vital) and A (a bounce)
        Visit(site, "D", start - DAY + 12 * HOUR, FIREFOX)
        .page("/", 0, vital("LCP", 9999, "poor"), error()).page("/about", 30),
        Visit(site, "A", start - 2 * DAY + 8 * HOUR).page("/"),
        # Outside both periods: exactly at the end, and before the previous period
        Visit(site, "E", ms(END)).page("/", 0, error(), vital("LCP", 1, "good")),
        Visit(site, "E", start - 4 * DAY - HOUR).page("/old", 0, error()),
    ]
    land(store, [record for visit in visits for record in visit.records])
    return site


@pytest.fixture(scope="module")
def shop(store) -> str:  # noqa: ANN001
    return shop_site(store)


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def test_totals_with_the_previous_period_and_the_change(store, shop) -> None:  # noqa: ANN001
    got = overview(store, shop, FIRST, LAST)
    assert got["range"] == {"from": FIRST.isoformat(), "to": LAST.isoformat(),
                            "previous_from": (FIRST - timedelta(days=4)).isoformat(),
                            "previous_to": (FIRST - timedelta(days=1)).isoformat(), "time_zone": "UTC"}
    assert got["totals"] == {
        "visitors": {"value": 3, "previous": 2, "change": 0.5},
        "sessions": {"value": 4, "previous": 2, "change": 1.0},
        "pageviews": {"value": 16, "previous": 3, "change": 13 / 3},
        "bounce_rate": {"value": 0.25, "previous": 0.5, "change": -0.5},
        # sessions last 160, 120, 0 and 165 s; before: 30 and 0 s
        "session_duration": {"value": 140.0, "previous": 15.0, "change": 125 / 15},
        "errors": {"value": 2, "previous": 1, "change": 1.0},
    }
    json.dumps(got)  # the dashboard sends it as is


def test_the_charts_daily_series_fills_empty_days(store, shop) -> None:  # noqa: ANN001
    """The Overview's chart asks stats for one point per day (web/dashboard/overview_page.chart_of)."""
    got = stats(store, shop, FIRST, LAST, ["visitors", "sessions", "pageviews"], interval="day")["results"]
    days = [(START + timedelta(days=k)).isoformat() for k in range(4)]
    assert got == [
        {"time": days[0], "visitors": 1, "sessions": 1, "pageviews": 4},
        {"time": days[1], "visitors": 2, "sessions": 2, "pageviews": 6},
        {"time": days[2], "visitors": 0, "sessions": 0, "pageviews": 0},
        {"time": days[3], "visitors": 1, "sessions": 1, "pageviews": 6},
    ]


def test_one_day_is_hourly_and_an_empty_previous_period_has_no_change(store, shop) -> None:  # noqa: ANN001
    day = FIRST + timedelta(days=1)
    hours = stats(store, shop, day, day, ["visitors", "sessions", "pageviews"], interval="hour")["results"]
    assert len(hours) == 24
    assert {int(h["time"][11:13]): h["pageviews"] for h in hours if h["pageviews"]} == {9: 5, 15: 1}
    got = overview(store, shop, day, day)
    assert got["totals"] == {
        "visitors": {"value": 2, "previous": 1, "change": 1.0},
        "sessions": {"value": 2, "previous": 1, "change": 1.0},
        "pageviews": {"value": 6, "previous": 4, "change": 0.5},
        "bounce_rate": {"value": 0.5, "previous": 0.0, "change": None},
        "session_duration": {"value": 60.0, "previous": 160.0, "change": -100 / 160},
        "errors": {"value": 1, "previous": 0, "change": None},
    }
    far = date(2001, 1, 1)
    assert overview(store, shop, far, far)["totals"]["visitors"] == {"value": 0, "previous": 0, "change": None}


def test_top_pages_entry_and_exit_pages(store, shop) -> None:  # noqa: ANN001
    got = overview(store, shop, FIRST, LAST)
    assert got["top_pages"] == [  # by page views, then by page
        {"page": "/", "pageviews": 3, "visitors": 2, "share": round(3 / 16, 4)},
        {"page": "/cart", "pageviews": 3, "visitors": 2, "share": round(3 / 16, 4)},
        {"page": "/category/boots", "pageviews": 3, "visitors": 3, "share": round(3 / 16, 4)},
        {"page": "/checkout", "pageviews": 2, "visitors": 2, "share": round(2 / 16, 4)},
        {"page": "/product/7", "pageviews": 2, "visitors": 2, "share": round(2 / 16, 4)},
        {"page": "/thank-you", "pageviews": 2, "visitors": 2, "share": round(2 / 16, 4)},
        {"page": "/product/8", "pageviews": 1, "visitors": 1, "share": round(1 / 16, 4)},
    ]
    assert got["entry_pages"] == [
        {"entry_page": "/", "sessions": 3, "share": 0.75},
        {"entry_page": "/category/boots", "sessions": 1, "share": 0.25},
    ]
    assert got["exit_pages"] == [
        {"exit_page": "/thank-you", "sessions": 2, "share": 0.5},
        {"exit_page": "/cart", "sessions": 1, "share": 0.25},
        {"exit_page": "/category/boots", "sessions": 1, "share": 0.25},
    ]


def test_sources_devices_and_browsers(store, shop) -> None:  # noqa: ANN001
    got = overview(store, shop, FIRST, LAST)
    third = round(1 / 3, 4)
    # the session's first page view decides: later pages' referrers are the shop itself
    assert got["referrers"] == [
        {"referrer": "www.google.com", "visitors": 2, "share": round(2 / 3, 4)},
        {"referrer": "direct", "visitors": 1, "share": third},
        {"referrer": "news.ycombinator.com", "visitors": 1, "share": third},
    ]
    # a campaign's utm_source comes before the referrer: C came from a Google ad, A once from Google
    assert got["sources"] == [{"source": name, "visitors": 1, "share": third}
                              for name in ("google", "news.ycombinator.com", "newsletter", "www.google.com")]
    assert got["campaigns"] == [{"utm_campaign": "boots", "visitors": 1, "share": third},
                                {"utm_campaign": "spring", "visitors": 1, "share": third}]
    assert got["devices"] == [  # A came on a desktop and on a tablet
        {"device": "desktop", "visitors": 2, "share": round(2 / 3, 4)},
        {"device": "mobile", "visitors": 1, "share": third},
        {"device": "tablet", "visitors": 1, "share": third},
    ]
    assert got["browsers"] == [
        {"browser": "Chrome", "visitors": 2, "share": round(2 / 3, 4)},
        {"browser": "Mobile Safari", "visitors": 1, "share": third},
    ]
    assert got["systems"] == [{"os": "Linux", "visitors": 2, "share": round(2 / 3, 4)},
                              {"os": "iOS", "visitors": 1, "share": third}]


def test_filters_narrow_every_number(store, shop) -> None:  # noqa: ANN001
    """Filtered by a dimension a table offers, the totals, tables, errors and vitals keep only the
    matching sessions (or page views, for a page)."""
    from footfall.analysis.stats import Filter

    mobile = overview(store, shop, FIRST, LAST, filters=[Filter("device", "is", "mobile")])
    totals = {name: t["value"] for name, t in mobile["totals"].items()}
    assert totals == {"visitors": 1, "sessions": 1, "pageviews": 1, "bounce_rate": 1.0, "session_duration": 0.0,
                      "errors": 1}  # S3 alone
    assert mobile["top_pages"] == [{"page": "/category/boots", "pageviews": 1, "visitors": 1, "share": 1.0}]
    assert mobile["vitals"]["LCP"]["count"] == 1 and mobile["vitals"]["LCP"]["p75"] == 3000.0
    checkout = overview(store, shop, FIRST, LAST, filters=[Filter("page", "is", "/checkout")])
    assert {name: checkout["totals"][name]["value"] for name in ("pageviews", "errors")} == {
        "pageviews": 2, "errors": 1}  # S4's error happened on /checkout, S3's on /category/boots
    both = overview(store, shop, FIRST, LAST, filters=[Filter("referrer", "is", "www.google.com"),
                                                       Filter("device", "is_not", "desktop")])
    assert both["totals"]["sessions"]["value"] == 0 and both["top_pages"] == []


def test_web_vitals_p75_and_rating_shares(store, shop) -> None:  # noqa: ANN001
    got = overview(store, shop, FIRST, LAST)["vitals"]
    assert got == {
        # 1200, 2000, 3000, 5000: p75 interpolates 3000 + 0.25 * 2000
        "LCP": {"p75": 3500.0, "count": 4, "good": 0.5, "needs-improvement": 0.25, "poor": 0.25},
        "INP": {"p75": 200.0, "count": 1, "good": 1.0, "needs-improvement": 0.0, "poor": 0.0},
        "CLS": {"p75": 0.40625, "count": 2, "good": 0.5, "needs-improvement": 0.0, "poor": 0.5},
        "FCP": {"p75": 3000.0, "count": 3, "good": round(1 / 3, 4), "needs-improvement": round(1 / 3, 4),
                "poor": round(1 / 3, 4)},
        "TTFB": {"p75": None, "count": 0, "good": None, "needs-improvement": None, "poor": None},
    }


def test_an_unknown_site_or_empty_range_gives_zeros_not_errors(store) -> None:  # noqa: ANN001
    got = overview(store, f"nobody-{uuid.uuid4().hex[:8]}", FIRST, LAST)
    assert got["totals"]["visitors"] == {"value": 0, "previous": 0, "change": None}
    assert got["totals"]["bounce_rate"] == {"value": None, "previous": None, "change": None}
    assert got["top_pages"] == got["referrers"] == got["campaigns"] == []
    with pytest.raises(ValueError):
        overview(store, "x", LAST, FIRST)


@pytest.mark.parametrize(("pattern", "path", "matches"), [
    ("/product/*", "/product/3", True),
    ("/product/*", "/product/3/reviews", True),
    ("/product/*", "/product/", False),
    ("/product/*", "/product", False),
    ("/", "/", True),
    ("/", "/cart", False),
    ("/thank-you", "/thank-you", True),
    ("/a.b", "/axb", False),
    ("/app#/cart", "/app#/cart", True),
])
def test_step_patterns_match_the_same_in_clickhouse_and_python(store, pattern, path, matches) -> None:  # noqa: ANN001
    regex = step_regex(pattern)
    assert bool(re.match(regex, path)) is matches
    assert store.scalar("SELECT match({p:String}, {r:String})", {"p": path, "r": regex}) == matches


def test_the_demo_sites_saved_funnel_follows_the_shop_purchase_path() -> None:
    from footfall.web.demo import DEMO_FUNNEL

    steps = [step["page"] for step in DEMO_FUNNEL[1]["steps"]]
    # the pages the shop serves (tests/demo/test_shop.py fetches them), in purchase order
    served = ["/demo/shop/", "/demo/shop/category/boots", "/demo/shop/product/3", "/demo/shop/cart",
              "/demo/shop/checkout", "/demo/shop/thank-you"]
    assert reached(served, steps) == len(steps)


def reached(paths: list[str], steps: list[str]) -> int:
    """How many funnel steps a session's page views reach in order (one page view per step)."""
    level = 0
    for path in paths:
        if level < len(steps) and re.match(step_regex(steps[level]), path):
            level += 1
    return level


def test_demo_journeys_give_a_sensible_overview(store) -> None:  # noqa: ANN001
    site = f"overview-demo-{uuid.uuid4().hex[:8]}"
    now = int(time.time()) * 1000
    made = list(journeys.generate(site, 300, 3, now_ms=now))
    records = []
    for journey in made:
        client = client_of(journey.visitor.device.user_agent)
        for b in journey.batches:
            records.append((b, rows.Context(max(e.ts for e in b.events) + 300, journey.visitor.id, client, 365)))
    land(store, records)
    start = datetime.fromtimestamp(now / 1000, UTC) - timedelta(days=4)
    first, last = start.date(), datetime.fromtimestamp(now / 1000, UTC).date()
    got = overview(store, site, first, last)
    json.dumps(got)

    batches = [b for j in made for b in j.batches]
    totals = {name: t["value"] for name, t in got["totals"].items()}
    assert totals["pageviews"] == len(batches)
    assert totals["sessions"] == len(made)
    assert totals["visitors"] == len({j.visitor.id for j in made})
    assert totals["bounce_rate"] == round(sum(len(j.batches) == 1 for j in made) / len(made), 4)
    assert 0 < totals["bounce_rate"] < 1
    # JavaScript errors as the Errors page counts them: console messages are not errors
    assert totals["errors"] == sum(isinstance(e, wire.JsError) and e.kind != "console"
                                   for b in batches for e in b.events)
    assert any(isinstance(e, wire.JsError) and e.kind == "console" for b in batches for e in b.events)
    from footfall.analysis.errors import grouped_errors
    from footfall.web.dates import day_bounds

    assert totals["errors"] == grouped_errors(store, site, *day_bounds(first, last))["total"]  # the Errors page
    spans = []
    for j in made:
        times = [e.ts for b in j.batches for e in b.events
                 if isinstance(e, wire.PageView | wire.Click | wire.MoveSamples | wire.Scroll | wire.Custom)]
        spans.append((max(times) - min(times)) / 1000)
    assert totals["session_duration"] == pytest.approx(statistics.median(spans))
    assert all(t["previous"] == 0 or t["previous"] is None for t in got["totals"].values())

    series = stats(store, site, first, last, ["sessions", "pageviews"], interval="day")["results"]
    assert len(series) == (last - first).days + 1
    assert sum(p["pageviews"] for p in series) == totals["pageviews"]
    assert sum(p["sessions"] for p in series) >= totals["sessions"]
    assert sum(d["visitors"] for d in got["devices"]) >= totals["visitors"]
    assert {d["device"] for d in got["devices"]} == {"desktop", "mobile", "tablet"}
    assert sum(e["sessions"] for e in got["entry_pages"]) <= totals["sessions"]
    assert all(p["page"].startswith("/demo/shop/") for p in got["top_pages"])
    assert all(r["referrer"] != "127.0.0.1" for r in got["referrers"])  # inner pages are not sources
    assert "direct" in {r["referrer"] for r in got["referrers"]}
    assert {u["source"] for u in got["sources"]} >= {"newsletter"}
    for rows_ in (got["top_pages"], got["referrers"], got["devices"], got["browsers"]):
        counts = [r.get("pageviews", r.get("visitors")) for r in rows_]
        assert counts == sorted(counts, reverse=True) and len(rows_) <= 10

    for name, v in got["vitals"].items():
        sent = [e for b in batches for e in b.events if isinstance(e, wire.WebVital) and e.name == name]
        assert v["count"] == len(sent)
        if sent:
            assert v["good"] + v["needs-improvement"] + v["poor"] == pytest.approx(1, abs=1.5e-4)  # each to 4 places
            assert min(e.value for e in sent) <= v["p75"] <= max(e.value for e in sent)

    # The main funnel the page shows (the demo's saved purchase funnel, by the one funnel engine),
    # against a count by hand of each session's page views.
    from footfall.web.demo import DEMO_FUNNEL

    funnel = [step["page"] for step in DEMO_FUNNEL[1]["steps"]]
    steps = main_funnel_steps(store, site, start, start + timedelta(days=4, minutes=1), funnel)
    paths = [[urlsplit(b.url).path for b in j.batches] for j in made]
    assert steps == [sum(reached(p, funnel) >= k for p in paths) for k in range(1, len(funnel) + 1)]
    assert steps == sorted(steps, reverse=True) and steps[0] > steps[-1] > 0


@pytest.mark.parametrize(("funnel", "sessions"), [
    (["/*", "/cart"], [4, 3]),  # `/*` matches /category/boots and /product/8 but not /
    (["/cart", "/cart"], [3, 0]),  # nobody saw the cart twice: one page view fills one step
    (["/product/*", "/product/7"], [3, 0]),  # /product/7 cannot be both steps
    (["/*", "/*", "/*"], [4, 3, 3]),  # S3 has one page below /, the others three or more
])
def test_overlapping_funnel_steps(store, shop, funnel, sessions) -> None:  # noqa: ANN001
    assert main_funnel_steps(store, shop, START, END, funnel) == sessions


def main_funnel_steps(store: Any, site: str, start: datetime, end: datetime, pages: list[str]) -> list[int]:
    """Sessions entering each step, as the Overview's main funnel counts them (footfall.analysis.funnels)."""
    from footfall.analysis import funnels

    f = funnels.Funnel(tuple(funnels.Step(page=p) for p in pages), window_s=funnels.MAX_WINDOW_S, mode="ordered",
                       count_by="session")
    return [s["entered"] for s in funnels.query(store, site, start, end, f)["steps"]]

"""Performance per funnel step from rows made by the real ingestion path: each step's vitals,
phases, error rate and resources come from the page views of that step only, and the conversion
impact splits the step's units by the LCP and INP rating of their page view, with Wilson intervals
computed here from the textbook formula (the module uses scipy's)."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta

import msgspec
from hypothesis import HealthCheck, given, settings

from footfall.analysis import funnels
from footfall.analysis.conversion_impact import impact
from footfall.analysis.funnel_performance import query_with_performance
from footfall.analysis.funnels import Funnel, Step
from footfall.collector import frames, rows, wire
from footfall.store.migrations import available
from tests.analysis.funnel_reference import Row, reference
from tests.analysis.test_funnels import BASE, BASE_MS, END_MS, funnel_defs, journeys, store_rows
from tests.helpers import exact, land
from tests.visits import CHROME, DAY, ORIGIN, Visit, click, error, ms

Z = 1.959963984540054


def wilson(c: int, n: int) -> tuple[float, float]:
    p = c / n
    centre, half = p + Z * Z / (2 * n), Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return (centre - half) / (1 + Z * Z / n), (centre + half) / (1 + Z * Z / n)


def lcp(value: float) -> dict:
    rating = "good" if value <= 2500 else "poor" if value > 4000 else "needs-improvement"
    return {"t": "vital", "ts": 1.0, "n": "LCP", "v": value, "r": rating}


def test_each_steps_page_views_and_the_conversion_impact(store) -> None:  # noqa: ANN001
    site = "fp-" + uuid.uuid4().hex[:8]
    records, good_lcps, requests = [], [], []
    # 10 good product pages (8 go on to the cart), 10 poor ones (3 go on), 4 unmeasured (2 go on).
    plan = [(1500 + 50 * i, i < 8) for i in range(10)] + [(4500 + 100 * i, i < 3) for i in range(10)] + \
           [(None, i < 2) for i in range(4)]
    for n, (value, converts) in enumerate(plan):
        request = 100 + 10 * n
        requests.append(request)
        product = [{"t": "nav", "ts": 0.5, "req": request, "res": 20, "dom": 100, "load": 5},
                   {"t": "res", "ts": 0.6, "url": "https://cdn.test/p.jpg", "kind": "img", "dur": 700 + n},
                   click(2.0, s="button.add")]
        if value is not None:
            product.append(lcp(value))
            good_lcps += [value] if value <= 2500 else []
        visit = Visit(site, f"u{n}", ms(DAY) + n * 60_000).page("/home", 0).page(f"/product/{n}", 5, *product)
        if converts:
            visit.page("/cart", 20, {"t": "nav", "ts": 0.5, "req": 999, "res": 1, "dom": 1, "load": 1},
                       *([error(1.0)] if n % 2 else []))
        records += visit.records
    land(store, records)
    f = Funnel((Step(page="/product/*"), Step(selector="button.add"), Step(page="/cart")))
    start, end = DAY, DAY + timedelta(days=1)
    found = query_with_performance(store, site, start, end, f)
    steps = [{k: v for k, v in s.items() if k != "performance"} for s in found["steps"]]
    assert steps == funnels.query(store, site, start, end, f)["steps"]  # the counts of one walk are the funnel's
    assert [s["entered"] for s in steps] == [24, 24, 13]
    got = [s["performance"] for s in found["steps"]]

    product, clicked, cart = got
    assert product["pageviews"] == 24 and product["vitals"]["LCP"]["count"] == 20
    assert product["vitals"]["LCP"]["good"] == 0.5 and product["vitals"]["LCP"]["poor"] == 0.5
    assert product["navigation"]["timed"] == 24
    assert product["navigation"]["phases"]["request"] == {"median": exact(requests, 0.5),
                                                           "p75": exact(requests, 0.75)}
    assert product["slowest_resources"][0]["url"] == "https://cdn.test/p.jpg"
    assert product["errors"]["error_rate"] == 0
    assert clicked["vitals"]["LCP"] == product["vitals"]["LCP"]  # the click happened on the product page
    assert cart["navigation"]["phases"]["request"]["median"] == 999 and cart["vitals"]["LCP"]["count"] == 0
    assert cart["errors"] == {"pageviews_with_error": 6, "error_rate": round(6 / 13, 4)}
    assert "impact" not in cart and cart["slowest_resources"] == []

    impact = clicked["impact"]["LCP"]  # conversion from the click to the cart
    buckets = {b["rating"]: b for b in impact["buckets"]}
    assert [(b["units"], b["converted"]) for b in buckets.values()] == [(10, 8), (0, 0), (10, 3), (4, 2)]
    assert buckets["needs-improvement"]["ci"] is None
    for b in (buckets["good"], buckets["poor"], buckets["not measured"]):
        low, high = wilson(b["converted"], b["units"])
        assert b["ci"] == [round(low, 4), round(high, 4)] and b["conversion"] == round(b["converted"] / b["units"], 4)
    assert impact["lost"]["estimate"] == 5.0 and impact["lost"]["rate_gap"] == 0.5
    assert 0 < impact["lost"]["low"] < 5.0 < impact["lost"]["high"] <= 10
    inp = {b["rating"]: b["units"] for b in clicked["impact"]["INP"]["buckets"]}
    assert inp == {"good": 0, "needs-improvement": 0, "poor": 0, "not measured": 24}
    assert clicked["impact"]["INP"]["lost"] is None
    assert good_lcps and product["vitals"]["LCP"]["p50"] == exact(good_lcps + [4500 + 100 * i for i in range(10)], 0.5)


def test_a_page_views_measurements_sent_in_several_batches_count_once(store) -> None:  # noqa: ANN001
    """TTFB and a first LCP with the page view, the navigation and a larger LCP at load, INP, CLS and an error
    when the page is left: one page view, its LCP the larger (a vital reported twice keeps its maximum)."""
    site, sid, pv, at = "fp-" + uuid.uuid4().hex[:8], uuid.uuid4().hex, uuid.uuid4().hex, ms(DAY) + 60_000

    def batch(*events: dict) -> tuple:
        body = {"v": 1, "site": site, "sid": sid, "pv": pv, "url": ORIGIN + "/product/1", "vid": "v-one",
                "vw": 1280, "vh": 800, "e": [{**e, "ts": at + e["ts"]} for e in events]}
        record = wire.batch_decoder.decode(msgspec.json.encode(body))
        return frames.BATCH, record, rows.Context(at + 10_000, "server-hash", CHROME, 30)

    vital = lambda ts, name, value, rating: {"t": "vital", "ts": ts, "n": name, "v": value, "r": rating}  # noqa: E731
    for sent in (batch({"t": "pageview", "ts": 0}, vital(300, "TTFB", 310, "good"), vital(900, "LCP", 2000, "good")),
                 batch({"t": "nav", "ts": 1200, "req": 250, "res": 20, "dom": 300, "load": 40},
                       vital(1500, "LCP", 4600, "poor")),
                 batch(vital(9000, "INP", 650, "poor"), vital(9000, "CLS", 0.02, "good"), error(9100))):
        land(store, [sent])  # each batch its own insert, as they arrive
    f = Funnel((Step(page="/product/*"), Step(page="/cart")))
    start, end = DAY, DAY + timedelta(days=1)
    [product, _] = [s["performance"] for s in query_with_performance(store, site, start, end, f)["steps"]]
    vitals = product["vitals"]
    assert vitals["LCP"]["count"] == 1 and vitals["LCP"]["p50"] == 4600 and vitals["LCP"]["poor"] == 1.0
    assert (vitals["TTFB"]["p50"], vitals["INP"]["p50"], vitals["CLS"]["p50"]) == (310, 650, 0.02)
    assert product["navigation"]["timed"] == 1 and product["navigation"]["phases"]["request"]["median"] == 250
    assert product["errors"] == {"pageviews_with_error": 1, "error_rate": 1.0}
    assert {b["rating"]: b["units"] for b in product["impact"]["LCP"]["buckets"]}["poor"] == 1
    merged = store.rows("SELECT lcp, lcp_rating, request, has_error FROM pageview_performance FINAL "
                        "WHERE site = {site:String}", {"site": site})
    assert merged == [(4600.0, 3, 250.0, 1)]

    # A store older than the table: migration 0008 brings the rows stored before it.
    store.client.command("ALTER TABLE pageview_performance DELETE WHERE site = {site:String}",
                         parameters={"site": site}, settings={"mutations_sync": 2})
    assert query_with_performance(store, site, start, end, f)["steps"][0]["performance"]["vitals"]["LCP"][
        "count"] == 0
    [migration] = [m for m in available() if m.name == "pageview_performance"]
    for statement in migration.statements():
        if statement.startswith("INSERT"):
            store.command(statement)
    assert store.rows("SELECT lcp, lcp_rating, request, has_error FROM pageview_performance FINAL "
                      "WHERE site = {site:String}", {"site": site}) == merged


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=journeys(), funnel=funnel_defs())
def test_the_counts_walked_with_the_performance_agree_with_the_reference(store, rows: list[Row],  # noqa: ANN001
                                                                         funnel: Funnel) -> None:
    """The one walk that answers the counts and the performance counts what funnels.query counts, in
    every mode, counting, exclusion and breakdown; each step's performance covers its units."""
    site = "fw-" + uuid.uuid4().hex[:12]
    store_rows(store, site, rows)
    got = query_with_performance(store, site, BASE, datetime.fromtimestamp(END_MS / 1000, UTC), funnel)
    measured = [s.pop("performance") for s in got["steps"]]
    assert got == reference(rows, funnel, BASE_MS, END_MS)
    assert [m["pageviews"] for m in measured] == [s["entered"] for s in got["steps"]]


def test_more_measured_than_counted_leaves_none_unmeasured() -> None:
    """Counts older than the measurements (a page view landed between two reads) give an empty
    'not measured' bucket rather than a negative count, which the interval would refuse."""
    got = impact(0, 0, {"poor": (1, 1)})
    buckets = {b["rating"]: (b["units"], b["converted"]) for b in got["buckets"]}
    assert buckets == {"good": (0, 0), "needs-improvement": (0, 0), "poor": (1, 1), "not measured": (0, 0)}

"""A page's performance from rows made by the real ingestion path: vitals percentiles and ratings,
navigation phases, error rate and slowest resources, each checked against values computed here."""

from __future__ import annotations

import uuid
from datetime import timedelta

from footfall.analysis.performance import performance, slowest_pages
from footfall.web import performance_api
from tests.helpers import exact, guarded_client, land
from tests.visits import DAY, NEXT_DAY, Visit, ms


def test_a_pages_vitals_phases_errors_and_resources(store) -> None:  # noqa: ANN001
    site = "perf-" + uuid.uuid4().hex[:8]
    lcps = [1200, 1900, 2600, 3100, 4500, 900, 2200, 5200]
    ratings = ["good" if v <= 2500 else "poor" if v > 4000 else "needs-improvement" for v in lcps]
    requests = [100, 250, 400, 90, 600, 150, 300, 220]
    records = []
    for n, (lcp, rating, request) in enumerate(zip(lcps, ratings, requests, strict=True)):
        events = [{"t": "vital", "ts": 1.0, "n": "LCP", "v": lcp, "r": rating},
                  {"t": "nav", "ts": 1.1, "dns": 5 + n, "req": request, "res": 30, "dom": 200, "load": 10},
                  {"t": "res", "ts": 1.2, "url": "https://cdn.test/app.js", "kind": "script", "dur": 300 + 10 * n},
                  {"t": "res", "ts": 1.3, "url": "https://cdn.test/hero.jpg", "kind": "img", "dur": 900 + n}]
        if n % 3 == 0:
            events.append({"t": "error", "ts": 2.0, "msg": "TypeError: x is undefined"})
        if n == 1:
            events.append({"t": "error", "ts": 2.5, "msg": "just logging", "kind": "console"})
        records += Visit(site, f"v{n}", ms(DAY) + n * 60_000).page("/checkout", 0, *events).records
    records += Visit(site, "other", ms(DAY)).page("/home", 0, {"t": "vital", "ts": 1, "n": "LCP", "v": 99999}).records
    land(store, records)

    got = performance(store, site, DAY, NEXT_DAY + timedelta(days=1), "/checkout")
    assert got["pageviews"] == 8
    lcp = got["vitals"]["LCP"]
    assert (lcp["count"], lcp["p50"], lcp["p75"], lcp["p95"]) == (8, exact(lcps, 0.5), exact(lcps, 0.75),
                                                                   exact(lcps, 0.95))
    assert (lcp["good"], lcp["needs_improvement"], lcp["poor"]) == (0.5, 0.25, 0.25)
    assert lcp["p75_rating"] == "poor"  # 4.5 s, over the 4 s threshold, though half the views were good
    assert got["vitals"]["INP"]["count"] == 0 and got["vitals"]["INP"]["p75"] is None
    phases = got["navigation"]["phases"]
    assert got["navigation"]["timed"] == 8
    assert phases["request"] == {"median": exact(requests, 0.5), "p75": exact(requests, 0.75)}
    assert phases["dns"] == {"median": exact([5 + n for n in range(8)], 0.5), "p75": exact([5 + n for n in range(8)],
                                                                                          0.75)}
    assert got["errors"] == {"pageviews_with_error": 3, "error_rate": round(3 / 8, 4)}  # console messages aside
    hero, app = got["slowest_resources"]
    assert (hero["url"], hero["count"], hero["p75_ms"]) == ("https://cdn.test/hero.jpg", 8, 906.0)
    assert (app["url"], app["p75_ms"]) == ("https://cdn.test/app.js", 360.0)
    [day] = got["trend"]
    assert day == {"day": DAY.date().isoformat(), "pageviews": 8, "LCP": {"p75": exact(lcps, 0.75), "count": 8},
                   "TTFB": None, "FCP": None, "INP": None, "CLS": None}
    pattern = performance(store, site, DAY, NEXT_DAY + timedelta(days=1), "/*")
    assert pattern["pageviews"] == 9 and pattern["vitals"]["LCP"]["count"] == 9

    checkout, home = slowest_pages(store, site, DAY, NEXT_DAY + timedelta(days=1))
    assert (checkout["page"], checkout["pageviews"], checkout["error_rate"]) == ("/checkout", 8, round(3 / 8, 4))
    assert checkout["LCP"] == {"p75": exact(lcps, 0.75), "poor": 0.25, "count": 8, "p75_rating": "poor"}
    assert checkout["INP"] is None and checkout["error_rate"] == round(3 / 8, 4)
    assert (home["page"], home["pageviews"], home["LCP"]["p75"], home["error_rate"]) == ("/home", 1, 99999, 0.0)
    [grouped] = slowest_pages(store, site, DAY, NEXT_DAY + timedelta(days=1), patterns=("/*",))
    assert (grouped["page"], grouped["pattern"], grouped["pageviews"], grouped["LCP"]["count"]) == ("/*", True, 9, 9)

    with guarded_client(store, performance_api.routes(store), site, "perf") as (client, auth):
        url = f"/api/v1/sites/{site}/performance?from={DAY.date()}"
        assert client.get(url + "&url=/checkout?x=1", headers=auth).json()["vitals"]["LCP"]["p75"] == lcp["p75"]
        assert client.get(url, headers=auth).json()["field"] == "url"
        assert client.get(url + "&url=/checkout&device=phone", headers=auth).json()["field"] == "device"
        assert client.get(url + "&url=/checkout&device=mobile", headers=auth).json()["pageviews"] == 0
        assert client.get(url + "&url=/checkout").status_code == 401
        pages = client.get(f"/api/v1/sites/{site}/performance/pages?from={DAY.date()}", headers=auth).json()["pages"]
        assert [p["page"] for p in pages] == ["/checkout", "/home"]

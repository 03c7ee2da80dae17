"""The read API: bearer tokens required, dates validated, counts per type."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from footfall.collector.rejection import Counters
from footfall.web import (
    anomalies_api,
    api,
    funnels_api,
    heatmaps_api,
    openapi,
    performance_api,
    sessions_api,
    stats_api,
)
from footfall.web.version import version
from tests.helpers import get, make_batch, post, wait_for_count


def test_requires_a_valid_token(shop_server) -> None:  # noqa: ANN001
    srv, _ = shop_server
    url = f"{srv.url}/api/v1/sites/shop/events/count"
    assert get(url)[0] == 401
    assert get(url, "ff_not-a-real-token")[0] == 401
    assert get(url, "garbage")[1]["field"] == "authorization"


def test_counts_by_type_and_date(shop_server) -> None:  # noqa: ANN001
    srv, token = shop_server
    base = f"{srv.url}/api/v1/sites/shop/events/count"
    before = get(f"{base}?type=error", token)[1]["count"]
    now = int(datetime.now(UTC).timestamp() * 1000)
    batch = make_batch(events=1)
    batch["e"].append({"t": "error", "ts": now, "msg": "TypeError: x is undefined"})
    assert post(srv.url, batch)[0] == 202
    assert wait_for_count(srv.url, token, "error", before + 1) == before + 1
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    status, body = get(f"{base}?type=error&from={tomorrow}&to={tomorrow}", token)
    assert status == 200 and body["count"] == 0
    assert get(f"{base}?type=teleport", token)[1]["field"] == "type"
    assert get(f"{base}?from=yesterday", token)[1]["field"] == "from"
    assert get(f"{base}?from=2026-02-02&to=2026-01-01", token)[0] == 400


def test_health_and_the_document_name_the_version(shop_server) -> None:  # noqa: ANN001
    assert get(f"{shop_server[0].url}/healthz") == (200, {"status": "ok", "version": version()})
    doc = get(f"{shop_server[0].url}/api/openapi.json", shop_server[1])[1]
    assert doc["info"]["version"] == version() and doc["info"]["x-api-version"] == "1"


def test_openapi_lists_the_routes(shop_server) -> None:  # noqa: ANN001
    assert get(f"{shop_server[0].url}/api/openapi.json")[0] == 401  # like every API route: a token or a login
    status, doc = get(f"{shop_server[0].url}/api/openapi.json", shop_server[1])
    assert status == 200 and "/api/v1/sites/{site}/events/count" in doc["paths"]
    assert {"/api/v1/sites/{site}/sessions", "/api/v1/sites/{site}/sessions/{session_id}",
            "/api/v1/sites/{site}/sessions/{session_id}/replay", "/api/v1/sites/{site}/heatmaps/{kind}",
            "/api/v1/sites/{site}/heatmaps/snapshot", "/api/v1/sites/{site}/elements",
            "/api/v1/sites/{site}/funnels/query"} <= set(doc["paths"])


def test_the_document_describes_each_api_route() -> None:
    """Every method of every route of the API modules is an operation of the document, and the
    document's /api/v1 operations are those."""
    served = [*api.routes(None, Counters()), *sessions_api.routes(None), *heatmaps_api.routes(None),
              *funnels_api.routes(None), *performance_api.routes(None), *stats_api.routes(None),
              *anomalies_api.routes(None)]
    routes = {(method.lower(), route.path) for route in served if route.path.startswith("/api/v1/")
              for method in route.methods or () if method != "HEAD"}
    described = {(method, path) for path, methods in openapi.openapi_document()["paths"].items()
                 if path.startswith("/api/v1/") for method in methods}
    assert routes == described


def test_ingest_stats_count_outcomes(shop_server) -> None:  # noqa: ANN001
    srv, token = shop_server
    url = f"{srv.url}/api/v1/ingest/stats"
    before = get(url, token)[1]
    assert post(srv.url, make_batch(v=7))[0] == 400
    bot = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"
    assert post(srv.url, make_batch(), {"User-Agent": bot})[0] == 202
    after = get(url, token)[1]
    assert after.get("rejected.400", 0) == before.get("rejected.400", 0) + 1
    assert after.get("dropped.bot", 0) == before.get("dropped.bot", 0) + 1
    assert get(url)[0] == 401

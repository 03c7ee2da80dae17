"""Spool frames to table rows, made by the ClickHouse views of migration 0002 in the embedded store."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from footfall.collector import frames, rows, wire
from footfall.collector.enrich import Client, client_of
from footfall.demo import journeys
from tests import helpers

CHROME = Client("Chrome", "120", "Linux", False, "mobile")
NOW = int(time.time()) * 1000
TABLES = ["pageviews", "events", "page_timings", "web_vitals", "errors", "resources", "form_fields"]


def batch(site: str, events: list[dict[str, Any]], **extra: Any) -> wire.Batch:
    body = {"v": 1, "site": site, "sid": "s1", "pv": "p1", "url": "https://shop.test/p/1?email=a@b.c",
            "vw": 1280, "e": events, **extra}
    return wire.batch_decoder.decode(msgspec.json.encode(body))


def ctx(received: int = NOW, client: Client = CHROME) -> rows.Context:
    return rows.Context(received_ms=received, visitor_id="v-hash", client=client, retention_days=30)


def land(store, *records: tuple[bytes, wire.Batch | wire.ReplayChunk, rows.Context], token: str = "") -> None:  # noqa: ANN001
    """One spool segment holding these frames, landed as the writer does."""
    helpers.land(store, list(records), token)


def site_rows(store, table: str, site: str) -> list[dict[str, Any]]:  # noqa: ANN001
    result = store.client.query(f"SELECT * FROM {table} WHERE site = {{s:String}} ORDER BY time",
                                parameters={"s": site})
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def new_site() -> str:
    return f"rows-{uuid.uuid4().hex[:10]}"


def ms(value: datetime) -> int:
    return int(value.replace(tzinfo=UTC).timestamp() * 1000)


def test_each_event_type_lands_in_its_table_with_its_fields(store) -> None:  # noqa: ANN001
    site = new_site()
    events = [
        {"t": "pageview", "ts": NOW, "title": "Shoes"},
        {"t": "click", "ts": NOW, "s": "#buy", "x": 11, "y": 22, "rx": 0.25, "ry": 0.5, "text": "Buy",
         "dead": True, "rage": True},
        {"t": "move", "ts": NOW, "p": [[1, 2], [3, 4]]},
        {"t": "scroll", "ts": NOW, "d": 500, "pct": 0.5, "h": 1000},
        {"t": "nav", "ts": NOW, "dns": 3, "req": 120, "size": 5000},
        {"t": "vital", "ts": NOW, "n": "LCP", "v": 2100, "r": "needs-improvement", "target": "img.hero",
         "a": {"element": "img"}},
        {"t": "error", "ts": NOW, "msg": "boom", "src": "https://shop.test/app.js?v=2", "line": 3, "col": 9},
        {"t": "res", "ts": NOW, "url": "https://cdn.test/x.js?v=1", "kind": "script", "dur": 900, "size": 10},
        {"t": "form", "ts": NOW, "s": "#email", "first": 800, "time": 5000, "changes": 2, "hesitation": True},
        {"t": "custom", "ts": NOW, "n": "add_to_cart", "p": {"sku": 3}},
    ]
    land(store, (frames.BATCH, batch(site, events, ref="https://www.google.com/search?q=x",
                                      utm={"source": "news"}), ctx()))
    [pageview] = site_rows(store, "pageviews", site)
    assert pageview["title"] == "Shoes" and pageview["url"] == "https://shop.test/p/1"
    assert (pageview["referrer"], pageview["referrer_host"]) == ("https://www.google.com/search", "www.google.com")
    assert (pageview["utm_source"], pageview["browser"], pageview["os"]) == ("news", "Chrome", "Linux")
    assert (pageview["visitor_id"], pageview["device"], pageview["retention"]) == ("v-hash", "desktop", 30)
    by_type = {r["type"]: r for r in site_rows(store, "events", site)}
    assert set(by_type) == {"click", "move", "scroll", "custom"}
    click = by_type["click"]
    assert (click["selector"], click["x"], click["y"], click["text"], click["dead"], click["rage"]) == (
        "#buy", 11, 22, "Buy", 1, 1)
    assert (click["rx"], click["ry"], click["viewport_width"], click["path"]) == (0.25, 0.5, 1280, "/p/1")
    assert by_type["move"]["points"] == [(1, 2), (3, 4)]
    assert (by_type["scroll"]["y"], by_type["scroll"]["depth_share"], by_type["scroll"]["page_height"]) == (
        500, 0.5, 1000)
    assert (by_type["custom"]["name"], msgspec.json.decode(by_type["custom"]["props"])) == ("add_to_cart", {"sku": 3})
    [nav] = site_rows(store, "page_timings", site)
    assert (nav["dns"], nav["request"], nav["transfer_size"]) == (3, 120, 5000)
    [vital] = site_rows(store, "web_vitals", site)
    assert (vital["name"], vital["value"], vital["rating"], vital["target"]) == (
        "LCP", 2100, "needs-improvement", "img.hero")
    assert msgspec.json.decode(vital["attribution"]) == {"element": "img"}
    [error] = site_rows(store, "errors", site)
    assert (error["message"], error["source"], error["line"], error["column"], error["kind"]) == (
        "boom", "https://shop.test/app.js", 3, 9, "error")
    [resource] = site_rows(store, "resources", site)
    assert (resource["url"], resource["kind"], resource["duration"], resource["transfer_size"]) == (
        "https://cdn.test/x.js", "script", 900, 10)
    [field] = site_rows(store, "form_fields", site)
    assert (field["field"], field["first_input"], field["time_in_field"], field["changes"], field["hesitation"]) == (
        "#email", 800, 5000, 2, 1)


def test_a_segment_written_twice_is_stored_once(store) -> None:  # noqa: ANN001
    site = new_site()
    events = [{"t": "pageview", "ts": NOW}, {"t": "click", "ts": NOW, "s": "#a", "x": 1, "y": 2},
              {"t": "error", "ts": NOW, "msg": "x"}]
    record = (frames.BATCH, batch(site, events), ctx())
    land(store, record, token="segment-1")
    land(store, record, token="segment-1")  # the writer crashed before deleting the segment
    assert [len(site_rows(store, t, site)) for t in ("pageviews", "events", "errors")] == [1, 1, 1]
    land(store, record, token="segment-2")  # another segment with the same content is new data
    assert len(site_rows(store, "pageviews", site)) == 2


def test_query_strings_are_never_stored(store) -> None:  # noqa: ANN001
    site = new_site()
    events = [{"t": "pageview", "ts": NOW}, {"t": "res", "ts": NOW, "url": "https://cdn/x.js?token=s"},
              {"t": "error", "ts": NOW, "msg": "x", "src": "https://shop.test/a.js?token=s"}]
    land(store, (frames.BATCH, batch(site, events, ref="https://mail.test/inbox?token=s"), ctx()))
    for table in TABLES:
        for row in site_rows(store, table, site):
            text = " ".join(str(v) for v in row.values())
            assert "email=" not in text and "token=" not in text, table


@pytest.mark.parametrize(("event", "table", "column", "kind"), [
    ({"t": "error", "msg": "x" * 5000, "stack": "s" * 20_000, "src": "u" * 5000}, "errors", "message", "message"),
    ({"t": "error", "msg": "x", "stack": "s" * 20_000}, "errors", "stack", "stack"),
    ({"t": "error", "msg": "x", "src": "u" * 5000}, "errors", "source", "source"),
    ({"t": "click", "s": "é" * 2000, "x": 1, "y": 1}, "events", "selector", "selector"),
    ({"t": "click", "s": "#a", "x": 1, "y": 1, "text": "ü" * 500}, "events", "text", "text"),
    ({"t": "custom", "n": "n" * 500}, "events", "name", "name"),
    ({"t": "custom", "n": "a", "p": {"k": "v" * 9000}}, "events", "props", "props"),
    ({"t": "pageview", "title": "t" * 1000}, "pageviews", "title", "title"),
    ({"t": "vital", "n": "LCP", "v": 1, "a": {"k": "v" * 9000}}, "web_vitals", "attribution", "attribution"),
])
def test_long_strings_are_cut_to_the_documented_limit(store, event, table, column, kind) -> None:  # noqa: ANN001
    site = new_site()
    land(store, (frames.BATCH, batch(site, [{"ts": NOW, **event}]), ctx()))
    [row] = site_rows(store, table, site)
    assert len(row[column]) == rows.MAX_TEXT[kind]  # characters, not bytes


def test_long_urls_and_campaigns_are_cut(store) -> None:  # noqa: ANN001
    site = new_site()
    long_path = "https://shop.test/" + "p" * 5000
    land(store, (frames.BATCH, batch(site, [{"t": "pageview", "ts": NOW}], url=long_path,
                                      ref="https://r.test/" + "r" * 5000, utm={"source": "s" * 500}), ctx()))
    [row] = site_rows(store, "pageviews", site)
    assert len(row["url"]) == len(row["path"]) == rows.MAX_TEXT["url"]
    assert len(row["referrer"]) == rows.MAX_TEXT["referrer"]
    assert len(row["utm_source"]) == rows.MAX_TEXT["utm"]


def test_client_clock_skew_is_corrected_and_the_future_clamped(store) -> None:  # noqa: ANN001
    site = new_site()
    late = NOW - 3_600_000  # the client's clock is an hour behind
    land(store,
         (frames.BATCH, batch(site, [{"t": "pageview", "ts": late - 1000}], sent=late, pv="late"), ctx()),
         (frames.BATCH, batch(site, [{"t": "pageview", "ts": NOW - 1500}], sent=NOW - 500, pv="close"), ctx()),
         (frames.BATCH, batch(site, [{"t": "pageview", "ts": NOW + 10**9}], pv="future"), ctx()))
    times = {r["pageview_id"]: ms(r["time"]) for r in site_rows(store, "pageviews", site)}
    assert times == {"late": NOW - 1000, "close": NOW - 1500, "future": NOW + rows.MAX_FUTURE_MS}


def test_hash_routes_keep_their_route_and_other_fragments_go(store) -> None:  # noqa: ANN001
    site = new_site()
    land(store,
         (frames.BATCH, batch(site, [{"t": "pageview", "ts": NOW}], url="https://a.test/app#/cart?x=1", pv="a"),
          ctx()),
         (frames.BATCH, batch(site, [{"t": "pageview", "ts": NOW + 1}], url="https://a.test/p?q=1#top", pv="b"),
          ctx()))
    got = {r["pageview_id"]: (r["url"], r["path"]) for r in site_rows(store, "pageviews", site)}
    assert got == {"a": ("https://a.test/app#/cart", "/app#/cart"), "b": ("https://a.test/p", "/p")}


def test_device_class_comes_from_the_viewport_then_the_user_agent(store) -> None:  # noqa: ANN001
    site = new_site()
    land(store, *[(frames.BATCH, batch(site, [{"t": "pageview", "ts": NOW + i}], vw=width, pv=f"w{width}"), ctx())
                  for i, width in enumerate((375, 800, 1440, 0))])
    got = {r["pageview_id"]: r["device"] for r in site_rows(store, "pageviews", site)}
    # no viewport: the user agent's class (CHROME says mobile)
    assert got == {"w375": "mobile", "w800": "tablet", "w1440": "desktop", "w0": "mobile"}


def test_errors_that_differ_only_in_numbers_share_a_fingerprint(store) -> None:  # noqa: ANN001
    site = new_site()
    errors = [
        {"t": "error", "ts": NOW, "msg": "Item 17 not found", "src": "https://a/app.js?v=2",
         "stack": "Error\n at f (app.js:10:5)"},
        {"t": "error", "ts": NOW + 1, "msg": "Item 23 not found", "src": "https://a/app.js?v=3",
         "stack": "Error\r\n at f (app.js:10:9)"},
        {"t": "error", "ts": NOW + 2, "msg": "Other", "src": "", "stack": ""},
    ]
    land(store, (frames.BATCH, batch(site, errors), ctx()))
    prints = [r["fingerprint"] for r in site_rows(store, "errors", site)]
    assert prints[0] == prints[1] != prints[2]
    assert all(len(p) == 16 for p in prints)


def test_replay_chunks_land_with_corrected_times(store) -> None:  # noqa: ANN001
    site = new_site()
    body = {"v": 1, "site": site, "sid": "s1", "seq": 4, "data": "[1,2]", "ts": NOW - 5000, "pv": "p1"}
    chunk = wire.replay_decoder.decode(msgspec.json.encode(body))
    land(store, (frames.REPLAY, chunk, ctx()))
    [row] = site_rows(store, "replay_chunks", site)
    assert (row["session_id"], row["seq"], row["data"], row["pageview_id"]) == ("s1", 4, "[1,2]", "p1")
    assert ms(row["time"]) == NOW - 5000 and ms(row["received"]) == NOW


def test_every_demo_batch_becomes_rows_no_later_than_its_last_event(store) -> None:  # noqa: ANN001
    site = new_site()
    [journey] = journeys.generate(site, 1, 1, now_ms=NOW)
    client = client_of(journey.visitor.device.user_agent)
    records = []
    for b in journey.batches:
        last = max(e.ts for e in b.events)
        records.append((frames.BATCH, b, rows.Context(last + 300, journey.visitor.id, client, 365)))
    land(store, *records)
    stored = sum(len(site_rows(store, t, site)) for t in TABLES)
    assert stored == sum(len(b.events) for b in journey.batches)
    last_event = max(e.ts for b in journey.batches for e in b.events)
    assert max(ms(r["time"]) for t in TABLES for r in site_rows(store, t, site)) <= last_event


def test_campaign_fields_come_from_the_page_url_when_the_batch_has_none(store) -> None:  # noqa: ANN001
    site = new_site()
    url = "https://shop.test/landing?utm_source=news%20letter&utm_medium=email&utm_campaign=spring&x=1"
    land(store,
         (frames.BATCH, batch(site, [{"t": "pageview", "ts": NOW}], url=url, pv="from-url"), ctx()),
         (frames.BATCH, batch(site, [{"t": "pageview", "ts": NOW + 1}], url=url, pv="sent",
                              utm={"source": "partner"}), ctx()))
    got = {r["pageview_id"]: (r["utm_source"], r["utm_medium"], r["utm_campaign"], r["url"])
           for r in site_rows(store, "pageviews", site)}
    assert got["from-url"] == ("news letter", "email", "spring", "https://shop.test/landing")
    assert got["sent"][:2] == ("partner", "email")  # what the page sent wins, field by field

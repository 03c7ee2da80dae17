"""URLs lose their query string and fragment before the spool (collector/urls.py)."""

from __future__ import annotations

import json

import msgspec
import pytest

from footfall.collector import urls, wire
from footfall.collector.rejection import Rejected

PAGE = "https://shop.test/account?email=alice%40example.com&token=SECRET#frag"
MARKERS = ("alice", "SECRET", "frag", "token=")


def clean(text: str) -> bool:
    return not any(marker in text for marker in MARKERS)


@pytest.mark.parametrize(("url", "expected"), [
    (PAGE, "https://shop.test/account"),
    ("https://a.test/app#/cart?x=1", "https://a.test/app#/cart"),
    ("https://a.test/app?q=1#/cart", "https://a.test/app#/cart"),
    ("https://a.test/p#section", "https://a.test/p"),
    ("https://a.test/p", "https://a.test/p"),
    ("https://a.test/p?", "https://a.test/p"),
])
def test_the_page_url_keeps_only_a_hash_route(url: str, expected: str) -> None:
    assert urls.page_url(url) == expected


def test_urls_in_stack_traces_lose_query_and_fragment_but_keep_line_and_column() -> None:
    stack = (f"Error: boom\n    at buy ({PAGE}:12:5)\n    at {PAGE}:40:1\n"
             f"buy@{PAGE}:12:5\n    at https://cdn.test/app.js?v=3:1:200")
    assert urls.scrub_text(stack) == (
        "Error: boom\n    at buy (https://shop.test/account:12:5)\n    at https://shop.test/account:40:1\n"
        "buy@https://shop.test/account:12:5\n    at https://cdn.test/app.js:1:200")
    assert urls.scrub_text("no url here? #1") == "no url here? #1"


@pytest.mark.parametrize(("url", "name", "value"), [
    ("https://a.test/?utm_source=news%20letter&x=1", "utm_source", "news letter"),
    ("https://a.test/?x=1#utm_medium=mail", "utm_medium", "mail"),
    ("https://a.test/?utm_source=a+b&utm_source=c", "utm_source", "a+b"),
    ("https://a.test/?xutm_source=1", "utm_source", ""),
    ("https://a.test/", "utm_source", ""),
])
def test_url_parameters_read_as_clickhouse_reads_them(url: str, name: str, value: str) -> None:
    assert urls.url_parameter(url, name) == value


def batch(**extra: object) -> wire.Batch:
    body = {"v": 1, "site": "s", "sid": "s1", "pv": "p1", "url": PAGE + "&utm_source=news", "ref": PAGE,
            "utm": {"medium": "mail"},
            "e": [{"t": "pageview", "ts": 1},
                  {"t": "error", "ts": 1, "msg": f"failed at {PAGE}", "src": PAGE, "stack": f"at {PAGE}:1:2"},
                  {"t": "res", "ts": 1, "url": "https://shop.test/a.png?token=SECRET"}], **extra}
    return wire.batch_decoder.decode(msgspec.json.encode(body))


def test_a_cleaned_batch_holds_no_query_string_and_keeps_its_campaign() -> None:
    cleaned = urls.clean_batch(batch())
    assert clean(msgspec.json.encode(cleaned).decode())
    assert (cleaned.url, cleaned.referrer) == ("https://shop.test/account", "https://shop.test/account")
    assert (cleaned.utm.source, cleaned.utm.medium) == ("news", "mail")  # what the page sent wins
    error, resource = cleaned.events[1], cleaned.events[2]
    assert isinstance(error, wire.JsError) and isinstance(resource, wire.SlowResource)
    assert (error.source, error.stack, resource.url) == (
        "https://shop.test/account", "at https://shop.test/account:1:2", "https://shop.test/a.png")


def chunk(events: list[object], **extra: object) -> wire.ReplayChunk:
    body = {"v": 1, "site": "s", "sid": "s1", "seq": 0, "data": json.dumps(events), **extra}
    return wire.replay_decoder.decode(msgspec.json.encode(body))


def test_a_recording_loses_the_page_query_in_its_meta_and_wherever_rrweb_repeated_it() -> None:
    events = [
        {"type": 4, "data": {"href": PAGE, "width": 800, "height": 600}, "timestamp": 1},
        {"type": 2, "data": {"node": {"type": 2, "tagName": "a", "attributes": {
            "href": "https://shop.test/account?email=alice%40example.com&token=SECRET#top"}}}, "timestamp": 2},
        {"type": 3, "data": {"source": 0, "texts": [], "attributes": [
            {"id": 3, "attributes": {"href": PAGE}}]}, "timestamp": 3},
    ]
    cleaned = urls.clean_chunk(chunk(events, snap=True, url=PAGE))
    assert clean(cleaned.data) and cleaned.url == "https://shop.test/account"
    meta, full, mutation = json.loads(cleaned.data)
    assert meta["data"] == {"href": "https://shop.test/account", "width": 800, "height": 600}
    assert full["data"]["node"]["attributes"]["href"] == "https://shop.test/account#top"
    assert mutation["data"]["attributes"][0]["attributes"]["href"] == "https://shop.test/account"


def test_a_meta_href_written_with_unusual_escapes_is_cut_too() -> None:
    data = '[{"type":4,"data":{"href":"https:\\/\\/shop.test\\/a?token=SECRET\\u0026x=1"},"timestamp":1}, 5]'
    cleaned = urls.scrub_events(data)
    assert "SECRET" not in cleaned
    assert json.loads(cleaned) == [{"type": 4, "data": {"href": "https://shop.test/a"}, "timestamp": 1}, 5]


def test_chunks_without_a_query_pass_unchanged_and_non_arrays_are_refused() -> None:
    data = json.dumps([{"type": 4, "data": {"href": "https://shop.test/a"}}, 1, "x"])
    assert urls.scrub_events(data) == data
    with pytest.raises(Rejected) as refused:
        urls.scrub_events('{"type": 4}')
    assert (refused.value.status, refused.value.field) == (400, "$.data")

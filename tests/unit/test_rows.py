"""Batch to rows: tables, truncation, skew correction, no query strings, visitor ids."""

from __future__ import annotations

import msgspec

from collector.ingest import rows, wire
from collector.ingest.enrich import Client, clock_skew_ms, device_class, split_url, visitor_hash

CLIENT = Client("Chrome", "120", "Linux", False)


def batch(**extra: object) -> wire.Batch:
    body = {"v": 1, "site": "shop", "sid": "s1", "pv": "p1", "url": "https://shop.test/p/1?email=a@b.c",
            "vw": 1280, "e": [], **extra}
    return wire.batch_decoder.decode(msgspec.json.encode(body))


def ctx(received: int = 1_700_000_000_000) -> rows.Context:
    return rows.Context(received_ms=received, visitor_id="v-hash", client=CLIENT, retention_days=30)


def test_each_event_type_lands_in_its_table() -> None:
    events = [
        {"t": "pageview", "ts": 1}, {"t": "click", "ts": 1, "s": "#a", "x": 1, "y": 2},
        {"t": "move", "ts": 1, "p": [[1, 2], [3, 4]]}, {"t": "scroll", "ts": 1, "d": 500},
        {"t": "nav", "ts": 1, "dns": 3}, {"t": "vital", "ts": 1, "n": "LCP", "v": 2000},
        {"t": "error", "ts": 1, "msg": "boom"}, {"t": "res", "ts": 1, "url": "https://cdn/x.js?v=1"},
        {"t": "form", "ts": 1, "s": "#email"}, {"t": "custom", "ts": 1, "n": "buy", "p": {"sku": 3}},
    ]
    tables = [table for table, _ in rows.rows_of(batch(e=events), ctx())]
    assert tables == ["pageviews", "events", "events", "events", "page_timings",
                      "web_vitals", "errors", "resources", "form_fields", "events"]


def test_frames_expand_to_the_rows_of_the_batch() -> None:
    from collector.ingest import frames

    events = [{"t": "pageview", "ts": 1}, {"t": "move", "ts": 2, "p": [[1, 2], [3, 4]]},
              {"t": "click", "ts": 3, "s": "#a", "x": 1, "y": 2}]
    body = msgspec.json.encode({"v": 1, "site": "shop", "sid": "s1", "pv": "p1", "vw": 1280,
                                "url": "https://shop.test/p/1?email=a@b.c", "e": events})
    blocks = frames.expand([frames.pack(frames.BATCH, ctx(), body)])
    expected: dict[str, list[dict]] = {}
    for table, row in rows.rows_of(wire.batch_decoder.decode(body), ctx()):
        expected.setdefault(table, []).append(row)
    assert {t: [msgspec.json.decode(line) for line in b.splitlines()] for t, b in blocks.items()} == expected
    assert expected["events"][0]["points"] == [[1, 2], [3, 4]]


def test_query_strings_are_never_stored() -> None:
    events = [{"t": "pageview", "ts": 1}, {"t": "res", "ts": 1, "url": "https://cdn/x.js?token=s"}]
    from collector.ingest import frames

    body = msgspec.json.encode(batch(e=events))
    out = b"".join(frames.expand([frames.pack(frames.BATCH, ctx(), body)]).values())
    assert b"/p/1" in out and b"email" not in out and b"token=s" not in out


def test_long_strings_are_truncated() -> None:
    event = {"t": "error", "ts": 1, "msg": "x" * 50_000}
    [(_, row)] = rows.rows_of(batch(e=[event]), ctx())
    assert len(row["message"]) == rows.MAX_TEXT["message"]


def test_client_clock_skew_is_corrected() -> None:
    received = 1_700_000_000_000
    late_clock = received - 3_600_000  # the client's clock is an hour behind
    event = {"t": "pageview", "ts": late_clock - 1000}
    [(_, row)] = rows.rows_of(batch(e=[event], sent=late_clock), ctx(received))
    assert row["time"] == rows.timestamp(received - 1000)
    assert clock_skew_ms(received - 500, received) == 0


def test_future_timestamps_are_clamped() -> None:
    received = 1_700_000_000_000
    [(_, row)] = rows.rows_of(batch(e=[{"t": "pageview", "ts": received + 10**9}]), ctx(received))
    assert row["time"] == rows.timestamp(received + rows.MAX_FUTURE_MS)


def test_visitor_hash_rotates_with_salt_and_hides_ip() -> None:
    a = visitor_hash(b"salt-1", "shop", "203.0.113.9", "UA")
    assert a == visitor_hash(b"salt-1", "shop", "203.0.113.9", "UA")
    assert a != visitor_hash(b"salt-2", "shop", "203.0.113.9", "UA")
    assert "203" not in a


def test_device_class_from_viewport() -> None:
    assert [device_class(w) for w in (375, 800, 1440)] == ["mobile", "tablet", "desktop"]


def test_hash_routes_keep_their_route() -> None:
    assert split_url("https://a.test/app#/cart?x=1")[1] == "/app#/cart"
    assert split_url("https://a.test/p?q=1#top")[1] == "/p"


def test_error_fingerprint_groups_numbers() -> None:
    a = rows.error_fingerprint("Item 17 not found", "https://a/app.js?v=2", "Error\n at f (app.js:10:5)")
    b = rows.error_fingerprint("Item 23 not found", "https://a/app.js?v=3", "Error\n at f (app.js:10:9)")
    assert a == b
    assert a != rows.error_fingerprint("Other", "", "")

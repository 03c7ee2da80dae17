"""Decoding: size limits, gzip handling and error messages that name the field."""

from __future__ import annotations

import gzip
import json

import msgspec
import pytest

from footfall.collector import wire
from footfall.collector.decode import MAX_RATIO, SMALL_INFLATED, decode, decode_batch, inflated_limit, unwrap
from footfall.collector.rejection import Rejected

BATCH = {"v": 1, "site": "shop", "sid": "s1", "pv": "p1", "url": "http://shop.test/",
         "e": [{"t": "pageview", "ts": 1}]}


def rejected(fn, *args) -> Rejected:  # noqa: ANN001
    with pytest.raises(Rejected) as info:
        fn(*args)
    return info.value


def test_plain_and_gzip_bodies_decode_the_same() -> None:
    raw = json.dumps(BATCH).encode()
    assert unwrap(raw, "", 1024) == raw
    assert unwrap(gzip.compress(raw), "", 1024) == raw  # magic bytes, no header (sendBeacon)
    assert unwrap(gzip.compress(raw), "gzip", 1024) == raw


def test_oversized_body_is_413() -> None:
    assert rejected(unwrap, b"x" * 2000, "", 1024).status == 413


def test_gzip_bomb_is_413() -> None:
    bomb = gzip.compress(b"0" * 10_000_000)
    assert len(bomb) < 1024 * 20
    assert rejected(unwrap, bomb, "", 20 * 1024).status == 413


def test_bad_gzip_is_400() -> None:
    error = rejected(unwrap, b"\x1f\x8bnot gzip at all", "", 1024)
    assert (error.status, error.field) == (400, "body")


def test_truncated_gzip_is_400() -> None:
    assert rejected(unwrap, gzip.compress(b"{}" * 100)[:-8], "", 1024).status == 400


def test_unknown_encoding_is_415() -> None:
    assert rejected(unwrap, b"{}", "br", 1024).status == 415


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"v": 2}, "$.v"),
        ({"v": "1"}, "$.v"),
        ({"site": ""}, "$.site"),
        ({"sid": "has space"}, "$.sid"),
        ({"pv": 5}, "$.pv"),
        ({"url": ""}, "$.url"),
        ({"e": "nope"}, "$.e"),
        ({"e": [{"t": "teleport", "ts": 1}]}, "$.e[0]"),
        ({"e": [{"t": "click", "ts": 1, "s": "#a", "x": "10", "y": 1}]}, "$.e[0].x"),
        ({"e": [{"t": "click", "ts": 1, "s": "#a", "x": 1, "y": 1, "rx": 3}]}, "$.e[0].rx"),
        ({"e": [{"t": "vital", "ts": 1, "n": "FID", "v": 1}]}, "$.e[0].n"),
        ({"e": [{"t": "vital", "ts": 1, "n": "LCP", "v": -1}]}, "$.e[0].v"),
        ({"e": [{"t": "pageview", "ts": -5}]}, "$.e[0].ts"),
        ({"e": [{"t": "custom", "ts": 1, "n": "x", "p": {"a": {"b": 1}}}]}, "$.e[0].p"),
        ({"vw": 10**9}, "$.vw"),
        ({"utm": []}, "$.utm"),
    ],
)
def test_bad_fields_are_named(change: dict, field: str) -> None:
    error = rejected(decode, json.dumps({**BATCH, **change}).encode(), wire.batch_decoder)
    assert error.status == 400
    assert error.field.startswith(field), error.message


def test_missing_field_is_named() -> None:
    body = {k: v for k, v in BATCH.items() if k != "sid"}
    error = rejected(decode, json.dumps(body).encode(), wire.batch_decoder)
    assert error.status == 400 and "sid" in error.message


def test_deeply_nested_body_is_400() -> None:
    nested = "[" * 100_000 + "]" * 100_000
    error = rejected(decode, nested.encode(), wire.batch_decoder)
    assert error.status == 400


def test_malformed_json_is_400() -> None:
    assert rejected(decode, b'{"v": 1,', wire.batch_decoder).field == "body"
    assert rejected(decode, b"", wire.batch_decoder).field == "body"


def test_the_envelope_is_the_batch_with_its_events_left_unread() -> None:
    batch, envelope = msgspec.structs.fields(wire.Batch), msgspec.structs.fields(wire.Envelope)
    assert [(f.name, f.encode_name, f.default) for f in batch] == [(f.name, f.encode_name, f.default) for f in envelope]
    differ = [(b.name, e.type) for b, e in zip(batch, envelope, strict=True) if b.type != e.type]
    assert differ == [("events", list[msgspec.Raw])]


def test_one_invalid_event_is_dropped_and_the_rest_kept() -> None:
    events = [{"t": "click", "ts": 1, "s": "#a", "x": 1, "y": 2}, {"t": "form", "ts": 2, "s": "#q", "refocus": -1},
              {"t": "teleport", "ts": 3}, 7, {"t": "custom", "ts": 4, "n": "added", "p": {"sku": [1]}},
              {"t": "pageview", "ts": 5}]
    batch, invalid = decode_batch(json.dumps({**BATCH, "e": events}).encode())
    assert [type(e).__name__ for e in batch.events] == ["Click", "PageView"]
    assert batch.session_id == "s1" and batch.url == "http://shop.test/"
    assert [(e.field, e.reason) for e in invalid] == [
        ("$.e[1].refocus", "form.refocus"), ("$.e[2].t", "other.t"), ("$.e[3]", "unknown.event"),
        ("$.e[4].p[...]", "custom.p[...]")]


def test_a_valid_batch_has_nothing_invalid_and_an_invalid_envelope_refuses_it_whole() -> None:
    batch, invalid = decode_batch(json.dumps(BATCH).encode())
    assert invalid == [] and len(batch.events) == 1
    for field, value in (("sid", "x" * 65), ("v", 9), ("url", ""), ("e", {"t": "pageview"}), ("vw", -1)):
        with pytest.raises(Rejected) as info:
            decode_batch(json.dumps({**BATCH, "e": [{"t": "form", "ts": 1, "s": "#q", "refocus": -1}],
                                     field: value}).encode())
        assert info.value.status == 400 and info.value.field.startswith(f"$.{field}"), field


def test_json_nested_too_deeply_is_a_400_not_a_traceback() -> None:
    for body in (b'{"x":' * 5000 + b"1" + b"}" * 5000, b"[" * 100_000 + b"]" * 100_000):
        for decoder in (wire.batch_decoder, wire.replay_decoder):
            assert rejected(decode, body, decoder).status == 400
        assert rejected(decode_batch, body).status == 400
    nested_event = json.dumps({**BATCH, "e": []}).encode()[:-2] + b'{"t":"custom","ts":1,"n":"x","p":' + \
        b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"}]}"
    assert rejected(decode_batch, nested_event).message == "JSON nested too deeply"  # no event can be read alone


def test_inflating_is_bounded_by_what_was_received() -> None:
    bomb = gzip.compress(b"0" * 5_000_000)  # about 5 KB on the wire
    assert rejected(unwrap, bomb, "", 1024 * 1024).status == 413  # 20 MiB allowed by the limit alone
    assert inflated_limit(len(bomb), 1024 * 1024) == SMALL_INFLATED
    assert inflated_limit(100_000, 1024 * 1024) == 100_000 * MAX_RATIO
    ordinary = json.dumps({**BATCH, "e": [{"t": "pageview", "ts": i} for i in range(300)]}).encode()
    assert unwrap(gzip.compress(ordinary), "", 256 * 1024) == ordinary


def test_an_event_type_of_any_json_type_is_an_invalid_event_not_a_crash() -> None:
    for kind in ([], {}, 1, None, True, "x" * 1000):
        batch, invalid = decode_batch(json.dumps({**BATCH, "e": [{"t": kind, "ts": 1}, {"t": "pageview", "ts": 2}]}
                                                 ).encode())
        assert len(batch.events) == 1 and [e.reason.split(".")[0] for e in invalid] == ["other"], kind


def test_a_resource_size_past_javascripts_safe_integers_is_invalid_not_wrapped() -> None:
    sizes = (2**64 + 5, 2**53, 2**53 - 1)
    events = [{"t": "res", "ts": 1, "url": "https://cdn.test/a.js", "size": size} for size in sizes]
    batch, invalid = decode_batch(json.dumps({**BATCH, "e": events}).encode())
    assert [e.transfer_size for e in batch.events] == [2**53 - 1]
    assert [e.field for e in invalid] == ["$.e[0].size", "$.e[1].size"]

"""Decoding: size limits, gzip handling and error messages that name the field."""

from __future__ import annotations

import gzip
import json

import pytest

from collector.ingest import wire
from collector.ingest.decode import decode, unwrap
from collector.ingest.rejection import Rejected

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

"""A replay chunk's data (store/chunks.py): JSON or base64 of its gzip, inflated within a limit."""

from __future__ import annotations

import base64
import gzip

import pytest

from footfall.store import chunks

TEXT = '[{"type":4,"data":{"href":"https://shop.test/é"},"timestamp":1}]'


def test_data_round_trips_in_either_encoding() -> None:
    packed = chunks.encode(TEXT)
    assert gzip.decompress(base64.b64decode(packed)).decode() == TEXT  # what a browser's gzip reads
    assert chunks.decode(chunks.GZIP_BASE64, packed) == TEXT
    assert chunks.decode(chunks.GZIP_BASE64, base64.b64encode(gzip.compress(TEXT.encode(), 9)).decode()) == TEXT
    assert chunks.decode(chunks.JSON, TEXT) is TEXT
    assert chunks.decode("", TEXT) is TEXT  # a row stored before chunks had an encoding
    assert chunks.encode(TEXT) == packed  # the same text packs to the same data


@pytest.mark.parametrize(("data", "message"), [
    ("not base64 at all!", "data is not valid base64"),
    ("é" * 8, "data is not valid base64"),
    ("bm90IGd6aXA=", "invalid gzip data: Error -3 while decompressing data: incorrect header check"),
    (chunks.encode(TEXT * 50)[:40], "truncated gzip data"),
    (base64.b64encode(gzip.compress(b"\xff\xfe[]", mtime=0)).decode(), "data is not gzipped UTF-8 JSON"),
])
def test_bad_data_is_refused_with_its_reason(data: str, message: str) -> None:
    with pytest.raises(chunks.BadChunk) as info:
        chunks.decode(chunks.GZIP_BASE64, data)
    assert str(info.value) == message and not isinstance(info.value, chunks.TooLarge)


def test_data_inflating_past_the_limit_is_refused() -> None:
    packed = chunks.encode("[" + " " * 998 + "]")
    assert len(chunks.decode(chunks.GZIP_BASE64, packed, limit=1000)) == 1000
    with pytest.raises(chunks.TooLarge, match="^decompressed body exceeds 999 bytes$"):
        chunks.decode(chunks.GZIP_BASE64, packed, limit=999)
    bomb = chunks.encode(" " * (chunks.MAX_INFLATED + 1))
    assert len(bomb) < 100_000
    with pytest.raises(chunks.TooLarge):
        chunks.decode(chunks.GZIP_BASE64, bomb)


def test_an_unknown_encoding_is_refused() -> None:
    with pytest.raises(chunks.BadChunk, match="unknown encoding 'brotli'"):
        chunks.decode("brotli", TEXT)

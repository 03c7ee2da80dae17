"""A replay chunk's `data`: rrweb events as JSON text (encoding `json`) or base64 of the gzip of
that text (`gzip-base64`, as the recorder sends it where the browser can gzip), inflated within a limit.

It lives in the store because it is the stored format of a recording chunk, read by the
collector (checking a chunk as it comes in), replay (playing recordings back), the demo (its
saved recordings) and the benchmarks; the store is the one layer all of them may import. The
collector inflates gzipped request bodies with the same bounded `gunzip`.
"""

from __future__ import annotations

import base64
import gzip
import zlib

JSON = "json"
GZIP_BASE64 = "gzip-base64"
GZIP_LEVEL = 6  # zlib's default, as the browser's CompressionStream
MAX_INFLATED = 64 * 1024 * 1024  # a chunk inflating to more than this is not read (a gzip bomb)


class BadChunk(ValueError):
    """Data that is not what its encoding says: bad base64, bad or truncated gzip, not UTF-8."""


class TooLarge(BadChunk):
    """Gzip data inflating to more than the reader takes."""


def encode(text: str) -> str:
    """`text` as `gzip-base64` data."""
    return base64.b64encode(gzip.compress(text.encode(), compresslevel=GZIP_LEVEL, mtime=0)).decode()


def gunzip(packed: bytes, limit: int) -> bytes:
    """Gzip data inflated, at most `limit` bytes of it: a few kilobytes may inflate to gigabytes."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(packed, limit + 1)
    except zlib.error as exc:
        raise BadChunk(f"invalid gzip data: {exc}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise TooLarge(f"decompressed body exceeds {limit} bytes")
    if not inflater.eof:
        raise BadChunk("truncated gzip data")
    return out


def decode(encoding: str, data: str, limit: int = MAX_INFLATED) -> str:
    """The JSON text of a chunk's `data` (not parsed): `data` itself for `json` (also when no
    encoding was stored), else its base64 and gzip undone, inflating to at most `limit` bytes."""
    if encoding in (JSON, ""):
        return data
    if encoding != GZIP_BASE64:
        raise BadChunk(f"unknown encoding {encoding!r}")
    try:
        packed = base64.b64decode(data, validate=True)
    except ValueError:  # binascii.Error, or a character outside ASCII
        raise BadChunk("data is not valid base64") from None
    try:
        return gunzip(packed, limit).decode()
    except UnicodeDecodeError:
        raise BadChunk("data is not gzipped UTF-8 JSON") from None

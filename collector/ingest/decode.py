"""Request bodies to wire Structs: size limits, gzip, msgspec validation with the failing field named."""

from __future__ import annotations

import re
import zlib
from typing import TypeVar

import msgspec

from .rejection import Rejected

T = TypeVar("T")

GZIP_MAGIC = b"\x1f\x8b"
# A gzip body may expand by this much at most before it is refused as a bomb.
MAX_EXPANSION = 20

_PATH = re.compile(r" - at `(\$[^`]*)`$")


def gunzip(body: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise Rejected(400, "body", f"invalid gzip data: {exc}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise Rejected(413, "body", f"decompressed body exceeds {limit} bytes")
    if not inflater.eof:
        raise Rejected(400, "body", "truncated gzip data")
    return out


def unwrap(body: bytes, content_encoding: str, limit: int) -> bytes:
    """The JSON bytes of a body sent plain or gzipped (sendBeacon cannot set Content-Encoding)."""
    if len(body) > limit:
        raise Rejected(413, "body", f"body exceeds {limit} bytes")
    encoding = content_encoding.strip().lower()
    if encoding == "gzip" or body[:2] == GZIP_MAGIC:
        return gunzip(body, limit * MAX_EXPANSION)
    if encoding not in ("", "identity"):
        raise Rejected(415, "content-encoding", f"unsupported content encoding {encoding!r}")
    return body


def decode(data: bytes, decoder: msgspec.json.Decoder[T]) -> T:
    if not data.strip():
        raise Rejected(400, "body", "empty body")
    try:
        return decoder.decode(data)
    except msgspec.ValidationError as exc:
        message = str(exc)
        match = _PATH.search(message)
        where = match.group(1) if match else "$"
        raise Rejected(400, where, _PATH.sub("", message)) from None
    except msgspec.DecodeError as exc:
        raise Rejected(400, "body", f"malformed JSON: {exc}") from None

"""Request bodies to wire Structs: size limits, gzip, msgspec validation with the failing field named."""

from __future__ import annotations

import dataclasses
import re
from typing import TypeVar

import msgspec

from footfall.collector import wire
from footfall.collector.rejection import Rejected
from footfall.store import chunks

T = TypeVar("T")

GZIP_MAGIC = b"\x1f\x8b"
# A gzip body may expand by this much at most before it is refused as a bomb: to this many times
# the bytes received (what beacons and recordings really reach is about 5 to 15), and never past
# MAX_EXPANSION times the body limit; a small body may always reach SMALL_INFLATED bytes.
MAX_RATIO = 40
MAX_EXPANSION = 20
SMALL_INFLATED = 256 * 1024


def inflated_limit(received: int, limit: int) -> int:
    return min(limit * MAX_EXPANSION, max(SMALL_INFLATED, received * MAX_RATIO))


NESTED = "JSON nested too deeply"
_PATH = re.compile(r" - at `(\$[^`]*)`$")


def refused(exc: chunks.BadChunk, field: str) -> Rejected:
    """Gzip or base64 the codec could not undo, as the client's error: 413 past the limit, else 400."""
    return Rejected(413 if isinstance(exc, chunks.TooLarge) else 400, field, str(exc))


def gunzip(body: bytes, limit: int) -> bytes:
    try:
        return chunks.gunzip(body, limit)
    except chunks.BadChunk as exc:
        raise refused(exc, "body") from None


def unwrap(body: bytes, content_encoding: str, limit: int) -> bytes:
    """The JSON bytes of a body sent plain or gzipped (sendBeacon cannot set Content-Encoding)."""
    if len(body) > limit:
        raise Rejected(413, "body", f"body exceeds {limit} bytes")
    encoding = content_encoding.strip().lower()
    if encoding == "gzip" or body[:2] == GZIP_MAGIC:
        return gunzip(body, inflated_limit(len(body), limit))
    if encoding not in ("", "identity"):
        raise Rejected(415, "content-encoding", f"unsupported content encoding {encoding!r}")
    return body


def decode(data: bytes, decoder: msgspec.json.Decoder[T]) -> T:
    if not data.strip():
        raise Rejected(400, "body", "empty body")
    try:
        return decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise Rejected(400, *_where(exc)) from None
    except msgspec.DecodeError as exc:
        raise Rejected(400, "body", f"malformed JSON: {exc}") from None
    except RecursionError:
        raise Rejected(400, "body", NESTED) from None


def _where(exc: msgspec.ValidationError) -> tuple[str, str]:
    """The failing field's JSON path and the message without it."""
    message = str(exc)
    match = _PATH.search(message)
    return (match.group(1) if match else "$"), _PATH.sub("", message)


@dataclasses.dataclass(frozen=True)
class InvalidEvent:
    """An event dropped from a batch whose envelope was valid: where, and why."""

    field: str  # the JSON path in the batch, such as $.e[9].refocus
    message: str
    kind: str  # the event's `t`, or "" when it has none

    @property
    def reason(self) -> str:
        """For counters: the event type and the field, without the index (form.refocus)."""
        inner = _EVENT_INDEX.sub("", self.field).lstrip(".") or "event"
        return f"{self.kind or 'unknown'}.{inner}"


_EVENT_INDEX = re.compile(r"^\$\.e\[\d+\]")
_KIND = msgspec.json.Decoder(dict[str, object])
_KNOWN_KINDS = frozenset(cls.__struct_config__.tag for cls in wire.Event.__subclasses__())


def decode_batch(data: bytes) -> tuple[wire.Batch, list[InvalidEvent]]:
    """The batch with its valid events, and the events dropped as invalid. Only an invalid
    envelope (version, site, ids, url, the event list itself) refuses the whole batch; a valid
    batch costs one decode, as before."""
    try:
        return decode(data, wire.batch_decoder), []
    except Rejected as exc:
        if not _EVENT_INDEX.match(exc.field) and exc.message != NESTED:
            raise
    envelope = decode(data, wire.envelope_decoder)  # JSON too deep to skip over is refused whole
    events: list[wire.AnyEvent] = []
    invalid: list[InvalidEvent] = []
    for index, raw in enumerate(envelope.events):
        try:
            events.append(wire.event_decoder.decode(raw))
        except (msgspec.ValidationError, msgspec.DecodeError, RecursionError) as exc:
            path, message = _where(exc) if isinstance(exc, msgspec.ValidationError) else ("$", "invalid event")
            invalid.append(InvalidEvent(f"$.e[{index}]{path[1:]}", message, _kind_of(raw)))
    fields = {f: getattr(envelope, f) for f in envelope.__struct_fields__ if f != "events"}
    return wire.Batch(events=events, **fields), invalid


def _kind_of(raw: msgspec.Raw) -> str:
    try:
        kind = _KIND.decode(raw).get("t")
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
        return ""
    # Counters never take a name a client made up.
    return kind if isinstance(kind, str) and kind in _KNOWN_KINDS else "other"

"""The wire format of /i/v1/batch and /i/v1/replay, as msgspec Structs (see docs/wire-format.md).

Short field names keep beacons small; the Struct attribute names say what they hold.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta, field

VERSION = 1

# Bounds that make a field invalid rather than merely long (long strings are truncated later).
Ms = Annotated[float, Meta(ge=0, le=86_400_000)]
Epoch = Annotated[int, Meta(ge=0, le=10**13)]
Px = Annotated[int, Meta(ge=-100_000, le=10_000_000)]
Ratio = Annotated[float, Meta(ge=0, le=1)]
Size = Annotated[int, Meta(ge=0, le=100_000)]
Id = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Count = Annotated[int, Meta(ge=0, le=100_000)]
# Line and column numbers (minified bundles have columns in the hundreds of thousands) and byte counts.
U32 = Annotated[int, Meta(ge=0, le=2**32 - 1)]
PropValue = str | int | float | bool | None
Props = Annotated[dict[str, PropValue], Meta(max_length=50)]


# gc=False: a decoded batch holds no reference cycles, so the garbage collector need not track
# its thousands of small objects per second (see docs/architecture.md, "The request path").
class Event(msgspec.Struct, tag_field="t", forbid_unknown_fields=False, gc=False):
    ts: Epoch = field(name="ts")


class PageView(Event, tag="pageview"):
    title: str = ""


class Click(Event, tag="click"):
    selector: str = field(name="s")
    x: Px
    y: Px
    rx: Ratio = 0.0
    ry: Ratio = 0.0
    viewport_width: Size = field(name="vw", default=0)
    text: str = ""
    no_effect: bool = field(name="dead", default=False)
    rage: bool = False


class MoveSamples(Event, tag="move"):
    # [[x, y], ...] in page pixels, already sampled and quantised by the snippet
    points: Annotated[list[tuple[Px, Px]], Meta(max_length=500)] = field(name="p")


class Scroll(Event, tag="scroll"):
    depth: Px = field(name="d")
    depth_share: Ratio = field(name="pct", default=0.0)
    page_height: Px = field(name="h", default=0)


class NavigationTiming(Event, tag="nav"):
    redirect: Ms = 0.0
    dns: Ms = 0.0
    connect: Ms = 0.0
    tls: Ms = 0.0
    request: Ms = field(name="req", default=0.0)  # request sent until first byte
    download: Ms = field(name="res", default=0.0)
    dom: Ms = 0.0
    load: Ms = 0.0
    total: Ms = 0.0
    transfer_size: U32 = field(name="size", default=0)


class WebVital(Event, tag="vital"):
    name: Annotated[str, Meta(pattern=r"^(LCP|INP|CLS|FCP|TTFB)$")] = field(name="n")
    value: Annotated[float, Meta(ge=0, le=86_400_000)] = field(name="v")
    rating: Annotated[str, Meta(pattern=r"^(good|needs-improvement|poor)$")] = field(name="r", default="good")
    target: str = ""
    attribution: Props = field(name="a", default_factory=dict)


class JsError(Event, tag="error"):
    message: str = field(name="msg")
    stack: str = ""
    source: str = field(name="src", default="")
    line: U32 = 0
    column: U32 = field(name="col", default=0)
    kind: Annotated[str, Meta(pattern=r"^(error|rejection|console)$")] = "error"


class SlowResource(Event, tag="res"):
    url: str
    kind: str = ""
    duration: Ms = field(name="dur", default=0.0)
    transfer_size: Annotated[int, Meta(ge=0, le=2**53 - 1)] = field(name="size", default=0)  # JS's safe integers


class FormField(Event, tag="form"):
    selector: str = field(name="s")
    first_input: Ms = field(name="first", default=0.0)
    time_in_field: Ms = field(name="time", default=0.0)
    changes: Count = 0
    refocus: Count = 0
    hesitation: bool = False
    abandoned: bool = False


class Custom(Event, tag="custom"):
    name: Annotated[str, Meta(min_length=1)] = field(name="n")
    props: Props = field(name="p", default_factory=dict)


AnyEvent = (
    PageView | Click | MoveSamples | Scroll | NavigationTiming | WebVital | JsError | SlowResource | FormField | Custom
)


class Utm(msgspec.Struct, forbid_unknown_fields=False, gc=False):
    source: str = ""
    medium: str = ""
    campaign: str = ""
    term: str = ""
    content: str = ""


class BatchFields(msgspec.Struct, forbid_unknown_fields=False, gc=False):
    """What a batch says besides its events; Batch and Envelope differ only in how they read `events`."""

    version: Annotated[int, Meta(ge=1, le=VERSION)] = field(name="v")
    site: Annotated[str, Meta(min_length=1, max_length=64)]
    session_id: Id = field(name="sid")
    pageview_id: Id = field(name="pv")
    url: Annotated[str, Meta(min_length=1)]
    events: list[Any] = field(name="e")  # declared here for its place in the field order
    batch_id: Id | None = field(name="id", default=None)
    visitor_id: Id | None = field(name="vid", default=None)
    referrer: str = field(name="ref", default="")
    viewport_width: Size = field(name="vw", default=0)
    viewport_height: Size = field(name="vh", default=0)
    screen_width: Size = field(name="sw", default=0)
    screen_height: Size = field(name="sh", default=0)
    utm: Utm = field(default_factory=Utm)
    sent_at: Epoch | None = field(name="sent", default=None)


class Batch(BatchFields):
    events: list[AnyEvent] = field(name="e")


class Envelope(BatchFields):
    """A batch with its events left undecoded: read when one event is invalid, so that the
    envelope alone decides whether the batch is refused and each event is checked on its own."""

    events: list[msgspec.Raw] = field(name="e")


class ReplayChunk(msgspec.Struct, forbid_unknown_fields=False, gc=False):
    version: Annotated[int, Meta(ge=1, le=VERSION)] = field(name="v")
    site: Annotated[str, Meta(min_length=1, max_length=64)]
    session_id: Id = field(name="sid")
    seq: Annotated[int, Meta(ge=0, le=1_000_000)]
    data: Annotated[str, Meta(min_length=1)]
    pageview_id: Id | None = field(name="pv", default=None)
    encoding: Annotated[str, Meta(pattern=r"^(json|gzip-base64)$")] = field(name="enc", default="json")
    started_at: Epoch | None = field(name="ts", default=None)
    sent_at: Epoch | None = field(name="sent", default=None)
    # A page snapshot for heatmaps (the collector asked for one: `"replay": "snapshot"`), not a
    # part of a recording: its page address and viewport width say which page and device class.
    snapshot: bool = field(name="snap", default=False)
    url: Annotated[str, Meta(max_length=8192)] = ""
    viewport_width: Size = field(name="vw", default=0)


batch_decoder = msgspec.json.Decoder(Batch)
envelope_decoder = msgspec.json.Decoder(Envelope)
event_decoder = msgspec.json.Decoder(AnyEvent)
replay_decoder = msgspec.json.Decoder(ReplayChunk)

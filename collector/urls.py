"""Query strings and fragments cut from every URL a request carries, before anything is spooled.

Query strings often hold emails, tokens or search terms, and fragments sometimes do too
(docs/privacy.md). The snippet sends the page URL whole, because the campaign fields are read
from its utm_* parameters here; the recorder already sends its URLs cut (sdk-js/src/replay/urls.js).
Neither is trusted: what is written to the spool has been through this module, so the spool, the
inbox lines and the tables never hold a query string of the visited page. A hash route (`#/cart`)
is a page of a hash-routed app and is kept, without its own query part, as the ingest views do.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import msgspec

from footfall.collector import wire
from footfall.collector.rejection import Rejected

_CUT = re.compile(r"[?#]")
# A URL inside free text (a stack trace, an error message): its query and fragment go, a trailing
# :line:column (how stack frames end) stays.
_URL_IN_TEXT = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s?#()'\"<>]*)[?#][^\s()'\"<>]*?((?::\d+){0,2})(?=[\s()'\"<>]|$)")
_UTM = ("source", "medium", "campaign", "term", "content")


def bare(url: str) -> str:
    """The URL without query string or fragment."""
    match = _CUT.search(url)
    return url if match is None else url[:match.start()]


def page_url(url: str) -> str:
    """The page address as stored: no query string, no fragment but a hash route (`#/cart`)."""
    base = bare(url)
    if len(base) == len(url):
        return url
    hash_at = url.find("#")
    route = url[hash_at:].split("?", 1)[0] if hash_at >= 0 and url[hash_at + 1:hash_at + 2] == "/" else ""
    return base + route


def scrub_text(text: str) -> str:
    """Free text with the query string and fragment of every URL in it cut."""
    if "?" not in text and "#" not in text:
        return text
    return _URL_IN_TEXT.sub(r"\1\2", text)


def url_parameter(url: str, name: str) -> str:
    """The first value of parameter `name` in the URL's query or fragment, %-decoded, as
    ClickHouse's decodeURLComponent(extractURLParameter(url, name)) gives it ('+' stays)."""
    start = _CUT.search(url)
    if start is None:
        return ""
    for part in re.split(r"[?&#]", url[start.end():]):
        key, sep, value = part.partition("=")
        if sep and key == name:
            return unquote(value, errors="replace")
    return ""


def campaign(url: str, sent: wire.Utm) -> wire.Utm:
    """The campaign fields the page sent, else those of the page URL's utm_* parameters: worked out
    here, since the URL loses its query before the ingest views see it."""
    if "utm_" not in url:
        return sent
    found = {f: getattr(sent, f) or url_parameter(url, "utm_" + f) for f in _UTM}
    return wire.Utm(**found)


def clean_event(event: wire.AnyEvent) -> wire.AnyEvent:
    kind = type(event)
    if kind is wire.JsError:
        return msgspec.structs.replace(event, source=bare(event.source), stack=scrub_text(event.stack),
                                       message=scrub_text(event.message))
    if kind is wire.SlowResource:
        url = bare(event.url)
        return event if url is event.url else msgspec.structs.replace(event, url=url)
    return event


_WITH_URLS = (wire.JsError, wire.SlowResource)


def clean_batch(batch: wire.Batch) -> wire.Batch:
    """The batch as it may be stored: page URL, referrer, error sources and stacks and resource
    URLs without query strings or fragments, the campaign fields taken out of the URL first.
    Only the events that carry URLs are rebuilt (this runs on the event loop for every batch)."""
    events = batch.events
    at = [i for i, e in enumerate(events) if type(e) in _WITH_URLS]
    if at:
        events = list(events)
        for i in at:
            events[i] = clean_event(events[i])
    return msgspec.structs.replace(
        batch, url=page_url(batch.url), referrer=bare(batch.referrer), utm=campaign(batch.url, batch.utm),
        events=events)


class _Probe(msgspec.Struct, forbid_unknown_fields=False):
    """An rrweb event's type, the rest skipped unread; Meta (4) events carry the page's href."""

    type: object = None


class _MetaData(msgspec.Struct, forbid_unknown_fields=False):
    href: object = None


class _Meta(msgspec.Struct, forbid_unknown_fields=False):
    data: _MetaData | None = None


META = 4
_events = msgspec.json.Decoder(list[msgspec.Raw])
_probe = msgspec.json.Decoder(_Probe)
_meta = msgspec.json.Decoder(_Meta)
_encode = msgspec.json.encode


def _escaped(text: str) -> str:
    return _encode(text).decode()[1:-1]


def scrub_events(data: str) -> str:
    """A recording chunk (a JSON array of rrweb events) without the page's query string and fragment:
    every Meta event's href is cut, and so is that href wherever else it appears in the chunk (rrweb
    writes a link to `#top` as the page's whole address with `#top` after it). Raises Rejected for
    data that is not a JSON array."""
    try:
        events = _events.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise Rejected(400, "$.data", "data is not a JSON array of events") from None
    except RecursionError:
        raise Rejected(400, "$.data", "data is JSON nested too deeply") from None
    hrefs: list[str] = []
    for raw in events:
        if memoryview(raw)[:1] != b"{":
            continue
        try:
            if _probe.decode(raw).type != META:
                continue
            meta = _meta.decode(raw).data
        except (msgspec.DecodeError, msgspec.ValidationError):
            continue
        href = meta.href if meta is not None else None
        if isinstance(href, str) and _CUT.search(href):
            hrefs.append(href)
    for href in dict.fromkeys(hrefs):
        data = data.replace(_escaped(href), _escaped(page_url(href)))
        query = href[href.index("?"):].split("#", 1)[0] if "?" in href.split("#", 1)[0] else ""
        if len(query) > 1:
            data = data.replace(_escaped(query), "")
    if hrefs:  # an href written with other escapes than msgspec's: the Meta events themselves, re-encoded
        data = _reencode_meta(data)
    return data


def _reencode_meta(data: str) -> str:
    events = _events.decode(data)
    out = []
    for raw in events:
        text = bytes(raw)
        if text[:1] == b"{":
            try:
                probe = _probe.decode(raw)
            except (msgspec.DecodeError, msgspec.ValidationError):
                probe = _Probe()
            if probe.type == META:
                event = msgspec.json.decode(text)
                inner = event.get("data")
                if isinstance(inner, dict) and isinstance(inner.get("href"), str):
                    inner["href"] = page_url(inner["href"])
                    text = _encode(event)
        out.append(text)
    return (b"[" + b",".join(out) + b"]").decode()


def clean_chunk(chunk: wire.ReplayChunk) -> wire.ReplayChunk:
    """A replay chunk or page snapshot as it may be stored (its data already inflated to JSON)."""
    return msgspec.structs.replace(chunk, data=scrub_events(chunk.data), url=page_url(chunk.url))

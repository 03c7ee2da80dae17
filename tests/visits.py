"""Visits the read-side tests build and store through the real landing path (frames.pack, then
writer.land as the writer does with a segment): one page view per Visit, its events and, where
asked, its recording; and the set of sessions the replay tests share, each made to produce exactly
one frustration signal, or none though it comes close (the near misses of docs/signals.md)."""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from footfall.collector import frames, rows, wire
from footfall.collector.enrich import Client
from footfall.replay.sessions import list_sessions
from tests.helpers import land

SECOND, MINUTE, HOUR = 1000, 60_000, 3_600_000

ORIGIN = "https://shop.test"


CHROME = Client("Chrome", "120", "Linux", False)


FIREFOX = Client("Firefox", "126", "Ubuntu", False)


DAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)


NEXT_DAY = DAY + timedelta(days=1)


def ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


@dataclass
class Visit:
    """One session, each page view sent as its own batch as the snippet does. Times are seconds:
    a page's `at` from the session's start, its events' `ts` from the page view."""

    site: str
    name: str
    at: int  # epoch ms of the first page view
    client: Client = CHROME
    vw: int = 1280
    visitor: str = ""
    sid: str = field(default_factory=lambda: uuid.uuid4().hex)
    pageview_ids: list[str] = field(default_factory=list)
    records: list[tuple[bytes, Any, rows.Context]] = field(default_factory=list)

    def page(self, path: str, at: float, *events: dict[str, Any], vh: int = 800) -> Visit:
        ts = self.at + round(at * SECOND)
        sent = [{"t": "pageview", "ts": ts, "title": path}] + [{**e, "ts": ts + round(e["ts"] * SECOND)}
                                                              for e in events]
        pv = uuid.uuid4().hex
        body = {"v": 1, "site": self.site, "sid": self.sid, "pv": pv, "url": ORIGIN + path + "?q=secret",
                "vid": self.visitor or f"v-{self.name}", "vw": self.vw, "vh": vh, "e": sent}
        batch = wire.batch_decoder.decode(msgspec.json.encode(body))
        received = max(e["ts"] for e in sent) + 300
        self.records.append((frames.BATCH, batch, rows.Context(received, "server-hash", self.client, 30)))
        self.pageview_ids.append(pv)
        return self


def click(ts: float, x: int = 100, y: int = 100, s: str = "button.go", **flags: Any) -> dict[str, Any]:
    return {"t": "click", "ts": ts, "s": s, "x": x, "y": y, **flags}


def error(ts: float, msg: str = "TypeError: x is undefined", **extra: Any) -> dict[str, Any]:
    return {"t": "error", "ts": ts, "msg": msg, **extra}


def scroll(ts: float, depth: int) -> dict[str, Any]:
    return {"t": "scroll", "ts": ts, "d": depth, "pct": 0.5, "h": 10_000}


def rrweb(kind: int, timestamp: int, **data: Any) -> dict[str, Any]:
    return {"type": kind, "data": data, "timestamp": timestamp}


def chunk(site: str, sid: str, seq: int, events: list[dict[str, Any]] | str, enc: str = "json",
          received: int = 0) -> tuple[bytes, wire.ReplayChunk, rows.Context]:
    """A replay chunk as the recorder sends it; `events` given as a string is sent as it is."""
    if isinstance(events, str):
        data = events
    else:
        text = json.dumps(events)
        data = base64.b64encode(gzip.compress(text.encode())).decode() if enc == "gzip-base64" else text
    body = {"v": 1, "site": site, "sid": sid, "seq": seq, "data": data, "enc": enc, "ts": ms(DAY) + HOUR}
    record = wire.replay_decoder.decode(msgspec.json.encode(body))
    return frames.REPLAY, record, rows.Context(received or ms(DAY) + 2 * HOUR, "server-hash", CHROME, 30)


@dataclass
class Sessions:
    site: str
    visits: dict[str, Visit]
    replay: list[dict[str, Any]]  # the recording of `summary`, as it must come back

    def sid(self, name: str) -> str:
        return self.visits[name].sid


IN_RANGE = ["rage", "dead", "error_click", "quick_back", "scroll", "loop", "summary",
            "near_clicks", "near_nav", "near_scroll", "late"]


def build(store) -> Sessions:  # noqa: ANN001
    site = f"sessions-{uuid.uuid4().hex[:10]}"

    def visit(name: str, hour: float, **options: Any) -> Visit:
        return Visit(site, name, ms(DAY) + round(hour * HOUR), **options)

    visits = {
        # Two bursts of rage clicks (7 clicks): counted as 2; the snippet flagged the 3rd click on.
        "rage": visit("rage", 1).page(
            "/r", 0,
            click(2.0, 400, 300), click(2.3, 405, 302), click(2.6, 398, 297, rage=True),
            click(2.9, 402, 301, rage=True),
            click(8.0, 100, 900, "#menu"), click(8.4, 110, 905, "#menu"), click(8.8, 95, 895, "#menu", rage=True)),
        "dead": visit("dead", 2).page("/d", 0, click(3.0, s="a.more", dead=True), click(6.0, s="a.ok")),
        # An error 0.6 s after the click, on the same page view.
        "error_click": visit("error_click", 3).page("/e", 0, click(2.0, s="#save"), error(2.6)),
        # /list -> /item/1 for 4 s -> back to /list.
        "quick_back": visit("quick_back", 4).page("/list", 0).page("/item/1", 12).page("/list", 16),
        # Five screens (vh 800) deeper in 2.4 s, over five samples.
        "scroll": visit("scroll", 5).page(
            "/s/hunt", 0, *(scroll(0.6 * i, 800 + 1000 * i) for i in range(5))),
        # A B C A B C, 15 s per page.
        "loop": visit("loop", 6).page("/l/a", 0).page("/l/b", 15).page("/l/c", 30)
        .page("/l/a", 45).page("/l/b", 60).page("/l/c", 75),
        # The summary's fields: a tablet (vw 800) with Firefox, identified as alice, with a recording.
        "summary": visit("summary", 7, client=FIREFOX, vw=800, visitor="alice")
        .page("/", 0, scroll(5, 1200), {"t": "vital", "ts": 1, "n": "LCP", "v": 2100, "r": "needs-improvement",
                                        "target": "img.hero"})
        .page("/pricing", 20)
        .page("/signup", 100, click(10, s="#submit"), {"t": "custom", "ts": 15, "n": "signup"},
              error(100, "ReferenceError: y", stack="ReferenceError: y\n    at go (https://shop.test/a.js:3:9)",
                    src="https://shop.test/a.js?v=2", line=3, col=9)),
        # Near misses of click signals: none of them is a signal.
        "near_clicks": visit("near_clicks", 8).page(
            "/near/clicks", 0,
            # three quick clicks far apart (even with a rage flag): not rage
            click(1.0, 100, 100), click(1.3, 300, 100), click(1.6, 500, 100, rage=True),
            # three clicks on one spot, 1.2 s apart: not rage
            click(5.0, 100, 400), click(6.2, 100, 400), click(7.4, 100, 400, rage=True),
            # a triple click selecting text: the snippet did not flag it
            click(12.0, 200, 600, "p.intro"), click(12.15, 200, 600, "p.intro"), click(12.3, 200, 600, "p.intro"),
            # a number stepper: the snippet never flags form controls
            *(click(16.0 + 0.2 * i, 50, 700, "input#qty") for i in range(4)),
            # an error 1.5 s after a click, a console message right after one, an error before one
            click(20.0, s="#a"), error(21.5),
            click(25.0, s="#b"), error(25.2, "logged", kind="console"),
            error(30.0, "early"), click(30.5, s="#c")),
        # /n/a -> /n/b for 30 s -> /n/a: not a quick back; a reload of /n/c; no loop.
        "near_nav": visit("near_nav", 9).page("/n/a", 0).page("/n/b", 15).page("/n/a", 45).page("/n/c", 60)
        .page("/n/c", 62).page("/n/d", 70),
        # A reader (six screens in 28 s) and a jump to the bottom (two samples): not excessive.
        "near_scroll": visit("near_scroll", 10)
        .page("/s/read", 0, *(scroll(4 * i, 800 + 700 * i) for i in range(8)))
        .page("/s/jump", 40, scroll(0, 800), scroll(0.5, 9000), scroll(1.0, 9100)),
        # Begins at 23:50 and goes on after midnight: listed on its first day, with all of its 20 minutes.
        "late": visit("late", 23 + 50 / 60).page("/late", 0).page("/late/2", 1200),
        # Begins at 23:00 the day before and goes on into the range: listed on the day before only.
        "old": visit("old", -1).page("/old", 0).page("/old/2", 70 * 60),
    }
    summary = visits["summary"].sid
    t0 = ms(DAY) + 7 * HOUR
    events = [rrweb(4, t0, href=ORIGIN + "/"), rrweb(2, t0 + 5, node={"id": 1}),
              rrweb(3, t0 + 900, source=1, positions=[{"x": 1, "y": 2}]), rrweb(3, t0 + 1500, source=2, type=2),
              rrweb(3, t0 + 20_000, source=3, x=0, y=400), rrweb(5, t0 + 30_000, tag="end", payload={})]
    # Sent out of order, seq 1 twice (the second copy replaces the first), seq 3 and 5 undecodable.
    replay_records = [
        chunk(site, summary, 4, [events[5]]),
        chunk(site, summary, 0, events[:2]),
        chunk(site, summary, 1, events[2:4], "gzip-base64"),
        chunk(site, summary, 3, "bm90IGd6aXA=", "gzip-base64"),  # base64 of "not gzip"
        chunk(site, summary, 5, '{"type": 4}', "json"),  # not an array
        chunk(site, summary, 2, [events[4]], "gzip-base64"),
    ]
    land(store, [record for v in visits.values() for record in v.records] + replay_records)
    land(store, [chunk(site, summary, 1, events[2:4], "gzip-base64", received=ms(DAY) + 3 * HOUR)])
    return Sessions(site, visits, events)


def listed(store, made: Sessions, start: datetime = DAY, end: datetime = NEXT_DAY, **options: Any) -> list[str]:  # noqa: ANN001
    """Names of the listed sessions, in the order given."""
    names = {v.sid: name for name, v in made.visits.items()}
    filters = options.pop("filters", None)
    found = list_sessions(store, made.site, start, end, filters, **options)
    return [names[s["session_id"]] for s in found["sessions"]]


def by_name(store, made: Sessions) -> dict[str, dict[str, Any]]:  # noqa: ANN001
    names = {v.sid: name for name, v in made.visits.items()}
    found = list_sessions(store, made.site, DAY, NEXT_DAY, limit=500)
    return {names[s["session_id"]]: s for s in found["sessions"]}


# -- sorting and pages ----------------------------------------------------------------------------
NEWEST_FIRST = ["late", "near_scroll", "near_nav", "near_clicks", "summary", "loop", "scroll", "quick_back",
                "error_click", "dead", "rage"]

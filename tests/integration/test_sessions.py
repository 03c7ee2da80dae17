"""The session list, the detail and the frustration signals, on rows made by the real ingestion
path in the embedded store (frames.pack, then writer.land as the writer does with a segment).

Each session below is built to produce exactly one signal, or none though it comes close (the
near misses of docs/signals.md), so every signal is checked where it must appear and where it must
not. The sessions API is tested in test_sessions_api.py, the index's refresh in test_session_index.py."""

from __future__ import annotations

import base64
import gzip
import json
import uuid
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from footfall.analysis import signals
from footfall.collector import frames, rows, wire
from footfall.collector.enrich import Client
from footfall.replay.sessions import SessionFilters, clock_skew, list_sessions, session_detail

from .helpers import land

with warnings.catch_warnings():  # Starlette 1.x wants httpx2 for its TestClient; httpx still works
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

ORIGIN = "https://shop.test"
CHROME = Client("Chrome", "120", "Linux", False)
FIREFOX = Client("Firefox", "126", "Ubuntu", False)
SECOND, MINUTE, HOUR = 1000, 60_000, 3_600_000
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


@pytest.fixture(scope="module")
def made(store) -> Sessions:  # noqa: ANN001
    return build(store)


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


# -- signals --------------------------------------------------------------------------------------
EXPECTED_SIGNALS = {
    "rage": {"rage_click": 2},
    "dead": {"dead_click": 1},
    "error_click": {"error_click": 1},
    "quick_back": {"quick_back": 1},
    "scroll": {"excessive_scroll": 1},
    "loop": {"navigation_loop": 1},
}


def test_each_signal_is_found_where_made_and_nowhere_else(store, made) -> None:  # noqa: ANN001
    found = by_name(store, made)
    assert sorted(found) == sorted(IN_RANGE)
    for name, summary in found.items():
        expected = {signal: EXPECTED_SIGNALS.get(name, {}).get(signal, 0) for signal in signals.SIGNALS}
        assert summary["signals"] == expected, name


def test_signal_occurrences_in_the_detail(store, made) -> None:  # noqa: ANN001
    def occurrences(name: str) -> dict[str, list[dict[str, Any]]]:
        detail = session_detail(store, made.site, made.sid(name))
        assert detail is not None
        return {k: v for k, v in detail["signals"].items() if v}

    rage_pv = made.visits["rage"].pageview_ids[0]
    assert occurrences("rage") == {"rage_click": [
        {"time": iso(DAY + timedelta(hours=1, seconds=2)), "offset_s": 2.0, "path": "/r", "pageview_id": rage_pv,
         "selector": "button.go", "x": 400, "y": 300, "clicks": 4},
        {"time": iso(DAY + timedelta(hours=1, seconds=8)), "offset_s": 8.0, "path": "/r", "pageview_id": rage_pv,
         "selector": "#menu", "x": 100, "y": 900, "clicks": 3},
    ]}
    assert occurrences("dead") == {"dead_click": [
        {"time": iso(DAY + timedelta(hours=2, seconds=3)), "offset_s": 3.0, "path": "/d",
         "pageview_id": made.visits["dead"].pageview_ids[0], "selector": "a.more", "x": 100, "y": 100}]}
    assert occurrences("error_click") == {"error_click": [
        {"time": iso(DAY + timedelta(hours=3, seconds=2)), "offset_s": 2.0, "path": "/e",
         "pageview_id": made.visits["error_click"].pageview_ids[0], "selector": "#save", "x": 100, "y": 100,
         "message": "TypeError: x is undefined"}]}
    assert occurrences("quick_back") == {"quick_back": [
        {"time": iso(DAY + timedelta(hours=4, seconds=12)), "offset_s": 12.0, "path": "/item/1",
         "pageview_id": made.visits["quick_back"].pageview_ids[1], "back_to": "/list", "seconds": 4.0}]}
    assert occurrences("scroll") == {"excessive_scroll": [
        {"time": iso(DAY + timedelta(hours=5)), "offset_s": 0.0, "path": "/s/hunt",
         "pageview_id": made.visits["scroll"].pageview_ids[0], "seconds": 2.4, "screens": 5.0}]}
    assert occurrences("loop") == {"navigation_loop": [
        {"time": iso(DAY + timedelta(hours=6)), "offset_s": 0.0, "path": "/l/a",
         "end": iso(DAY + timedelta(hours=6, seconds=75)), "pages": ["/l/a", "/l/b", "/l/c"], "passes": 2}]}


def test_navigation_loops_and_quick_backs_on_longer_journeys(store) -> None:  # noqa: ANN001
    """A loop going on counts once; a second, different loop counts again; a reload is no new page."""
    site = f"sessions-{uuid.uuid4().hex[:10]}"
    start = ms(DAY) + 12 * HOUR
    journeys = {
        "three_passes": ["/a", "/b", "/a", "/b", "/a", "/b"],
        "two_loops": ["/a", "/b", "/a", "/b", "/c", "/d", "/c", "/d"],
        "hub": ["/", "/p/1", "/", "/p/2", "/", "/p/1", "/", "/p/2"],
        "reloads": ["/a", "/b", "/b", "/a", "/a", "/b"],
        "forward": ["/a", "/b", "/c", "/a", "/d"],
    }
    visits = {}
    for i, (name, paths) in enumerate(journeys.items()):
        visits[name] = Visit(site, name, start + i * HOUR)
        for k, path in enumerate(paths):
            visits[name].page(path, 15 * k)
    quick = Visit(site, "quick", start + 6 * HOUR).page("/x", 0).page("/y", 20).page("/y", 22).page("/x", 29)
    visits["quick"] = quick
    land(store, [r for v in visits.values() for r in v.records])
    loops = {}
    for name, v in visits.items():
        detail = session_detail(store, site, v.sid)
        assert detail is not None
        loops[name] = [(o["pages"], o["passes"]) for o in detail["signals"]["navigation_loop"]]
        if name == "quick":
            assert [(o["path"], o["back_to"], o["seconds"]) for o in detail["signals"]["quick_back"]] == [
                ("/y", "/x", 9.0)]  # /y reloaded at 22 s is still the same visit to /y
        else:
            assert detail["signals"]["quick_back"] == []  # 15 s per page
    assert loops == {
        "three_passes": [(["/a", "/b"], 3)],
        "two_loops": [(["/a", "/b"], 2), (["/c", "/d"], 2)],
        "hub": [(["/", "/p/1", "/", "/p/2"], 2)],
        "reloads": [(["/a", "/b"], 2)],
        "forward": [],
        "quick": [],
    }


# -- summaries ------------------------------------------------------------------------------------
def test_summary_fields(store, made) -> None:  # noqa: ANN001
    found = by_name(store, made)
    summary = found["summary"]
    assert summary == {
        "session_id": made.sid("summary"),
        "visitor_id": "alice",
        "start": iso(DAY + timedelta(hours=7)),
        # the custom event at 115 s is the last interaction; the error at 200 s and the vital do not count
        "end": iso(DAY + timedelta(hours=7, seconds=115)),
        "duration_s": 115.0,
        # gaps 5 (scroll), 15 (/pricing), 80 capped at 30 (/signup), 10 (click), 5 (custom)
        "active_s": 65.0,
        "pages": ["/", "/pricing", "/signup"],
        "entry_path": "/",
        "exit_path": "/signup",
        "pageviews": 3,
        "clicks": 1,
        "errors": 1,
        "device": "tablet",
        "browser": "Firefox",
        "has_replay": True,
        "signals": dict.fromkeys(signals.SIGNALS, 0),
    }
    durations = {name: s["duration_s"] for name, s in found.items()}
    assert durations == {"rage": 8.8, "dead": 6.0, "error_click": 2.0, "quick_back": 16.0, "scroll": 2.4,
                         "loop": 75.0, "summary": 115.0, "near_clicks": 30.5, "near_nav": 70.0,
                         "near_scroll": 41.0, "late": 1200.0}
    assert found["near_clicks"]["errors"] == 3 and found["near_clicks"]["clicks"] == 16
    assert found["rage"]["clicks"] == 7 and found["rage"]["errors"] == 0
    assert found["near_nav"]["pages"] == ["/n/a", "/n/b", "/n/a", "/n/c", "/n/c", "/n/d"]
    assert (found["near_nav"]["entry_path"], found["near_nav"]["exit_path"]) == ("/n/a", "/n/d")
    assert found["late"]["active_s"] == 30.0  # one gap of 20 minutes, capped
    assert {s["device"] for s in found.values()} == {"desktop", "tablet"}
    assert not any(s["has_replay"] for name, s in found.items() if name != "summary")
    json.dumps(found)


def test_sessions_belong_to_the_range_where_they_begin(store, made) -> None:  # noqa: ANN001
    day_before = DAY - timedelta(days=1)
    assert listed(store, made, day_before, DAY) == ["old"]
    [old] = list_sessions(store, made.site, day_before, DAY)["sessions"]
    assert (old["duration_s"], old["pages"]) == (4200.0, ["/old", "/old/2"])  # followed past the range's end
    assert "old" not in listed(store, made)
    assert listed(store, made, NEXT_DAY, NEXT_DAY + timedelta(days=1)) == []  # "late" began the day before
    assert list_sessions(store, "no-such-site", DAY, NEXT_DAY) == {"sessions": [], "total": 0}


# -- filters --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("filters", "expected"), [
    (SessionFilters(), IN_RANGE),
    (SessionFilters(url="/item/*"), ["quick_back"]),
    (SessionFilters(url="/pricing"), ["summary"]),
    (SessionFilters(url="/l/*"), ["loop"]),
    (SessionFilters(url="/s/*"), ["scroll", "near_scroll"]),
    (SessionFilters(url="/nowhere"), []),
    (SessionFilters(entry="/list"), ["quick_back"]),
    (SessionFilters(entry="/n/*"), ["near_nav"]),
    (SessionFilters(exit="/signup"), ["summary"]),
    (SessionFilters(exit="/list"), ["quick_back"]),
    (SessionFilters(exit="/late/*"), ["late"]),
    (SessionFilters(has_error=True), ["error_click", "summary", "near_clicks"]),
    (SessionFilters(has_error=False), ["rage", "dead", "quick_back", "scroll", "loop", "near_nav", "near_scroll",
                                       "late"]),
    (SessionFilters(signals=("rage_click",)), ["rage"]),
    (SessionFilters(signals=("dead_click",)), ["dead"]),
    (SessionFilters(signals=("error_click",)), ["error_click"]),
    (SessionFilters(signals=("quick_back",)), ["quick_back"]),
    (SessionFilters(signals=("excessive_scroll",)), ["scroll"]),
    (SessionFilters(signals=("navigation_loop",)), ["loop"]),
    (SessionFilters(signals=("rage_click", "quick_back")), ["rage", "quick_back"]),
    (SessionFilters(min_duration=70), ["loop", "summary", "near_nav", "late"]),
    (SessionFilters(max_duration=6), ["dead", "error_click", "scroll"]),
    (SessionFilters(min_duration=6, max_duration=16), ["rage", "dead", "quick_back"]),
    (SessionFilters(device="tablet"), ["summary"]),
    (SessionFilters(device="mobile"), []),
    (SessionFilters(browser="Firefox"), ["summary"]),
    (SessionFilters(visitor="alice"), ["summary"]),
    (SessionFilters(visitor="v-dead"), ["dead"]),
    (SessionFilters(has_replay=True), ["summary"]),
    (SessionFilters(has_replay=False), [n for n in IN_RANGE if n != "summary"]),
    (SessionFilters(has_error=True, url="/near/*", max_duration=31), ["near_clicks"]),
    (SessionFilters(has_error=False, signals=("error_click",)), []),
])
def test_filters(store, made, filters, expected) -> None:  # noqa: ANN001
    got = list_sessions(store, made.site, DAY, NEXT_DAY, filters, limit=500)
    assert sorted(listed(store, made, filters=filters, limit=500)) == sorted(expected)
    assert got["total"] == len(expected)


def test_unknown_signal_sort_or_limit_is_refused(store, made) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="signal"):
        list_sessions(store, made.site, DAY, NEXT_DAY, SessionFilters(signals=("sigh",)))
    with pytest.raises(ValueError, match="sort"):
        list_sessions(store, made.site, DAY, NEXT_DAY, sort="mood")
    with pytest.raises(ValueError, match="limit"):
        list_sessions(store, made.site, DAY, NEXT_DAY, limit=501)


# -- sorting and pages ----------------------------------------------------------------------------
NEWEST_FIRST = ["late", "near_scroll", "near_nav", "near_clicks", "summary", "loop", "scroll", "quick_back",
                "error_click", "dead", "rage"]


def test_sorts(store, made) -> None:  # noqa: ANN001
    assert listed(store, made) == NEWEST_FIRST
    assert listed(store, made, descending=False) == NEWEST_FIRST[::-1]
    assert listed(store, made, sort="duration") == [
        "late", "summary", "loop", "near_nav", "near_scroll", "near_clicks", "quick_back", "rage", "dead", "scroll",
        "error_click"]
    assert listed(store, made, sort="duration", descending=False)[:3] == ["error_click", "scroll", "dead"]
    # ties keep the newest first
    assert listed(store, made, sort="pageviews") == [
        "near_nav", "loop", "summary", "quick_back", "late", "near_scroll", "near_clicks", "scroll", "error_click",
        "dead", "rage"]
    assert listed(store, made, sort="errors")[:3] == ["near_clicks", "summary", "error_click"]
    assert listed(store, made, sort="signals")[:6] == ["rage", "loop", "scroll", "quick_back", "error_click", "dead"]


def test_pages_of_results(store, made) -> None:  # noqa: ANN001
    pages = [list_sessions(store, made.site, DAY, NEXT_DAY, limit=4, offset=k) for k in (0, 4, 8)]
    assert [p["total"] for p in pages] == [11, 11, 11]
    names = {v.sid: name for name, v in made.visits.items()}
    assert [names[s["session_id"]] for p in pages for s in p["sessions"]] == NEWEST_FIRST
    assert [len(p["sessions"]) for p in pages] == [4, 4, 3]
    assert list_sessions(store, made.site, DAY, NEXT_DAY, limit=4, offset=40) == {"sessions": [], "total": 11}
    filtered = list_sessions(store, made.site, DAY, NEXT_DAY, SessionFilters(has_error=True), limit=1, offset=1)
    assert filtered["total"] == 3 and names[filtered["sessions"][0]["session_id"]] == "summary"


# -- one session ----------------------------------------------------------------------------------
def test_session_detail(store, made) -> None:  # noqa: ANN001
    v = made.visits["summary"]
    detail = session_detail(store, made.site, v.sid)
    assert detail is not None
    assert detail["summary"] == by_name(store, made)["summary"]
    t0 = DAY + timedelta(hours=7)
    assert detail["pages"] == [
        {"time": iso(t0), "offset_s": 0.0, "pageview_id": v.pageview_ids[0], "path": "/", "url": ORIGIN + "/",
         "title": "/", "referrer": "", "duration_s": 20.0},
        {"time": iso(t0 + timedelta(seconds=20)), "offset_s": 20.0, "pageview_id": v.pageview_ids[1],
         "path": "/pricing", "url": ORIGIN + "/pricing", "title": "/pricing", "referrer": "", "duration_s": 80.0},
        {"time": iso(t0 + timedelta(seconds=100)), "offset_s": 100.0, "pageview_id": v.pageview_ids[2],
         "path": "/signup", "url": ORIGIN + "/signup", "title": "/signup", "referrer": "", "duration_s": 15.0},
    ]
    [err] = detail["errors"]
    assert err["time"] == iso(t0 + timedelta(seconds=200)) and err["offset_s"] == 200.0
    assert (err["path"], err["pageview_id"], err["kind"], err["message"]) == (
        "/signup", v.pageview_ids[2], "error", "ReferenceError: y")
    assert err["stack"] == "ReferenceError: y\n    at go (https://shop.test/a.js:3:9)"
    assert (err["source"], err["line"], err["column"]) == ("https://shop.test/a.js", 3, 9) and err["fingerprint"]
    assert detail["vitals"] == [
        {"time": iso(t0 + timedelta(seconds=1)), "offset_s": 1.0, "pageview_id": v.pageview_ids[0], "path": "/",
         "name": "LCP", "value": 2100.0, "rating": "needs-improvement", "target": "img.hero"}]
    assert detail["signals"] == {name: [] for name in signals.SIGNALS}
    json.dumps(detail)
    assert session_detail(store, made.site, "no-such-session") is None
    assert session_detail(store, "another-site", v.sid) is None



def test_clock_skew_is_how_far_the_collector_moved_the_recording(store) -> None:  # noqa: ANN001
    """A browser clock 10 s slow: the chunk is stored 10 s after its first event's browser time, as
    the session's rows are; a clock within 2 s is left alone."""
    site = f"skew-{uuid.uuid4().hex[:10]}"
    received = ms(DAY) + 2 * HOUR

    def sent(sid: str, browser_ms: int) -> tuple[bytes, Any, rows.Context]:
        first = browser_ms - 500
        body = {"v": 1, "site": site, "sid": sid, "seq": 0, "enc": "json", "ts": first, "sent": browser_ms,
                "data": json.dumps([rrweb(4, first, href=ORIGIN + "/"), rrweb(2, first + 5, node={"id": 1})])}
        record = wire.replay_decoder.decode(msgspec.json.encode(body))
        return frames.REPLAY, record, rows.Context(received, "server-hash", CHROME, 30)

    land(store, [sent("slow", received - 10 * SECOND), sent("close", received - SECOND)])
    assert clock_skew(store, site, "slow") == 10 * SECOND
    assert clock_skew(store, site, "close") == 0
    assert clock_skew(store, site, "unrecorded") == 0

def iso(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")

"""The session list, the detail and the frustration signals, on rows made by the real ingestion
path in the embedded store (frames.pack, then writer.land as the writer does with a segment).

Each session below is built to produce exactly one signal, or none though it comes close (the
near misses of docs/signals.md), so every signal is checked where it must appear and where it must
not. The sessions API is tested in test_sessions_api.py, the index's refresh in test_session_index.py."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import msgspec
import pytest

from footfall.analysis import signals
from footfall.collector import frames, rows, wire
from footfall.replay.sessions import SessionFilters, clock_skew, list_sessions, session_detail
from tests.helpers import land
from tests.visits import (
    CHROME,
    DAY,
    HOUR,
    IN_RANGE,
    NEWEST_FIRST,
    NEXT_DAY,
    ORIGIN,
    SECOND,
    Sessions,
    Visit,
    build,
    by_name,
    listed,
    ms,
    rrweb,
)


@pytest.fixture(scope="module")
def made(store) -> Sessions:  # noqa: ANN001
    return build(store)


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

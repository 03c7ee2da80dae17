"""The stored session index (replay/session_index.py): refreshed by every segment the writer
stores, and backfilled for a store from before it, on rows made by the real ingestion path."""

from __future__ import annotations

import uuid
from typing import Any

from footfall.collector import frames, writer
from footfall.replay import session_index
from footfall.replay.sessions import SessionFilters, list_sessions, session_detail
from tests.helpers import land
from tests.visits import DAY, HOUR, MINUTE, NEXT_DAY, Visit, chunk, click, error, ms, rrweb


def test_the_index_follows_a_session_as_its_segments_arrive(store) -> None:  # noqa: ANN001
    """Each segment refreshes the index rows of the sessions it holds: a later segment with more
    page views, rage clicks, an error and a recording changes the listed summary, which stays the
    one the detail computes from the rows."""
    site = f"fresh-{uuid.uuid4().hex[:10]}"
    visit = Visit(site, "growing", ms(DAY) + HOUR).page("/a", 0, click(1.0))

    def summary() -> dict[str, Any]:
        found = list_sessions(store, site, DAY, NEXT_DAY)["sessions"]
        assert [s["session_id"] for s in found] == [visit.sid]
        assert found[0] == session_detail(store, site, visit.sid)["summary"]
        return found[0]

    land(store, visit.records)
    first = summary()
    assert (first["pageviews"], first["clicks"], first["errors"], first["has_replay"]) == (1, 1, 0, False)
    assert list_sessions(store, site, DAY, NEXT_DAY, SessionFilters(signals=("rage_click",)))["total"] == 0

    sent = len(visit.records)
    visit.page("/b", 40, click(2.0, 400, 300), click(2.3, 405, 302), click(2.6, 398, 297, rage=True), error(5.0))
    land(store, visit.records[sent:])
    land(store, [chunk(site, visit.sid, 0, [rrweb(4, ms(DAY) + HOUR, href="https://shop.test/a")])])
    later = summary()
    assert (later["pageviews"], later["clicks"], later["errors"], later["has_replay"]) == (2, 4, 1, True)
    assert later["pages"] == ["/a", "/b"] and later["signals"]["rage_click"] == 1
    assert later["duration_s"] == 42.6  # the last click; an error does not lengthen a session
    assert list_sessions(store, site, DAY, NEXT_DAY, SessionFilters(signals=("rage_click",)))["total"] == 1


def test_a_store_from_before_the_index_is_backfilled(store) -> None:  # noqa: ANN001
    """Rows stored without the index (a data directory from an earlier version) are indexed by the
    backfill the server runs when it applies the index's migration, a day at a time."""
    site = f"backfill-{uuid.uuid4().hex[:10]}"
    late = Visit(site, "late", ms(DAY) + 23 * HOUR + 50 * MINUTE).page("/a", 0).page("/b", 20 * 60, click(1.0))
    early = Visit(site, "early", ms(DAY) + HOUR).page("/c", 0, click(2.0, dead=True))
    writer.insert_frames(store, [frames.pack(kind, ctx, record) for kind, record, ctx in late.records + early.records],
                         uuid.uuid4().hex)
    assert list_sessions(store, site, DAY, NEXT_DAY)["total"] == 0

    session_index.backfill(store)
    found = {s["session_id"]: s for s in list_sessions(store, site, DAY, NEXT_DAY)["sessions"]}
    assert sorted(found) == sorted([late.sid, early.sid])
    assert found[late.sid]["pages"] == ["/a", "/b"]  # over midnight, whole
    assert found[early.sid]["signals"]["dead_click"] == 1
    assert found[late.sid] == session_detail(store, site, late.sid)["summary"]

"""Heatmap data from the embedded store, on rows made by the real ingestion path: binning against a
plain numpy reference on random clicks, element placement, move cells, scroll reach and the
element ranking."""

from __future__ import annotations

import uuid
from datetime import timedelta

import numpy as np

from footfall.analysis import heatmaps
from footfall.analysis.heatmaps import CELL, ELEMENT_STEPS, Scope
from footfall.collector import frames
from footfall.store import migrations
from footfall.web import runtime
from tests.helpers import land
from tests.visits import DAY, NEXT_DAY, Visit, click, ms


def site() -> str:
    return "hm-" + uuid.uuid4().hex[:8]


def scope(site_key: str, url: str = "/p", device: str = "desktop") -> Scope:
    return Scope(site_key, DAY, NEXT_DAY + timedelta(days=1), url, device)


def visit(site_key: str, path: str, *events: dict, vw: int = 1280, n: int = 0) -> Visit:
    return Visit(site_key, f"v{n}", ms(DAY) + n * 60_000, vw=vw).page(path, 0, *events)


def test_click_cells_match_a_numpy_reference_on_random_clicks(store) -> None:  # noqa: ANN001
    key = site()
    rng = np.random.default_rng(7)
    xs, ys = rng.integers(0, 1400, 3000), rng.integers(0, 6000, 3000)
    records = []
    for n in range(30):  # 30 page views of 100 clicks, 10 ms apart (no rage: they are far apart)
        part = slice(n * 100, n * 100 + 100)
        records += visit(key, "/p", *[click(i / 100, int(x), int(y)) for i, (x, y) in
                                      enumerate(zip(xs[part], ys[part], strict=True))], n=n).records
    records += visit(key, "/other", click(0.1, 5, 5), n=99).records  # another page: not counted
    records += visit(key, "/p", click(0.1, 7, 7), vw=390, n=98).records  # another device: not counted
    land(store, records)

    got = heatmaps.click_cells(store, scope(key))
    expected: dict[tuple[int, int], int] = {}
    for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
        expected[(x // CELL, y // CELL)] = expected.get((x // CELL, y // CELL), 0) + 1
    assert {(c, r): n for c, r, n in got.tolist()} == expected
    as_json = heatmaps.as_json(got, *heatmaps.extent(got, None, None))
    assert as_json["total"] == 3000 and as_json["width"] >= 1400 and as_json["height"] >= 6000
    assert heatmaps.click_cells(store, scope(key, "/p", "mobile")).tolist() == [[0, 0, 1]]
    assert heatmaps.click_cells(store, scope(key, "/*")).shape[0] > len(expected)  # the pattern takes both pages


def test_clicks_on_an_element_follow_it_to_where_the_viewer_found_it(store) -> None:  # noqa: ANN001
    key = site()
    # Recorded with the button at (100, 100)-(300, 140); clicked at its centre and its left quarter.
    events = [click(0.0, 200, 120, s="#buy", rx=0.5, ry=0.5), click(2.0, 150, 120, s="#buy", rx=0.25, ry=0.5),
              click(4.0, 600, 900, s="#elsewhere")]
    land(store, visit(key, "/p", *events).records)
    moved = {"#buy": [500.0, 2000.0, 200.0, 40.0]}  # the viewer's snapshot has it lower down
    placed = heatmaps.click_map(store, scope(key), moved).tolist()
    step = 1 / ELEMENT_STEPS
    centre = (500 + (0.5 + step / 2) * 200, 2000 + (0.5 + step / 2) * 40)
    quarter = (500 + (0.25 + step / 2) * 200, 2000 + (0.5 + step / 2) * 40)
    assert sorted(placed) == sorted([[600 // CELL, 900 // CELL, 1],
                                     [int(centre[0] // CELL), int(centre[1] // CELL), 1],
                                     [int(quarter[0] // CELL), int(quarter[1] // CELL), 1]])
    assert heatmaps.click_map(store, scope(key), None).tolist() == heatmaps.click_cells(store, scope(key)).tolist()


def test_move_cells_count_every_pointer_sample(store) -> None:  # noqa: ANN001
    key = site()
    trail = [[x, 400] for x in range(0, 80, 4)]
    moves = [{"t": "move", "ts": 0.5, "p": trail}, {"t": "move", "ts": 1.5, "p": [[4, 400]]}]
    land(store, visit(key, "/p", *moves).records)
    got = {(c, r): n for c, r, n in heatmaps.move_cells(store, scope(key)).tolist()}
    assert sum(got.values()) == 21
    assert got[(0, 50)] == 3  # x 0 and 4, then the second trail's 4


def test_scroll_reach_is_the_share_of_page_views_reaching_each_depth(store) -> None:  # noqa: ANN001
    key = site()
    records = []
    deepest = [0.5, 0.62, 1.0, 0.3, 0.2]  # three of five reach half the page
    for n, share in enumerate(deepest):
        samples = [{"t": "scroll", "ts": 0.1, "d": 800, "pct": 0.2, "h": 4000}]
        if share > 0.2:
            samples.append({"t": "scroll", "ts": 2.0, "d": round(share * 4000), "pct": share, "h": 4000})
        records += visit(key, "/long", *samples, n=n).records
    land(store, records)
    got = heatmaps.scroll_reach(store, scope(key, "/long"))
    assert got["views"] == 5
    assert got["reach"][0] == 1.0 and got["reach"][20] == 1.0
    assert got["reach"][50] == 0.6 and got["reach"][30] == 0.8 and got["reach"][63] == 0.2
    assert got["reach"][100] == 0.2
    assert got["fold_px"] == 800 and got["fold_share"] == 0.2 and got["page_height"] == 4000
    empty = heatmaps.scroll_reach(store, scope(key, "/never"))
    assert empty["views"] == 0 and empty["fold_px"] is None


def test_elements_are_ranked_with_their_frustration(store) -> None:  # noqa: ANN001
    key = site()
    error = {"t": "error", "ts": 0.4, "kind": "error", "msg": "TypeError: x is undefined"}
    records = visit(key, "/p", click(0.0, s="#buy"), click(0.2, s="#buy", dead=True), error,
                    click(3.0, s="#buy", rage=True), click(5.0, s="a.help"), n=1).records
    records += visit(key, "/p", click(0.0, s="#buy"), n=2).records
    records += visit(key, "/p", click(0.0, s="a.help", dead=True), n=3).records
    land(store, records)
    got = heatmaps.elements(store, scope(key))
    assert got["total"] == 6
    buy, help_link = got["elements"]
    assert buy == {"selector": "#buy", "text": "", "clicks": 4, "visitors": 2, "share": round(4 / 6, 4), "dead": 1,
                   "dead_rate": 0.25, "rage": 1, "error_clicks": 2}
    assert help_link["clicks"] == 2 and help_link["dead"] == 1 and help_link["error_clicks"] == 0
    assert heatmaps.elements(store, scope(key), limit=1)["elements"][0]["selector"] == "#buy"


def test_the_page_picker_groups_paths_by_the_sites_patterns(store) -> None:  # noqa: ANN001
    key = site()
    records = []
    for n, path in enumerate(["/", "/", "/product/1", "/product/2", "/product/2", "/cart", "/product/3/reviews"]):
        records += visit(key, path, n=n).records
    land(store, records)
    pages = heatmaps.top_pages(store, key, DAY, NEXT_DAY + timedelta(days=1), "desktop", ("/product/*",))
    assert pages == [{"path": "/product/*", "views": 4, "pattern": True}, {"path": "/", "views": 2, "pattern": False},
                     {"path": "/cart", "views": 1, "pattern": False}]
    assert [p["path"] for p in heatmaps.top_pages(store, key, DAY, NEXT_DAY + timedelta(days=1))][:2] == \
        ["/", "/product/2"]


def test_a_replayed_segment_is_counted_once_in_the_cells(store) -> None:  # noqa: ANN001
    """The writer's retry of a segment (same token) must not count its clicks twice."""
    key = site()
    visit_ = visit(key, "/p", click(0.0, 10, 10), click(2.0, 30, 30), {"t": "move", "ts": 1.0, "p": [[5, 5]]})
    payloads = [frames.pack(kind, ctx, record) for kind, record, ctx in visit_.records]
    token = uuid.uuid4().hex
    runtime.land(store, payloads, token)
    runtime.land(store, payloads, token)
    assert heatmaps.click_cells(store, scope(key))[:, 2].sum() == 2
    assert heatmaps.move_cells(store, scope(key))[:, 2].sum() == 1
    assert heatmaps.elements(store, scope(key))["elements"][0]["clicks"] == 2


def test_the_backfill_counts_clicks_stored_before_the_cells(store) -> None:  # noqa: ANN001
    """Migration 0005's INSERT, on clicks and a trail written straight to `events` (as stored
    before the cells were counted: no view saw them)."""
    key = site()
    at = DAY + timedelta(hours=3)
    columns = ["site", "time", "type", "path", "device", "selector", "x", "y", "points", "rx", "ry", "retention"]
    store.insert_rows("events", columns, [
        [key, at, "click", "/old", "desktop", "#a", 17, 33, [], 0.5, 0.99, 30],
        [key, at, "click", "/old", "desktop", "#a", 18, 34, [], 0.5, 0.99, 30],
        [key, at, "move", "/old", "desktop", "", 0, 0, [(100, 200), (-4, 8)], 0.0, 0.0, 30],
    ])
    backfills = [s for m in migrations.available() if m.version == 5 for s in m.statements() if s.startswith("INSERT")]
    assert len(backfills) == 2
    for backfill in backfills:
        store.command(backfill.replace("WHERE type", f"WHERE site = '{key}' AND type"))
    assert heatmaps.click_cells(store, scope(key, "/old")).tolist() == [[2, 4, 2]]
    assert heatmaps.element_offsets(store, scope(key, "/old"), ["#a"]) == [("#a", 10, 19, 2)]
    assert heatmaps.move_cells(store, scope(key, "/old")).tolist() == [[12, 25, 1]]  # (-4, 8) is off the page
    [element] = heatmaps.elements(store, scope(key, "/old"))["elements"]
    assert element["selector"] == "#a" and element["clicks"] == 2 and element["visitors"] == 1

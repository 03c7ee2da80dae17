"""What the heatmaps count, read from ClickHouse: clicks and pointer samples binned into cells,
clicks binned inside the elements they hit, scroll reach per depth, and the clicked elements ranked.

A map covers the page views of one page (a path, or a pattern where `*` stands for whole path
segments) on one device class in a date range. Cells are CELL page pixels square. Clicks carry
both their page position and the offset inside the clicked element (shares of its width and
height); the viewer measures where each element sits in the page snapshot it shows and sends
that layout, and clicks on an element found there are placed by their offset inside it, so the
map follows the element through layout shifts and other widths (docs/heatmaps.md). Clicks on
elements not found keep their page position.

Click and move maps and the element ranking read the per-day counts the ingest views keep
(heatmap_cells, heatmap_elements: a map over millions of clicks sums a few hundred thousand rows);
scroll reach and error clicks read the events themselves.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from footfall.analysis.numbers import ratio
from footfall.analysis.signals import ERROR_CLICK_MS
from footfall.store import Store
from footfall.store.clock import utc
from footfall.store.conditions import SITE_IN_RANGE, grouped_path, on_path

CELL = 8  # page pixels per cell side
MAX_WIDTH = 4096  # page pixels mapped; beyond is dropped (a stray coordinate must not blow up a grid)
MAX_HEIGHT = 40_000
COLUMNS, ROWS = MAX_WIDTH // CELL, MAX_HEIGHT // CELL  # the largest grid: 512 x 5000 cells
MAX_BOX_PX = 1_000_000  # a layout number beyond this (in page pixels) is no measurement: refused
ELEMENT_STEPS = 20  # an offset inside an element is binned to 1/20 of its width and height
MAX_LAYOUT = 2000  # element boxes a viewer may send
MAX_URL = 2048
DEVICES = ("desktop", "tablet", "mobile")
# The viewer frame's size per device class (CSS pixels): a common viewport of each class.
VIEWPORTS = {"desktop": (1280, 800), "tablet": (820, 1180), "mobile": (390, 844)}


@dataclasses.dataclass(frozen=True)
class Scope:
    """The page views one map covers."""

    site: str
    start: datetime
    end: datetime
    url: str
    device: str = "desktop"

    def __post_init__(self) -> None:
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}")
        if not self.url or len(self.url) > MAX_URL:
            raise ValueError(f"url must be a path of 1 to {MAX_URL} characters")
        if utc(self.end) <= utc(self.start):
            raise ValueError("end must be after start")


def where(scope: Scope, kind: str | None) -> tuple[str, dict[str, Any]]:
    """The condition on a table of rows with site, path, device and time for one map, and its
    parameters: `events` of type `kind`, or (None) a table without types (page views, errors)."""
    params: dict[str, Any] = {"site": scope.site, "device": scope.device,
                              "start": utc(scope.start), "end": utc(scope.end)}
    of_kind = ""
    if kind:
        of_kind = " AND type = {type:String}"
        params["type"] = kind
    condition = f"{SITE_IN_RANGE}{of_kind} AND {on_path(scope.url, params)} AND device = {{device:String}}"
    return condition, params


def cells(found: list[tuple[Any, ...]] | list[list[Any]]) -> np.ndarray:
    return np.asarray(found, dtype=np.int64).reshape(-1, 3)


# -- clicks and moves -----------------------------------------------------------------------------
# Clicks and pointer samples are counted per day and cell as they arrive (heatmap_cells, migration
# 0005), with the same CELL and ELEMENT_STEPS; a map sums the days of its range.
CELLS = np.dtype([("column", "<u2"), ("row", "<u2"), ("hits", "<u8")])


def counted(scope: Scope, kind: str | None) -> tuple[str, dict[str, Any]]:
    """The condition on the per-day counts (heatmap_cells, of `kind`; heatmap_elements: None) for
    one map: the days of the range, whole UTC days."""
    params: dict[str, Any] = {"site": scope.site, "device": scope.device, "first": utc(scope.start).date(),
                              "last": (utc(scope.end) - timedelta(milliseconds=1)).date()}
    of_kind = ""
    if kind:
        of_kind = " AND type = {type:String}"
        params["type"] = kind
    return (f"site = {{site:String}}{of_kind} AND {on_path(scope.url, params)} AND device = {{device:String}}"
            " AND day >= {first:Date} AND day <= {last:Date}"), params


def summed_cells(store: Store, condition: str, params: dict[str, Any]) -> np.ndarray:
    found = np.frombuffer(store.raw(f"""
        SELECT column, row, sum(hits) FROM heatmap_cells WHERE {condition}
        GROUP BY column, row""", params), dtype=CELLS)
    return np.column_stack([found["column"], found["row"], found["hits"]]).astype(np.int64)


def click_cells(store: Store, scope: Scope, placed_elsewhere: list[str] | None = None) -> np.ndarray:
    """(column, row, clicks) per cell by page position, leaving out clicks on `placed_elsewhere`."""
    condition, params = counted(scope, "click")
    if placed_elsewhere:
        condition += " AND selector NOT IN {placed:Array(String)}"
        params["placed"] = placed_elsewhere
    return summed_cells(store, condition, params)


def move_cells(store: Store, scope: Scope) -> np.ndarray:
    """(column, row, pointer samples) per cell; samples are on a 4 px grid, page coordinates."""
    return summed_cells(store, *counted(scope, "move"))


def samples(store: Store, scope: Scope, kind: str) -> int:
    """The clicks or pointer samples (`kind`) a map would draw: none means an empty map."""
    condition, params = counted(scope, kind)
    return int(store.scalar(f"SELECT sum(hits) FROM heatmap_cells WHERE {condition}", params) or 0)


def element_offsets(store: Store, scope: Scope, selectors: list[str]) -> list[tuple[str, int, int, int]]:
    """(selector, column step, row step, clicks) for clicks on `selectors`, the offset inside the
    element binned to 1/ELEMENT_STEPS of its size."""
    if not selectors:
        return []
    condition, params = counted(scope, "click")
    params["selectors"] = selectors
    return store.rows(f"""
        SELECT selector, ex, ey, sum(hits) FROM heatmap_cells
        WHERE {condition} AND selector IN {{selectors:Array(String)}}
        GROUP BY selector, ex, ey""", params)


def place(offsets: list[tuple[str, int, int, int]], layout: dict[str, list[float]]) -> np.ndarray:
    """Cells for element-relative clicks, each at its offset inside the element's box
    [left, top, width, height] (page pixels) as the viewer measured it. Clicks placed outside the
    grid (0..MAX_WIDTH x 0..MAX_HEIGHT) are dropped, as page positions beyond it are."""
    placed = []
    for selector, column, row, count in offsets:
        left, top, width, height = layout[selector][:4]
        x = math.floor((left + (column + 0.5) / ELEMENT_STEPS * width) / CELL)
        y = math.floor((top + (row + 0.5) / ELEMENT_STEPS * height) / CELL)
        if 0 <= x < COLUMNS and 0 <= y < ROWS:
            placed.append((x, y, count))
    return cells(placed)


def valid_fixed(raw: Any, layout: dict[str, list[float]]) -> set[str]:
    """The selectors of the layout the viewer found fixed to the viewport."""
    if not isinstance(raw, list) or not all(isinstance(s, str) and s in layout for s in raw):
        raise ValueError("fixed must list selectors of the layout")
    return set(raw)


def valid_layout(raw: Any) -> dict[str, list[float]]:
    """The viewer's element boxes, checked: {selector: [left, top, width, height]}, each number
    within MAX_BOX_PX (a box a billion pixels down was not measured in a page)."""
    if not isinstance(raw, dict) or len(raw) > MAX_LAYOUT:
        raise ValueError(f"layout must map at most {MAX_LAYOUT} selectors to boxes")
    layout = {}
    for selector, box in raw.items():
        if (not isinstance(selector, str) or not isinstance(box, list | tuple) or len(box) != 4
                or not all(isinstance(v, int | float) and not isinstance(v, bool) and abs(v) <= MAX_BOX_PX
                           for v in box)
                or box[2] < 0 or box[3] < 0):
            raise ValueError(f"each layout entry is a selector and [left, top, width, height] in pixels, "
                             f"each within {MAX_BOX_PX:,} and width and height at least 0")
        layout[selector] = [float(v) for v in box]
    return layout


def click_map(store: Store, scope: Scope, layout: dict[str, list[float]] | None = None) -> np.ndarray:
    """Every click of the scope as cells: placed by element where `layout` has the element."""
    return click_layers(store, scope, layout or {}, set())[0]


def click_layers(store: Store, scope: Scope, layout: dict[str, list[float]],
                 fixed: set[str]) -> tuple[np.ndarray, np.ndarray]:
    """The click map in two layers: what scrolls with the page (page pixels), and the clicks on
    the elements the viewer found fixed to the viewport (`fixed`; their boxes are in viewport
    pixels, and so is this layer), which stay in place when the page scrolls."""
    if not layout:
        return click_cells(store, scope), cells([])
    selectors = list(layout)
    by_page = click_cells(store, scope, placed_elsewhere=selectors)
    offsets = element_offsets(store, scope, selectors)
    scrolling = place([o for o in offsets if o[0] not in fixed], layout)
    return np.concatenate([by_page, scrolling]), place([o for o in offsets if o[0] in fixed], layout)


def extent(found: np.ndarray, width_px: int | None, height_px: int | None) -> tuple[int, int]:
    """The grid's size in cells: as asked (page pixels), else just past the furthest cell; never
    more than COLUMNS x ROWS, so what a grid costs is bounded whatever the cells say."""
    far_column = int(found[:, 0].max()) + 1 if len(found) else 1
    far_row = int(found[:, 1].max()) + 1 if len(found) else 1
    width = math.ceil(min(width_px, MAX_WIDTH) / CELL) if width_px else far_column
    height = math.ceil(min(height_px, MAX_HEIGHT) / CELL) if height_px else far_row
    return min(max(1, width), COLUMNS), min(max(1, height), ROWS)


def as_json(found: np.ndarray, width: int, height: int) -> dict[str, Any]:
    """Cells summed (element-placed clicks may share a cell with page-placed ones), in page pixels,
    ordered by left then top."""
    if not len(found):
        return {"cell": CELL, "width": width * CELL, "height": height * CELL, "total": 0, "max": 0, "bins": []}
    keys = found[:, 0] * (ROWS + 1) + found[:, 1]
    unique, inverse = np.unique(keys, return_inverse=True)
    sums = np.bincount(inverse, weights=found[:, 2]).astype(np.int64)
    columns, rows = np.divmod(unique, ROWS + 1)
    bins = np.column_stack([columns * CELL, rows * CELL, sums])
    return {"cell": CELL, "width": width * CELL, "height": height * CELL, "total": int(sums.sum()),
            "max": int(sums.max()), "bins": bins.tolist()}


# -- scroll ---------------------------------------------------------------------------------------
def scroll_reach(store: Store, scope: Scope) -> dict[str, Any]:
    """Per depth percent 0..100, the share of page views whose deepest point seen (the viewport's
    bottom edge) reached it; and the average fold (the first sample: what showed before any
    scroll), in pixels and as a share of the page."""
    condition, params = where(scope, "scroll")
    found = store.rows(f"""
        SELECT least(100, toUInt8(floor(deepest * 100 + 1e-6))) AS percent, count(), avg(fold), avg(fold_share),
               avg(height)
        FROM (
            SELECT pageview_id, max(depth_share) AS deepest, argMin(y, time) AS fold,
                   argMin(depth_share, time) AS fold_share, max(page_height) AS height
            FROM events WHERE {condition} GROUP BY pageview_id)
        GROUP BY percent ORDER BY percent""", params)
    views = sum(row[1] for row in found)
    at_least = np.zeros(101)
    for percent, count, *_ in found:
        at_least[: int(percent) + 1] += count
    weighted = [(row[1], row[2], row[3], row[4]) for row in found]

    def mean(i: int) -> float | None:
        return sum(w[0] * w[i] for w in weighted) / views if views else None

    fold_px, fold_share, height = mean(1), mean(2), mean(3)
    return {"views": views, "reach": [ratio(v, views, 0.0) for v in at_least],
            "fold_px": round(fold_px) if fold_px is not None else None,
            "fold_share": round(fold_share, 4) if fold_share is not None else None,
            "page_height": round(height) if height is not None else None}


# -- elements -------------------------------------------------------------------------------------
def elements(store: Store, scope: Scope, limit: int = 100) -> dict[str, Any]:
    """The clicked elements, most clicked first: clicks, visitors (a sketch: exact for small
    counts, within about 2% beyond), share of the page's clicks, dead clicks and their rate, rage
    clicks, error clicks (a JS error within ERROR_CLICK_MS in the same page view, as the
    error_click signal), and the visible text. Counted per day as clicks arrive
    (heatmap_elements); error clicks are found from the page's errors, which are few."""
    condition, params = counted(scope, None)
    params["limit"] = limit
    total = int(store.scalar(f"SELECT sum(clicks) FROM heatmap_elements WHERE {condition}", params) or 0)
    found = store.rows(f"""
        SELECT selector, sum(clicks) AS n, uniqMerge(visitors), sum(dead), sum(rage), max(label)
        FROM heatmap_elements WHERE {condition}
        GROUP BY selector ORDER BY n DESC, selector LIMIT {{limit:UInt32}}""", params)
    failed = error_clicks(store, scope, [row[0] for row in found])
    ranked = []
    for selector, clicks, visitors, dead, rage, text in found:
        ranked.append({"selector": selector, "text": text, "clicks": clicks, "visitors": visitors,
                       "share": ratio(clicks, total, 0.0), "dead": dead,
                       "dead_rate": ratio(dead, clicks, 0.0), "rage": rage,
                       "error_clicks": failed.get(selector, 0)})
    return {"total": total, "elements": ranked}


def error_clicks(store: Store, scope: Scope, selectors: list[str]) -> dict[str, int]:
    """Per selector, the clicks followed by a JS error (not a console message) within
    ERROR_CLICK_MS in the same page view. Only the page views that had an error are read."""
    if not selectors:
        return {}
    condition, params = where(scope, "click")
    params["selectors"] = selectors
    failing = f"SELECT pageview_id, time FROM errors WHERE {where(scope, None)[0]} AND kind != 'console'"
    return dict(store.rows(f"""
        SELECT selector, count() FROM (
            SELECT DISTINCT c.selector AS selector, c.pageview_id, c.time
            FROM (SELECT selector, pageview_id, time FROM events
                  WHERE {condition} AND selector IN {{selectors:Array(String)}}
                    AND pageview_id IN (SELECT pageview_id FROM ({failing}))) AS c
            INNER JOIN ({failing}) AS e ON e.pageview_id = c.pageview_id
            WHERE e.time >= c.time AND e.time <= c.time + toIntervalMillisecond({ERROR_CLICK_MS}))
        GROUP BY selector""", params))


def top_pages(store: Store, site: str, start: datetime, end: datetime, device: str | None = None,
              patterns: tuple[str, ...] = (), limit: int = 50) -> list[dict[str, Any]]:
    """The most viewed pages in the range, for the page picker: a path matching one of the site's
    URL patterns counts towards the pattern (the first that matches), not as a page of its own."""
    params: dict[str, Any] = {"site": site, "start": utc(start), "end": utc(end), "limit": limit}
    page = grouped_path(patterns, params)
    on_device = ""
    if device:
        on_device = " AND device = {device:String}"
        params["device"] = device
    found = store.rows(f"""
        SELECT {page} AS page, count() AS views FROM pageviews
        WHERE site = {{site:String}} AND time >= {{start:DateTime64(3)}} AND time < {{end:DateTime64(3)}}{on_device}
        GROUP BY page ORDER BY views DESC, page LIMIT {{limit:UInt32}}""", params)
    return [{"path": path, "views": views, "pattern": path in patterns} for path, views in found]

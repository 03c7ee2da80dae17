"""The heatmaps API under /api/v1 (bearer tokens or a dashboard login).

- `GET heatmaps/{click|move|scroll}?url=&device=&format=json|png`: the map of one page
  (analysis/heatmaps.py); clicks and moves by page position, scroll as reach per depth percent.
- `POST heatmaps/click` with `{"layout": {selector: [left, top, width, height]}, "fixed": [...]}`:
  the click map with clicks on those elements placed inside them (the dashboard's viewer sends
  the boxes it measured in the page snapshot); `layer=fixed` draws the clicks on the elements
  fixed to the viewport, which stay in place when the page scrolls.
- `GET heatmaps/snapshot?url=&device=`: the page snapshot to draw over (replay/snapshots.py).
- `GET elements?url=&device=`: the clicked elements ranked.

`routes(store)` gives the routes; `OPERATIONS` describes them for the OpenAPI document.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from msgspec import Meta
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from footfall.analysis import heatmap_image, heatmaps
from footfall.collector.rejection import Rejected
from footfall.replay import snapshots
from footfall.store import Store
from footfall.web.operations import Answer, Body, Operation
from footfall.web.params import (
    PAGE,
    URL_REQUIRED,
    DateRange,
    Refusal,
    SitePath,
    Switch,
    guarded,
    query_of,
    site_and_range,
)

KINDS = ("click", "move", "scroll")
MAX_LAYOUT_BYTES = 512 * 1024
PNG = "image/png"
Position = Annotated[float, Meta(ge=-heatmaps.MAX_BOX_PX, le=heatmaps.MAX_BOX_PX)]  # layout numbers, page pixels
Size = Annotated[float, Meta(ge=0, le=heatmaps.MAX_BOX_PX)]


class MapPath(msgspec.Struct):
    site: str
    kind: Literal[*KINDS]


class ClickPath(msgspec.Struct):
    site: str
    kind: Literal["click"]


Pixels = Annotated[int, Meta(ge=1, le=100_000)]
Q = TypeVar("Q", bound="PageQuery")


class PageQuery(DateRange, kw_only=True):
    url: Annotated[str, Meta(min_length=1, max_length=heatmaps.MAX_URL, description=PAGE)]
    device: Literal[*heatmaps.DEVICES] = "desktop"
    refusals = {"url": Refusal(f"url must be a path of 1 to {heatmaps.MAX_URL} characters", missing=URL_REQUIRED)}


class MapQuery(PageQuery, kw_only=True):
    format: Literal["json", "png"] = "json"


class GridQuery(MapQuery, kw_only=True):
    width: Annotated[Pixels, Meta(description=f"Page width in pixels the grid covers (at most {heatmaps.MAX_WIDTH} "
                                              "are drawn)")] | None = None
    height: Annotated[Pixels, Meta(description=f"Page height in pixels the grid covers (at most {heatmaps.MAX_HEIGHT} "
                                               "are drawn)")] | None = None
    refusals = {**PageQuery.refusals, **{name: f"{name} must be a whole number of pixels, 1 to 100000"
                                         for name in ("width", "height")}}


class LayoutQuery(GridQuery, kw_only=True):
    layer: Literal["page", "fixed"] = "page"


class SnapshotQuery(PageQuery, kw_only=True):
    optional: Annotated[Switch, Meta(description="Answer 204 instead of 404 when there is none")] = False


class ElementsQuery(PageQuery, kw_only=True):
    limit: Annotated[int, Meta(ge=1, le=1000)] = 100
    refusals = {**PageQuery.refusals, "limit": "limit must be 1 to 1000"}


def scoped(request: Request, kind: type[Q]) -> tuple[heatmaps.Scope, Q]:
    """The page views a map covers, and the rest of the query."""
    site, start, end = site_and_range(request)
    query = query_of(request, kind)
    return heatmaps.Scope(site, start, end, query.url, query.device), query


def drawn(found: Any, size: tuple[int | None, int | None], fmt: str, top: float | None = None) -> bytes:
    """The cells as JSON bins or a PNG (coloured on the scale of `top` when given, else their own).
    Blocking numpy and Pillow work on a grid of up to heatmaps.COLUMNS x ROWS cells: run it in the
    store's thread pool, never on the event loop."""
    width, height = heatmaps.extent(found, *size)
    if fmt == "png":
        return heatmap_image.heat_png(found, width, height, top=top)
    return msgspec.json.encode(heatmaps.as_json(found, width, height))


def drawn_layer(layers: tuple[Any, Any], chosen: int, size: tuple[int | None, int | None], fmt: str) -> bytes:
    """One layer of a click map drawn in two, a PNG coloured on the scale of the hotter of both so
    they read as one map (blocking, as `drawn`)."""
    if fmt == "json":
        return drawn(layers[chosen], size, fmt)
    top = max(heatmap_image.hottest(found, *heatmaps.extent(found, None, None)) for found in layers)
    return drawn(layers[chosen], size, fmt, top)


def answer(body: bytes, fmt: str) -> Response:
    if fmt == "png":
        return Response(body, media_type=PNG,
                        headers={"X-Heatmap-Cell": str(heatmaps.CELL), "Cache-Control": "private, max-age=60"})
    return Response(body, media_type="application/json")


# Typed so that decoding stops at the first value of a wrong type: a body nested a thousand deep is
# refused at its first level, not decoded until Python's stack ends.
class LayoutBody(msgspec.Struct, forbid_unknown_fields=True):
    """The boxes of the page's elements as the viewer measured them in the snapshot shown."""

    layout: Annotated[dict[str, tuple[Position, Position, Size, Size]], Meta(
        max_length=heatmaps.MAX_LAYOUT,
        description="selector -> [left, top, width, height] in page pixels of the snapshot shown")] = {}
    fixed: Annotated[list[str], Meta(
        max_length=heatmaps.MAX_LAYOUT,
        description="selectors of the layout fixed to the viewport (their boxes in viewport pixels)")] = []


_layout_decoder = msgspec.json.Decoder(LayoutBody)


async def body_of(request: Request, limit: int) -> bytes:
    """The request body, read no further than `limit` bytes (413 beyond)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise Rejected(413, "layout", f"the layout is over {limit // 1024} KB")
    return bytes(body)


async def layout_of(request: Request) -> tuple[dict[str, list[float]], set[str]]:
    """The posted layout: element boxes, and which of them are fixed to the viewport."""
    body = await body_of(request, MAX_LAYOUT_BYTES)
    try:
        raw = _layout_decoder.decode(body or b"{}")
        layout = heatmaps.valid_layout(raw.layout)
    except RecursionError:  # only a body of another shape than LayoutBody gets that deep
        raise Rejected(400, "layout", "the layout is nested too deep") from None
    except (msgspec.DecodeError, ValueError) as exc:  # msgspec's ValidationError is a DecodeError
        at = str(exc).rpartition(" - at `")[2]
        raise Rejected(400, "fixed" if at.startswith("$.fixed") else "layout", str(exc)) from None
    try:
        return layout, heatmaps.valid_fixed(raw.fixed, layout)
    except ValueError as exc:
        raise Rejected(400, "fixed", str(exc)) from None


async def heatmap(store: Store, request: Request) -> Response:
    kind = request.path_params["kind"]
    if kind not in KINDS:
        raise Rejected(404, "kind", f"heatmaps are {', '.join(KINDS)}")
    posted = request.method == "POST"
    if kind == "scroll":  # posted or not
        scope, query = scoped(request, MapQuery)
        reach = await store.run(heatmaps.scroll_reach, store, scope)
        if query.format == "png":
            return Response(heatmap_image.band_png(reach["reach"]), media_type=PNG)
        return JSONResponse(reach)
    if posted and kind != "click":
        raise Rejected(405, "kind", "only the click map takes a layout")
    scope, grid = scoped(request, LayoutQuery if posted else GridQuery)
    size, fmt = (grid.width, grid.height), grid.format
    if isinstance(grid, LayoutQuery):
        layout, fixed = await layout_of(request)
        layers = await store.run(heatmaps.click_layers, store, scope, layout, fixed)
        return answer(await store.run(drawn_layer, layers, 0 if grid.layer == "page" else 1, size, fmt), fmt)
    cells_of = heatmaps.click_cells if kind == "click" else heatmaps.move_cells
    return answer(await store.run(drawn, await store.run(cells_of, store, scope), size, fmt), fmt)


async def snapshot(store: Store, request: Request) -> Response:
    scope, query = scoped(request, SnapshotQuery)
    found = await store.run(snapshots.latest_snapshot, store, scope)
    if found is None:
        if query.optional:
            return Response(status_code=204)  # the dashboard asks so: a page with none is no error
        raise Rejected(404, "url", "no recorded snapshot of this page on this device class")
    return JSONResponse(found)


async def elements(store: Store, request: Request) -> Response:
    scope, query = scoped(request, ElementsQuery)
    return JSONResponse(await store.run(heatmaps.elements, store, scope, query.limit))


def routes(store: Store) -> list[Route]:
    return [
        Route("/api/v1/sites/{site}/heatmaps/snapshot", guarded(partial(snapshot, store))),
        Route("/api/v1/sites/{site}/heatmaps/{kind}", guarded(partial(heatmap, store)), methods=["GET", "POST"]),
        Route("/api/v1/sites/{site}/elements", guarded(partial(elements, store))),
    ]


# -- answers, as the OpenAPI document shows them --------------------------------------------------
class HeatmapCells(msgspec.Struct):
    cell: int
    width: int
    height: int
    total: int
    max: int
    bins: Annotated[list[tuple[int, int, int]],
                    Meta(description="[left, top, count] of each cell with counts, in page pixels")]


class ScrollReach(msgspec.Struct):
    views: int
    reach: Annotated[list[float], Meta(description="Per depth percent 0..100, the share of page views that "
                                                   "reached it")]
    fold_px: int | None
    fold_share: float | None
    page_height: int | None


_map = {200: Answer("JSON cells (scroll: reach per depth), or a transparent PNG with one pixel per cell",
                    (HeatmapCells, ScrollReach), also=(PNG,))}
OPERATIONS = (
    Operation("get", "/api/v1/sites/{site}/heatmaps/{kind}", "A page's click, move or scroll map", _map,
              params=(MapPath, GridQuery)),
    Operation("post", "/api/v1/sites/{site}/heatmaps/{kind}",
              "The click map with clicks placed inside the elements of a measured layout", _map,
              params=(ClickPath, LayoutQuery), errors=(400, 413),
              body=Body(LayoutBody, f"At most {MAX_LAYOUT_BYTES // 1024} KB", required=False)),
    Operation("get", "/api/v1/sites/{site}/heatmaps/snapshot",
              "The newest recorded DOM snapshot of a page on a device class (rrweb events)",
              {200: Answer("Meta and FullSnapshot events, and where they come from"),
               204: "None, with optional=true", 404: "No recording of this page on this device class"},
              params=(SitePath, SnapshotQuery)),
    Operation("get", "/api/v1/sites/{site}/elements",
              "A page's clicked elements ranked, with dead, rage and error clicks",
              {200: Answer("The page's clicks and its elements, most clicked first")},
              params=(SitePath, ElementsQuery)),
)

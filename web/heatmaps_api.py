"""The heatmaps API under /api/v1 (bearer tokens or a dashboard login).

- `GET heatmaps/{click|move|scroll}?url=&device=&format=json|png`: the map of one page
  (analysis/heatmaps.py); clicks and moves by page position, scroll as reach per depth percent.
- `POST heatmaps/click` with `{"layout": {selector: [left, top, width, height]}, "fixed": [...]}`:
  the click map with clicks on those elements placed inside them (the dashboard's viewer sends
  the boxes it measured in the page snapshot); `layer=fixed` draws the clicks on the elements
  fixed to the viewport, which stay in place when the page scrolls.
- `GET heatmaps/snapshot?url=&device=`: the page snapshot to draw over (replay/snapshots.py).
- `GET elements?url=&device=`: the clicked elements ranked.

`routes(store)` gives the routes; `openapi_paths()` their OpenAPI path entries.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import msgspec
from msgspec import Meta
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from footfall.analysis import heatmap_image, heatmaps
from footfall.collector.rejection import Rejected
from footfall.replay import snapshots
from footfall.store import Store
from footfall.web.params import guarded, site_and_range

KINDS = ("click", "move", "scroll")
MAX_LAYOUT_BYTES = 512 * 1024
PNG = "image/png"
Position = Annotated[float, Meta(ge=-heatmaps.MAX_BOX_PX, le=heatmaps.MAX_BOX_PX)]  # layout numbers, page pixels
Size = Annotated[float, Meta(ge=0, le=heatmaps.MAX_BOX_PX)]


def scope_of(request: Request) -> heatmaps.Scope:
    site, start, end = site_and_range(request)
    url = request.query_params.get("url", "")
    if not url:
        raise Rejected(400, "url", "url is required: a path, or a pattern where * stands for path segments")
    device = request.query_params.get("device") or "desktop"
    if device not in heatmaps.DEVICES:
        raise Rejected(400, "device", f"device must be one of {', '.join(heatmaps.DEVICES)}")
    try:
        return heatmaps.Scope(site, start, end, url, device)
    except ValueError as exc:
        raise Rejected(400, "url", str(exc)) from None


def format_of(request: Request) -> str:
    chosen = request.query_params.get("format") or "json"
    if chosen not in ("json", "png"):
        raise Rejected(400, "format", "format must be json or png")
    return chosen


def pixels(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 100_000:
        raise Rejected(400, name, f"{name} must be a whole number of pixels, 1 to 100000")
    return int(raw)


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


class LayoutBody(msgspec.Struct, forbid_unknown_fields=True):
    """A posted layout, typed so that decoding stops at the first value of a wrong type: a body
    nested a thousand deep is refused at its first level, not decoded until Python's stack ends."""

    layout: Annotated[dict[str, tuple[Position, Position, Size, Size]], Meta(max_length=heatmaps.MAX_LAYOUT)] = {}
    fixed: Annotated[list[str], Meta(max_length=heatmaps.MAX_LAYOUT)] = []


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
    scope, fmt = scope_of(request), format_of(request)
    if kind == "scroll":
        reach = await store.run(heatmaps.scroll_reach, store, scope)
        if fmt == "png":
            return Response(heatmap_image.band_png(reach["reach"]), media_type=PNG)
        return JSONResponse(reach)
    size = pixels(request, "width"), pixels(request, "height")
    if request.method == "POST":
        if kind != "click":
            raise Rejected(405, "kind", "only the click map takes a layout")
        layer = request.query_params.get("layer") or "page"
        if layer not in ("page", "fixed"):
            raise Rejected(400, "layer", "layer must be page or fixed")
        layout, fixed = await layout_of(request)
        layers = await store.run(heatmaps.click_layers, store, scope, layout, fixed)
        return answer(await store.run(drawn_layer, layers, 0 if layer == "page" else 1, size, fmt), fmt)
    cells_of = heatmaps.click_cells if kind == "click" else heatmaps.move_cells
    return answer(await store.run(drawn, await store.run(cells_of, store, scope), size, fmt), fmt)


async def snapshot(store: Store, request: Request) -> Response:
    found = await store.run(snapshots.latest_snapshot, store, scope_of(request))
    if found is None:
        if request.query_params.get("optional") in ("true", "1"):
            return Response(status_code=204)  # the dashboard asks so: a page with none is no error
        raise Rejected(404, "url", "no recorded snapshot of this page on this device class")
    return JSONResponse(found)


async def elements(store: Store, request: Request) -> Response:
    raw = request.query_params.get("limit") or "100"
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 1000:
        raise Rejected(400, "limit", "limit must be 1 to 1000")
    return JSONResponse(await store.run(heatmaps.elements, store, scope_of(request), int(raw)))


def routes(store: Store) -> list[Route]:
    return [
        Route("/api/v1/sites/{site}/heatmaps/snapshot", guarded(partial(snapshot, store))),
        Route("/api/v1/sites/{site}/heatmaps/{kind}", guarded(partial(heatmap, store)), methods=["GET", "POST"]),
        Route("/api/v1/sites/{site}/elements", guarded(partial(elements, store))),
    ]


# -- OpenAPI --------------------------------------------------------------------------------------
def _param(name: str, schema: dict[str, Any], description: str = "", where: str = "query",
           required: bool = False) -> dict[str, Any]:
    param: dict[str, Any] = {"name": name, "in": where, "schema": schema, "required": required or where == "path"}
    if description:
        param["description"] = description
    return param


def openapi_paths() -> dict[str, Any]:
    """The OpenAPI 3.1 path entries of these routes (merged into web/api.py's document)."""
    page = [
        _param("site", {"type": "string"}, where="path"),
        _param("url", {"type": "string", "minLength": 1, "maxLength": heatmaps.MAX_URL},
               "A path, or a pattern where * stands for one or more whole path segments", required=True),
        _param("device", {"type": "string", "enum": list(heatmaps.DEVICES), "default": "desktop"}),
        _param("from", {"type": "string", "format": "date"}, "First day (UTC), inclusive; default 29 days ago"),
        _param("to", {"type": "string", "format": "date"}, "Last day (UTC), inclusive; default today"),
    ]
    grid = [*page, _param("format", {"type": "string", "enum": ["json", "png"], "default": "json"}),
            _param("width", {"type": "integer", "minimum": 1, "maximum": 100_000},
                   f"Page width in pixels the grid covers (at most {heatmaps.MAX_WIDTH} are drawn)"),
            _param("height", {"type": "integer", "minimum": 1, "maximum": 100_000},
                   f"Page height in pixels the grid covers (at most {heatmaps.MAX_HEIGHT} are drawn)")]
    cells = {"type": "object", "properties": {
        "cell": {"type": "integer"}, "width": {"type": "integer"}, "height": {"type": "integer"},
        "total": {"type": "integer"}, "max": {"type": "integer"},
        "bins": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}, "minItems": 3,
                                            "maxItems": 3},
                 "description": "[left, top, count] of each cell with counts, in page pixels"}}}
    as_map = {"200": {"description": "JSON cells, or a transparent PNG with one pixel per cell",
                      "content": {"application/json": {"schema": cells}, PNG: {}}},
              "400": {"description": "A bad parameter, named in the body"}}
    position = {"type": "number", "minimum": -heatmaps.MAX_BOX_PX, "maximum": heatmaps.MAX_BOX_PX}
    size = {"type": "number", "minimum": 0, "maximum": heatmaps.MAX_BOX_PX}
    layout = {"type": "object", "additionalProperties": False, "properties": {"layout": {
        "type": "object", "maxProperties": heatmaps.MAX_LAYOUT,
        "additionalProperties": {"type": "array", "prefixItems": [position, position, size, size], "items": False,
                                 "minItems": 4, "maxItems": 4},
        "description": "selector -> [left, top, width, height] in page pixels of the snapshot shown"},
        "fixed": {"type": "array", "items": {"type": "string"}, "maxItems": heatmaps.MAX_LAYOUT,
                  "description": "selectors of the layout fixed to the viewport (their boxes in viewport pixels)"}}}
    return {
        "/api/v1/sites/{site}/heatmaps/{kind}": {
            "get": {"summary": "A page's click, move or scroll map",
                    "parameters": [_param("kind", {"type": "string", "enum": list(KINDS)}, where="path"), *grid],
                    "responses": as_map},
            "post": {"summary": "The click map with clicks placed inside the elements of a measured layout",
                     "parameters": [_param("kind", {"type": "string", "enum": ["click"]}, where="path"), *grid,
                                    _param("layer", {"type": "string", "enum": ["page", "fixed"], "default": "page"})],
                     "requestBody": {"description": f"At most {MAX_LAYOUT_BYTES // 1024} KB",
                                     "content": {"application/json": {"schema": layout}}},
                     "responses": as_map},
        },
        "/api/v1/sites/{site}/heatmaps/snapshot": {
            "get": {"summary": "The newest recorded DOM snapshot of a page on a device class (rrweb events)",
                    "parameters": [*page, _param("optional", {"type": "boolean", "default": False},
                                                 "Answer 204 instead of 404 when there is none")],
                    "responses": {"200": {"description": "Meta and FullSnapshot events, and where they come from"},
                                  "204": {"description": "None, with optional=true"},
                                  "404": {"description": "No recording of this page on this device class"}}},
        },
        "/api/v1/sites/{site}/elements": {
            "get": {"summary": "A page's clicked elements ranked, with dead, rage and error clicks",
                    "parameters": [*page, _param("limit", {"type": "integer", "minimum": 1, "maximum": 1000,
                                                           "default": 100})],
                    "responses": {"200": {"description": "The page's clicks and its elements, most clicked first"}}},
        },
    }

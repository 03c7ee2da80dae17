"""The heatmaps API under /api/v1 (bearer tokens or a dashboard login).

- `GET heatmaps/{click|move|scroll}?url=&device=&format=json|png`: the map of one page
  (analysis/heatmaps.py); clicks and moves by page position, scroll as reach per depth percent.
- `POST heatmaps/click` with `{"layout": {selector: [left, top, width, height]}, "fixed": [...]}`:
  the click map with clicks on those elements placed inside them (the dashboard's viewer sends
  the boxes it measured in the page snapshot); `layer=fixed` draws the clicks on the elements
  fixed to the viewport, which stay in place when the page scrolls.
- `GET heatmaps/snapshot?url=&device=`: the page snapshot to draw over (analysis/snapshots.py).
- `GET elements?url=&device=`: the clicked elements ranked.

`routes(store)` gives the routes; `openapi_paths()` their OpenAPI path entries.
"""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from analysis import heatmap_image, heatmaps, snapshots

from .api import date_range, guarded
from .ingest.rejection import Rejected
from .store import Store

KINDS = ("click", "move", "scroll")
MAX_LAYOUT_BYTES = 512 * 1024
PNG = "image/png"


def scope_of(request: Request) -> heatmaps.Scope:
    start, end = date_range(request)
    url = request.query_params.get("url", "")
    if not url:
        raise Rejected(400, "url", "url is required: a path, or a pattern where * stands for path segments")
    device = request.query_params.get("device") or "desktop"
    if device not in heatmaps.DEVICES:
        raise Rejected(400, "device", f"device must be one of {', '.join(heatmaps.DEVICES)}")
    try:
        return heatmaps.Scope(request.path_params["site"], start, end, url, device)
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
    if not raw.isdigit() or not 1 <= int(raw) <= 100_000:
        raise Rejected(400, name, f"{name} must be a whole number of pixels, 1 to 100000")
    return int(raw)


def cell_map(found: Any, request: Request, fmt: str, top: float | None = None) -> Response:
    """The cells as JSON bins or a PNG (coloured on the scale of `top` when given, else their own)."""
    width, height = heatmaps.extent(found, pixels(request, "width"), pixels(request, "height"))
    if fmt == "png":
        return Response(heatmap_image.heat_png(found, width, height, top=top), media_type=PNG,
                        headers={"X-Heatmap-Cell": str(heatmaps.CELL), "Cache-Control": "private, max-age=60"})
    return Response(msgspec.json.encode(heatmaps.as_json(found, width, height)), media_type="application/json")


async def layout_of(request: Request) -> tuple[dict[str, list[float]], set[str]]:
    """The posted layout: element boxes, and which of them are fixed to the viewport."""
    body = await request.body()
    if len(body) > MAX_LAYOUT_BYTES:
        raise Rejected(413, "layout", f"the layout is over {MAX_LAYOUT_BYTES // 1024} KB")
    try:
        raw = msgspec.json.decode(body or b"{}")
        layout = heatmaps.valid_layout(raw.get("layout", {}) if isinstance(raw, dict) else None)
    except (msgspec.DecodeError, ValueError) as exc:
        raise Rejected(400, "layout", str(exc)) from None
    try:
        return layout, heatmaps.valid_fixed(raw.get("fixed", []), layout)
    except ValueError as exc:
        raise Rejected(400, "fixed", str(exc)) from None


def layered_map(layers: tuple[Any, Any], request: Request, fmt: str) -> Response:
    """One layer of a click map drawn in two (`layer=page`, the default, or `fixed`), coloured on
    the scale of the hotter of both so they read as one map."""
    layer = request.query_params.get("layer") or "page"
    if layer not in ("page", "fixed"):
        raise Rejected(400, "layer", "layer must be page or fixed")
    chosen = layers[0] if layer == "page" else layers[1]
    if fmt == "json":
        return cell_map(chosen, request, fmt)
    top = max(heatmap_image.hottest(found, *heatmaps.extent(found, None, None)) for found in layers)
    return cell_map(chosen, request, fmt, top)


def routes(store: Store) -> list[Route]:
    async def heatmap(request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind not in KINDS:
            raise Rejected(404, "kind", f"heatmaps are {', '.join(KINDS)}")
        scope, fmt = scope_of(request), format_of(request)
        if kind == "scroll":
            reach = await store.run(heatmaps.scroll_reach, store, scope)
            if fmt == "png":
                return Response(heatmap_image.band_png(reach["reach"]), media_type=PNG)
            return JSONResponse(reach)
        if request.method == "POST":
            if kind != "click":
                raise Rejected(405, "kind", "only the click map takes a layout")
            layout, fixed = await layout_of(request)
            return layered_map(await store.run(heatmaps.click_layers, store, scope, layout, fixed), request, fmt)
        cells_of = heatmaps.click_cells if kind == "click" else heatmaps.move_cells
        return cell_map(await store.run(cells_of, store, scope), request, fmt)

    async def snapshot(request: Request) -> Response:
        found = await store.run(snapshots.latest_snapshot, store, scope_of(request))
        if found is None:
            if request.query_params.get("optional") in ("true", "1"):
                return Response(status_code=204)  # the dashboard asks so: a page with none is no error
            raise Rejected(404, "url", "no recorded snapshot of this page on this device class")
        return JSONResponse(found)

    async def elements(request: Request) -> Response:
        raw = request.query_params.get("limit") or "100"
        if not raw.isdigit() or not 1 <= int(raw) <= 1000:
            raise Rejected(400, "limit", "limit must be 1 to 1000")
        return JSONResponse(await store.run(heatmaps.elements, store, scope_of(request), int(raw)))

    return [
        Route("/api/v1/sites/{site}/heatmaps/snapshot", guarded(snapshot)),
        Route("/api/v1/sites/{site}/heatmaps/{kind}", guarded(heatmap), methods=["GET", "POST"]),
        Route("/api/v1/sites/{site}/elements", guarded(elements)),
    ]


# -- OpenAPI --------------------------------------------------------------------------------------
def _param(name: str, schema: dict[str, Any], description: str = "", where: str = "query",
           required: bool = False) -> dict[str, Any]:
    param: dict[str, Any] = {"name": name, "in": where, "schema": schema, "required": required or where == "path"}
    if description:
        param["description"] = description
    return param


def openapi_paths() -> dict[str, Any]:
    """The OpenAPI 3.1 path entries of these routes (merged into collector/api.py's document)."""
    page = [
        _param("site", {"type": "string"}, where="path"),
        _param("url", {"type": "string"}, "A path, or a pattern where * stands for one or more whole path segments",
               required=True),
        _param("device", {"type": "string", "enum": list(heatmaps.DEVICES), "default": "desktop"}),
        _param("from", {"type": "string", "format": "date"}, "First day (UTC), inclusive; default 29 days ago"),
        _param("to", {"type": "string", "format": "date"}, "Last day (UTC), inclusive; default today"),
    ]
    grid = [*page, _param("format", {"type": "string", "enum": ["json", "png"], "default": "json"}),
            _param("width", {"type": "integer", "minimum": 1}, "Page width in pixels the grid covers"),
            _param("height", {"type": "integer", "minimum": 1}, "Page height in pixels the grid covers")]
    cells = {"type": "object", "properties": {
        "cell": {"type": "integer"}, "width": {"type": "integer"}, "height": {"type": "integer"},
        "total": {"type": "integer"}, "max": {"type": "integer"},
        "bins": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}, "minItems": 3,
                                            "maxItems": 3},
                 "description": "[left, top, count] of each cell with counts, in page pixels"}}}
    as_map = {"200": {"description": "JSON cells, or a transparent PNG with one pixel per cell",
                      "content": {"application/json": {"schema": cells}, PNG: {}}},
              "400": {"description": "A bad parameter, named in the body"}}
    layout = {"type": "object", "properties": {"layout": {
        "type": "object", "additionalProperties": {"type": "array", "items": {"type": "number"}, "minItems": 4,
                                                   "maxItems": 4},
        "description": "selector -> [left, top, width, height] in page pixels of the snapshot shown"},
        "fixed": {"type": "array", "items": {"type": "string"},
                  "description": "selectors of the layout fixed to the viewport (their boxes in viewport pixels)"}}}
    return {
        "/api/v1/sites/{site}/heatmaps/{kind}": {
            "get": {"summary": "A page's click, move or scroll map",
                    "parameters": [_param("kind", {"type": "string", "enum": list(KINDS)}, where="path"), *grid],
                    "responses": as_map},
            "post": {"summary": "The click map with clicks placed inside the elements of a measured layout",
                     "parameters": [_param("kind", {"type": "string", "enum": ["click"]}, where="path"), *grid,
                                    _param("layer", {"type": "string", "enum": ["page", "fixed"], "default": "page"})],
                     "requestBody": {"content": {"application/json": {"schema": layout}}},
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

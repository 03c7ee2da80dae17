"""Heatmaps: one page's click, move or scroll map over a snapshot of that page, with its clicked
elements ranked beside it.

    heatmaps page (dashboard policy)
      iframe  /sites/{key}/heatmaps/frame        the frame shell: FRAME_CSP, no script of its own
        iframe  data:text/html,...               the viewer: heatmap.js, an opaque origin
          iframe  (rrweb's, sandbox="allow-same-origin")   the page snapshot: no script runs

The same isolation as the replay player (replays_pages.py): the page fetches the snapshot and the
map with the user's session and hands them to the viewer by postMessage; the viewer measures the
clicked elements in the snapshot and sends their boxes back, which the click map is placed by
(docs/heatmaps.md).
"""

from __future__ import annotations

import base64
import html
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from analysis import heatmaps

from ..store import Store
from .overview_page import chosen_range, day_bounds
from .render import env, page
from .replays_pages import FRAME_CSP
from .sites_pages import site_or_404

KINDS = (("click", "Clicks"), ("move", "Mouse movement"), ("scroll", "Scroll reach"))
DEVICE_LABELS = {"desktop": "Desktop", "tablet": "Tablet", "mobile": "Mobile"}
ELEMENTS_LISTED = 25
ELEMENTS_PLACED = 300  # the most clicked elements the viewer looks for in the snapshot


def viewer_document(origin: str) -> str:
    """The viewer's own document, served as a data: URL by the frame shell."""
    o = html.escape(origin, quote=True)
    return ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Heatmap</title>'
            f'<link rel="stylesheet" href="{o}/static/player.css">'
            '<style>html,body{overflow:auto}#stage .replayer-wrapper{transform:none!important}</style></head>'
            f'<body><div id="stage" data-dashboard="{o}"></div>'
            f'<script src="{o}/static/heatmap.js"></script></body></html>')


def choice(request: Request, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = request.query_params.get(name, "")
    return value if value in allowed else default


def routes(store: Store) -> list[Route]:
    async def heatmaps_page(request: Request) -> Response:
        site = site_or_404(request)
        if isinstance(site, Response):
            return site
        first, last, note = chosen_range(request)
        start, end = day_bounds(first, last)
        device = choice(request, "device", heatmaps.DEVICES, "desktop")
        kind = choice(request, "kind", tuple(k for k, _ in KINDS), "click")
        try:
            opacity = min(1.0, max(0.1, float(request.query_params.get("opacity") or 0.7)))
        except ValueError:
            opacity = 0.7
        pages = await store.run(heatmaps.top_pages, store, site.key, start, end, device, site.url_patterns)
        url = heatmaps.page_path(request.query_params.get("url") or (pages[0]["path"] if pages else "/"))
        scope = heatmaps.Scope(site.key, start, end, url, device)
        ranked: dict[str, Any] = await store.run(heatmaps.elements, store, scope, ELEMENTS_PLACED)
        placed = [e["selector"] for e in ranked["elements"]]
        ranked["elements"] = ranked["elements"][:ELEMENTS_LISTED]
        reach = await store.run(heatmaps.scroll_reach, store, scope) if kind == "scroll" else None
        width, height = heatmaps.VIEWPORTS[device]
        replays = {"url": url, "device": device, "from": first.isoformat(), "to": last.isoformat(), "has_replay": ""}
        for element in ranked["elements"]:
            element["replays"] = f"/sites/{site.key}/replays?" + urlencode({**replays, "clicked": element["selector"]})
        query = urlencode({"url": url, "device": device, "from": first.isoformat(), "to": last.isoformat()})
        return page(request, "heatmaps.html", site=site, first=first, last=last, note=note, pages=pages, url=url,
                    device=device, kind=kind, kinds=KINDS, devices=DEVICE_LABELS, opacity=opacity, width=width,
                    height=height, ranked=ranked, reach=reach, query=query,
                    selectors=placed)

    async def frame(request: Request) -> Response:
        if request.path_params["key"] not in request.app.state.runtime.sites.sites:
            return Response("not found", status_code=404, media_type="text/plain",
                            headers={"Content-Security-Policy": "default-src 'none'; frame-ancestors 'self'"})
        origin = f"{request.url.scheme}://{request.url.netloc}"
        src = "data:text/html;base64," + base64.b64encode(viewer_document(origin).encode()).decode()
        body = env.get_template("player_frame.html").render(src=src, title="Heatmap over a snapshot of the page")
        return HTMLResponse(body, headers={"Content-Security-Policy": FRAME_CSP, "Cache-Control": "no-store"})

    return [
        Route("/sites/{key}/heatmaps", heatmaps_page),
        Route("/sites/{key}/heatmaps/frame", frame),
    ]

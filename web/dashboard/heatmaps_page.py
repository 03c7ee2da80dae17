"""Heatmaps: one page's click, move or scroll map over a snapshot of that page, with its clicked
elements ranked beside it.

The snapshot is rebuilt in the isolated frames of isolated_frames.py (the shell is
/sites/{key}/heatmaps/frame, the viewer heatmap.js). The page fetches the snapshot and the map with
the user's session and hands them to the viewer by postMessage; the viewer measures the clicked
elements in the snapshot and sends their boxes back, which the click map is placed by
(docs/heatmaps.md).
"""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from footfall.analysis import heatmaps
from footfall.store import Store
from footfall.store.vocabulary import page_path
from footfall.web.dashboard import isolated_frames, tables
from footfall.web.dashboard.context import site_range
from footfall.web.dashboard.filters import filter_state
from footfall.web.dashboard.labels import DEVICE_LABELS
from footfall.web.dashboard.render import page
from footfall.web.dashboard.tables import Column, Table

KINDS = (("click", "Clicks"), ("move", "Mouse movement"), ("scroll", "Scroll reach"))
NOTHING = {"click": "No clicks", "move": "No mouse movement", "scroll": "No scrolling"}  # an empty map's title
# The snapshot unscaled and scrolling, without rrweb's replay cursor (a snapshot has no pointer).
VIEWER_STYLE = ("html,body{overflow:auto}#stage .replayer-wrapper{transform:none!important}"
                ".replayer-mouse,.replayer-mouse-tail{display:none!important}")
ELEMENTS_LISTED = 25
ELEMENTS_PLACED = 300  # the most clicked elements the viewer looks for in the snapshot


def choice(request: Request, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = request.query_params.get(name, "")
    return value if value in allowed else default


async def heatmaps_page(store: Store, request: Request) -> Response:
    view = site_range(request)
    if isinstance(view, Response):
        return view
    site, start, end = view.site, view.start, view.end
    device = choice(request, "device", heatmaps.DEVICES, "desktop")
    kind = choice(request, "kind", tuple(k for k, _ in KINDS), "click")
    try:
        opacity = min(1.0, max(0.1, float(request.query_params.get("opacity") or 0.7)))
    except ValueError:
        opacity = 0.7
    asked = request.query_params.get("url") or ""
    if len(page_path(asked)) > heatmaps.MAX_URL:
        return page(request, "message.html", status=400, title="Page address too long",
                    message=f"A page's address is at most {heatmaps.MAX_URL:,} characters. Pick the page "
                            "from the list on the heatmaps page.")
    pages = await store.run(heatmaps.top_pages, store, site.key, start, end, device, site.url_patterns)
    url = page_path(asked or (pages[0]["path"] if pages else "/"))
    scope = heatmaps.Scope(site.key, start, end, url, device)
    ranked: dict[str, Any] = await store.run(heatmaps.elements, store, scope, ELEMENTS_PLACED)
    placed = [e["selector"] for e in ranked["elements"]]
    ranked["elements"] = ranked["elements"][:ELEMENTS_LISTED]
    reach = await store.run(heatmaps.scroll_reach, store, scope) if kind == "scroll" else None
    drawn = reach["views"] if reach else await store.run(heatmaps.samples, store, scope, kind)
    width, height = heatmaps.VIEWPORTS[device]
    replays = {"url": url, "device": device, **view.span, "has_replay": ""}
    for element in ranked["elements"]:
        element["replays"] = f"/sites/{site.key}/replays?" + urlencode({**replays, "clicked": element["selector"]})
    if (wanted := tables.asked(request)) is not None:
        return tables.download(wanted, ELEMENTS, ranked["elements"], site.key, device, view.first.isoformat(),
                               view.last.isoformat())
    query = urlencode({"url": url, "device": device, **view.span})
    return page(request, "heatmaps.html", **view.shown, pages=pages, url=url, device=device, kind=kind, kinds=KINDS,
                devices=DEVICE_LABELS, opacity=opacity, width=width, height=height, ranked=ranked, reach=reach,
                query=query, selectors=placed, empty=NOTHING[kind] if not drawn else None,
                state=filter_state(request))


# The clicked elements as the list beside the map shows them (the page's top ELEMENTS_LISTED).
ELEMENTS = Table("elements", "Clicked elements", (
    Column("selector", "Element", "text"), Column("text", "Text", "text"), Column("clicks", "Clicks"),
    Column("visitors", "Visitors"), Column("share", "Share", "share"), Column("dead", "Dead"),
    Column("dead_rate", "Dead share", "share"), Column("rage", "Rage"), Column("error_clicks", "Error")), [])


async def frame(request: Request) -> Response:
    site = request.app.state.runtime.sites.sites.get(request.path_params["key"])
    if site is None:
        return isolated_frames.not_found()
    return isolated_frames.shell(request, "heatmap.js", "Heatmap over a snapshot of the page", VIEWER_STYLE,
                                 origins=site.origins)


def routes(store: Store) -> list[Route]:
    return [
        Route("/sites/{key}/heatmaps", partial(heatmaps_page, store)),
        Route("/sites/{key}/heatmaps/frame", frame),
    ]

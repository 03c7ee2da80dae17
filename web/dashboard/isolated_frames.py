"""The frames that show visitors' markup in the dashboard: a recording in the replay player, a page
snapshot under a heatmap. Both rebuild what a public endpoint accepted, so both treat it as hostile:

    dashboard page (dashboard policy)
      iframe  the frame shell (a route of the page's)  frame_policy(site's origins), no script of its own
        iframe  data:text/html,...                     the viewer: one script of ours, an opaque origin
          iframe  (rrweb's, sandbox="allow-same-origin")   the rebuilt page: no script runs

The viewer document is a `data:` URL, so its origin is opaque: it cannot read the dashboard's
cookies, its DOM or its API, and the page rebuilt inside it shares that opaque origin, not the
dashboard's. It is not a `sandbox` without `allow-same-origin` because rrweb's Replayer must reach
into its own iframe, and every frame below a sandbox without allow-same-origin gets an origin of
its own (checked in Chromium: the Replayer then fails to start). The shell's policy (script only
from this origin, no fetch at all, framed only by this origin, and images, fonts, styles and media
for the rebuilt page only from the site's own origins and data:) is inherited by the data: document
and by the rebuilt page. The dashboard page hands the events over by postMessage; see
docs/dashboard.md (Replays).

Why only the site's origins: a recording is whatever was posted to a public endpoint. Were the
rebuilt page to load images from anywhere, whoever posted it would learn when it was watched, with
the viewer's address and browser, and could make the viewer's browser send requests to intranet
hosts. The site's own origins are where its pages really load from; the viewer (remote.js in
sdk-js/src/player) shows a placeholder wherever the recording points elsewhere. A site whose origins
include '*' (any origin may send data) gets nothing from '*' here: its recordings show images of the
origins it lists by name, and placeholders for the rest.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from footfall.web.dashboard.render import env

# An origin as the site settings store it (store/sites.py: normalise_origin); anything else,
# '*' included, never reaches a policy.
_ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(:[0-9]{1,5})?$")


def loadable(origins: Iterable[str]) -> list[str]:
    """The site's origins the rebuilt page may load from."""
    return list(dict.fromkeys(o for o in origins if _ORIGIN.match(o)))


def frame_policy(origins: Iterable[str]) -> str:
    """The frame shell's policy, inherited by the viewer (data:) document and the rebuilt page."""
    site = " ".join(loadable(origins))
    own = f"{site} " if site else ""
    return "; ".join([
        "default-src 'none'",
        "script-src 'self'",  # the viewer's script, from this origin; never inline, never the rebuilt page's
        f"style-src 'self' 'unsafe-inline' {own}data: blob:",  # the viewer's styles, the rebuilt page's own
        f"img-src {own}data: blob:",  # blob: the heatmap, drawn by the dashboard
        f"font-src {own}data:",
        f"media-src {own}data: blob:",
        "connect-src 'none'",  # the events come by postMessage; nothing in here fetches
        "frame-src data:",  # the viewer document
        "frame-ancestors 'self'",
        "form-action 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ])


def viewer_document(origin: str, script: str, title: str, style: str = "", origins: Iterable[str] = ()) -> str:
    """The viewer's own document, served as a data: URL by the frame shell: rrweb's styles, the
    viewer's script, and a stage for the rebuilt page (with the site's origins it may load from)."""
    o = html.escape(origin, quote=True)
    site = html.escape(" ".join(loadable(origins)), quote=True)
    extra = f"<style>{style}</style>" if style else ""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<link rel="stylesheet" href="{o}/static/player.css">{extra}</head>'
            f'<body><div id="stage" data-dashboard="{o}" data-origins="{site}"></div>'
            f'<script src="{o}/static/{html.escape(script, quote=True)}"></script></body></html>')


def not_found() -> Response:
    return Response("not found", status_code=404, media_type="text/plain",
                    headers={"Content-Security-Policy": "default-src 'none'; frame-ancestors 'self'"})


def shell(request: Request, script: str, title: str, style: str = "", origins: Iterable[str] = ()) -> Response:
    """The frame shell around a viewer document; `origins`, the site's, are what the page may load."""
    origin = f"{request.url.scheme}://{request.url.netloc}"
    document = viewer_document(origin, script, title, style, origins)
    src = "data:text/html;base64," + base64.b64encode(document.encode()).decode()
    body = env.get_template("player_frame.html").render(src=src, title=title)
    return HTMLResponse(body, headers={"Content-Security-Policy": frame_policy(origins), "Cache-Control": "no-store"})

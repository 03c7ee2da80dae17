"""The frames that show visitors' markup in the dashboard: a recording in the replay player, a page
snapshot under a heatmap. Both rebuild what a public endpoint accepted, so both treat it as hostile:

    dashboard page (dashboard policy)
      iframe  the frame shell (a route of the page's)  FRAME_CSP, no script of its own
        iframe  data:text/html,...                     the viewer: one script of ours, an opaque origin
          iframe  (rrweb's, sandbox="allow-same-origin")   the rebuilt page: no script runs

The viewer document is a `data:` URL, so its origin is opaque: it cannot read the dashboard's
cookies, its DOM or its API, and the page rebuilt inside it shares that opaque origin, not the
dashboard's. It is not a `sandbox` without `allow-same-origin` because rrweb's Replayer must reach
into its own iframe, and every frame below a sandbox without allow-same-origin gets an origin of
its own (checked in Chromium: the Replayer then fails to start). The shell's policy (script only
from this origin, inline styles and any image, font or media for the rebuilt page, no fetch at
all, framed only by this origin) is inherited by the data: document and by the rebuilt page. The
dashboard page hands the events over by postMessage; see docs/dashboard.md (Replays).
"""

from __future__ import annotations

import base64
import html

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from .render import env

# The frame shell's policy, inherited by the viewer (data:) document and the rebuilt page.
FRAME_CSP = "; ".join([
    "default-src 'none'",
    "script-src 'self'",  # the viewer's script, from this origin; never inline, never the rebuilt page's
    "style-src 'self' 'unsafe-inline' * data: blob:",  # the rebuilt page's own styles
    "img-src * data: blob:",
    "font-src * data:",
    "media-src * data: blob:",
    "connect-src 'none'",  # the events come by postMessage; nothing in here fetches
    "frame-src data:",  # the viewer document
    "frame-ancestors 'self'",
    "form-action 'none'",
    "base-uri 'none'",
    "object-src 'none'",
])


def viewer_document(origin: str, script: str, title: str, style: str = "") -> str:
    """The viewer's own document, served as a data: URL by the frame shell: rrweb's styles, the
    viewer's script, and a stage for the rebuilt page."""
    o = html.escape(origin, quote=True)
    extra = f"<style>{style}</style>" if style else ""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<link rel="stylesheet" href="{o}/static/player.css">{extra}</head>'
            f'<body><div id="stage" data-dashboard="{o}"></div>'
            f'<script src="{o}/static/{html.escape(script, quote=True)}"></script></body></html>')


def not_found() -> Response:
    return Response("not found", status_code=404, media_type="text/plain",
                    headers={"Content-Security-Policy": "default-src 'none'; frame-ancestors 'self'"})


def shell(request: Request, script: str, title: str, style: str = "") -> Response:
    """The frame shell around a viewer document."""
    origin = f"{request.url.scheme}://{request.url.netloc}"
    document = viewer_document(origin, script, title, style)
    src = "data:text/html;base64," + base64.b64encode(document.encode()).decode()
    body = env.get_template("player_frame.html").render(src=src, title=title)
    return HTMLResponse(body, headers={"Content-Security-Policy": FRAME_CSP, "Cache-Control": "no-store"})

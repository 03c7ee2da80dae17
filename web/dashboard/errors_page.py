"""Errors: a site's JavaScript errors grouped as one problem each (analysis/errors.py), most
frequent first, each with its pages, first and last sight, a sample message and stack, and the
replays of the sessions that had it."""

from __future__ import annotations

from functools import partial
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from footfall.analysis import errors
from footfall.analysis.pages import page_path
from footfall.store import Store
from footfall.web.dashboard.context import chosen_range, site_or_404
from footfall.web.dashboard.render import page
from footfall.web.dates import day_bounds

LISTED = 100


async def errors_page(store: Store, request: Request) -> Response:
    site = site_or_404(request)
    if isinstance(site, Response):
        return site
    first, last, note = chosen_range(request)
    start, end = day_bounds(first, last)
    url = request.query_params.get("url", "").strip()
    url = page_path(url) if url else ""
    console = request.query_params.get("console") == "1"
    found = await store.run(errors.grouped_errors, store, site.key, start, end, url or None, console, LISTED)
    span = {"from": first.isoformat(), "to": last.isoformat()}
    for group in found["errors"]:
        group["replays"] = f"/sites/{site.key}/replays?" + urlencode(
            {**span, "error": group["fingerprint"], "has_replay": ""})
        group["page_links"] = [(path, f"/sites/{site.key}/performance?" + urlencode({**span, "url": path}))
                               for path in group["pages"]]
    return page(request, "errors.html", site=site, first=first, last=last, note=note, url=url, console=console,
                found=found, listed=LISTED)


def routes(store: Store) -> list[Route]:
    return [Route("/sites/{key}/errors", partial(errors_page, store))]

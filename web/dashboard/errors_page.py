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
from footfall.store import Store
from footfall.store.vocabulary import page_path
from footfall.web.dashboard import tables
from footfall.web.dashboard.context import site_range
from footfall.web.dashboard.filters import filter_state
from footfall.web.dashboard.render import page
from footfall.web.dashboard.tables import Column, Table

LISTED = 100
# The groups' table as its CSV holds it: the columns shown, the message and kind for the summary, the
# pages space-separated, instants in UTC (ISO 8601) where the page shows them in the site's zone.
GROUPS = Table("error_groups", "Error groups", (
    Column("fingerprint", "Group", "text"), Column("message", "Error", "text"), Column("kind", "Kind", "text"),
    Column("source", "Source", "text"), Column("line", "Line"), Column("count", "Count"),
    Column("sessions", "Sessions"), Column("visitors", "Visitors"), Column("pages", "Pages", "text"),
    Column("first_seen", "First seen", "text"), Column("last_seen", "Last seen", "text")), [])


async def errors_page(store: Store, request: Request) -> Response:
    view = site_range(request)
    if isinstance(view, Response):
        return view
    key = view.site.key
    url = request.query_params.get("url", "").strip()
    url = page_path(url) if url else ""
    console = request.query_params.get("console") == "1"
    found = await store.run(errors.grouped_errors, store, key, view.start, view.end, url or None, console, LISTED)
    if (wanted := tables.asked(request)) is not None:
        rows = [{**g, "pages": " ".join(g["pages"])} for g in found["errors"]]
        return tables.download(wanted, GROUPS, rows, key, view.first.isoformat(), view.last.isoformat())
    for group in found["errors"]:
        group["replays"] = f"/sites/{key}/replays?" + urlencode(
            {**view.span, "error": group["fingerprint"], "has_replay": ""})
        group["page_links"] = [(path, f"/sites/{key}/performance?" + urlencode({**view.span, "url": path}))
                               for path in group["pages"]]
    return page(request, "errors.html", **view.shown, url=url, console=console, found=found, listed=LISTED,
                state=filter_state(request))


def routes(store: Store) -> list[Route]:
    return [Route("/sites/{key}/errors", partial(errors_page, store))]

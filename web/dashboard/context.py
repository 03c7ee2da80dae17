"""What a site's pages start from: the site of the path (or the page that refuses it) and the days
asked for, read once for every page by `site_range`."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from footfall.collector.rejection import Rejected
from footfall.store import sites
from footfall.web import dates
from footfall.web.dashboard.render import page, user_of
from footfall.web.params import DEFAULT_DAYS, days_asked, site_zone


def admin(request: Request) -> bool:
    user = user_of(request)
    return bool(user and user["role"] == "admin")


def forbidden(request: Request) -> Response:
    return page(request, "message.html", status=403, title="Not allowed",
                message="Only administrators can do this. Ask one to change it for you.")


def site_or_404(request: Request) -> sites.Site | Response:
    site = request.app.state.runtime.sites.sites.get(request.path_params["key"])
    if site is None:
        return page(request, "message.html", status=404, title="No such site",
                    message="This site does not exist, or it was removed. Pick one from the list of sites.")
    return site


def site_for_admin(request: Request) -> sites.Site | Response:
    """The site of the path, for a change only administrators may make: the site, or the 404 or
    403 page to answer with."""
    site = site_or_404(request)
    if isinstance(site, Response) or admin(request):
        return site
    return forbidden(request)


def chosen_range(request: Request) -> tuple[date, date, str | None]:
    """`from`/`to` read as the API reads them (web/params.py), or `days`; a bad value falls back to
    the default, with a note. Days outside 1970..2099 are read as the nearest day of that window
    (web/dates.py), and the range ends today at the latest."""
    today = dates.today(site_zone(request))
    query = request.query_params
    try:
        if query.get("from") or query.get("to"):
            first, last = (dates.clamped(day) for day in days_asked(request))
            return first, max(first, min(last, today)), None
        days = max(1, min(3650, int(query.get("days") or DEFAULT_DAYS)))
    except (Rejected, ValueError):
        note = "That date range could not be read; showing the last 30 days."
        return today - timedelta(days=DEFAULT_DAYS - 1), today, note
    return today - timedelta(days=days - 1), today, None


@dataclasses.dataclass(frozen=True)
class SiteRange:
    """A site's page over the days asked for: the first and last day shown (inclusive), a note when
    the asked range could not be read, and the instants the queries take ([start, end))."""

    site: sites.Site
    first: date
    last: date
    note: str | None
    start: datetime
    end: datetime

    @property
    def shown(self) -> dict[str, Any]:
        """What the page's template is given about them."""
        return {"site": self.site, "first": self.first, "last": self.last, "note": self.note}

    @property
    def span(self) -> dict[str, str]:
        """The days as a link to another page of the site asks for them."""
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}


def site_range(request: Request) -> SiteRange | Response:
    """The site of the path over the days asked for, or the 404 page to answer with."""
    site = site_or_404(request)
    if isinstance(site, Response):
        return site
    first, last, note = chosen_range(request)
    return SiteRange(site, first, last, note, *dates.day_bounds(first, last, site.time_zone))

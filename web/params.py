"""The request parameters every API route and dashboard page reads alike: the date range and the
path's site, and the wrapper that turns a refused parameter into its JSON answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from footfall.collector.rejection import Rejected
from footfall.web import dates

DEFAULT_DAYS = 30


def date_range(request: Request) -> tuple[datetime, datetime]:
    """`from` and `to` are ISO dates, both inclusive; the default is the last 30 days. Days before
    1970 or after 2099 are read as the nearest day of that window (web/dates.py)."""
    today = datetime.now(UTC).date()

    def parse(name: str, default: date) -> date:
        raw = request.query_params.get(name)
        if not raw:
            return default
        try:
            return dates.parse_day(raw)
        except ValueError:
            raise Rejected(400, name, f"{name} must be an ISO date (YYYY-MM-DD)") from None

    start = parse("from", today - timedelta(days=DEFAULT_DAYS - 1))
    end = parse("to", today)
    if end < start:
        raise Rejected(400, "to", "to is before from")
    return dates.day_bounds(start, end)


def site_of(request: Request) -> str:
    """The path's site; web/access.py has checked that the request may read it."""
    return request.path_params["site"]


def site_and_range(request: Request) -> tuple[str, datetime, datetime]:
    """The path's site and the query's date range: what every read of a site's data starts with."""
    return (site_of(request), *date_range(request))


def days_of(start: datetime, end: datetime) -> dict[str, str]:
    """The range's first and last day as `from` and `to` say them (`end` is the day after the last)."""
    return {"from": start.date().isoformat(), "to": (end - timedelta(days=1)).date().isoformat()}


def guarded(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except Rejected as exc:
            return JSONResponse(exc.body(), status_code=exc.status)

    return run

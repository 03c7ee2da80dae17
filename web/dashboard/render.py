"""Jinja2 pages with what every dashboard page needs: the user, the CSRF token, the sites, the navigation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from starlette.requests import Request
from starlette.responses import HTMLResponse

from footfall.web.dashboard.guards import csrf_token
from footfall.web.version import version
from footfall.web.wording import counted

env = Environment(loader=PackageLoader("footfall.web", "templates/dashboard"), autoescape=select_autoescape(["html"]))
env.globals["version"] = version()  # the footer of every page
env.filters["counted"] = counted  # {{ n | counted('conversion') }}: "1 conversion", "2 conversions"


@pass_context
def local(context: Context, moment: str | datetime, seconds: bool = True) -> str:
    """A stored instant (ISO 8601, or a datetime) as the site's time zone reads it, with the zone's
    abbreviation, so every page shows times as the site's people live them (UTC without a site)."""
    site = context.get("site")
    zone = ZoneInfo(getattr(site, "time_zone", None) or "UTC")
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    there = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(zone)
    return there.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")


env.filters["local"] = local

# Per site: (label, path under /sites/{key}). Pages of later features join this list.
SITE_NAV = [("Overview", "overview"), ("Heatmaps", "heatmaps"), ("Replays", "replays"), ("Funnels", "funnels"),
            ("Goals", "goals"), ("Performance", "performance"), ("Errors", "errors"), ("Anomalies", "anomalies"),
            ("Alerts", "alerts"), ("Install", "install"), ("Settings", "settings")]


def user_of(request: Request) -> dict[str, str] | None:
    """The logged-in user, as web/access.py read it from the store for this request."""
    return request.scope.get("footfall.user")


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(render(request, template, **context), status_code=status)


def render(request: Request, template: str, **context: Any) -> str:
    runtime = request.app.state.runtime
    sites = sorted(runtime.sites.sites.values(), key=lambda s: s.name.lower())
    return env.get_template(template).render(
        request=request, user=user_of(request), csrf=csrf_token(request.session), sites=sites,
        site_nav=SITE_NAV, path=request.url.path, **context)

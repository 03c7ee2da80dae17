"""Anomalies: what changed on the site beyond what its own history explains (analysis/anomalies),
each with a chart of the KPI against its expected band, the explanation, the anomalies at the same
time and place, and links to the sessions and replays behind it. The Overview shows the open ones
through this page's #anomaly-badge (fetched after the Overview is shown)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from footfall.analysis.anomalies import found
from footfall.analysis.anomalies.detect import SEVERITIES
from footfall.store import Store
from footfall.web.anomalies_api import LONGEST
from footfall.web.dashboard.band_chart import band_chart
from footfall.web.dashboard.context import site_range
from footfall.web.dashboard.render import page
from footfall.web.dashboard.trend_chart import moment

LABELS = {"visitors": "Visitors", "pageviews": "Page views", "bounce_rate": "Bounce rate",
          "error_rate": "JavaScript error rate", "lcp_p75": "LCP (p75)", "inp_p75": "INP (p75)", "cls_p75": "CLS (p75)",
          "rage_clicks": "Rage clicks", "dead_clicks": "Dead clicks", "sessions": "Sessions",
          "error_group_rate": "Page views with this error"}
DEFAULT_GRAIN = "day"  # a month of days reads at a glance; hours find what lasts only hours, on busier sites
FILTERS = {"page": "url", "error_group": "error", "browser": "browser", "device": "device"}  # replays filters


def formatter(kpi: str, kind: str) -> Any:
    if kind == "rate":
        return lambda v: f"{v * 100:.2f}%"
    if kpi == "cls_p75":
        return lambda v: f"{v:.3f}"
    if kind == "value":
        return lambda v: f"{v / 1000:.2f} s" if v >= 1000 else f"{v:.0f} ms"
    return lambda v: f"{v:,.0f}"


def scope_text(scope: dict[str, str], messages: dict[str, str]) -> str:
    if "page" in scope:
        return f" on {scope['page']}"
    if "source" in scope:
        return f" from {scope['source']}"
    if "error_group" in scope:
        return f" of “{messages.get(scope['error_group'], scope['error_group'])[:80]}”"
    return ""


def sessions_link(key: str, a: dict[str, Any], zone: str, recorded: bool) -> str:
    """The replays page filtered to the anomaly's days, its scope and the values that carry it."""
    tz = ZoneInfo(zone)
    start = datetime.fromisoformat(a["start"]).astimezone(tz).date()
    end = (datetime.fromisoformat(a["end"]) - timedelta(milliseconds=1)).astimezone(tz).date() if a["end"] \
        else max(start, datetime.now(tz).date())
    query = {"from": start.isoformat(), "to": end.isoformat()}
    named = {n["dimension"]: n["value"] for n in a["explanation"]["named"]}
    for dimension, name in FILTERS.items():
        value = a["scope"].get(dimension) or named.get(dimension)
        if value:
            query[name] = value
    query["has_replay"] = "true" if recorded else ""
    return f"/sites/{key}/replays?" + urlencode(query)


def shown(key: str, a: dict[str, Any], grain: str, zone: str, messages: dict[str, str]) -> dict[str, Any]:
    fmt = formatter(a["kpi"], a["kind"])
    tz = ZoneInfo(zone)
    start = datetime.fromisoformat(a["start"]).astimezone(tz)
    end = datetime.fromisoformat(a["end"]).astimezone(tz) if a["end"] else None
    change = "" if a["change"] is None else f" {'up' if a['change'] > 0 else 'down'} {abs(a['change']):.0%}"
    return {**a, "heading": f"{LABELS[a['kpi']]}{scope_text(a['scope'], messages)}{change}",
            "when": f"{moment(start, grain)} to {moment(end, grain)}" if end else f"since {moment(start, grain)}",
            "observed_text": fmt(a["observed"]), "expected_text": fmt(a["expected"]),
            "band_text": f"{fmt(a['low'])} to {fmt(a['high'])}",
            "chart": band_chart([{**p, "t": datetime.fromisoformat(p["t"]).astimezone(tz).isoformat()}
                                 for p in a["points"]], grain, fmt),
            "sessions": sessions_link(key, a, zone, recorded=False),
            "replays": sessions_link(key, a, zone, recorded=True)}


async def anomalies_page(store: Store, request: Request) -> Response:
    view = site_range(request)
    if isinstance(view, Response):
        return view
    key, zone = view.site.key, view.site.time_zone
    grain = request.query_params.get("grain") if request.query_params.get("grain") in LONGEST else DEFAULT_GRAIN
    severity = request.query_params.get("severity")
    severity = severity if severity in SEVERITIES else found.DEFAULT_SEVERITY
    first: date = max(view.first, view.last - timedelta(days=LONGEST[grain] - 1))
    note = view.note or (f"At hour grain the last {LONGEST[grain]} days are searched." if first > view.first else None)
    result = await store.run(found.anomalies, store, key, first, view.last, zone, grain, view.site.url_patterns,
                             None, severity)
    messages = await store.run(group_messages, store, key, result["anomalies"])
    listed = [shown(key, a, grain, zone, messages) for a in result["anomalies"]]
    by_id = {a["id"]: a for a in listed}
    for a in listed:
        a["related"] = [by_id[i] for i in a["correlated"] if i in by_id]
    open_ones = [a for a in listed if a["open"]]
    return page(request, "anomalies.html", **{**view.shown, "first": first.isoformat(), "note": note},
                anomalies=listed, open_ones=open_ones, grain=grain, severity=severity, severities=SEVERITIES,
                labels=LABELS)


def group_messages(store: Store, site: str, anomalies: list[dict[str, Any]]) -> dict[str, str]:
    """The message of each error group an anomaly is about, for its heading."""
    wanted = sorted({a["scope"]["error_group"] for a in anomalies if "error_group" in a["scope"]})
    if not wanted:
        return {}
    return dict(store.rows("SELECT fingerprint, any(message) FROM errors WHERE site = {site:String} "
                           "AND fingerprint IN {groups:Array(String)} GROUP BY fingerprint",
                           {"site": site, "groups": wanted}))


def routes(store: Store) -> list[Route]:
    return [Route("/sites/{key}/anomalies", partial(anomalies_page, store))]

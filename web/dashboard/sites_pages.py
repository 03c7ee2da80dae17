"""Sites: the list, adding one, its settings, and the install page with its live status."""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from footfall.analysis.installation import install_status
from footfall.store import Store, sites
from footfall.web.dashboard.context import admin, forbidden, site_for_admin, site_or_404
from footfall.web.dashboard.render import page


def form_of(site: sites.Site) -> dict[str, Any]:
    return {"name": site.name, "origins": "\n".join(site.origins), "retention_days": site.retention_days,
            "replay_sample": round(site.replay_sample * 100, 3), "heatmap_sample": round(site.heatmap_sample * 100, 3),
            "honour_dnt": site.honour_dnt, "url_patterns": "\n".join(site.url_patterns),
            "time_zone": site.time_zone}


def parse_form(form: Any, base: sites.Site) -> sites.Site:
    """The submitted settings as a Site; ValueError names what to fix."""
    name = str(form.get("name", "")).strip()
    if not name:
        raise ValueError("Give the site a name.")
    origins = [line.strip() for line in str(form.get("origins", "")).splitlines() if line.strip()]
    if not origins:
        raise ValueError("Add at least one origin, such as https://shop.example.")
    try:
        normalised = tuple(dict.fromkeys(sites.normalise_origin(o) for o in origins))
    except ValueError as exc:
        raise ValueError(f"{exc}: write origins as https://host or http://host:port") from None
    try:
        retention = int(str(form.get("retention_days", "")))
        replay = float(str(form.get("replay_sample", ""))) / 100
        heatmap = float(str(form.get("heatmap_sample", ""))) / 100
    except ValueError:
        raise ValueError("Retention and sample rates must be numbers.") from None
    if not 1 <= retention <= 3650:
        raise ValueError("Keep data between 1 and 3650 days.")
    if not (0 <= replay <= 1 and 0 <= heatmap <= 1):
        raise ValueError("Sample rates are percentages between 0 and 100.")
    lines = [line for line in str(form.get("url_patterns", "")).splitlines() if line.strip()]
    if len(lines) > 100:
        raise ValueError("At most 100 page patterns.")
    patterns = tuple(dict.fromkeys(sites.url_pattern(line) for line in lines))
    zone = sites.time_zone(str(form.get("time_zone", "")).strip() or base.time_zone)  # absent: kept
    return dataclasses.replace(base, name=name[:200], origins=normalised, retention_days=retention,
                               replay_sample=replay, heatmap_sample=heatmap, honour_dnt=bool(form.get("honour_dnt")),
                               url_patterns=patterns, time_zone=zone)


def snippet_for(request: Request, site: sites.Site) -> str:
    tag = sites.snippet(request.app.state.runtime.config.public_url or str(request.base_url), site.key)
    return tag if site.honour_dnt else tag.replace(" data-site=", ' data-respect-dnt="false" data-site=')


async def reload(store: Store, request: Request) -> None:
    await store.run(request.app.state.runtime.sites.reload)


async def home(request: Request) -> Response:
    known = sorted(request.app.state.runtime.sites.sites.values(), key=lambda s: s.name.lower())
    return RedirectResponse(f"/sites/{known[0].key}/overview" if known else "/sites", status_code=303)


async def go(request: Request) -> Response:
    key = request.query_params.get("site", "")
    known = request.app.state.runtime.sites.sites
    return RedirectResponse(f"/sites/{key}/overview" if key in known else "/sites", status_code=303)


async def list_sites(store: Store, request: Request) -> Response:
    await reload(store, request)
    return page(request, "sites.html")


async def new_site(store: Store, request: Request) -> Response:
    if not admin(request):
        return forbidden(request)
    blank = sites.Site("", "", (), request.app.state.runtime.config.retention_days)
    if request.method == "GET":
        return page(request, "site_form.html", new=True, form={**form_of(blank), "name": ""})
    form = await request.form()
    try:
        site = parse_form(form, dataclasses.replace(blank, key=sites.new_key()))
        await store.run(sites.save, store, site)
    except ValueError as exc:
        return page(request, "site_form.html", status=400, new=True, error=str(exc), form=dict(form))
    await reload(store, request)
    return RedirectResponse(f"/sites/{site.key}/install", status_code=303)


async def settings(store: Store, request: Request) -> Response:
    site = site_or_404(request)
    if isinstance(site, Response):
        return site
    if request.method == "GET":
        return page(request, "site_form.html", site=site, form=form_of(site),
                    saved=request.query_params.get("saved") == "1")
    if not admin(request):
        return forbidden(request)
    form = await request.form()
    try:
        updated = parse_form(form, site)
    except ValueError as exc:
        return page(request, "site_form.html", status=400, site=site, error=str(exc),
                    form={**dict(form), "honour_dnt": bool(form.get("honour_dnt"))})
    await store.run(sites.save, store, updated)
    if updated.retention_days != site.retention_days:
        await store.run(sites.apply_retention, store, site.key, updated.retention_days)
    await reload(store, request)
    return RedirectResponse(f"/sites/{site.key}/settings?saved=1", status_code=303)


async def install(store: Store, request: Request) -> Response:
    site = site_or_404(request)
    if isinstance(site, Response):
        return site
    status = await store.run(install_status, store, site.key)
    return page(request, "install.html", site=site, snippet=snippet_for(request, site), state=status)


async def status_api(store: Store, request: Request) -> Response:
    key = request.path_params["key"]
    if key not in request.app.state.runtime.sites.sites:
        return JSONResponse({"error": f"unknown site {key!r}", "field": "site"}, status_code=404)
    return JSONResponse(await store.run(install_status, store, key))


async def delete_site(store: Store, request: Request) -> Response:
    """The site and all its data go; the form asks for the key typed again, as a confirmation."""
    site = site_for_admin(request)
    if isinstance(site, Response):
        return site
    form = await request.form()
    if str(form.get("confirm", "")).strip() != site.key:
        return page(request, "site_form.html", status=400, site=site, form=form_of(site),
                    delete_error=f"Type the site key {site.key} to delete it.")
    await store.run(sites.delete, store, site.key)
    await reload(store, request)
    return RedirectResponse("/sites?deleted=" + site.key, status_code=303)


def routes(store: Store) -> list[Route]:
    return [
        Route("/", home),
        Route("/go", go),
        Route("/sites", partial(list_sites, store)),
        Route("/sites/new", partial(new_site, store), methods=["GET", "POST"]),
        Route("/sites/{key}/settings", partial(settings, store), methods=["GET", "POST"]),
        Route("/sites/{key}/delete", partial(delete_site, store), methods=["POST"]),
        Route("/sites/{key}/install", partial(install, store)),
        Route("/api/v1/sites/{key}/install-status", partial(status_api, store)),
    ]

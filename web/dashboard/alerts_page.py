"""Alerts: a site's alert rules (which anomalies go to which webhook or email addresses), a form to add
one, and per rule: enable or disable, delete, and send a test alert now, whose outcome the page shows.
Everyone reads; administrators change. The rounds that send real alerts run in web/alerts/scheduler.py."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from footfall.analysis.anomalies import kpis
from footfall.store import Store, alert_rules
from footfall.store.clock import now
from footfall.store.sites import Site
from footfall.web.alerts import mail, notify, webhook
from footfall.web.dashboard.context import admin, site_for_admin, site_or_404
from footfall.web.dashboard.render import page

MAX_NAME = 200
MAX_PAGE = 2048


def form_rule(form: Any, site: Site, taken: list[str]) -> dict[str, Any]:
    """The submitted rule as create()'s arguments; ValueError names what to fix."""
    name = " ".join(str(form.get("name") or "").split())
    if not name:
        raise ValueError("Give the rule a name, such as Checkout errors.")
    if len(name) > MAX_NAME:
        raise ValueError(f"A rule's name is at most {MAX_NAME} characters.")
    if name.lower() in (t.lower() for t in taken):
        raise ValueError("A rule of this site already has that name: pick another.")
    kpi = str(form.get("kpi") or "")
    if kpi and kpi not in kpis.KPIS:
        raise ValueError("Pick a KPI from the list, or any KPI.")
    page_ = str(form.get("page") or "").strip()
    if page_ and (not page_.startswith("/") or len(page_) > MAX_PAGE or any(c.isspace() for c in page_)):
        raise ValueError("A page is a path starting with /, such as /checkout, or a pattern of the site's settings.")
    severity = str(form.get("severity") or "medium")
    if severity not in alert_rules.SEVERITIES:
        raise ValueError("The least severity is low, medium or high.")
    hook = str(form.get("webhook") or "").strip()
    if hook:
        hook = webhook.checked_url(hook)
    emails = mail.recipients(str(form.get("emails") or ""))
    if not hook and not emails:
        raise ValueError("Give a webhook URL, email addresses, or both: where should the alerts go?")
    return {"name": name, "kpi": kpi, "page": page_, "severity": severity, "webhook": hook, "emails": emails}


async def alerts_page(store: Store, request: Request, status: int = 200, **shown: Any) -> Response:
    site = site_or_404(request)
    if isinstance(site, Response):
        return site
    rules = await store.run(alert_rules.listed, store, site.key)
    sent = await store.run(alert_rules.recent, store, site.key)
    config = request.app.state.runtime.config
    names = {r.id: r.name for r in rules}
    # A webhook's address often carries its own credential (a chat hook's path): viewers see its host only.
    hooks = {r.id: r.webhook if admin(request) else f"{urlsplit(r.webhook).scheme}://{urlsplit(r.webhook).netloc}/…"
             for r in rules if r.webhook}
    return page(request, "alerts.html", status=status, site=site, rules=rules, hooks=hooks, kpis=kpis.KPIS,
                severities=alert_rules.SEVERITIES, sent=sent, rule_names=names, is_admin=admin(request),
                smtp=mail.configured(config), interval=config.alert_interval,
                form=shown.pop("form", {}), **shown)


async def rule_of(store: Store, request: Request) -> tuple[Site, alert_rules.Rule] | Response:
    site = site_for_admin(request)
    if isinstance(site, Response):
        return site
    rule = await store.run(alert_rules.one, store, site.key, request.path_params["id"])
    if rule is None:
        return page(request, "message.html", status=404, title="No such alert rule",
                    message="This site has no such alert rule, or it was deleted already.")
    return site, rule


async def add_rule(store: Store, request: Request) -> Response:
    site = site_for_admin(request)
    if isinstance(site, Response):
        return site
    form = await request.form()
    rules = await store.run(alert_rules.listed, store, site.key)
    try:
        if len(rules) >= alert_rules.MAX_RULES:
            raise ValueError(f"A site has at most {alert_rules.MAX_RULES} alert rules: delete one first.")
        fields = form_rule(form, site, [r.name for r in rules])
    except ValueError as exc:
        return await alerts_page(store, request, status=400, error=str(exc), form=dict(form))
    rule = await store.run(alert_rules.create, store, site.key, **fields)
    return await alerts_page(store, request, created=rule)


async def toggle_rule(store: Store, request: Request) -> Response:
    found = await rule_of(store, request)
    if isinstance(found, Response):
        return found
    site, rule = found
    enabled = (await request.form()).get("enabled") == "1"
    await store.run(alert_rules.set_enabled, store, rule, enabled)
    return RedirectResponse(f"/sites/{site.key}/alerts", status_code=303)


async def delete_rule(store: Store, request: Request) -> Response:
    found = await rule_of(store, request)
    if isinstance(found, Response):
        return found
    site, rule = found
    await store.run(alert_rules.delete, store, rule)
    return RedirectResponse(f"/sites/{site.key}/alerts", status_code=303)


async def test_rule(store: Store, request: Request) -> Response:
    found = await rule_of(store, request)
    if isinstance(found, Response):
        return found
    site, rule = found
    config = request.app.state.runtime.config
    outcomes = await asyncio.to_thread(notify.test, config, site, rule, now())
    return await alerts_page(store, request, tested=rule, outcomes=outcomes)


def routes(store: Store) -> list[Route]:
    return [
        Route("/sites/{key}/alerts", partial(alerts_page, store), methods=["GET"]),
        Route("/sites/{key}/alerts", partial(add_rule, store), methods=["POST"]),
        Route("/sites/{key}/alerts/{id}/enabled", partial(toggle_rule, store), methods=["POST"]),
        Route("/sites/{key}/alerts/{id}/delete", partial(delete_rule, store), methods=["POST"]),
        Route("/sites/{key}/alerts/{id}/test", partial(test_rule, store), methods=["POST"]),
    ]

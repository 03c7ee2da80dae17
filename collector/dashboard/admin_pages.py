"""Administration: API tokens (shown once, limited to a site or not, revocable) and users."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .. import accounts, tokens
from ..auth import TokenCache
from ..store import Store
from .render import page
from .sites_pages import admin, forbidden


def routes(store: Store, token_cache: TokenCache) -> list[Route]:
    async def token_page(request: Request) -> Response:
        if not admin(request):
            return forbidden(request)
        created = None
        if request.method == "POST":
            form = await request.form()
            name = str(form.get("name", "")).strip()[:100] or "token"
            site = str(form.get("site", ""))
            if site and site not in request.app.state.runtime.sites.sites:
                site = ""
            created = {"name": name, "token": await store.run(tokens.create, store, name, site)}
        listed = await store.run(tokens.list_all, store)
        return page(request, "tokens.html", tokens=listed, created=created)

    async def revoke(request: Request) -> Response:
        if not admin(request):
            return forbidden(request)
        form = await request.form()
        await store.run(tokens.revoke, store, str(form.get("token_hash", "")))
        token_cache.entries.clear()  # this collector stops accepting it at once, others within 30 s
        return RedirectResponse("/settings/tokens", status_code=303)

    async def user_page(request: Request) -> Response:
        if not admin(request):
            return forbidden(request)
        error = added = None
        if request.method == "POST":
            form = await request.form()
            try:
                made = await store.run(accounts.create, store, str(form.get("email", "")),
                                       str(form.get("password", "")), str(form.get("role", "viewer")))
                added = made["email"]
            except ValueError as exc:
                error = str(exc).capitalize()
        users = await store.run(accounts.list_all, store)
        return page(request, "users.html", status=400 if error else 200, users=users, error=error, added=added)

    return [
        Route("/settings/tokens", token_page, methods=["GET", "POST"]),
        Route("/settings/tokens/revoke", revoke, methods=["POST"]),
        Route("/settings/users", user_page, methods=["GET", "POST"]),
    ]

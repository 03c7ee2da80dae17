"""Administration: API tokens (shown once, limited to a site or not, scoped, revocable), users (add,
change role, set password, delete) and each user's own password."""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from footfall.store import Store, accounts, tokens
from footfall.web.auth import TokenCache
from footfall.web.dashboard.render import page, user_of

USER_ACTIONS = ("add", "role", "password", "delete")


async def token_page(store: Store, request: Request) -> Response:
    created = None
    error = None
    if request.method == "POST":
        form = await request.form()
        name = str(form.get("name", "")).strip()[:100] or "token"
        site = str(form.get("site", ""))
        if site and site not in request.app.state.runtime.sites.sites:
            site = ""
        scope = str(form.get("scope", "read"))
        if scope not in tokens.SCOPES:
            error = "Choose the read, admin or metrics scope."
        else:
            created = {"name": name, "scope": scope,
                       "token": await store.run(tokens.create, store, name, site, scope)}
    listed = await store.run(tokens.list_all, store)
    return page(request, "tokens.html", status=400 if error else 200, tokens=listed, created=created,
                error=error)


async def revoke(store: Store, token_cache: TokenCache, request: Request) -> Response:
    form = await request.form()
    try:
        await store.run(tokens.revoke, store, str(form.get("id", "")))
    except ValueError as exc:
        listed = await store.run(tokens.list_all, store)
        return page(request, "tokens.html", status=400, tokens=listed, error=str(exc).capitalize())
    token_cache.entries.clear()  # this collector stops accepting it at once, others within 30 s
    return RedirectResponse("/settings/tokens", status_code=303)


async def user_page(store: Store, request: Request) -> Response:
    error = done = None
    if request.method == "POST":
        form = await request.form()
        action, email = str(form.get("action", "add")), str(form.get("email", ""))
        try:
            if action == "add":
                made = await store.run(accounts.create, store, email, str(form.get("password", "")),
                                       str(form.get("role", "viewer")))
                done = f"Added {made['email']}."
            elif action == "role":
                changed = await store.run(accounts.set_role, store, email, str(form.get("role", "")))
                done = f"{changed['email']} is now {changed['role']}; their sessions have ended."
            elif action == "password":
                changed = await store.run(accounts.set_password, store, email, str(form.get("password", "")))
                done = f"New password set for {changed['email']}; their sessions have ended."
            elif action == "delete":
                gone = await store.run(accounts.delete, store, email)
                done = f"Deleted {gone['email']}; their sessions have ended."
            else:
                error = f"Unknown action. Use one of: {', '.join(USER_ACTIONS)}."
        except ValueError as exc:
            error = str(exc).capitalize()
    users = await store.run(accounts.list_all, store)
    me = user_of(request) or {}
    return page(request, "users.html", status=400 if error else 200, users=users, error=error, done=done,
                me=me.get("email"))


async def account_page(store: Store, request: Request) -> Response:
    """A user's own password: the current one first; every session of theirs ends, this one too."""
    me = user_of(request) or {}
    error = None
    if request.method == "POST":
        form = await request.form()
        current = await store.run(accounts.authenticate, store, me.get("email", ""),
                                  str(form.get("current", "")))
        if current is None:
            error = "Your current password is not right."
        elif str(form.get("password", "")) != str(form.get("repeat", "")):
            error = "The new passwords differ."
        else:
            try:
                await store.run(accounts.set_password, store, me["email"], str(form.get("password", "")))
            except ValueError as exc:
                error = str(exc).capitalize()
            else:
                request.session.clear()
                return RedirectResponse("/login?changed=1", status_code=303)
    return page(request, "account.html", status=400 if error else 200, error=error)


def routes(store: Store, token_cache: TokenCache) -> list[Route]:
    return [
        Route("/settings/account", partial(account_page, store), methods=["GET", "POST"]),
        Route("/settings/tokens", partial(token_page, store), methods=["GET", "POST"]),
        Route("/settings/tokens/revoke", partial(revoke, store, token_cache), methods=["POST"]),
        Route("/settings/users", partial(user_page, store), methods=["GET", "POST"]),
    ]

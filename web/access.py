"""Who may do what: one table of every route and method, enforced around each route when the app
is assembled (a route missing from the table fails assembly) and shown in docs/dashboard.md.

Dashboard pages take a login session only; the API takes a session or a bearer token, and every
bearer token sent is checked. Sessions are read from the store on each request (login_sessions),
so an ended session stops working at once on every collector. A state-changing request needs the
session's CSRF token unless a valid bearer token authenticates it and it carries no session cookie.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
from collections.abc import Iterable
from urllib.parse import quote

from starlette.requests import Request
from starlette.routing import BaseRoute, Mount, Route

from footfall.store import Store, login_sessions
from footfall.web.auth import TokenCache
from footfall.web.dashboard.guards import ASGIApp, Receive, Scope, Send, check_csrf, reply
from footfall.web.dashboard.render import page

PUBLIC = "public"  # anyone; a form posted here still needs its CSRF token (the login form)
SITE = "site"  # a measured site's own pages (the demo shop): not the dashboard, no CSRF of ours
SESSION = "session"  # a dashboard page: any logged-in user
ADMIN_SESSION = "admin session"  # a dashboard page or form for administrators
READ = "read"  # API: a session, or a read or admin token valid for the path's site
READ_ALL_SITES = "read, every site"  # API about the whole collector: a session, or a token for every site
ADMIN = "admin"  # API that changes or hands out data: an administrator's session, or an admin token
METRICS_SCOPE = "metrics"
OPERATOR = "operator"  # the whole process's metrics: an allowed client address, or ADMIN for every site

RULES = {
    PUBLIC: "Anyone.",
    SITE: "Anyone: the demo shop is a measured site, not part of the dashboard.",
    SESSION: "Logged-in users (viewer or admin). Bearer tokens are not accepted.",
    ADMIN_SESSION: "Logged-in administrators. Bearer tokens are not accepted.",
    READ: "A logged-in user, or a `read` or `admin` token valid for the site.",
    READ_ALL_SITES: "A logged-in user, or a `read` or `admin` token valid for every site.",
    ADMIN: "A logged-in administrator, or an `admin` token valid for the site.",
    OPERATOR: "A client address in `--metrics-allow`, a logged-in administrator, or an `admin` token valid for "
              "every site.",
}

# (method, path as routed) -> rule. HEAD follows GET. Mounts are listed by their prefix.
ACCESS: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): OPERATOR,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/f.js"): PUBLIC,
    ("GET", "/replay.js"): PUBLIC,
    ("GET", "/static"): PUBLIC,
    ("*", "/demo/shop"): SITE,
    ("GET", "/"): SESSION,
    ("GET", "/go"): SESSION,
    ("GET", "/sites"): SESSION,
    ("GET", "/sites/new"): ADMIN_SESSION,
    ("POST", "/sites/new"): ADMIN_SESSION,
    ("GET", "/sites/{key}/settings"): SESSION,
    ("POST", "/sites/{key}/settings"): ADMIN_SESSION,
    ("POST", "/sites/{key}/delete"): ADMIN_SESSION,
    ("GET", "/sites/{key}/install"): SESSION,
    ("GET", "/sites/{key}/overview"): SESSION,
    ("GET", "/sites/{key}/replays"): SESSION,
    ("GET", "/sites/{key}/replays/{sid}"): SESSION,
    ("GET", "/sites/{key}/replays/{sid}/frame"): SESSION,
    ("GET", "/sites/{key}/heatmaps"): SESSION,
    ("GET", "/sites/{key}/heatmaps/frame"): SESSION,
    ("GET", "/sites/{key}/funnels"): SESSION,
    ("POST", "/sites/{key}/funnels"): ADMIN_SESSION,
    ("POST", "/sites/{key}/funnels/{id}/delete"): ADMIN_SESSION,
    ("GET", "/sites/{key}/goals"): SESSION,
    ("POST", "/sites/{key}/goals"): ADMIN_SESSION,
    ("POST", "/sites/{key}/goals/{id}/delete"): ADMIN_SESSION,
    ("GET", "/sites/{key}/performance"): SESSION,
    ("GET", "/sites/{key}/errors"): SESSION,
    ("GET", "/sites/{key}/anomalies"): SESSION,
    ("GET", "/sites/{key}/alerts"): SESSION,
    ("POST", "/sites/{key}/alerts"): ADMIN_SESSION,
    ("POST", "/sites/{key}/alerts/{id}/enabled"): ADMIN_SESSION,
    ("POST", "/sites/{key}/alerts/{id}/delete"): ADMIN_SESSION,
    ("POST", "/sites/{key}/alerts/{id}/test"): ADMIN_SESSION,  # sends to the rule's webhook and addresses now
    ("GET", "/settings/account"): SESSION,
    ("POST", "/settings/account"): SESSION,
    ("GET", "/settings/tokens"): ADMIN_SESSION,
    ("POST", "/settings/tokens"): ADMIN_SESSION,
    ("POST", "/settings/tokens/revoke"): ADMIN_SESSION,
    ("GET", "/settings/users"): ADMIN_SESSION,
    ("POST", "/settings/users"): ADMIN_SESSION,
    ("GET", "/api/openapi.json"): READ_ALL_SITES,
    ("GET", "/api/v1/ingest/stats"): READ_ALL_SITES,
    ("GET", "/api/v1/sites/{key}/install-status"): READ,
    ("GET", "/api/v1/sites/{site}/events/count"): READ,
    ("GET", "/api/v1/sites/{site}/sessions"): READ,
    ("GET", "/api/v1/sites/{site}/sessions/{session_id}"): READ,
    ("GET", "/api/v1/sites/{site}/sessions/{session_id}/replay"): READ,
    ("GET", "/api/v1/sites/{site}/heatmaps/snapshot"): READ,
    ("GET", "/api/v1/sites/{site}/heatmaps/{kind}"): READ,
    ("POST", "/api/v1/sites/{site}/heatmaps/{kind}"): READ,  # a read that carries a page layout
    ("GET", "/api/v1/sites/{site}/elements"): READ,
    ("POST", "/api/v1/sites/{site}/funnels/query"): READ,  # a read that carries the steps
    ("GET", "/api/v1/sites/{site}/performance"): READ,
    ("GET", "/api/v1/sites/{site}/performance/pages"): READ,
    ("GET", "/api/v1/sites/{site}/errors"): READ,
    ("GET", "/api/v1/sites/{site}/stats"): READ,
    ("GET", "/api/v1/sites/{site}/anomalies"): READ,
    ("DELETE", "/api/v1/sites/{site}/visitors/{visitor}"): ADMIN,
    ("GET", "/api/v1/sites/{site}/visitors/{visitor}/export"): ADMIN,
}
PAGES = (SESSION, ADMIN_SESSION)
API = (READ, READ_ALL_SITES, ADMIN, OPERATOR)
SESSION_COOKIE = "footfall_session"


@dataclasses.dataclass(frozen=True)
class Principal:
    """Who a request acts as: a logged-in user (role admin or viewer) or a token (scope read, admin or
    metrics, held in `role`)."""

    kind: str
    name: str
    role: str
    site: str = ""  # a token's site; empty: every site

    @property
    def admin(self) -> bool:
        return self.role == "admin"


async def session_user(request: Request, store: Store) -> dict[str, str] | None:
    """The logged-in user of the request's session, read from the store (once per request)."""
    if "footfall.user" in request.scope:
        return request.scope["footfall.user"]
    user = None
    session_id = request.session.get("sid") if "session" in request.scope else None
    if isinstance(session_id, str):
        user = await store.run(login_sessions.lookup, store, session_id)
        if user is None:
            request.session.pop("sid", None)  # ended elsewhere: the cookie forgets it too
    request.scope["footfall.user"] = user
    return user


def _api_refusal(status: int, field: str, message: str) -> tuple[int, bytes]:
    return status, json.dumps({"error": message, "field": field}).encode()


async def _api_principal(request: Request, store: Store, tokens: TokenCache) -> Principal | tuple[int, bytes]:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer":
        grant = await tokens.grant(token.strip()) if token.strip() else None
        if grant is None:
            return _api_refusal(401, "authorization", "unknown or revoked token")
        return Principal("token", grant.name, grant.scope, grant.site)
    # Any other scheme (Basic from a proxy in front, say) is not ours: the session decides.
    user = await session_user(request, store)
    if user is None:
        return _api_refusal(401, "authorization", "log in or send a bearer token")
    return Principal("session", user["email"], user["role"])


Networks = tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]


def networks(text: str) -> Networks:
    """Comma-separated addresses or CIDR ranges (`--metrics-allow`); a bad one stops the start."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


def client_in(scope: Scope, allowed: Networks) -> bool:
    """The request's client address (a trusted proxy's X-Forwarded-For already applied by uvicorn) is allowed."""
    client = scope.get("client")
    if not allowed or not client:
        return False
    try:
        address = ipaddress.ip_address(client[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in allowed)


def _site_of(scope: Scope) -> str:
    params = scope.get("path_params", {})
    return params.get("site") or params.get("key") or ""


class Guard:
    """A route's app behind its access rules: who may call it, then CSRF, then the route."""

    def __init__(self, app: ASGIApp, rules: dict[str, str], store: Store, tokens: TokenCache,
                 operators: Networks = ()) -> None:
        self.app, self.rules, self.store, self.tokens = app, rules, store, tokens
        self.operators = operators

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = "GET" if scope["method"] == "HEAD" else scope["method"]
        rule = self.rules.get(method) or self.rules.get("*")
        if rule is None:
            return await reply(send, 405, b"method not allowed", [(b"content-type", b"text/plain")])
        request = Request(scope, receive)
        principal: Principal | None = None
        if rule in PAGES:
            user = await session_user(request, self.store)
            if user is None:
                target = scope["path"] + ("?" + scope["query_string"].decode() if scope.get("query_string") else "")
                return await reply(send, 303, b"", [(b"location", ("/login?next=" + quote(target, safe="")).encode())])
            if rule == ADMIN_SESSION and user["role"] != "admin":
                return await page(request, "message.html", status=403, title="Not allowed",
                                  message="Only administrators can do this. Ask one to do it for you.")(
                    scope, receive, send)
        elif rule == OPERATOR and client_in(scope, self.operators):
            pass  # a scraper at an allowed address needs no token
        elif rule in API:
            found = await _api_principal(request, self.store, self.tokens)
            if isinstance(found, tuple):
                return await reply(send, found[0], found[1], [(b"content-type", b"application/json")])
            principal = found
            refusal = self.refusal(rule, principal, _site_of(scope))
            if refusal:
                return await reply(send, refusal[0], refusal[1], [(b"content-type", b"application/json")])
            scope["footfall.principal"] = principal
        if rule != SITE and method in ("POST", "PUT", "PATCH", "DELETE"):
            bearer_only = principal is not None and principal.kind == "token" and SESSION_COOKIE not in request.cookies
            if not bearer_only:
                checked = await check_csrf(scope, receive, send)
                if checked is None:
                    return None
                receive = checked
        await self.app(scope, receive, send)

    @staticmethod
    def refusal(rule: str, principal: Principal, site: str) -> tuple[int, bytes] | None:
        if principal.kind == "token" and principal.role == METRICS_SCOPE:
            # A scraper's token: it reads the process's metrics and no site's data.
            if rule != OPERATOR:
                return _api_refusal(403, "authorization", "a metrics token reads /metrics only")
            return None if not principal.site else _api_refusal(403, "site", "this needs a token valid for every site")
        if principal.kind == "token":
            if site and principal.site not in ("", site):
                return _api_refusal(403, "site", "this token is not valid for this site")
            if rule in (READ_ALL_SITES, OPERATOR) and principal.site:
                return _api_refusal(403, "site", "this needs a token valid for every site")
        if rule in (ADMIN, OPERATOR) and not principal.admin:
            return _api_refusal(403, "authorization",
                                "this needs an administrator's login or a token with the admin scope")
        return None


def rule_of(method: str, path: str) -> str:
    rule = ACCESS.get((method, path)) or ACCESS.get(("*", path))
    if rule is None:
        raise LookupError(f"no access rule for {method} {path}: add it to web/access.py")
    return rule


def methods_of(route: BaseRoute) -> list[str]:
    if isinstance(route, Mount):
        return ["*"] if ("*", route.path) in ACCESS else ["GET"]
    assert isinstance(route, Route)
    return sorted((route.methods or {"GET"}) - {"HEAD"})


def guard_routes(routes: Iterable[BaseRoute], store: Store, tokens: TokenCache,
                 operators: Networks = ()) -> list[BaseRoute]:
    """Every route behind its rules; a route the table does not name stops the app from starting.
    `operators`: the client addresses the OPERATOR rule lets in without a token."""
    guarded = []
    for route in routes:
        assert isinstance(route, Route | Mount)
        rules = {method: rule_of(method, route.path) for method in methods_of(route)}
        route.app = Guard(route.app, rules, store, tokens, operators)
        guarded.append(route)
    return guarded


def markdown_table() -> str:
    """Who may do what, as docs/dashboard.md shows it (a test keeps the two equal)."""
    lines = ["| method | path | who |", "|---|---|---|"]
    for (method, path), rule in sorted(ACCESS.items(), key=lambda item: (item[0][1], item[0][0])):
        lines.append(f"| {method} | `{path}` | {rule} |")
    lines += ["", "| rule | who |", "|---|---|"]
    lines += [f"| {rule} | {text} |" for rule, text in RULES.items()]
    return "\n".join(lines)

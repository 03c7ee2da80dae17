"""Who may do what, tried as an outsider would: every route and method against every kind of
credential, from the one table in web/access.py; sessions that end at once; CSRF that no
Authorization header skips; token scopes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.routing import Mount, Route

from footfall.web import access
from footfall.web.app import route_table
from tests.conftest import Server, footfall
from tests.helpers import csrf_of

ADMIN = ("admin@shop.test", "correct-horse-1")
VIEWER = ("viewer@shop.test", "viewer-pass-2")
LEAVER = ("leaver@shop.test", "leaver-pass-3")
CREDENTIALS = ("none", "junk bearer", "other site token", "read token", "admin token", "viewer session",
               "admin session", "revoked session")
# Public forms are left to their own tests: logging in and out changes the sessions the matrix uses.
OWN_TESTS = {("POST", "/login"), ("POST", "/logout")}


class Caller:
    """One credential: a bearer token or a logged-in (or logged-out) session cookie with its CSRF token."""

    def __init__(self, base: str, token: str = "", cookie: str = "", csrf: str = "") -> None:
        self.base, self.token, self.cookie, self.csrf = base, token, cookie, csrf

    def request(self, method: str, path: str, **extra: object) -> httpx.Response:
        headers: dict[str, str] = {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.cookie:
            headers["Cookie"] = f"footfall_session={self.cookie}"
            headers["X-CSRF-Token"] = self.csrf
        return httpx.request(method, self.base + path, headers=headers, follow_redirects=False, timeout=60,
                             **extra)  # type: ignore[arg-type]


OPEN: list[httpx.Client] = []


@pytest.fixture(scope="module", autouse=True)
def close_clients() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()


def client_of(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=60)
    OPEN.append(client)
    return client


def login(base: str, who: tuple[str, str]) -> httpx.Client:
    client = client_of(base)
    answer = client.post("/login", data={"csrf": csrf_of(client.get("/login").text), "email": who[0],
                                         "password": who[1], "next": "/sites"})
    assert answer.status_code == 303 and answer.headers["location"] == "/sites", answer.text
    return client


def session_caller(base: str, client: httpx.Client) -> Caller:
    page = client.get("/sites")
    return Caller(base, cookie=client.cookies["footfall_session"], csrf=csrf_of(page.text))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("access") / "data"
    footfall(data, "site", "create", "Shop", "--origin", "http://shop.test", "--key", "shop")
    footfall(data, "site", "create", "Blog", "--origin", "http://blog.test", "--key", "blog")
    for (email, password), role in ((ADMIN, "admin"), (VIEWER, "viewer"), (LEAVER, "admin")):
        footfall(data, "user", "create", email, "--role", role, "--password-stdin", stdin=password + "\n")
    running = Server(data, {"FOOTFALL_RATE_LIMIT": "0"})
    yield running
    running.stop()


@pytest.fixture(scope="module")
def callers(server: Server) -> dict[str, Caller]:
    base = server.url
    leaver = login(base, LEAVER)
    revoked = session_caller(base, leaver)
    leaver.post("/logout", data={"csrf": revoked.csrf})
    return {
        "none": Caller(base),
        "junk bearer": Caller(base, token="x"),
        "other site token": Caller(base, token=footfall(server.data, "token", "create", "blog", "--site", "blog",
                                                        "--scope", "admin")["token"]),
        "read token": Caller(base, token=footfall(server.data, "token", "create", "reader")["token"]),
        "admin token": Caller(base, token=footfall(server.data, "token", "create", "ops", "--scope", "admin")["token"]),
        "viewer session": session_caller(base, login(base, VIEWER)),
        "admin session": session_caller(base, login(base, ADMIN)),
        "revoked session": revoked,
    }


def every_route() -> list[tuple[str, str, str]]:
    """(method, routed path, a concrete path) for every route of the app, from the app itself."""
    found = []
    for route in route_table(object(), object(), object()):
        if isinstance(route, Mount):
            found.append(("GET", route.path, route.path + ("/dashboard.css" if route.path == "/static" else "/")))
            continue
        assert isinstance(route, Route)
        concrete = re.sub(r"\{[^}]+\}", lambda m: "shop" if m.group(0) in ("{site}", "{key}") else "x", route.path)
        found += [(method, route.path, concrete) for method in access.methods_of(route)]
    return found


def expected(rule: str, credential: str, path: str) -> int | None:
    """The guard's refusal for this credential, or None where the route's own handler answers."""
    session = credential in ("viewer session", "admin session")
    if rule in (access.PUBLIC, access.SITE):
        return None
    if rule in access.PAGES:
        if not session:
            return 303
        return 403 if rule == access.ADMIN_SESSION and credential == "viewer session" else None
    if credential in ("none", "junk bearer", "revoked session"):
        return 401
    if credential == "other site token" and ("{" in path or rule in (access.READ_ALL_SITES, access.OPERATOR)):
        return 403
    if rule in (access.ADMIN, access.OPERATOR) and credential in ("read token", "viewer session"):
        return 403
    return None


def test_every_route_has_a_rule_and_the_table_names_no_route_that_is_gone() -> None:
    routed = {(method, path) for method, path, _ in every_route()}
    for method, path, _ in every_route():
        access.rule_of(method, path)  # raises for a route the table does not name
    listed = {key for key in access.ACCESS if key[0] != "*"}
    assert listed <= routed, listed - routed


@pytest.mark.parametrize(("method", "path", "concrete"),
                         [r for r in every_route() if r[:2] not in OWN_TESTS], ids=lambda v: str(v))
def test_each_route_answers_each_credential_as_the_table_says(
        server: Server, callers: dict[str, Caller], method: str, path: str, concrete: str) -> None:
    rule = access.rule_of(method, path)
    answers = {name: callers[name].request(method, concrete) for name in CREDENTIALS}
    # An administrator may call every route; a public one answers everybody as it answers nobody.
    reference = answers["none" if rule in (access.PUBLIC, access.SITE) else "admin session"].status_code
    for name, answer in answers.items():
        if (method, path) == ("GET", "/login") and name in ("viewer session", "admin session"):
            assert answer.status_code == 303 and answer.headers["location"] == "/"  # already logged in
            continue
        refusal = expected(rule, name, path)
        got = (name, answer.status_code, answer.text[:200])
        if refusal is None:
            assert answer.status_code == reference, got
            assert not answer.headers.get("location", "").startswith("/login"), got
            json_body = answer.headers.get("content-type", "").startswith("application/json")
            if answer.status_code in (401, 403) and json_body:
                assert answer.json()["field"] not in ("authorization", "site"), got
        else:
            assert answer.status_code == refusal, got
            if refusal == 303:
                assert answer.headers["location"].startswith("/login?next="), got
            elif refusal == 403 and rule in access.PAGES:
                assert "Only administrators" in answer.text, got
            else:
                assert answer.json()["field"] in ("authorization", "site"), got


def test_a_bearer_header_opens_no_dashboard_page(server: Server, callers: dict[str, Caller]) -> None:
    for path in ("/sites", "/sites/shop/errors", "/sites/shop/overview", "/sites/shop/replays", "/sites/shop/install",
                 "/sites/shop/settings", "/sites/shop/funnels", "/sites/shop/heatmaps", "/sites/shop/performance",
                 "/sites/shop/replays/x", "/settings/tokens"):
        for header in ("Bearer x", "Bearer " + callers["admin token"].token, "bearer ff_x", "Basic eDp4"):
            answer = httpx.get(server.url + path, headers={"Authorization": header}, follow_redirects=False)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login"), (path, header)


def test_the_docs_show_the_access_table() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "dashboard.md").read_text()
    assert access.markdown_table() in docs


def test_a_session_ends_at_logout_password_role_change_and_deletion(server: Server) -> None:
    base = server.url
    email = "temp-admin@shop.test"
    footfall(server.data, "user", "create", email, "--role", "admin", "--password-stdin", stdin="temp-pass-1\n")
    password = "temp-pass-1"

    def admin_cookie() -> Caller:
        return session_caller(base, login(base, (email, password)))

    def can_mint(caller: Caller) -> int:
        return caller.request("POST", "/settings/tokens", data={"name": "minted", "scope": "admin"}).status_code

    # Logout: the old cookie, replayed, opens nothing and mints nothing.
    client = login(base, (email, password))
    old = session_caller(base, client)
    assert can_mint(old) == 200
    client.post("/logout", data={"csrf": old.csrf})
    assert old.request("GET", "/sites").status_code == 303
    assert can_mint(old) == 303
    assert old.request("DELETE", "/api/v1/sites/shop/visitors/v1").status_code == 401

    # Password change (CLI, through the running server): every session of the user ends.
    first, second = admin_cookie(), admin_cookie()
    footfall(server.data, "user", "passwd", email, "--password-stdin", stdin="temp-pass-2\n")
    password = "temp-pass-2"
    assert first.request("GET", "/sites").status_code == 303 and second.request("GET", "/sites").status_code == 303
    assert can_mint(first) == 303

    # Demotion to viewer: the admin cookie does not carry its old role, nor any role.
    demoted = admin_cookie()
    footfall(server.data, "user", "role", email, "viewer")
    assert demoted.request("GET", "/settings/tokens").status_code == 303
    assert can_mint(demoted) == 303
    viewer_now = admin_cookie()
    assert viewer_now.request("GET", "/settings/tokens").status_code == 403  # the role is read from the store

    # Deletion: nothing works any more, and the user cannot log in.
    gone = admin_cookie()
    footfall(server.data, "user", "delete", email)
    assert gone.request("GET", "/sites").status_code == 303
    fresh = client_of(base)
    refused = fresh.post("/login", data={"csrf": csrf_of(fresh.get("/login").text), "email": email,
                                         "password": password})
    assert refused.status_code == 401


def test_an_admin_ends_another_users_sessions_from_the_dashboard(server: Server) -> None:
    base = server.url
    footfall(server.data, "user", "create", "temp-viewer@shop.test", "--password-stdin", stdin="temp-pass-1\n")
    victim = session_caller(base, login(base, ("temp-viewer@shop.test", "temp-pass-1")))
    admin = login(base, ADMIN)
    page = admin.get("/settings/users")
    assert "temp-viewer@shop.test" in page.text
    done = admin.post("/settings/users", data={"csrf": csrf_of(page.text), "action": "password",
                                               "email": "temp-viewer@shop.test", "password": "reset-pass-9"})
    assert done.status_code == 200 and "their sessions have ended" in done.text
    assert victim.request("GET", "/sites").status_code == 303
    again = session_caller(base, login(base, ("temp-viewer@shop.test", "reset-pass-9")))
    deleted = admin.post("/settings/users", data={"csrf": csrf_of(done.text), "action": "delete",
                                                  "email": "temp-viewer@shop.test"})
    assert deleted.status_code == 200 and "temp-viewer@shop.test" not in deleted.text.split("Deleted")[1][40:]
    assert again.request("GET", "/sites").status_code == 303


def test_a_user_changes_their_own_password_and_every_session_ends(server: Server) -> None:
    base = server.url
    footfall(server.data, "user", "create", "self@shop.test", "--password-stdin", stdin="self-pass-1\n")
    elsewhere = session_caller(base, login(base, ("self@shop.test", "self-pass-1")))
    client = login(base, ("self@shop.test", "self-pass-1"))
    page = client.get("/settings/account")
    assert page.status_code == 200 and "Change your password" in page.text
    wrong = client.post("/settings/account", data={"csrf": csrf_of(page.text), "current": "nope-nope",
                                                   "password": "self-pass-2", "repeat": "self-pass-2"})
    assert wrong.status_code == 400 and "current password is not right" in wrong.text
    changed = client.post("/settings/account", data={"csrf": csrf_of(page.text), "current": "self-pass-1",
                                                     "password": "self-pass-2", "repeat": "self-pass-2"})
    assert changed.status_code == 303 and changed.headers["location"] == "/login?changed=1"
    assert client.get("/sites").status_code == 303 and elsewhere.request("GET", "/sites").status_code == 303
    login(base, ("self@shop.test", "self-pass-2"))


def test_csrf_is_skipped_only_for_a_valid_bearer_token_without_a_session_cookie(
        server: Server, callers: dict[str, Caller]) -> None:
    admin = callers["admin session"]
    form = {"name": "Sneaky", "origins": "https://sneaky.test", "retention_days": "30", "replay_sample": "0",
            "heatmap_sample": "0"}
    cookie = {"Cookie": f"footfall_session={admin.cookie}"}
    for extra in ({"Authorization": "Basic eDp4"}, {"Authorization": "Bearer x"},
                  {"Authorization": f"Bearer {callers['admin token'].token}"}, {"Authorization": "Digest y"}):
        answer = httpx.post(server.url + "/sites/new", data=form, headers={**cookie, **extra}, follow_redirects=False)
        assert answer.status_code == 403 and "did not come from Footfall" in answer.text, extra
    assert "Sneaky" not in httpx.get(server.url + "/sites", headers=cookie).text
    # The API: a valid admin token with the admin's cookie still needs the CSRF header ...
    url = server.url + "/api/v1/sites/shop/visitors/csrf-check"
    both = {**cookie, "Authorization": f"Bearer {callers['admin token'].token}"}
    assert httpx.delete(url, headers=both).status_code == 403
    assert httpx.delete(url, headers={**both, "X-CSRF-Token": admin.csrf}).status_code == 200
    # ... a session with a non-bearer header needs it too; a bare admin token does not.
    assert httpx.delete(url, headers={**cookie, "Authorization": "Basic eDp4"}).status_code == 403
    assert httpx.delete(url, headers={"Authorization": f"Bearer {callers['admin token'].token}"}).status_code == 200


def test_a_viewer_neither_erases_nor_exports(server: Server, callers: dict[str, Caller]) -> None:
    viewer = callers["viewer session"]
    erase = viewer.request("DELETE", "/api/v1/sites/shop/visitors/someone")
    assert erase.status_code == 403 and "administrator" in erase.json()["error"]
    assert viewer.request("GET", "/api/v1/sites/shop/visitors/someone/export").status_code == 403
    reader = callers["read token"]
    assert reader.request("DELETE", "/api/v1/sites/shop/visitors/someone").status_code == 403
    assert reader.request("GET", "/api/v1/sites/shop/events/count").status_code == 200


def test_tokens_show_and_take_their_scope_in_the_dashboard(server: Server) -> None:
    admin = login(server.url, ADMIN)
    page = admin.get("/settings/tokens")
    made = admin.post("/settings/tokens", data={"csrf": csrf_of(page.text), "name": "eraser", "scope": "admin"})
    token = re.search(r'id="new-token" readonly value="([^"]+)"', made.text).group(1)
    assert "new admin token" in made.text
    bearer = {"Authorization": f"Bearer {token}"}
    assert httpx.delete(server.url + "/api/v1/sites/shop/visitors/v9", headers=bearer).status_code == 200
    bad = admin.post("/settings/tokens", data={"csrf": csrf_of(page.text), "name": "x", "scope": "root"})
    assert bad.status_code == 400
    default = admin.post("/settings/tokens", data={"csrf": csrf_of(page.text), "name": "plain"})
    plain = re.search(r'id="new-token" readonly value="([^"]+)"', default.text).group(1)
    assert httpx.delete(server.url + "/api/v1/sites/shop/visitors/v9",
                        headers={"Authorization": f"Bearer {plain}"}).status_code == 403


def test_the_cookie_is_secure_when_a_trusted_proxy_says_https(server: Server) -> None:
    plain = httpx.get(server.url + "/login")
    assert "secure" not in plain.headers["set-cookie"].lower()
    proxied = httpx.get(server.url + "/login", headers={"X-Forwarded-Proto": "https"})
    assert "; secure" in proxied.headers["set-cookie"].lower()


def test_an_untrusted_client_cannot_claim_https(tmp_path: Path) -> None:
    data = tmp_path / "data"
    footfall(data, "site", "create", "Shop", "--origin", "http://shop.test", "--key", "shop")
    untrusting = Server(data, {"FOOTFALL_FORWARDED_ALLOW_IPS": "10.9.9.9"})
    try:
        answer = httpx.get(untrusting.url + "/login", headers={"X-Forwarded-Proto": "https"})
        assert answer.status_code == 200 and "secure" not in answer.headers["set-cookie"].lower()
    finally:
        untrusting.stop()

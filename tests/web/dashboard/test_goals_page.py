"""The Goals page on a real server: goals defined through its form by an administrator count the
conversions of batches sent through the ingestion endpoint, as counted here from what was sent; every
table's CSV link answers the same rows; the form refuses viewers, forged posts, another site's goal
and hostile or oversized values."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from footfall.store import goals as stored_goals
from tests.conftest import ORIGIN, Server, footfall
from tests.helpers import csrf_of, goal_ids, post, wait_for_count

ADMIN = ("admin@goals.test", "correct-horse-1")
VIEWER = ("viewer@goals.test", "viewer-pass-2")
# (visitor, pages, custom events (name, props), clicked selectors), one session each
SENT = [
    ("v1", ["/", "/pricing"], [("signup", {"plan": "pro", "seats": 3})], ["#buy"]),
    ("v2", ["/pricing"], [("signup", {"plan": "free"}), ("signup", {"plan": "pro"})], []),
    ("v3", ["/"], [("download", {"file": "a.pdf"})], []),
    ("v1", ["/thanks"], [("signup", {"plan": "pro"})], []),
    ("v4", ["/", "/thanks"], [], ["#buy", "#buy"]),
]


def batches(site: str = "shop") -> list[dict[str, Any]]:
    now = int(datetime.now(UTC).timestamp() * 1000) - 60_000
    out = []
    for k, (visitor, pages, customs, clicks) in enumerate(SENT):
        sid, start = uuid.uuid4().hex, now + 1000 * k  # the sessions one after the other
        for i, path in enumerate(pages):
            events: list[dict[str, Any]] = [{"t": "pageview", "ts": start + i}]
            if i == len(pages) - 1:
                events += [{"t": "custom", "ts": start + 10 + j, "n": n, "p": p} for j, (n, p) in enumerate(customs)]
                events += [{"t": "click", "ts": start + 20 + j, "s": s, "x": 1, "y": 1} for j, s in enumerate(clicks)]
            out.append({"v": 1, "site": site, "sid": sid, "pv": uuid.uuid4().hex, "vid": visitor,
                        "url": ORIGIN + path, "vw": 1280, "vh": 800, "e": events})
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    data = tmp_path_factory.mktemp("goals") / "data"
    footfall(data, "site", "create", "Shop", "--origin", ORIGIN, "--key", "shop")
    footfall(data, "site", "create", "Blog", "--origin", "http://blog.test", "--key", "blog")
    for (email, password), role in ((ADMIN, "admin"), (VIEWER, "viewer")):
        footfall(data, "user", "create", email, "--role", role, "--password-stdin", stdin=password + "\n")
    running = Server(data, {"FOOTFALL_RATE_LIMIT": "0"})
    token = footfall(data, "token", "create", "tests", "--scope", "read")["token"]
    for body in batches():
        assert post(running.url, body)[0] == 202
    assert wait_for_count(running.url, token, "custom", 5) == 5
    assert wait_for_count(running.url, token, "pageview", 7) == 7
    yield running, token
    running.stop()


def login(server: Server, who: tuple[str, str]) -> httpx.Client:
    client = httpx.Client(base_url=server.url, follow_redirects=False, timeout=60)
    token = csrf_of(client.get("/login").text)
    assert client.post("/login", data={"csrf": token, "email": who[0], "password": who[1]}).status_code == 303
    return client


def define(client: httpx.Client, site: str = "shop", **fields: str) -> httpx.Response:
    token = csrf_of(client.get(f"/sites/{site}/goals").text)
    return client.post(f"/sites/{site}/goals", data={"csrf": token, **fields})


def table(html: str, table_id: str) -> list[list[str]]:
    """The text of each body row's cells of a table of the page."""
    body = re.search(rf'<table[^>]*id="{table_id}".*?<tbody>(.*?)</tbody>', html, re.S)
    assert body, f"no table {table_id}"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in rows]


def csv_rows(client: httpx.Client, html: str, what: str) -> list[dict[str, str]]:
    link = re.search(rf'<a href="([^"]+)" download>Download {what} as CSV', html)
    assert link, f"no CSV link for {what}"
    answer = client.get(link.group(1).replace("&amp;", "&"))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(answer.text)))


def expected_goals() -> dict[str, tuple[int, int, str]]:
    """Per goal defined below: converted visitors, conversions, conversion rate as the page prints it."""
    everyone = {visitor for visitor, pages, _, _ in SENT if pages}
    done = {"Signed up pro": [v for v, _, customs, _ in SENT for n, p in customs
                              if n == "signup" and p["plan"] == "pro"],
            "Thanks": [v for v, pages, _, _ in SENT for path in pages if path == "/thanks"],
            "Buy click": [v for v, _, _, clicks in SENT for s in clicks if s == "#buy"]}
    return {name: (len(set(vs)), len(vs), f"{len(set(vs)) / len(everyone) * 100:.1f}%") for name, vs in done.items()}


def test_an_administrator_defines_goals_and_reads_their_conversions(server: tuple[Server, str]) -> None:
    running, token = server
    client = login(running, ADMIN)
    for fields in ({"name": "Signed up pro", "kind": "event", "target": "signup", "props": "plan=pro"},
                   {"name": "Thanks", "kind": "page", "target": "/thanks"},
                   {"name": "Buy click", "kind": "click", "target": "#buy"}):
        saved = define(client, **fields)
        assert saved.status_code == 303 and saved.headers["location"] == "/sites/shop/goals?saved=1", saved.text
    html = client.get("/sites/shop/goals").text
    shown = {row[0]: (int(row[1]), int(row[2]), row[3]) for row in table(html, "goal-table")}
    assert shown == expected_goals()
    assert {row["goal"]: int(row["total_conversions"]) for row in csv_rows(client, html, "the goals")} == {
        name: numbers[1] for name, numbers in expected_goals().items()}
    # custom events by name, and one event's properties, each with its CSV
    events = {row[0]: (int(row[1]), int(row[2])) for row in table(html, "event-table")}
    assert events == {"signup": (4, 2), "download": (1, 1)}
    assert [(r["event"], r["events"], r["visitors"]) for r in csv_rows(client, html, "the events")] == [
        ("signup", "4", "2"), ("download", "1", "1")]
    chosen = client.get("/sites/shop/goals?event=signup").text
    plans = re.search(r'<table class="list" data-property="plan">.*?</table>', chosen, re.S)
    assert plans and "pro" in plans.group(0)
    plan = csv_rows(client, chosen, "the values of plan")
    assert {(r["event_prop:plan"], r["events"], r["visitors"]) for r in plan} == {("pro", "3", "2"), ("free", "1", "1")}
    seats = csv_rows(client, chosen, "the values of seats")
    assert {(r["event_prop:seats"], r["events"]) for r in seats} == {("3", "1")}
    # the stats API by goal id, with a read token
    ids = goal_ids(html)
    api = httpx.get(f"{running.url}/api/v1/sites/shop/stats", params={
        "metrics": "visitors,conversions,conversion_rate", "goal": ids["Thanks"]},
        headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200, api.text
    [row] = api.json()["results"]
    assert (row["visitors"], row["conversions"], row["conversion_rate"]) == (4, 2, 0.5)
    unknown = httpx.get(f"{running.url}/api/v1/sites/shop/stats", params={"metrics": "conversions", "goal": "nope"},
                        headers={"Authorization": f"Bearer {token}"})
    assert unknown.status_code == 400 and unknown.json()["field"] == "goal"
    funnel_ends_with_a_goal(running, token, client, ids["Thanks"])
    client.close()


def funnel_ends_with_a_goal(running: Server, token: str, client: httpx.Client, goal_id: str) -> None:
    """A funnel from the home page to the goal Thanks (a page), saved with the form's goal choice."""
    home = {v for v, pages, _, _ in SENT if "/" in pages}
    # every visitor who viewed / and later /thanks (the sessions were sent one after the other)
    order = [(v, path) for v, pages, _, _ in SENT for path in pages]
    reached = {v for v in home if (v, "/thanks") in order[order.index((v, "/")):]}
    form = {"csrf": csrf_of(client.get("/sites/shop/funnels").text), "name": "Home to thanks", "steps": "/",
            "goal": goal_id, "window_h": "24"}
    saved = client.post("/sites/shop/funnels", data=form)
    assert saved.status_code == 303, saved.text[:500]
    html = client.get(saved.headers["location"]).text
    assert f'<option value="{goal_id}" selected>Thanks</option>' in html
    entered = [int(n) for n in re.findall(r'<th scope="row">\d+\. <code>[^<]*</code></th>\s*<td class="num">(\d+)</td>',
                                          html)]
    assert entered == [len(home), len(reached)] == [3, 2]
    asked = httpx.post(f"{running.url}/api/v1/sites/shop/funnels/query?performance=false",
                       json={"steps": [{"page": "/"}, {"goal": goal_id}]}, headers={"Authorization": f"Bearer {token}"})
    assert [s["entered"] for s in asked.json()["steps"]] == [3, 2]
    unknown = httpx.post(f"{running.url}/api/v1/sites/shop/funnels/query?performance=false",
                         json={"steps": [{"page": "/"}, {"goal": "0000"}]},
                         headers={"Authorization": f"Bearer {token}"})
    assert unknown.status_code == 400 and "no goal with id" in unknown.json()["error"]
    # the goal cannot be deleted while the funnel ends with it
    refused = client.post(f"/sites/shop/goals/{goal_id}/delete", data={"csrf": form["csrf"]})
    assert refused.status_code == 409 and "Home to thanks" in refused.text


def test_the_form_refuses_what_it_should(server: tuple[Server, str]) -> None:
    running, _ = server
    admin = login(running, ADMIN)
    refused = [
        ({"name": "", "kind": "page", "target": "/x"}, "Give the goal a name"),
        ({"name": "n" * 201, "kind": "page", "target": "/x"}, "at most 200 characters"),
        ({"name": "Page", "kind": "page", "target": "thanks"}, "starting with /"),
        ({"name": "Page", "kind": "planet", "target": "/x"}, "A goal is one of"),
        ({"name": "Page", "kind": "page", "target": "/x", "props": "a=b"}, "custom event only"),
        ({"name": "Sel", "kind": "click", "target": "#a" * 300}, "not valid"),
        ({"name": "Ev", "kind": "event", "target": "e" * 129}, "not valid"),
        ({"name": "Ev", "kind": "event", "target": "signup", "props": "plan"}, "key=value"),
        ({"name": "Ev", "kind": "event", "target": "signup", "props": " ".join(f"k{i}=v" for i in range(11))},
         "not valid"),
    ]
    for fields, said in refused:
        answer = define(admin, **fields)
        assert answer.status_code == 400 and said in answer.text, (fields, answer.text[:300])
    # a hostile name and selector are stored as text and shown escaped
    hostile = '"><script>alert(1)</script>'
    assert define(admin, name="X" + hostile, kind="click", target="a" + hostile).status_code == 303
    html = admin.get("/sites/shop/goals").text
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert define(admin, name="x" + hostile.upper(), kind="page", target="/y").status_code == 400  # taken, any case
    # forged, foreign and unprivileged posts
    token = csrf_of(html)
    assert admin.post("/sites/shop/goals", data={"name": "No csrf", "kind": "page", "target": "/z"}).status_code == 403
    blog_goal = stored_goal_id(admin, "blog")
    gone = admin.post(f"/sites/shop/goals/{blog_goal}/delete", data={"csrf": token})
    assert gone.status_code == 404
    blog = admin.get("/sites/blog/goals").text
    assert blog_goal in blog  # still there
    assert "No custom event in this range" in blog and "footfall('event', 'purchase'" in blog  # the snippet's call
    viewer = login(running, VIEWER)
    page = viewer.get("/sites/shop/goals")
    assert page.status_code == 200 and "Only administrators can define goals" in page.text
    viewer_token = csrf_of(page.text)
    assert viewer.post("/sites/shop/goals", data={"csrf": viewer_token, "name": "V", "kind": "page",
                                                 "target": "/v"}).status_code == 403
    assert viewer.post(f"/sites/blog/goals/{blog_goal}/delete", data={"csrf": viewer_token}).status_code == 403
    # the administrator deletes the hostile goal
    before = goal_ids(admin.get("/sites/shop/goals").text)
    hostile_id = before["X" + hostile]
    assert admin.post(f"/sites/shop/goals/{hostile_id}/delete", data={"csrf": token}).status_code == 303
    after = goal_ids(admin.get("/sites/shop/goals").text)
    assert after == {name: goal for name, goal in before.items() if goal != hostile_id}
    admin.close()
    viewer.close()


def stored_goal_id(client: httpx.Client, site: str) -> str:
    assert define(client, site=site, name="Blog read", kind="page", target="/post/*").status_code == 303
    return goal_ids(client.get(f"/sites/{site}/goals").text)["Blog read"]


def test_goals_are_capped_per_site() -> None:
    assert stored_goals.MAX_GOALS == 100

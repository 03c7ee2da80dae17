"""Errors grouped by fingerprint, from rows made by the real ingestion path: the same bug with
other numbers in its message and top frame, and another query string on its file, is one group;
console messages stay out unless asked; each group lists its sessions' replays through the
sessions filter `error=`."""

from __future__ import annotations

import uuid
from datetime import timedelta

from footfall.analysis.errors import grouped_errors
from footfall.replay.sessions import SessionFilters, list_sessions
from footfall.web import performance_api, sessions_api
from tests.helpers import guarded_client, land
from tests.visits import DAY, NEXT_DAY, Visit, ms


def error(ts: float, message: str, src: str, frame: str, kind: str = "error") -> dict:
    return {"t": "error", "ts": ts, "msg": message, "src": src, "line": 12,
            "stack": f"TypeError: {message}\n    at {frame}\n    at main (app.js:1:1)", "kind": kind}


def test_errors_are_grouped_counted_and_linked_to_their_sessions(store) -> None:  # noqa: ANN001
    site = "err-" + uuid.uuid4().hex[:8]
    visits = [
        Visit(site, "a", ms(DAY)).page("/cart", 0, error(1, "item 41 is undefined", "https://s.test/app.js?v=1",
                                                         "addToCart (app.js:12:5)")),
        Visit(site, "b", ms(DAY) + 60_000).page("/cart", 0, error(1, "item 7 is undefined", "https://s.test/app.js",
                                                                  "addToCart (app.js:14:9)"),
                                                 error(3, "item 8 is undefined", "https://s.test/app.js",
                                                       "addToCart (app.js:14:9)")),
        Visit(site, "c", ms(DAY) + 120_000).page("/home", 0, error(1, "Network down", "https://s.test/net.js",
                                                                   "fetchAll (net.js:3:1)")),
        Visit(site, "d", ms(DAY) + 180_000).page("/home", 0, error(1, "just logging", "", "x", kind="console")),
    ]
    land(store, [r for v in visits for r in v.records])
    end = NEXT_DAY + timedelta(days=1)
    got = grouped_errors(store, site, DAY, end)
    assert (got["total"], got["groups"]) == (4, 2)
    cart, network = got["errors"]
    assert (cart["count"], cart["sessions"], cart["visitors"], cart["pages"]) == (3, 2, 2, ["/cart"])
    assert cart["message"] == "item 8 is undefined" and "addToCart" in cart["stack"]  # the newest as the sample
    assert cart["source"] == "https://s.test/app.js"  # no query string
    assert cart["first_seen"] < cart["last_seen"]
    assert (network["count"], network["pages"]) == (1, ["/home"])
    assert grouped_errors(store, site, DAY, end, console=True)["total"] == 5
    assert [e["count"] for e in grouped_errors(store, site, DAY, end, url="/home")["errors"]] == [1]

    listed = list_sessions(store, site, DAY, end, SessionFilters(error=cart["fingerprint"]))
    assert sorted(s["session_id"] for s in listed["sessions"]) == sorted([visits[0].sid, visits[1].sid])

    routes = [*performance_api.routes(store), *sessions_api.routes(store)]
    with guarded_client(store, routes, site, "errors") as (client, auth):
        base = f"/api/v1/sites/{site}/errors?from={DAY.date()}"
        first = client.get(base, headers=auth).json()["errors"][0]
        assert first["fingerprint"] == cart["fingerprint"]
        linked = client.get(first["sessions_url"], headers=auth).json()["sessions"]  # the link leads to them
        assert sorted(s["session_id"] for s in linked) == sorted([visits[0].sid, visits[1].sid])
        assert client.get(first["replays_url"], headers=auth).json()["sessions"] == []  # none was recorded
        assert client.get(base + "&limit=1", headers=auth).json()["groups"] == 2
        assert client.get(base + "&limit=0", headers=auth).json()["field"] == "limit"
        assert client.get(base).status_code == 401

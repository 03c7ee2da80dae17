"""Erase and export one visitor: every table, through the real ingestion views of the embedded store."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import msgspec
import pytest

from footfall.collector import frames, rows, wire
from footfall.collector.enrich import Client
from footfall.web import runtime, visitors
from tests.conftest import FOOTFALL, ROOT, footfall, start_site_server
from tests.helpers import count, make_batch, post, wait_for_count

NOW = int(time.time()) * 1000
CHROME = Client("Chrome", "120", "Linux", False, "desktop")
# Where each event type of `journey` lands, and how many rows one page view makes there.
PER_PAGE = {"pageviews": 1, "events": 4, "page_timings": 1, "web_vitals": 1, "errors": 1, "resources": 1,
            "form_fields": 1, "pageview_performance": 1}  # the last: the page view's measurements merged
REPLAY_PER_SESSION = 2
TABLES = {*PER_PAGE, "replay_chunks", "session_index", "page_snapshots"}  # the last three by session


def journey(ts: int) -> list[dict[str, Any]]:
    return [
        {"t": "pageview", "ts": ts, "title": "Shoes"},
        {"t": "click", "ts": ts + 1, "s": "#buy", "x": 1, "y": 2, "text": "Buy"},
        {"t": "move", "ts": ts + 2, "p": [[1, 2], [3, 4]]},
        {"t": "scroll", "ts": ts + 3, "d": 500, "pct": 0.5, "h": 1000},
        {"t": "custom", "ts": ts + 4, "n": "add_to_cart", "p": {"sku": 3}},
        {"t": "nav", "ts": ts + 5, "dns": 3, "req": 120, "size": 5000},
        {"t": "vital", "ts": ts + 6, "n": "LCP", "v": 2100, "r": "needs-improvement", "target": "img.hero"},
        {"t": "error", "ts": ts + 7, "msg": "boom", "src": "https://shop.test/app.js", "line": 3},
        {"t": "res", "ts": ts + 8, "url": "https://cdn.test/x.js", "kind": "script", "dur": 900},
        {"t": "form", "ts": ts + 9, "s": "#email", "first": 800, "time": 5000, "changes": 2},
    ]


def seed(store, site: str, visitor: str, sessions: list[str], identified: bool) -> None:  # noqa: ANN001
    """Two page views per session, its replay chunks and a page snapshot, written as the writer writes a segment.

    `identified`: the page sends the id (`vid`, after identify); else it is the collector's hash."""
    ctx = rows.Context(received_ms=NOW, visitor_id="daily-hash" if identified else visitor, client=CHROME,
                       retention_days=30)
    payloads = []
    for sid in sessions:
        for page in range(2):
            body = {"v": 1, "site": site, "sid": sid, "pv": uuid.uuid4().hex, "url": "https://shop.test/p/1",
                    "vw": 1280, "e": journey(NOW - 60_000 + page * 100)}
            if identified:
                body["vid"] = visitor
            payloads.append(frames.pack(frames.BATCH, ctx, wire.batch_decoder.decode(msgspec.json.encode(body))))
        for seq in range(REPLAY_PER_SESSION):
            chunk = {"v": 1, "site": site, "sid": sid, "seq": seq, "data": f"[{seq}]", "ts": NOW - 1000}
            payloads.append(frames.pack(frames.REPLAY, ctx, wire.replay_decoder.decode(msgspec.json.encode(chunk))))
        snapshot = {"v": 1, "site": site, "sid": sid, "seq": 0, "data": "[]", "snap": True,
                    "url": "https://shop.test/p/1", "vw": 1280}
        payloads.append(frames.pack(frames.SNAPSHOT, ctx, wire.replay_decoder.decode(msgspec.json.encode(snapshot))))
    runtime.land(store, payloads, uuid.uuid4().hex)


def expected_counts(sessions: int) -> dict[str, int]:
    counts = {table: n * 2 * sessions for table, n in PER_PAGE.items()}
    counts["replay_chunks"] = REPLAY_PER_SESSION * sessions
    counts["session_index"] = sessions
    counts["page_snapshots"] = sessions
    return counts


def mentions(store, needles: list[str]) -> dict[str, int]:  # noqa: ANN001
    """Rows of any table of the database with a String value containing one of the needles,
    counted as stored (deleted-row masks ignored: an erased row must be physically gone)."""
    database = store.client.database
    text_columns: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in store.rows(
        "SELECT table, name, type FROM system.columns WHERE database = {db:String} ORDER BY table, position",
        {"db": database},
    ):
        text_columns.setdefault(table, []).append((column, kind))
    tables = [r[0] for r in store.rows("SELECT name FROM system.tables WHERE database = {db:String}",
                                       {"db": database})]
    assert TABLES <= set(tables)
    found = {}
    searched = 0
    for table in tables:
        tests = []
        for column, kind in text_columns.get(table, []):
            bare = kind.removeprefix("LowCardinality(").removeprefix("Nullable(").rstrip(")")
            if bare == "String" or bare.startswith("FixedString"):
                tests.append(f"multiSearchAny(ifNull(toString(`{column}`), ''), {{needles:Array(String)}})")
            elif kind in ("Array(String)", "Array(LowCardinality(String))"):
                tests.append(f"arrayExists(x -> multiSearchAny(toString(x), {{needles:Array(String)}}), `{column}`)")
        if not tests:
            continue
        searched += 1
        sql = f"SELECT count() FROM `{table}` WHERE {' OR '.join(tests)} SETTINGS apply_deleted_mask = 0"
        hits = store.scalar(sql, {"needles": needles})
        if hits:
            found[table] = hits
    assert searched >= len(TABLES)
    return found


def test_export_then_erase_one_visitor_leaves_no_trace_and_the_other_intact(store) -> None:  # noqa: ANN001
    site = f"gdpr-{uuid.uuid4().hex[:10]}"
    gone, kept = f"ann-{uuid.uuid4().hex}", f"bob-{uuid.uuid4().hex}"
    gone_sessions = [f"s-{uuid.uuid4().hex}" for _ in range(2)]
    kept_sessions = [f"s-{uuid.uuid4().hex}"]
    seed(store, site, gone, gone_sessions, identified=True)
    seed(store, site, kept, kept_sessions, identified=False)
    assert {t.name for t in visitors.tables(store)} == TABLES

    exported = visitors.export(store, site, gone)
    assert json.loads(json.dumps(exported)) == exported  # plain JSON: times are ISO strings
    assert (exported["site"], exported["visitor"]) == (site, gone)
    tables = exported["tables"]
    assert {t: len(r) for t, r in tables.items()} == expected_counts(2)
    assert {r["type"] for r in tables["events"]} == {"click", "move", "scroll", "custom"}
    assert all(r["visitor_id"] == gone for t, found in tables.items() if t in PER_PAGE for r in found)
    assert [r["visitors"] for r in tables["session_index"]] == [[gone], [gone]]
    assert sorted({r["session_id"] for r in tables["replay_chunks"]}) == sorted(gone_sessions)
    assert tables["pageviews"][0]["time"].endswith("+00:00")
    assert any(r["points"] == [[1, 2], [3, 4]] for r in tables["events"])
    assert set(mentions(store, [gone, *gone_sessions])) >= TABLES  # the search sees them while they exist
    kept_before = visitors.export(store, site, kept)
    assert {t: len(r) for t, r in kept_before["tables"].items()} == expected_counts(1)

    assert visitors.erase(store, site, gone) == expected_counts(2)

    assert mentions(store, [gone, *gone_sessions]) == {}
    assert all(not found for found in visitors.export(store, site, gone)["tables"].values())
    assert visitors.export(store, site, kept) == kept_before
    assert set(mentions(store, [kept, *kept_sessions])) >= TABLES
    # Nothing left: erasing again finds nothing and changes nothing.
    assert visitors.erase(store, site, gone) == dict.fromkeys(expected_counts(2), 0)
    assert visitors.export(store, site, kept) == kept_before


def test_the_site_is_part_of_the_key(store) -> None:  # noqa: ANN001
    one, other = f"gdpr-{uuid.uuid4().hex[:10]}", f"gdpr-{uuid.uuid4().hex[:10]}"
    visitor, session = f"v-{uuid.uuid4().hex}", f"s-{uuid.uuid4().hex}"
    seed(store, one, visitor, [session], identified=True)
    seed(store, other, visitor, [session], identified=True)
    assert visitors.erase(store, one, visitor) == expected_counts(1)
    assert {t: len(r) for t, r in visitors.export(store, other, visitor)["tables"].items()} == expected_counts(1)


@pytest.mark.parametrize(("site", "visitor"), [("", "v"), ("s", ""), ("s", "v" * 129)])
def test_bad_ids_are_refused_before_any_query(store, site, visitor) -> None:  # noqa: ANN001
    with pytest.raises(visitors.InvalidInput):
        visitors.erase(store, site, visitor)
    with pytest.raises(visitors.InvalidInput):
        visitors.export(store, site, visitor)


# -- end to end: a real server, the CLI through its admin socket, the HTTP API -----------------


def request(url: str, method: str = "GET", token: str | None = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method, headers=headers), timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FOOTFALL, *args, "--data", str(data)], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)


def test_cli_and_api_erase_and_export_while_the_server_runs(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server, token = start_site_server(data, {"FOOTFALL_RATE_LIMIT": "0"})
    try:
        ann, bob = f"ann-{uuid.uuid4().hex}", f"bob-{uuid.uuid4().hex}"
        ann_sessions = [uuid.uuid4().hex, uuid.uuid4().hex]
        for sid in ann_sessions:
            assert post(server.url, make_batch(vid=ann, sid=sid))[0] == 202  # a page view and two clicks
        chunk = {"v": 1, "site": "shop", "sid": ann_sessions[0], "seq": 0, "data": "[1]"}
        assert post(server.url, chunk, path="/i/v1/replay")[0] == 202
        assert post(server.url, make_batch(vid=bob))[0] == 202
        assert wait_for_count(server.url, token, "", 10) == 10

        # The CLI reaches the store through the server's admin socket; the output is JSON without --json.
        out = cli(data, "export", "--site", "shop", "--visitor", ann)
        assert out.returncode == 0, out.stderr
        exported = json.loads(out.stdout)
        assert (exported["site"], exported["visitor"]) == ("shop", ann)
        counts = {table: len(found) for table, found in exported["tables"].items()}
        assert counts == {**dict.fromkeys(TABLES, 0), "pageviews": 2, "events": 4, "replay_chunks": 1,
                          "session_index": 2}

        url = f"{server.url}/api/v1/sites/shop/visitors/{ann}"
        blog = footfall(data, "site", "create", "Blog", "--origin", "https://blog.test")["key"]
        blog_token = footfall(data, "token", "create", "blog", "--site", blog)["token"]
        for method, target in (("DELETE", url), ("GET", f"{url}/export")):
            assert request(target, method)[0] == 401
            status, body = request(target, method, blog_token)
            assert (status, body["field"]) == (403, "site")
        status, body = request(f"{server.url}/api/v1/sites/shop/visitors/{'x' * 129}", "DELETE", token)
        assert (status, body["field"]) == (400, "visitor")

        status, body = request(url, "DELETE", token)
        assert status == 200, body
        assert body["erased"] == counts and (body["site"], body["visitor"]) == ("shop", ann)
        status, after = request(f"{url}/export", token=token)
        assert status == 200 and all(not found for found in after["tables"].values())
        assert count(server.url, token) == 3  # bob's page view and clicks
        kept = footfall(data, "export", "--site", "shop", "--visitor", bob)
        assert len(kept["tables"]["pageviews"]) == 1 and len(kept["tables"]["events"]) == 2

        out = cli(data, "erase", "--site", "shop", "--visitor", bob)
        assert out.returncode == 0, out.stderr
        # bob's page view, two clicks and his session's index row
        assert out.stdout.splitlines()[0] == f"erased 4 rows of visitor {bob} on site shop"
        assert count(server.url, token) == 0
        bad = cli(data, "erase", "--site", "shop", "--visitor", "")
        assert bad.returncode == 2 and "visitor must be a non-empty string" in bad.stderr
    finally:
        server.stop()
    # With the server stopped the CLI opens the store itself.
    assert footfall(data, "erase", "--site", "shop", "--visitor", ann)["erased"] == dict.fromkeys(TABLES, 0)

"""The sessions API in-process, in a bare Starlette app over the embedded store: the list and its
parameters, one session, and the recording streamed as NDJSON; the sessions are those built in
test_sessions.py through the real ingestion path."""

from __future__ import annotations

import base64
import gzip
import json
import logging
import uuid
from collections.abc import Iterator

import pytest

from footfall.replay import recordings
from footfall.replay.sessions import session_detail
from footfall.store import chunks
from footfall.web import openapi, sessions_api
from tests.helpers import TestClient, guarded_client, land
from tests.visits import DAY, NEWEST_FIRST, Sessions, build, by_name, chunk, ms, rrweb


@pytest.fixture(scope="module")
def made(store) -> Sessions:  # noqa: ANN001
    return build(store)

@pytest.fixture(scope="module")
def api(store, made) -> Iterator[tuple[TestClient, dict[str, str]]]:  # noqa: ANN001
    with guarded_client(store, sessions_api.routes(store), made.site, "sessions-tests") as api:
        yield api


def test_api_needs_a_token_for_the_site(store, made, api) -> None:  # noqa: ANN001
    client, auth = api
    base = f"/api/v1/sites/{made.site}/sessions"
    for path in (base, f"{base}/{made.sid('summary')}", f"{base}/{made.sid('summary')}/replay"):
        response = client.get(path)
        assert response.status_code == 401 and response.json()["field"] == "authorization"
        assert client.get(path.replace(made.site, "other-site"), headers=auth).status_code == 403


def test_api_list(store, made, api) -> None:  # noqa: ANN001
    client, auth = api
    day = DAY.date().isoformat()
    base = f"/api/v1/sites/{made.site}/sessions?from={day}&to={day}"
    response = client.get(base, headers=auth)
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("site", "from", "to", "sort", "order", "limit", "offset", "total")} == {
        "site": made.site, "from": day, "to": day, "sort": "start", "order": "desc", "limit": 50, "offset": 0,
        "total": 11}
    names = {v.sid: name for name, v in made.visits.items()}
    assert [names[s["session_id"]] for s in body["sessions"]] == NEWEST_FIRST
    assert body["sessions"][NEWEST_FIRST.index("summary")] == by_name(store, made)["summary"]

    def names_for(query: str) -> list[str]:
        found = client.get(f"{base}&{query}", headers=auth)
        assert found.status_code == 200, found.json()
        return [names[s["session_id"]] for s in found.json()["sessions"]]

    assert names_for("signal=rage_click&signal=dead_click") == ["dead", "rage"]
    assert names_for("signal=quick_back,navigation_loop,excessive_scroll") == ["loop", "scroll", "quick_back"]
    assert names_for("url=/item/*") == ["quick_back"]
    assert names_for("entry=/n/a&exit=/n/d") == ["near_nav"]
    assert names_for("has_error=true&min_duration=3") == ["near_clicks", "summary"]
    assert names_for("has_error=false&max_duration=6.0") == ["scroll", "dead"]
    assert names_for("device=tablet&browser=Firefox&visitor=alice&has_replay=1") == ["summary"]
    assert names_for("sort=duration&order=asc&limit=2&offset=1") == ["scroll", "dead"]
    assert names_for("sort=signals&limit=1") == ["rage"]
    assert client.get(f"/api/v1/sites/{made.site}/sessions", headers=auth).json()["total"] == 12  # last 30 days


@pytest.mark.parametrize(("query", "field"), [
    ("from=yesterday", "from"),
    ("from=2026-02-02&to=2026-01-01", "to"),
    ("sort=mood", "sort"),
    ("order=sideways", "order"),
    ("limit=0", "limit"),
    ("limit=501", "limit"),
    ("limit=ten", "limit"),
    ("offset=-1", "offset"),
    ("signal=sigh", "signal"),
    ("signal=rage_click,sigh", "signal"),
    ("has_error=maybe", "has_error"),
    ("has_replay=2", "has_replay"),
    ("min_duration=-1", "min_duration"),
    ("max_duration=soon", "max_duration"),
    ("max_duration=nan", "max_duration"),
    ("min_duration=10&max_duration=5", "max_duration"),
    ("device=fridge", "device"),
    ("url=" + "a" * 3000, "url"),
])
def test_api_list_names_the_bad_parameter(made, api, query, field) -> None:  # noqa: ANN001
    client, auth = api
    response = client.get(f"/api/v1/sites/{made.site}/sessions?{query}", headers=auth)
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_api_detail(store, made, api) -> None:  # noqa: ANN001
    client, auth = api
    base = f"/api/v1/sites/{made.site}/sessions"
    response = client.get(f"{base}/{made.sid('rage')}", headers=auth)
    assert response.status_code == 200
    body = response.json()
    assert body["site"] == made.site
    assert body["summary"]["signals"]["rage_click"] == 2 and len(body["signals"]["rage_click"]) == 2
    assert body == {"site": made.site, **session_detail(store, made.site, made.sid("rage"))}
    missing = client.get(f"{base}/no-such-session", headers=auth)
    assert missing.status_code == 404 and missing.json()["field"] == "session_id"
    bad = client.get(f"{base}/not%20an%20id", headers=auth)
    assert bad.status_code == 400 and bad.json()["field"] == "session_id"


def test_api_replay_streams_the_events_in_order(made, api, caplog) -> None:  # noqa: ANN001
    client, auth = api
    base = f"/api/v1/sites/{made.site}/sessions"
    with caplog.at_level(logging.WARNING, logger="footfall.recordings"):
        with client.stream("GET", f"{base}/{made.sid('summary')}/replay", headers=auth) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("application/x-ndjson")
            lines = list(response.iter_lines())
    # seq 0 (json), 1 (gzip, sent twice, once here), 2 (gzip), 3 skipped (not gzip), 4 (json), 5 skipped
    assert [json.loads(line) for line in lines] == made.replay
    skipped = [r.getMessage() for r in caplog.records if r.name == "footfall.recordings"]
    assert len(skipped) == 2
    assert "seq 3: invalid gzip data" in skipped[0] and "seq 5: not a JSON array" in skipped[1]
    none = client.get(f"{base}/{made.sid('rage')}/replay", headers=auth)
    assert none.status_code == 404 and none.json()["field"] == "session_id"


def test_replay_chunks_of_any_size_stream_in_pages(store, made, api, monkeypatch) -> None:  # noqa: ANN001
    """More chunks than one read holds: every event once, in seq order."""
    client, auth = api
    sid = uuid.uuid4().hex
    events = [rrweb(3, ms(DAY) + i, source=1, i=i) for i in range(30)]
    land(store, [chunk(made.site, sid, seq, events[seq * 3:seq * 3 + 3], "gzip-base64" if seq % 2 else "json")
                 for seq in reversed(range(10))])
    monkeypatch.setattr(recordings, "CHUNKS_PER_READ", 3)
    response = client.get(f"/api/v1/sites/{made.site}/sessions/{sid}/replay", headers=auth)
    assert response.status_code == 200
    assert [json.loads(line) for line in response.text.splitlines()] == events


def test_decode_chunk_refuses_what_is_not_a_recording() -> None:
    assert recordings.decode_chunk("json", '[{"type": 4}]') == [{"type": 4}]
    assert recordings.decode_chunk("", "[]") == []
    packed = base64.b64encode(gzip.compress(b'[{"type": 2}]')).decode()
    assert recordings.decode_chunk("gzip-base64", packed) == [{"type": 2}]
    bomb = base64.b64encode(gzip.compress(b"[" + b" " * (chunks.MAX_INFLATED + 10) + b"]")).decode()
    for encoding, data in [("json", "{not json"), ("json", '{"type": 4}'), ("gzip-base64", "!!!"),
                           ("gzip-base64", "bm90IGd6aXA="), ("gzip-base64", packed[:20]), ("gzip-base64", bomb),
                           ("brotli", "[]")]:
        with pytest.raises(ValueError):
            recordings.decode_chunk(encoding, data)


def test_openapi_paths() -> None:
    paths = openapi.document(sessions_api.OPERATIONS)["paths"]
    assert set(paths) == {"/api/v1/sites/{site}/sessions", "/api/v1/sites/{site}/sessions/{session_id}",
                          "/api/v1/sites/{site}/sessions/{session_id}/replay"}
    names = [p["name"] for p in paths["/api/v1/sites/{site}/sessions"]["get"]["parameters"]]
    assert {"from", "to", "url", "entry", "exit", "has_error", "signal", "min_duration", "max_duration", "device",
            "browser", "visitor", "has_replay", "sort", "order", "limit", "offset"} <= set(names)
    json.dumps(paths)

"""Property-based fuzzing of the ingestion endpoints: whatever arrives, never a 500, and every 4xx
says what was wrong in JSON (`error`) and where (`field`).

Near-valid batches and replay chunks (one to three fields changed to a wrong type, a number out of
range or past 2^64, nesting a thousand deep, odd unicode), gzipped or not, and raw bytes. Bounded
and repeatable: max_examples per test, derandomize, no deadline.
"""

from __future__ import annotations

import base64
import gzip
import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Server, start_site_server
from tests.helpers import CHROME, ORIGIN, make_batch, post


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of its own: the batches fuzzing gets accepted must not shift other tests' counts."""
    server, _ = start_site_server(tmp_path_factory.mktemp("fuzz") / "data", {"FOOTFALL_RATE_LIMIT": "0"})
    yield server
    server.stop()

ALLOWED = {202, 400, 403, 409, 413, 415, 429}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children,
                                                                      max_size=4),
    max_leaves=20,
)
FIELDS = ["v", "site", "sid", "pv", "id", "url", "ref", "vw", "vh", "utm", "sent", "e", "vid"]
EVENT_FIELDS = ["t", "ts", "s", "x", "y", "rx", "ry", "n", "v", "p", "msg", "d", "dead", "a"]
FUZZ = settings(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=400))
def test_random_bytes(fuzz_server, raw: bytes) -> None:  # noqa: ANN001
    status, _, body = post(fuzz_server.url, raw)
    assert status in ALLOWED, body


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(FIELDS), value=json_values)
def test_batch_field_mutations(fuzz_server, field: str, value: object) -> None:  # noqa: ANN001
    batch = make_batch()
    batch[field] = value
    status, _, body = post(fuzz_server.url, json.dumps(batch).encode())
    assert status in ALLOWED, body
    if status == 400:
        assert body["field"] and body["error"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(["pageview", "click", "move", "scroll", "nav", "vital", "error", "res",
                             "form", "custom", "?"]),
       field=st.sampled_from(EVENT_FIELDS), value=json_values)
def test_event_field_mutations(fuzz_server, kind: str, field: str, value: object) -> None:  # noqa: ANN001
    batch = make_batch(events=1)
    batch["e"] = [{"t": kind, "ts": 1, field: value}]
    status, _, body = post(fuzz_server.url, json.dumps(batch).encode())
    assert status in ALLOWED, body


# -- near-valid bodies, structured ----------------------------------------------------------------
DEEP = "\u0000deep\u0000"  # a placeholder string, replaced in the JSON text by nesting json.dumps cannot write


def send(server: Server, body: bytes, path: str = "/i/v1/batch", gzipped: bool = False,
         content_type: str = "text/plain") -> tuple[int, bytes]:
    headers = {"Content-Type": content_type, "Origin": ORIGIN, "User-Agent": CHROME}
    if gzipped:
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    request = urllib.request.Request(server.url + path, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def assert_answered(status: int, raw: bytes) -> None:
    """Never a 5xx; every 4xx a JSON object naming what was wrong and where."""
    assert status in ALLOWED, (status, raw[:500])
    if status >= 400:
        body = json.loads(raw)
        assert isinstance(body, dict) and body.get("error") and body.get("field"), (status, body)


def encoded(body: Any, deep: int, ascii_only: bool) -> bytes:
    """The body as JSON text, with DEEP replaced by an array nested `deep` levels; without
    ensure_ascii a lone surrogate is written as itself, which is not UTF-8."""
    text = json.dumps(body, ensure_ascii=ascii_only)
    text = text.replace(json.dumps(DEEP, ensure_ascii=ascii_only), "[" * deep + "]" * deep)
    return text.encode("utf-8", "surrogatepass")


odd_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "\x00", "\ud800", "\udfff", "\u202e\u2066", "\ufeff", "𝕏" * 40, "e\u0301" * 20,
                     "a" * 70_000, "<script>", "../../", "%00", "\\", '"']),
)
huge_ints = st.one_of(
    st.integers(min_value=-2**70, max_value=2**70),
    st.sampled_from([-1, 2**31, 2**32, 2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, 2**64 + 1, -2**63 - 1,
                     10**30, 10**300]),
)
bad_values = st.one_of(
    huge_ints, odd_text, st.floats(), st.booleans(), st.none(), st.just(DEEP),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def events(now: int) -> list[dict[str, Any]]:
    """One event of every type the wire format has, each valid."""
    return [
        {"t": "pageview", "ts": now, "title": "Shop"},
        {"t": "click", "ts": now, "s": "#buy", "x": 10, "y": 20, "rx": 0.5, "ry": 0.5, "vw": 1280, "text": "Buy"},
        {"t": "move", "ts": now, "p": [[1, 2], [5, 6]]},
        {"t": "scroll", "ts": now, "d": 900, "pct": 0.5, "h": 1800},
        {"t": "nav", "ts": now, "dns": 1.0, "req": 20.0, "total": 300.0, "size": 1000},
        {"t": "vital", "ts": now, "n": "LCP", "v": 1200.0, "r": "good", "a": {"element": "img"}},
        {"t": "error", "ts": now, "msg": "x is undefined", "stack": "at f (a.js:1:2)", "src": "a.js", "line": 1},
        {"t": "res", "ts": now, "url": f"{ORIGIN}/a.js", "kind": "script", "dur": 80.0, "size": 2048},
        {"t": "form", "ts": now, "s": "#email", "first": 10.0, "time": 900.0, "changes": 2},
        {"t": "custom", "ts": now, "n": "checkout", "p": {"plan": "pro", "n": 2}},
    ]


@st.composite
def near_batches(draw: st.DrawFn) -> dict[str, Any]:
    """A valid batch of every event type with one to three fields replaced, added or removed: inside
    events and utm first, so that a replaced `e` or `utm` is not then written into."""
    batch = make_batch(events=1)
    batch["e"] = events(batch["sent"])
    batch["utm"] = {"source": "news", "medium": "mail", "campaign": "winter"}
    changes = []
    for _ in range(draw(st.integers(1, 3))):
        target = draw(st.sampled_from(["event", "event", "utm", "top"]))
        if target == "event":
            where = batch["e"][draw(st.integers(0, len(batch["e"]) - 1))]
            key = draw(st.sampled_from([*where, "size", "extra"]))
        elif target == "utm":
            where, key = batch["utm"], draw(st.sampled_from(["source", "medium", "campaign", "term", "content"]))
        else:
            where, key = batch, draw(st.sampled_from([*FIELDS, "sw", "sh", "extra"]))
        changes.append((target == "top", where, key, draw(st.integers(0, 5)) == 0, draw(bad_values)))
    for _, where, key, remove, value in sorted(changes, key=lambda change: change[0]):
        if remove:
            where.pop(key, None)
        else:
            where[key] = value
    return batch


@st.composite
def near_chunks(draw: st.DrawFn) -> dict[str, Any]:
    """A valid replay chunk (json or gzip-base64, a recording or a heatmap snapshot) with one or two
    fields replaced, or a `data` that decodes to something other than an array of events."""
    now = make_batch()["sent"]
    recording = [{"type": 4, "data": {"href": f"{ORIGIN}/product/1?token=x", "width": 1280, "height": 800},
                  "timestamp": now},
                 {"type": 2, "data": {"node": {"type": 0, "childNodes": [], "id": 1}}, "timestamp": now + 1}]
    text = draw(st.sampled_from(["events", "deep", "object", "not json", "empty", "odd"]))
    data = {"events": json.dumps(recording), "deep": "[" * 5_000 + "]" * 5_000,
            "object": '{"type": 4}', "not json": "[{", "empty": "[]",
            "odd": json.dumps([{"type": 4, "data": {"href": draw(odd_text)}, "timestamp": draw(huge_ints)}])}[text]
    chunk: dict[str, Any] = {"v": 1, "site": "shop", "sid": uuid.uuid4().hex, "pv": uuid.uuid4().hex,
                             "seq": draw(st.integers(0, 3)), "ts": now, "sent": now, "data": data}
    if draw(st.booleans()):
        chunk["enc"] = "gzip-base64"
        chunk["data"] = base64.b64encode(gzip.compress(data.encode("utf-8", "surrogatepass"))).decode()
    if draw(st.booleans()):
        chunk.update(snap=True, url=f"{ORIGIN}/product/1", vw=1280)
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from(["v", "site", "sid", "pv", "seq", "data", "enc", "ts", "sent", "snap", "url",
                                    "vw", "extra"]))
        chunk[key] = draw(bad_values)
    return chunk


@settings(FUZZ, max_examples=150)
@given(batch=near_batches(), deep=st.sampled_from([2, 64, 1000, 5000]), ascii_only=st.booleans(),
       gzipped=st.booleans(), content_type=st.sampled_from(["text/plain", "application/json"]))
def test_near_valid_batches(fuzz_server, batch: dict[str, Any], deep: int, ascii_only: bool,  # noqa: ANN001
                            gzipped: bool, content_type: str) -> None:
    assert_answered(*send(fuzz_server, encoded(batch, deep, ascii_only), gzipped=gzipped,
                          content_type=content_type))


@settings(FUZZ, max_examples=120)
@given(chunk=near_chunks(), deep=st.sampled_from([2, 1000, 5000]), ascii_only=st.booleans(), gzipped=st.booleans())
def test_near_valid_replay_chunks(fuzz_server, chunk: dict[str, Any], deep: int, ascii_only: bool,  # noqa: ANN001
                                  gzipped: bool) -> None:
    assert_answered(*send(fuzz_server, encoded(chunk, deep, ascii_only), "/i/v1/replay", gzipped))


@settings(FUZZ, max_examples=100)
@given(raw=st.binary(max_size=2000), path=st.sampled_from(["/i/v1/batch", "/i/v1/replay"]), gzipped=st.booleans())
def test_raw_bytes_on_both_endpoints(fuzz_server, raw: bytes, path: str, gzipped: bool) -> None:  # noqa: ANN001
    assert_answered(*send(fuzz_server, raw, path, gzipped))


NESTING = [
    ("/i/v1/batch", "body", lambda deep: deep),
    ("/i/v1/batch", "events", lambda deep: {**make_batch(), "e": deep}),
    ("/i/v1/batch", "an event's field", lambda deep: {**make_batch(), "e": [{"t": "custom", "ts": 1, "n": deep}]}),
    ("/i/v1/batch", "custom props", lambda deep: {**make_batch(), "e": [{"t": "custom", "ts": 1, "n": "x",
                                                                         "p": {"k": deep}}]}),
    ("/i/v1/batch", "utm", lambda deep: {**make_batch(), "utm": {"source": deep}}),
    ("/i/v1/batch", "an unknown field", lambda deep: {**make_batch(), "unknown": deep}),
    ("/i/v1/replay", "body", lambda deep: deep),
    ("/i/v1/replay", "data", lambda deep: {"v": 1, "site": "shop", "sid": "s1", "seq": 0, "data": deep}),
    ("/i/v1/replay", "an unknown field", lambda deep: {"v": 1, "site": "shop", "sid": "s1", "seq": 0, "data": "[]",
                                                       "unknown": deep}),
]


@pytest.mark.parametrize("depth", [1_000, 100_000])
@pytest.mark.parametrize(("path", "where", "body"), NESTING, ids=[f"{p}-{w}" for p, w, _ in NESTING])
def test_deep_nesting_is_a_400(fuzz_server, path: str, where: str, body: Any, depth: int) -> None:  # noqa: ANN001
    """Issue 14: JSON nested about 1,000 deep was a 500 on both ingestion endpoints."""
    status, raw = send(fuzz_server, encoded(body(DEEP), depth, True), path)
    assert status == 400, (status, raw[:300])
    assert_answered(status, raw)



@pytest.mark.parametrize("kind", [[], ["click"], {}, {"t": "click"}])
def test_an_event_type_that_is_no_string_is_a_400(fuzz_server, kind: object) -> None:  # noqa: ANN001
    """Found by test_near_valid_batches: an event whose `t` is an array or an object was a 500
    (collector/decode.py, _kind_of: `kind in _KNOWN_KINDS` on an unhashable value)."""
    batch = make_batch(events=2)
    batch["e"][1]["t"] = kind
    status, raw = send(fuzz_server, json.dumps(batch).encode())
    assert_answered(status, raw)


@pytest.mark.parametrize("encoding", ["json", "gzip-base64"])
@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_a_recording_nested_deep_is_a_400(fuzz_server, encoding: str, depth: int) -> None:  # noqa: ANN001
    """Found by test_near_valid_replay_chunks: a chunk whose `data` is an array nested a thousand
    deep was a 500 (collector/urls.py, clean_chunk: RecursionError while decoding the events)."""
    sid = uuid.uuid4().hex
    assert post(fuzz_server.url, make_batch(sid=sid))[0] == 202  # the session is known: only `data` is wrong
    data = "[" * depth + "]" * depth
    if encoding == "gzip-base64":
        data = base64.b64encode(gzip.compress(data.encode())).decode()
    chunk = {"v": 1, "site": "shop", "sid": sid, "seq": 0, "enc": encoding, "data": data}
    status, raw = send(fuzz_server, json.dumps(chunk).encode(), "/i/v1/replay")
    assert status == 400, (status, raw[:300])
    assert_answered(status, raw)

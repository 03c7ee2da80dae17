"""Property-based fuzzing of the ingestion endpoint: whatever arrives, never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Server, start_site_server

from .helpers import make_batch, post


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of its own: the batches fuzzing gets accepted must not shift other tests' counts."""
    server, _ = start_site_server(tmp_path_factory.mktemp("fuzz") / "data", {"FOOTFALL_RATE_LIMIT": "0"})
    yield server
    server.stop()

ALLOWED = {202, 400, 403, 413, 415, 429}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children,
                                                                      max_size=4),
    max_leaves=20,
)
FIELDS = ["v", "site", "sid", "pv", "id", "url", "ref", "vw", "vh", "utm", "sent", "e", "vid"]
EVENT_FIELDS = ["t", "ts", "s", "x", "y", "rx", "ry", "n", "v", "p", "msg", "d", "dead", "a"]


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

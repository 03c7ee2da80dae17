"""Schemathesis against the running server's own OpenAPI document: every operation, with parameters
and bodies generated from the document (valid ones, and ones that break it), answers without a 5xx
(docs/api.md: never a 500 for bad input).

Bounded and repeatable: EXAMPLES cases per operation and mode, derandomized, no example database;
about 25 seconds on the 2-core machine. A failure names each operation with the request that broke
it (schemathesis prints the curl line).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error

from tests.conftest import Server, start_site_server
from tests.helpers import make_batch, post, wait_for_count

EXAMPLES = 20
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """A server of its own with a few stored rows, so reads go past their empty answers."""
    server, token = start_site_server(tmp_path_factory.mktemp("openapi") / "data", {"FOOTFALL_RATE_LIMIT": "0"})
    now = int(time.time() * 1000)
    batch = make_batch(4, sid=uuid.uuid4().hex)
    batch["e"] += [{"t": "scroll", "ts": now, "d": 900, "pct": 0.5, "h": 1800},
                   {"t": "error", "ts": now, "msg": "x is undefined", "src": "http://shop.test/app.js", "line": 3}]
    assert post(server.url, batch)[0] == 202
    chunk = {"v": 1, "site": "shop", "sid": batch["sid"], "pv": batch["pv"], "seq": 0, "ts": now,
             "data": json.dumps([{"type": 4, "data": {"href": "http://shop.test/product/1"}, "timestamp": now}])}
    assert post(server.url, chunk, path="/i/v1/replay")[0] == 202
    assert wait_for_count(server.url, token, "", 7) >= 7
    yield server, token
    server.stop()


@pytest.mark.parametrize("mode", MODES, ids=lambda mode: mode.value)
def test_no_operation_answers_a_server_error(served: tuple[Server, str], mode: schemathesis.GenerationMode) -> None:
    server, token = served
    auth = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_url(f"{server.url}/api/openapi.json", headers=auth, timeout=30)
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        fixed = {"site": "shop"} if "{site}" in operation.path else None
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed)

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def answers(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=server.url, headers=auth, checks=[not_a_server_error], timeout=60)

        try:
            answers()
        except (Exception, BaseExceptionGroup) as exc:  # every operation's failures (schemathesis groups them)
            failures.append(f"{operation.label}: {exc}")
    assert operations >= 17
    assert not failures, "\n\n".join(failures)
    assert server.proc.poll() is None

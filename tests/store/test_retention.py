"""A site's retention change reaches every table that keeps a `retention` column, found in the store,
so no personal data outlives the promised retention (five tables once kept the old expiry)."""

from __future__ import annotations

import time
from typing import Any

from footfall.store import sites
from tests.helpers import make_batch, post


def tables_with_retention(store: Any) -> list[str]:
    return [t for (t,) in store.rows(
        "SELECT table FROM system.columns WHERE database = currentDatabase() AND name = 'retention' "
        "AND table IN (SELECT name FROM system.tables WHERE database = currentDatabase() "
        "AND engine LIKE '%MergeTree')")]


def test_a_retention_change_reaches_every_table_with_a_retention_column(stalled_server) -> None:  # noqa: ANN001
    url, runtime, store = stalled_server
    sites.create(store, "Kept", ["http://shop.test"], key="kept", retention_days=365)
    runtime.sites.reload()
    batch = make_batch(site="kept", events=1)
    ts = batch["e"][0]["ts"]
    batch["e"] += [
        {"t": "click", "ts": ts, "s": "#buy", "x": 10, "y": 20, "rx": 0.5, "ry": 0.5},
        {"t": "move", "ts": ts, "p": [[1, 2], [3, 4]]},
        {"t": "scroll", "ts": ts, "d": 300},
        {"t": "nav", "ts": ts, "dns": 1, "total": 500},
        {"t": "vital", "ts": ts, "n": "LCP", "v": 1800},
        {"t": "error", "ts": ts, "msg": "TypeError: x"},
        {"t": "res", "ts": ts, "url": "http://shop.test/a.js", "dur": 900},
        {"t": "form", "ts": ts, "s": "#email", "time": 900},
    ]
    assert post(url, batch)[0] == 202
    chunk = {"v": 1, "site": "kept", "sid": batch["sid"], "seq": 0, "data": "[]"}
    assert post(url, chunk, path="/i/v1/replay")[0] == 202
    everywhere = tables_with_retention(store)
    deadline = time.monotonic() + 60

    def holding() -> dict[str, int]:
        return {t: int(store.scalar(f"SELECT count() FROM {t} WHERE site = 'kept'")) for t in everywhere}

    while sum(1 for n in holding().values() if n) < 10 and time.monotonic() < deadline:
        time.sleep(0.2)
    held = {t for t, n in holding().items() if n}
    assert {"session_index", "heatmap_elements", "pageview_performance", "replay_chunks", "events"} <= held, held

    changed = sites.apply_retention(store, "kept", 7)
    assert set(changed) == set(everywhere)

    def old_rows() -> dict[str, int]:
        return {t: int(store.scalar(f"SELECT count() FROM {t} WHERE site = 'kept' AND retention != 7"))
                for t in held}

    while any(old_rows().values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(old_rows().values()), old_rows()

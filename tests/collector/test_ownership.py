"""When the collector asks a page view for a heatmap snapshot: a share of page views by the site's
heatmap rate, the first batch of a page view only, once per page and device class per interval."""

from __future__ import annotations

import msgspec
import pytest

from footfall.collector import wire
from footfall.collector.ownership import SnapshotWants
from footfall.collector.pipeline import Outcome
from footfall.collector.rejection import Rejected
from footfall.store.sites import Site
from footfall.store.vocabulary import device_class


def batch(pv: str, url: str = "https://shop.test/product/1?x=1", vw: int = 1280, view: bool = True) -> wire.Batch:
    events = [{"t": "pageview", "ts": 1}] if view else [{"t": "click", "ts": 2, "s": "a", "x": 1, "y": 1}]
    body = {"v": 1, "site": "shop", "sid": "s1", "pv": pv, "url": url, "vw": vw, "e": events}
    return wire.batch_decoder.decode(msgspec.json.encode(body))


def test_one_ask_per_page_and_device_class_per_interval(monkeypatch) -> None:  # noqa: ANN001
    site = Site("shop", "Shop", ("https://shop.test",), heatmap_sample=1.0)
    wants = SnapshotWants()
    clock = [1000.0]
    monkeypatch.setattr("footfall.collector.ownership.time.monotonic", lambda: clock[0])
    assert wants.wanted(site, batch("pv1"))
    assert not wants.wanted(site, batch("pv2"))  # the same page, moments later
    assert not wants.wanted(site, batch("pv2", url="https://shop.test/product/1#reviews"))  # still the same page
    assert wants.wanted(site, batch("pv3", vw=390))  # another device class
    assert wants.wanted(site, batch("pv4", url="https://shop.test/cart"))  # another page
    assert not wants.wanted(site, batch("pv5", url="https://shop.test/cart2", view=False))  # not a page view's start
    clock[0] += SnapshotWants.ASK_EVERY_S
    assert wants.wanted(site, batch("pv6"))


def test_the_heatmap_rate_samples_page_views() -> None:
    wants = SnapshotWants()
    never = Site("shop", "Shop", (), heatmap_sample=0.0)
    assert not any(wants.wanted(never, batch(f"pv{n}", url=f"https://shop.test/{n}")) for n in range(50))
    some = Site("shop", "Shop", (), heatmap_sample=0.3)
    asked = sum(wants.wanted(some, batch(f"pv{n}", url=f"https://shop.test/{n}")) for n in range(1000))
    assert 230 < asked < 370


def test_device_classes_and_the_answer() -> None:
    assert [device_class(w) for w in (0, 390, 767, 768, 1024, 1025)] == \
        ["desktop", "mobile", "mobile", "tablet", "tablet", "desktop"]
    assert Outcome(accepted=2, replay="snapshot").body() == {"accepted": 2, "replay": "snapshot"}
    assert Outcome(accepted=2, replay=True).body() == {"accepted": 2, "replay": True}
    assert Outcome(accepted=2).body() == {"accepted": 2}


def snapshot(sid: str, url: str) -> wire.ReplayChunk:
    body = {"v": 1, "site": "shop", "sid": sid, "seq": 0, "snap": True, "url": url, "data": "[]"}
    return wire.replay_decoder.decode(msgspec.json.encode(body))


def test_a_snapshot_is_taken_once_and_only_where_it_was_asked_for() -> None:
    site = Site("shop", "Shop", ("https://shop.test",), heatmap_sample=1.0)
    wants = SnapshotWants()
    assert wants.wanted(site, batch("pv1"))  # session s1, /product/1
    for sid, url in (("s2", "https://shop.test/product/1"), ("s1", "https://shop.test/cart")):
        with pytest.raises(Rejected) as refused:
            wants.take("shop", snapshot(sid, url))  # another session, another page
        assert (refused.value.status, refused.value.field) == (409, "snap")
    wants.take("shop", snapshot("s1", "https://shop.test/product/1"))
    with pytest.raises(Rejected):
        wants.take("shop", snapshot("s1", "https://shop.test/product/1"))  # a second copy replaces nothing

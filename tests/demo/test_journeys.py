"""The demo generator: deterministic, shaped like the shop, and telling true stories in its data."""

from __future__ import annotations

import collections
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import msgspec
import pytest

from footfall.collector import wire
from footfall.collector.enrich import client_of
from footfall.demo import journeys, planted, shop
from footfall.store.vocabulary import device_class

NOW = 1_750_000_000_000
DAYS = 14
FUNNEL = journeys.STEPS


@pytest.fixture(scope="module")
def sample() -> list[journeys.Journey]:
    return list(journeys.generate("demo", 1200, DAYS, now_ms=NOW))


def pages(sample: list[journeys.Journey]) -> list[tuple[journeys.Journey, int, wire.Batch]]:
    return [(j, i, b) for j in sample for i, b in enumerate(j.batches)]


def of(batch: wire.Batch, kind: type) -> list[Any]:
    return [e for e in batch.events if isinstance(e, kind)]


def vital(batch: wire.Batch, name: str) -> wire.WebVital:
    (found,) = [e for e in of(batch, wire.WebVital) if e.name == name]
    return found


def payment_failed(batch: wire.Batch, planted_too: bool = True) -> bool:
    """The order button did nothing: the shop's payment bug, or (`planted_too`) the bug planted for the
    Anomalies page (demo/planted.py)."""
    errors = of(batch, wire.JsError)
    return any("'token'" in e.message or "pay.session" in e.message
               or (planted_too and e.message == planted.CHECKOUT_ERROR) for e in errors)


def encoded(sample: list[journeys.Journey]) -> list[bytes]:
    return [msgspec.json.encode(b) for j in sample for b in j.batches]


def test_a_seed_gives_the_same_journeys() -> None:
    first = list(journeys.generate("demo", 40, 3, seed=5, now_ms=NOW))
    again = list(journeys.generate("demo", 40, 3, seed=5, now_ms=NOW))
    other = list(journeys.generate("demo", 40, 3, seed=6, now_ms=NOW))
    assert encoded(first) == encoded(again)
    assert encoded(first) != encoded(other)
    later = list(journeys.generate("demo", 40, 3, seed=5, now_ms=NOW + 86_400_000))
    assert [j.steps for j in later] == [j.steps for j in first]  # only the dates move


def test_batches_round_trip_the_wire_format(sample: list[journeys.Journey]) -> None:
    for _, _, batch in pages(sample):
        raw = msgspec.json.encode(batch)
        assert wire.batch_decoder.decode(raw) == batch
    doc = msgspec.json.decode(raw)
    assert {"v", "site", "sid", "pv", "id", "vid", "url", "e"} <= doc.keys()
    assert doc["e"][0]["t"] == "pageview"


def test_ids_are_unique(sample: list[journeys.Journey]) -> None:
    batches = [b for _, _, b in pages(sample)]
    assert len({b.batch_id for b in batches}) == len(batches)
    assert len({b.pageview_id for b in batches}) == len(batches)
    assert len({j.batches[0].session_id for j in sample}) == len(sample)
    assert len({j.visitor.id for j in sample}) < len(sample)  # some visitors come back


def test_funnel_steps_follow_each_other(sample: list[journeys.Journey]) -> None:
    reached = collections.Counter()
    for journey in sample:
        steps = journey.steps
        assert steps[0] in ("home", "category", "product")
        for i, step in enumerate(steps):
            if step in ("cart", "checkout", "thank-you"):
                assert steps[i - 1] == FUNNEL[FUNNEL.index(step) - 1], steps
        reached.update(set(steps))
    # Each later step is reached by fewer sessions.
    assert reached["product"] > reached["cart"] > reached["checkout"] > reached["thank-you"] > 0


def test_times_increase_and_stay_in_range(sample: list[journeys.Journey]) -> None:
    for journey in sample:
        previous = NOW - DAYS * journeys.DAY_MS
        for batch in journey.batches:
            times = [e.ts for e in batch.events]
            assert times == sorted(times)
            assert isinstance(batch.events[0], wire.PageView)
            assert times[0] > previous
            previous = times[-1]
        assert previous < NOW


def test_device_mix(sample: list[journeys.Journey]) -> None:
    kinds = collections.Counter(j.visitor.device.kind for j in sample)
    assert abs(kinds["mobile"] / len(sample) - 0.45) < 0.05
    assert abs(kinds["desktop"] / len(sample) - 0.45) < 0.05
    assert abs(kinds["tablet"] / len(sample) - 0.10) < 0.04
    for journey in sample:
        device = journey.visitor.device
        assert device_class(journey.batches[0].viewport_width) == device.kind
        assert not client_of(device.user_agent).is_bot
        moves = [e for b in journey.batches for e in of(b, wire.MoveSamples)]
        assert bool(moves) == (device.kind == "desktop")


def test_sources_and_utm(sample: list[journeys.Journey]) -> None:
    tagged = [j for j in sample if j.batches[0].utm.source]
    assert 0.2 < len(tagged) / len(sample) < 0.5
    for journey in tagged:
        assert "utm_source=" in journey.batches[0].url
        assert all(b.utm.source == journey.batches[0].utm.source for b in journey.batches)
    referred = {j.batches[0].referrer for j in sample}
    assert "https://www.google.com/" in referred and "" in referred


def test_slow_pages_lose_visitors(sample: list[journeys.Journey]) -> None:
    left, seen = collections.Counter(), collections.Counter()
    for journey, i, batch in pages(sample):
        if journeys.step_of(batch.url) == "thank-you":
            continue
        grade = vital(batch, "LCP").rating
        seen[grade] += 1
        left[grade] += i == len(journey.batches) - 1
    assert seen["poor"] > 100
    assert left["poor"] / seen["poor"] - left["good"] / seen["good"] > 0.2


def test_mobile_and_product_pages_load_slower(sample: list[journeys.Journey]) -> None:
    lcp = collections.defaultdict(list)
    for journey, _, batch in pages(sample):
        step = journeys.step_of(batch.url)
        lcp[journey.visitor.device.kind].append(vital(batch, "LCP").value)
        lcp[step].append(vital(batch, "LCP").value)

    def median(values: list[float]) -> float:
        return sorted(values)[len(values) // 2]

    assert median(lcp["mobile"]) > 1.3 * median(lcp["desktop"])
    assert median(lcp["product"]) > median(lcp["cart"])


def test_vitals_and_timings(sample: list[journeys.Journey]) -> None:
    for _, _, batch in pages(sample):
        names = {e.name for e in of(batch, wire.WebVital)}
        assert {"LCP", "FCP", "TTFB", "CLS"} <= names
        for event in of(batch, wire.WebVital):
            good, poor = journeys.THRESHOLDS[event.name]
            grade = "good" if event.value <= good else "needs-improvement"
            assert event.rating == (grade if event.value <= poor else "poor")
        assert vital(batch, "LCP").target
        (nav,) = of(batch, wire.NavigationTiming)
        phases = nav.redirect + nav.dns + nav.connect + nav.tls + nav.request + nav.download
        assert abs(phases + nav.dom + nav.load - nav.total) < 1
        assert nav.request > 0 and nav.total >= vital(batch, "LCP").value


def boxes_for(journey: journeys.Journey, index: int) -> dict[str, shop.Box]:
    """The page's element boxes; a cart page's depend on what was added since the last order."""
    cart: set[Any] = set()
    for batch in journey.batches[:index]:
        for event in of(batch, wire.Custom):
            if event.name == "add_to_cart":
                cart.add(event.props["product_id"])
            if event.name == "purchase":
                cart.clear()
    batch = journey.batches[index]
    return shop.layout(journeys.step_of(batch.url), batch.viewport_width, max(1, len(cart))).boxes


def test_clicks_land_on_the_elements_they_name(sample: list[journeys.Journey]) -> None:
    for journey, i, batch in pages(sample):
        boxes = boxes_for(journey, i)
        for click in of(batch, wire.Click):
            box = boxes[click.selector]
            assert box.x <= click.x <= box.x + box.w and box.y <= click.y <= box.bottom
            assert abs(click.x - (box.x + click.rx * box.w)) <= 1  # rx is kept to 3 decimals
            assert click.viewport_width == batch.viewport_width
        (scroll,) = of(batch, wire.Scroll)
        assert all(c.y <= scroll.depth for c in of(batch, wire.Click))
        assert scroll.depth <= scroll.page_height


NOT_INTERACTIVE = (".product-image", ".price", ".hero h1", ".cart-total", ".filters .count")


def test_rage_and_dead_clicks(sample: list[journeys.Journey]) -> None:
    rages = deads = 0
    for _, _, batch in pages(sample):
        clicks = of(batch, wire.Click)
        for n, click in enumerate(clicks):
            if click.no_effect:
                deads += 1
                expected = click.selector.endswith(NOT_INTERACTIVE)
                assert expected or (click.selector == "#place-order" and payment_failed(batch))
            if click.rage:
                rages += 1
                burst = clicks[n - 2 : n + 1]
                assert n >= 2 and {c.selector for c in burst} == {click.selector}
                assert all(b.ts - a.ts < 1000 for a, b in zip(burst, burst[1:], strict=False))
                first = burst[0]
                assert all(abs(c.x - first.x) <= 30 and abs(c.y - first.y) <= 30 for c in burst)
    assert rages > 20 and deads > 200


def test_errors_point_at_real_code(sample: list[journeys.Journey]) -> None:
    script = (resources.files("footfall.demo") / "templates/shop/shop.js").read_text().splitlines()
    checkout_views = broken = 0
    for _, _, batch in pages(sample):
        step = journeys.step_of(batch.url)
        errors = of(batch, wire.JsError)
        for error in errors:
            assert error.message
            if error.line:
                assert error.source.endswith("/demo/shop/shop.js")
                thrown_at = script[error.line - 1][error.column - 1 :]
                assert thrown_at.startswith(("textContent", "token"))
        rating_bug = [e for e in errors if "textContent" in e.message or "querySel" in e.message]
        product = urlsplit(batch.url).path.rsplit("/", 1)[1]
        assert bool(rating_bug) == (step == "product" and int(product) % 3 == 0)
        if step == "checkout":
            checkout_views += 1
            broken += payment_failed(batch, planted_too=False)
    assert 0.02 < broken / checkout_views < 0.16


def test_checkout_forms(sample: list[journeys.Journey]) -> None:
    hesitated = abandoned = 0
    for journey, i, batch in pages(sample):
        fields = of(batch, wire.FormField)
        if journeys.step_of(batch.url) != "checkout":
            assert not fields
            continue
        assert [f.selector for f in fields] == list(shop.CHECKOUT_FIELDS)[: len(fields)]
        went_on = i + 1 < len(journey.batches)
        quits = [f for f in fields if f.abandoned]
        assert len(quits) <= 1 and (not quits or (quits[0] is fields[-1] and not went_on))
        hesitated += sum(f.hesitation for f in fields)
        abandoned += len(quits)
    assert hesitated > 20 and abandoned > 20


def test_custom_events_follow_the_journey(sample: list[journeys.Journey]) -> None:
    for journey in sample:
        steps = journey.steps
        for i, batch in enumerate(journey.batches):
            names = [e.name for e in of(batch, wire.Custom)]
            following = steps[i + 1] if i + 1 < len(steps) else None
            assert ("add_to_cart" in names) == (steps[i] == "product" and following == "cart")
            assert ("begin_checkout" in names) == (following == "checkout")
            assert ("purchase" in names) == (steps[i] == "thank-you")
            for event in of(batch, wire.Custom):
                if event.name == "purchase":
                    assert event.props["value"] > 0 and event.props["currency"] == "USD"

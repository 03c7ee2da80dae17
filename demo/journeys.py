"""Deterministic demo sessions through the shop, as the batches the snippet would send.

Slow pages and errors are not decoration: the chance that a visitor goes on to the next step
falls when the page they are on loaded slowly or broke, so funnel, performance and error views
find true relationships in the data. Who visits lives in `visitors`; what happens on each page
view (vitals, timings, clicks, errors, forms) lives in `pageview`.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from typing import Any

from footfall.collector import wire
from footfall.demo.loading import THRESHOLDS as THRESHOLDS
from footfall.demo.pageview import Page, path_of, step_of
from footfall.demo.planted import Planted
from footfall.demo.shop import CATEGORIES, PRODUCTS
from footfall.demo.visitors import CPU, NETWORK, SOURCES, Source, Visitor, new_id, new_visitor, weighted
from footfall.store import clock

DEFAULT_SEED = 1729
# Eight weeks: the Anomalies page judges each day of the last month against the six weeks before it,
# and at about 360 sessions a day the demo's planted anomalies (demo/planted.py) stand out of its noise.
DEFAULT_SESSIONS, DEFAULT_DAYS = 20_000, 56
DEFAULT_ORIGIN = "http://127.0.0.1:8000"
DAY_MS = 86_400_000
STEPS = ("home", "category", "product", "cart", "checkout", "thank-you")
MAX_PAGES = 14
RETURNING_SHARE = 0.25
# Relative traffic by UTC hour: quiet nights, a lunch bump, busy evenings.
HOURLY = (2, 1.5, 1, 1, 1, 1.5, 3, 5, 7, 8, 9, 10, 10, 9, 8.5, 8.5, 9, 10, 11, 12, 12, 10, 7, 4)


@dataclasses.dataclass(frozen=True)
class Journey:
    """One demo session: who visited and the batches their page views sent, in order."""

    visitor: Visitor
    source: str
    batches: list[wire.Batch]

    @property
    def steps(self) -> list[str]:
        return [step_of(b.url) for b in self.batches]


# -- where they go ----------------------------------------------------------------------------
# Where a visitor may go next from each step, and how likely, when the page worked well.
FORWARD: dict[str, tuple[tuple[str, float], ...]] = {
    "home": (("category", 0.50), ("product", 0.14)),
    "category": (("product", 0.62), ("category", 0.05), ("home", 0.03)),
    "product": (("cart", 0.30), ("category", 0.22)),
    "cart": (("checkout", 0.64), ("home", 0.05)),
    "checkout": (("thank-you", 0.70),),
    "thank-you": (("home", 0.06),),
}
# Share of those chances kept after a page with this LCP rating.
SLOW_KEEPS = {"good": 1.0, "needs-improvement": 0.8, "poor": 0.45}
BROKEN_CHECKOUT_KEEPS = 0.12
POSITION_BIAS = (0.3, 0.22, 0.16, 0.13, 0.1, 0.09)


def session_start(rng: random.Random, now: int, days: int) -> int:
    """A start in the last `days` days, more often at busy hours."""
    peak = max(HOURLY)
    while True:
        start = now - int(rng.random() * days * DAY_MS)
        if rng.random() * peak < HOURLY[(start // 3_600_000) % 24]:
            return start


class Session:
    """One visit: in from its source, then page after page until the visitor leaves."""

    def __init__(self, rng: random.Random, site: str, origin: str, visitor: Visitor,
                 start: int, planted: Planted) -> None:
        self.rng, self.site, self.origin, self.planted = rng, site, origin, planted
        self.visitor, self.device, self.start = visitor, visitor.device, start
        self.id = new_id(rng)
        self.source: Source = weighted(rng, [(s, s.weight) for s in SOURCES])
        if planted.source_gone(start, self.source.name):  # its visitors come some other way
            self.source = weighted(rng, [(s, s.weight) for s in SOURCES if s.name != self.source.name])
        self.network = NETWORK[self.device.kind] * rng.lognormvariate(0, 0.45)
        self.cpu = CPU[self.device.kind] * rng.lognormvariate(0, 0.2)
        self.cart: list[int] = []

    def run(self) -> list[wire.Batch]:
        rng = self.rng
        step, param = weighted(rng, [((s, p), w) for s, p, w in self.source.entries])
        at, referrer, batches = self.start, self.source.referrer, []
        while True:
            page = Page(self, step, param, at, first=not batches)
            nxt = self.next_step(page) if len(batches) < MAX_PAGES - 1 else None
            batches.append(page.batch(nxt, referrer))
            if nxt is None:
                return batches
            referrer = self.origin + path_of(step, param)
            at = page.left_at + rng.randint(80, 600)
            step, param = nxt

    def next_step(self, page: Page) -> tuple[str, Any] | None:
        keeps = SLOW_KEEPS[page.lcp_rating] * (BROKEN_CHECKOUT_KEEPS if page.checkout_broken else 1)
        roll, total = self.rng.random(), 0.0
        for step, chance in FORWARD[page.step]:
            total += chance * keeps
            if roll < total:
                return self.param_for(page, step)
        return None

    def param_for(self, page: Page, step: str) -> tuple[str, Any]:
        rng = self.rng
        if step == "category":
            if page.step == "product":
                return step, PRODUCTS[page.param].category
            if page.step == "category" and self.device.kind == "mobile":
                return "home", None  # no category links in the phone header: back to the start
            return step, rng.choice([s for s in CATEGORIES if s != page.param])
        if step == "product":
            listing = page.listing()
            return step, rng.choices(listing, POSITION_BIAS[: len(listing)])[0]
        if step == "cart":
            self.cart.append(page.param)
        return step, None


def generate(site: str, sessions: int, days: int, seed: int = DEFAULT_SEED,
             now_ms: int | None = None, origin: str = DEFAULT_ORIGIN) -> Iterator[Journey]:
    """`sessions` journeys over the `days` days before `now_ms`; equal arguments, equal journeys."""
    now = clock.now_ms() if now_ms is None else now_ms
    rng = random.Random(seed)
    when = random.Random(seed + 1)  # its own stream: what visitors do does not depend on `now`
    planted = Planted(now)
    visitors: list[Visitor] = []
    for _ in range(sessions):
        if visitors and rng.random() < RETURNING_SHARE:
            visitor = rng.choice(visitors)
        else:
            visitor = new_visitor(rng, len(visitors))
            visitors.append(visitor)
        session = Session(rng, site, origin, visitor, session_start(when, now, days), planted)
        batches = session.run()
        overshoot = max(e.ts for e in batches[-1].events) - (now - 1_000)
        if overshoot > 0:  # a session still running "now" is moved back to have ended
            for batch in batches:
                for event in batch.events:
                    event.ts -= overshoot
        yield Journey(visitor, session.source.name, batches)

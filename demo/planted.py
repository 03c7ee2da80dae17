"""The anomalies planted in the demo's history, so the Anomalies page has something true to find
(docs/anomalies.md, "The demo"). Days count back from the generator's `now`:

- from CHECKOUT_ERROR_DAYS_AGO on, Safari's checkout throws a new TypeError on most orders, and those
  visitors rarely finish (the order button does nothing);
- on SLOW_DAY_DAYS_AGO, product pages on phones load their main image SLOW_FACTOR times slower;
- from SOURCE_GONE_DAYS_AGO on, the instagram campaign brings nobody (its visitors come from
  elsewhere instead)."""

from __future__ import annotations

import dataclasses

DAY_MS = 86_400_000
CHECKOUT_ERROR_DAYS_AGO = 9
CHECKOUT_ERROR_SHARE = 0.9  # of Safari's checkout page views from then on
CHECKOUT_ERROR = "TypeError: undefined is not an object (evaluating 'order.total.amount')"
SLOW_DAY_DAYS_AGO = 20
SLOW_FACTOR = 4.0
GONE_SOURCE = "instagram"
SOURCE_GONE_DAYS_AGO = 5


@dataclasses.dataclass(frozen=True)
class Planted:
    """The planted changes as of `now_ms` (the generator's clock)."""

    now_ms: int

    def day_start(self, days_ago: int) -> int:
        """The start of the UTC day `days_ago` days before now's."""
        return (self.now_ms // DAY_MS - days_ago) * DAY_MS

    def checkout_error(self, at: int, engine: str) -> bool:
        return engine == "safari" and at >= self.day_start(CHECKOUT_ERROR_DAYS_AGO)

    def slow_image(self, at: int, step: str, device: str) -> float:
        """How many times slower this page view's main image loads."""
        start = self.day_start(SLOW_DAY_DAYS_AGO)
        slow = step == "product" and device == "mobile" and start <= at < start + DAY_MS
        return SLOW_FACTOR if slow else 1.0

    def source_gone(self, at: int, source: str) -> bool:
        return source == GONE_SOURCE and at >= self.day_start(SOURCE_GONE_DAYS_AGO)

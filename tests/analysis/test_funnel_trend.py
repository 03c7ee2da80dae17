"""A funnel's conversion per day, against counts by hand: each unit counts on the local day its
first step happened, so the same journeys fall on other days in another time zone, and the days
add up to the funnel of the whole range."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from footfall.analysis import funnels
from footfall.analysis.funnel_trend import trend
from footfall.analysis.funnels import Funnel, Step
from tests.analysis.funnel_reference import Row
from tests.analysis.test_funnels import store_rows

DAY0 = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=5)
SHOP = Funnel((Step(page="/"), Step(page="/product/*"), Step(page="/cart")))


def journey(visitor: str, at: datetime, paths: list[str]) -> list[Row]:
    ms = int(at.timestamp() * 1000)
    return [Row(visitor, visitor, ms + 20_000 * k, "page", path=path) for k, path in enumerate(paths)]


def test_conversion_per_local_day(store) -> None:  # noqa: ANN001
    site = "ft-" + uuid.uuid4().hex[:12]
    rows = [*journey("a", DAY0 + timedelta(hours=22, minutes=30), ["/", "/product/1", "/cart"]),
            *journey("b", DAY0 + timedelta(days=1, hours=10), ["/", "/about"]),
            *journey("c", DAY0 + timedelta(days=1, hours=23, minutes=30), ["/", "/product/2", "/cart"]),
            *journey("d", DAY0 + timedelta(days=1, hours=12), ["/product/3", "/cart"])]  # never enters
    store_rows(store, site, rows)
    start, end = DAY0 - timedelta(days=1), DAY0 + timedelta(days=3)
    day = [(DAY0 + timedelta(days=k)).date().isoformat() for k in range(3)]
    assert trend(store, site, start, end, SHOP) == [
        {"day": day[0], "entered": 1, "converted": 1, "conversion": 1.0},
        {"day": day[1], "entered": 2, "converted": 1, "conversion": 0.5},
    ]
    # In Tokyo (UTC+9) a's 22:30 is the next morning, and c's 23:30 the day after.
    assert trend(store, site, start, end, SHOP, zone="Asia/Tokyo") == [
        {"day": day[1], "entered": 2, "converted": 1, "conversion": 0.5},
        {"day": day[2], "entered": 1, "converted": 1, "conversion": 1.0},
    ]
    whole = funnels.query(store, site, start, end, SHOP)["steps"]
    days = trend(store, site, start, end, SHOP)
    assert sum(d["entered"] for d in days) == whole[0]["entered"]
    assert sum(d["converted"] for d in days) == whole[-1]["entered"]

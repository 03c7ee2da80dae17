"""A shop's six weeks of page views and errors with one planted anomaly, for the anomaly tests: from
PLANTED (14:00 UTC two days before LAST_DAY) for PLANTED_HOURS hours (or, with `now`, from six
hours ago on), Safari visitors on /checkout
hit a new TypeError on most page views; everything else is steady traffic with a daily rhythm,
quieter weekends and a 1% background of an old error everywhere."""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, date, datetime, timedelta

import numpy as np

LAST_DAY = date(2026, 12, 7)
WEEKS = 6
PLANTED = datetime.combine(LAST_DAY - timedelta(days=2), datetime.min.time(), UTC) + timedelta(hours=14)
PLANTED_HOURS = 10
NEW_ERROR = "TypeError: cart total is undefined"
BROWSERS, BROWSER_SHARES = ["Chrome", "Safari", "Firefox"], [0.6, 0.3, 0.1]
PATHS, PATH_SHARES = ["/", "/products", "/checkout"], [0.5, 0.3, 0.2]
DEVICES, DEVICE_SHARES = ["desktop", "mobile"], [0.55, 0.45]
PAGEVIEWS = ["site", "time", "received", "session_id", "visitor_id", "pageview_id", "url", "path", "device", "browser",
             "os", "referrer_host", "retention"]
ERRORS = ["site", "time", "session_id", "visitor_id", "pageview_id", "path", "device", "browser", "os", "kind",
          "message", "fingerprint", "retention"]


def rows(site: str = "shop", hourly: float = 300.0, seed: int = 1, end: datetime | None = None,
         planted: datetime = PLANTED, hours: int = PLANTED_HOURS) -> tuple[list[list], list[list]]:
    """The rows of the WEEKS weeks before `end` (the day after LAST_DAY by default)."""
    rng = np.random.default_rng(seed)
    end = end or datetime.combine(LAST_DAY + timedelta(days=1), datetime.min.time(), UTC)
    start = datetime.combine(end.date() - timedelta(days=7 * WEEKS), datetime.min.time(), UTC)
    hours_ = np.arange(int((end - start).total_seconds() // 3600))
    rhythm = (0.3 + 0.7 * np.clip(np.sin(((hours_ % 24) - 6) / 24 * 2 * np.pi), 0, None)) \
        * np.where((hours_ // 24) % 7 >= 5, 0.6, 1.0)
    per_hour = rng.poisson(hourly * rhythm)
    n = int(per_hour.sum())
    at = np.repeat(hours_, per_hour) * 3600.0 + rng.uniform(0, 3600, n)
    browser = rng.choice(len(BROWSERS), n, p=BROWSER_SHARES)
    path = rng.choice(len(PATHS), n, p=PATH_SHARES)
    device = rng.choice(len(DEVICES), n, p=DEVICE_SHARES)
    times = [start + timedelta(seconds=float(s)) for s in at]
    inside = np.array([planted <= t < planted + timedelta(hours=hours) for t in times])
    hit = inside & (browser == 1) & (path == 2) & (rng.random(n) < 0.8)
    background = rng.random(n) < 0.01
    views, errors = [], []
    for i, t in enumerate(times):
        if t >= end:
            continue
        sid = uuid.uuid4().hex
        ids = [sid, "v" + sid[:12], uuid.uuid4().hex]
        where = [PATHS[path[i]], DEVICES[device[i]], BROWSERS[browser[i]], "macOS" if browser[i] == 1 else "Windows"]
        views.append([site, t, t, *ids, "https://shop.test" + where[0], *where, "", 365])
        if hit[i] or background[i]:
            message, fingerprint = (NEW_ERROR, "new-cart-total") if hit[i] else ("Error: old", "old-error")
            errors.append([site, t, *ids, *where, "error", message, fingerprint, 365])
    return views, errors


def fill(url: str, site: str = "shop", now: bool = False) -> None:
    """Migrate the store at `url` and write the rows into it: the fixed scenario, or with `now` six
    weeks until this hour with the error planted 6 hours ago and still going (an open anomaly)."""
    from footfall.store import Store
    from footfall.store.migrations import migrate

    store = Store(url)
    migrate(store)
    if now:
        end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        views, errors = rows(site, end=end, planted=end - timedelta(hours=6), hours=24)
    else:
        views, errors = rows(site)
    store.insert_rows("pageviews", PAGEVIEWS, views)
    store.insert_rows("errors", ERRORS, errors)
    store.close()


if __name__ == "__main__":
    fill(sys.argv[1], now=sys.argv[2:] == ["now"])

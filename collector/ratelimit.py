"""Token buckets per (client IP, site), held in memory; an IP only ever lives here, never on disk.

One limiter counts requests, another the bytes a request becomes once inflated (what the spool
must hold), so that a few small gzip bombs cost a client as much as the data they unpack to.
"""

from __future__ import annotations

import time


class RateLimiter:
    def __init__(self, rate: float, burst: int, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.max_keys = max_keys
        self.buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def allow(self, ip: str, site: str, now: float | None = None, cost: float = 1.0) -> bool:
        if self.rate <= 0:
            return True
        now = time.monotonic() if now is None else now
        key = (ip, site)
        tokens, last = self.buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        cost = min(cost, self.burst)  # one request larger than the bucket waits for a full bucket
        if tokens < cost:
            self.buckets[key] = (tokens, now)
            return False
        if len(self.buckets) >= self.max_keys and key not in self.buckets:
            self._evict(now)
        self.buckets[key] = (tokens - cost, now)
        return True

    def retry_after(self) -> int:
        return max(1, int(1 / self.rate) + 1) if self.rate > 0 else 1

    def _evict(self, now: float) -> None:
        """Drop buckets that have refilled: forgetting them changes no answer."""
        full_after = self.burst / self.rate
        self.buckets = {k: v for k, v in self.buckets.items() if now - v[1] < full_after}
        if len(self.buckets) >= self.max_keys:
            self.buckets.clear()

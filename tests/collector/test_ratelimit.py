"""The per IP and site token bucket."""

from footfall.collector.ratelimit import RateLimiter


def test_burst_then_refill() -> None:
    limiter = RateLimiter(rate=2, burst=3)
    assert [limiter.allow("1.2.3.4", "s", now=0) for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("1.2.3.4", "s", now=0.5)  # one token back after half a second
    assert limiter.allow("5.6.7.8", "s", now=0)  # other IPs are not affected
    assert limiter.allow("1.2.3.4", "other", now=0)


def test_zero_rate_disables() -> None:
    limiter = RateLimiter(rate=0, burst=0)
    assert all(limiter.allow("ip", "s") for _ in range(1000))


def test_bucket_count_is_bounded() -> None:
    limiter = RateLimiter(rate=1, burst=1, max_keys=10)
    for i in range(100):
        limiter.allow(f"ip{i}", "s", now=float(i))
    assert len(limiter.buckets) <= 10

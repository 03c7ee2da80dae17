"""The anomaly statistics on generated series (analysis/anomalies/detect.py): each bucket's expected
value, scale and tail probability against a computation by hand and scipy's own tests, and what the
detector finds over many seeds: planted anomalies found, series without one left alone, a weekly
pattern and small volumes never flagged. The figures are in docs/anomalies.md."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from scipy import stats

from footfall.analysis.anomalies import detect as d

START = datetime(2026, 10, 5, tzinfo=UTC)  # a Monday
WEEK = 168
SEEDS = 200


def profile(hours: int, weekend: float = 0.6) -> np.ndarray:
    """A day's rise and fall and quieter weekends, hour by hour."""
    h = np.arange(hours)
    day = 0.45 + 0.65 * np.clip(np.sin(((h % 24) - 6) / 24 * 2 * np.pi), 0, None)
    return day * np.where((h // 24) % 7 >= 5, weekend, 1.0)


def traffic(rng: np.random.Generator, base: float, weeks: int = 6, weekend: float = 0.6) -> np.ndarray:
    """Hourly counts that vary more than a Poisson count, as web traffic does (a gamma-mixed Poisson)."""
    lam = base * profile(weeks * WEEK, weekend)
    return rng.poisson(lam * rng.gamma(30, 1 / 30, size=lam.shape))


def counts(values: np.ndarray) -> d.Series:
    return d.Series("pageviews", {}, "count", "hour", START, np.asarray(values, dtype=float))


def judged_weeks(series: d.Series) -> list[d.Anomaly]:
    """Anomalies of at least medium severity in the weeks after the history."""
    return [a for a in d.detect(series, since=d.WEEKS["hour"] * WEEK) if a.severity != "low"]


def test_a_bucket_is_expected_at_the_median_of_its_slot_in_the_previous_weeks() -> None:
    rng = np.random.default_rng(7)
    values = traffic(rng, 300, weeks=5).astype(float)
    i = 4 * WEEK + 37  # a Tuesday, 13:00, of the fifth week
    values[i] = 3 * values[i - WEEK]  # far above its slot
    found = d.expect(counts(values))
    slot = [values[i - w * WEEK] for w in range(1, 5)]
    assert found.value[i] == np.median(slot)
    mad = 1.4826 * np.median(np.abs(np.array(slot) - np.median(slot)))
    assert found.scale[i] >= max(mad, np.sqrt(np.median(slot)))
    assert found.p[i] == pytest.approx(stats.poisson.sf(values[i] - 1, np.median(slot)), rel=1e-9)
    assert found.flagged[i] and found.z[i] == pytest.approx((values[i] - np.median(slot)) / found.scale[i])
    assert not found.judged[:4 * WEEK - 1].any() or found.judged[3 * WEEK:4 * WEEK].all()  # 3 weeks of history judge


def test_a_rate_is_tested_as_a_rate_against_its_trials() -> None:
    """Successes over trials: the binomial tail under the slot's median rate, as scipy's exact test gives it."""
    rng = np.random.default_rng(3)
    trials = traffic(rng, 400, weeks=5)
    successes = rng.binomial(trials, 0.02).astype(float)
    i = 4 * WEEK + 60
    successes[i] = round(trials[i] * 0.1)
    series = d.Series("error_rate", {}, "rate", "hour", START, successes, trials.astype(float))
    found = d.expect(series)
    rates = [successes[i - w * WEEK] / trials[i - w * WEEK] for w in range(1, 5)]
    assert found.value[i] == pytest.approx(np.median(rates))
    exact = stats.binomtest(int(successes[i]), int(trials[i]), float(np.median(rates)), alternative="greater")
    assert found.p[i] == pytest.approx(exact.pvalue, rel=1e-6)
    assert found.flagged[i]


def test_series_without_anomalies_raise_few_alarms() -> None:
    """Null series: the false alarms of at least medium severity per series and judged fortnight."""
    alarms = sum(len(judged_weeks(counts(traffic(np.random.default_rng(seed), 200)))) for seed in range(SEEDS))
    rate_alarms = 0
    for seed in range(SEEDS):
        rng = np.random.default_rng(10_000 + seed)
        trials = traffic(rng, 300)
        successes = rng.binomial(trials, np.clip(0.03 * rng.gamma(40, 1 / 40, size=trials.shape), 0, 1))
        rate_alarms += len(judged_weeks(d.Series("error_rate", {}, "rate", "hour", START, successes.astype(float),
                                                 trials.astype(float))))
    assert alarms / SEEDS <= 0.1 and rate_alarms / SEEDS <= 0.3, (alarms / SEEDS, rate_alarms / SEEDS)


def test_a_weekly_pattern_is_not_an_anomaly() -> None:
    """Weekends at a fifth of the weekdays' traffic: every Saturday is compared with Saturdays."""
    flagged = [a for seed in range(50) for a in judged_weeks(counts(traffic(np.random.default_rng(seed), 300,
                                                                            weekend=0.2)))]
    assert len(flagged) <= 5  # what the null test allows for 50 series


def test_small_volumes_are_never_flagged() -> None:
    """A few page views an hour: a bucket five times its slot's usual count is still under MIN_COUNT."""
    rng = np.random.default_rng(11)
    values = rng.poisson(2 * profile(6 * WEEK)).astype(float)
    values[5 * WEEK + 40] = 15
    assert d.detect(counts(values)) == []


@pytest.mark.parametrize(("name", "change", "hours", "recall"), [
    ("traffic halves for 12 hours", 0.5, 12, 0.75),
    ("traffic doubles for 3 hours", 2.0, 3, 0.75),
    ("a source stops for a day", 0.0, 24, 0.95),
])
def test_planted_anomalies_are_found_where_they_were_planted(name: str, change: float, hours: int,
                                                             recall: float) -> None:
    found = wrong = 0
    for seed in range(SEEDS):
        rng = np.random.default_rng(20_000 + seed)
        values = traffic(rng, 200)
        at = 4 * WEEK + 12 + int(rng.integers(0, 2 * WEEK - hours - 24))
        values[at:at + hours] = rng.poisson(values[at:at + hours] * change)
        anomalies = judged_weeks(counts(values))
        hit = [a for a in anomalies if a.first <= at + hours - 1 and a.last >= at]
        found += bool(hit) and hit[0].direction == ("up" if change > 1 else "down")
        wrong += len(anomalies) - len(hit)
    precision = found / max(found + wrong, 1)
    assert found / SEEDS >= recall and precision >= 0.85, (name, found / SEEDS, precision)

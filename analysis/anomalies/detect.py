"""Finding the buckets of a KPI's series that its own history does not explain (docs/anomalies.md).

The expected value of a bucket is the median of the same slot of the week (hour of week, or day of
week) over the previous weeks, so a normal Monday morning is measured against Monday mornings; the
scale is the larger of the references' spread (1.4826 × their median absolute deviation) and the
counting noise of the bucket itself (Poisson for counts, binomial for rates), so a quiet series does
not alarm on the noise of a few events. A bucket is flagged when all of these hold:

- its volume is enough to say anything (MIN_COUNT events, or MIN_TRIALS trials and MIN_COUNT
  successes expected or seen, or MIN_SAMPLES measurements);
- its robust z-score ((observed - expected) / scale) is at least Z_MIN either way;
- for a count or a rate, the exact tail probability of the observation under the expected value
  (Poisson, binomial) is below ALPHA; a measurement (a p75) has no counting model, so its z decides.

A shift that persists below that threshold is found by a one-sided CUSUM on the z-scores, clipped
so one spike cannot start it (CUSUM_K, CUSUM_H). Flagged buckets make one anomaly until RECOVERY
buckets in a row are back within the band; until then it is open."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import numpy as np
from scipy import stats

Kind = Literal["count", "rate", "value"]
Grain = Literal["hour", "day"]
SLOTS = {"hour": 24 * 7, "day": 7}  # buckets in a week: the seasonal period
STEP = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
WEEKS = {"hour": 4, "day": 6}  # weeks of history a bucket is compared with
MIN_REFERENCES = 3  # a slot with fewer past buckets that had data is not judged
MIN_HISTORY = 14  # buckets of history the series' own variation is measured on, at least
MIN_COUNT = 20  # a count whose observed and expected values are both below this is not judged
MIN_TRIALS = 50  # a rate over fewer trials (page views, sessions) is not judged
MIN_SUCCESSES = 10  # nor one whose successes, observed and expected, are both below this
MIN_SAMPLES = 30  # nor a measurement (a p75) over fewer samples
Z_MIN = 4.0
Z_VALUE = 5.0  # a measurement has no exact test beside its z-score, which must go further
ALPHA = 1e-4
VALUE_FLOOR = 0.05  # a measurement's scale is at least 5% of its expected value
CUSUM_K, CUSUM_H, CUSUM_CLIP = 1.0, 6.0, 4.0
# buckets in a row back within the band that end an anomaly: until then it is open (buckets without
# data, or with too little traffic to judge but outside the band, neither end nor extend it)
RECOVERY = {"hour": 3, "day": 1}
SEVERITIES = ("low", "medium", "high")
SHIFT_BUCKETS = 3  # a shift only the CUSUM finds is of medium severity once it lasts this long


@dataclass(frozen=True)
class Series:
    """One KPI in one scope: a value per bucket (a count, a rate's successes, a measurement) on a
    full grid of bucket starts, with the rate's trials or the measurement's sample count."""

    kpi: str
    scope: dict[str, str]
    kind: Kind
    grain: Grain
    start: datetime  # the first bucket's start; the grid is start + i * STEP[grain]
    observed: np.ndarray
    trials: np.ndarray | None = None  # per bucket: a rate's trials, a measurement's samples

    def time(self, i: int) -> datetime:
        return self.start + i * STEP[self.grain]


@dataclass
class Expected:
    """Per bucket of a series: what its history expects, its scale and judgement (NaN: not judged)."""

    value: np.ndarray
    scale: np.ndarray
    z: np.ndarray
    p: np.ndarray
    judged: np.ndarray
    flagged: np.ndarray
    shift: np.ndarray  # in a persisting shift the CUSUM found, not flagged on its own
    normal: np.ndarray  # with data, within the band
    empty: np.ndarray  # no data, or nothing expected


@dataclass(frozen=True)
class Anomaly:
    series: Series
    first: int  # bucket indexes, inclusive
    last: int
    direction: Literal["up", "down"]
    observed: float
    expected: float
    low: float
    high: float
    z: float
    p: float
    severity: str
    persistent: bool  # found by the CUSUM as a shift rather than by one bucket's test
    open: bool
    buckets: Expected  # the whole series' judgement, for its chart

    @property
    def start(self) -> datetime:
        return self.series.time(self.first)

    @property
    def end(self) -> datetime | None:
        return None if self.open else self.series.time(self.last + 1)


def rates(series: Series) -> np.ndarray:
    """The series as the KPI reads: a count, a measurement, a rate as successes / trials; NaN where
    there is no data (a count before its first event, a measurement or rate without samples or trials)."""
    if series.kind == "value" and series.trials is not None:  # a bucket without samples has no value
        return np.where(series.trials > 0, series.observed, np.nan).astype(float)
    if series.kind == "count":  # before its first event a series has no data yet, rather than zeros
        values = series.observed.astype(float)
        began = np.flatnonzero(np.nan_to_num(values))
        values[:began[0] if len(began) else len(values)] = np.nan
        return values
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(series.trials > 0, series.observed / series.trials, np.nan)


def references(values: np.ndarray, grain: Grain) -> np.ndarray:
    """Per bucket, the same slot's values in each of the previous WEEKS weeks (NaN before the series)."""
    period, weeks = SLOTS[grain], WEEKS[grain]
    out = np.full((len(values), weeks), np.nan)
    for w in range(1, weeks + 1):
        out[w * period:, w - 1] = values[:len(values) - w * period] if len(values) > w * period else []
    return out


def expect(series: Series, since: int | None = None) -> Expected:
    """Each bucket's expected value, scale, z-score, tail probability and whether it is flagged."""
    values = rates(series)
    refs = references(values, series.grain)  # NaN: before the series, or a rate or measurement without data
    counted = np.sum(~np.isnan(refs), axis=1)
    with warnings.catch_warnings():  # a slot with no reference yet: NaN, and not judged
        warnings.simplefilter("ignore", RuntimeWarning)
        median = np.nanmedian(refs, axis=1)
        mad = 1.4826 * np.nanmedian(np.abs(refs - median[:, None]), axis=1)
    n = series.trials.astype(float) if series.trials is not None else None
    obs = values
    if series.kind == "count":
        noise = np.sqrt(np.maximum(median, 1.0))
        enough = np.maximum(obs, median) >= MIN_COUNT
    elif series.kind == "rate":
        floor = 0.5 / np.maximum(np.nansum(references(n, series.grain), axis=1), 1.0)  # a rate never seen is not 0
        median = np.where(np.isnan(median), np.nan, np.clip(median, floor, 1 - floor))
        with np.errstate(all="ignore"):
            noise = np.sqrt(median * (1 - median) / np.maximum(n, 1))
        enough = (n >= MIN_TRIALS) & (np.maximum(series.observed, n * median) >= MIN_SUCCESSES)
    else:  # a p75 of n samples varies by about 1/sqrt(n) of itself (web vitals spread about that much)
        samples = np.maximum(n, 1) if n is not None else np.full(len(obs), np.inf)
        noise = np.abs(median) * np.maximum(VALUE_FLOOR, 1 / np.sqrt(samples))
        enough = n >= MIN_SAMPLES if n is not None else np.ones(len(obs), dtype=bool)
    judged = (counted >= MIN_REFERENCES) & enough & ~np.isnan(obs) & (noise > 0)
    extra = dispersion(obs, median, variation_buckets(judged, counted, obs, noise, since), noise) * np.abs(median)
    # the expected value is itself a median of `counted` noisy buckets: its own variance, about
    # pi / (2 * counted) of one bucket's, widens the scale
    scale = np.fmax(mad, np.sqrt(noise ** 2 + extra ** 2)) * np.sqrt(1 + np.pi / (2 * np.maximum(counted, 1)))
    with np.errstate(all="ignore"):
        deviation = (obs - median) / scale  # also where too little traffic to judge: what recovery reads
        z = np.where(judged, deviation, np.nan)
    p = tail(series, obs, median, n, z, judged)
    flagged = judged & (np.abs(z) >= (Z_VALUE if series.kind == "value" else Z_MIN)) & (p < ALPHA)
    empty = ~np.isfinite(deviation)
    normal = ~empty & (np.abs(np.nan_to_num(deviation, nan=np.inf)) < Z_MIN) & ~flagged
    found = Expected(median, scale, z, p, judged, flagged, cusum(z, judged) & ~flagged, normal, empty)
    return found


def variation_buckets(judged: np.ndarray, counted: np.ndarray, obs: np.ndarray, noise: np.ndarray,
                      since: int | None) -> np.ndarray:
    """Where the series' own variation is measured: its judged buckets before `since` (the history,
    so that what is judged does not widen its own band); without enough of them, every bucket with data
    (of the history if it has enough: a new error's series has volume only on its anomaly's days, so
    its judged buckets would measure the anomaly itself); else every judged bucket."""
    history = np.zeros(len(obs), dtype=bool)
    history[:len(obs) if since is None else since] = True
    with_data = (counted >= MIN_REFERENCES) & ~np.isnan(obs) & (noise > 0)
    for usable in (judged & history, with_data & history, with_data):
        if usable.sum() >= MIN_HISTORY:
            return usable
    return judged


def dispersion(obs: np.ndarray, median: np.ndarray, usable: np.ndarray, noise: np.ndarray) -> float:
    """How much a bucket varies beyond counting noise, as a share of its expected value (web traffic
    varies more than a Poisson count, and in proportion to its size): from the robust spread of the
    relative residuals over the `usable` buckets (variation_buckets), less what counting noise explains."""
    usable = usable & (median > 0)
    if usable.sum() < MIN_REFERENCES:
        return 0.0
    relative = (obs[usable] - median[usable]) / median[usable]
    spread = 1.4826 * float(np.median(np.abs(relative - np.median(relative))))
    counting = float(np.median(noise[usable] / median[usable]))
    return float(np.sqrt(max(spread ** 2 - counting ** 2, 0.0)))


def tail(series: Series, obs: np.ndarray, median: np.ndarray, n: np.ndarray | None, z: np.ndarray,
         judged: np.ndarray) -> np.ndarray:
    """The probability of a bucket at least as far out, on its side, under the expected value: exact
    Poisson and binomial tails for counts and rates; for a measurement, the normal tail of its z."""
    p = np.ones(len(obs))
    up = judged & (z > 0)
    down = judged & (z < 0)
    if series.kind == "count":
        k = np.round(np.nan_to_num(obs)).astype(np.int64)
        p[up] = stats.poisson.sf(k[up] - 1, median[up])
        p[down] = stats.poisson.cdf(k[down], median[down])
    elif series.kind == "rate":
        k = series.observed.astype(np.int64)
        trials = np.nan_to_num(n).astype(np.int64)
        p[up] = stats.binom.sf(k[up] - 1, trials[up], median[up])
        p[down] = stats.binom.cdf(k[down], trials[down], median[down])
    else:
        p[judged] = stats.norm.sf(np.abs(z[judged]))
    return p


def cusum(z: np.ndarray, judged: np.ndarray) -> np.ndarray:
    """Buckets in a persisting shift: a one-sided CUSUM each way on clipped z-scores; once it passes
    CUSUM_H, the buckets since its run began are marked, then each later one as long as the sum, held
    at CUSUM_H, does not fall. Unjudged buckets add nothing."""
    marked = np.zeros(len(z), dtype=bool)
    for sign in (1, -1):
        total, began = 0.0, 0
        for i in range(len(z)):
            step = sign * np.clip(z[i], -CUSUM_CLIP, CUSUM_CLIP) - CUSUM_K if judged[i] else 0.0
            if total == 0 and step > 0:
                began = i
            total = max(0.0, total + step)
            if total >= CUSUM_H:  # the shift is on: marked from its run's start, and on while the sum stays up
                marked[began:i + 1] |= judged[began:i + 1] & (sign * z[began:i + 1] > 0)
                began, total = i + 1, CUSUM_H  # held at the threshold: the first bucket back below ends it
    return marked


def severity(relative: float, z: float, persistent: bool, buckets: int) -> str:
    """high: at least half again (or half gone) and far outside the band; medium: a fifth more or less,
    or for a shift only the CUSUM found, a third over at least SHIFT_BUCKETS buckets; low: the rest
    of what is flagged (a small change on a large volume, a short drift)."""
    if abs(relative) >= 0.5 and abs(z) >= 5:
        return "high"
    if persistent:
        return "medium" if abs(relative) >= 1 / 3 and buckets >= SHIFT_BUCKETS else "low"
    if abs(relative) >= 0.2:
        return "medium"
    return "low"


def detect(series: Series, since: int = 0) -> list[Anomaly]:
    """The anomalies of a series that touch its buckets from `since` on (the earlier ones are its history)."""
    found = expect(series, since)
    marked = found.flagged | found.shift
    out: list[Anomaly] = []
    i, last = 0, len(marked) - 1
    while i <= last:
        if not marked[i]:
            i += 1
            continue
        direction = 1 if found.z[i] > 0 else -1
        j, k, normals = i, i + 1, 0
        while k <= last and normals < RECOVERY[series.grain]:
            if marked[k] and np.sign(found.z[k]) == direction:
                j, normals = k, 0
            elif found.normal[k]:
                normals += 1
            elif not found.empty[k]:  # data outside the band that too little traffic cannot judge
                normals = 0
            k += 1
        if j >= since:
            out.append(summarise(series, found, i, j, direction, opened=normals < RECOVERY[series.grain]))
        i = j + 1
    return out


def summarise(series: Series, found: Expected, i: int, j: int, direction: int, opened: bool) -> Anomaly:
    """The anomaly of buckets i..j: observed and expected over them (a rate pooled over its trials, a
    measurement as the mean of its buckets), the band at Z_MIN scales, its strongest z and p."""
    span = slice(i, j + 1)
    judged = found.judged[span]
    expected, scale = found.value[span][judged], found.scale[span][judged]
    if series.kind == "count":
        observed = float(series.observed[span][judged].sum())
        centre = float(expected.sum())
        width = Z_MIN * float(np.sqrt((scale ** 2).sum()))
    elif series.kind == "rate":
        trials = series.trials[span][judged].astype(float)
        observed = float(series.observed[span][judged].sum() / trials.sum())
        centre = float((expected * trials).sum() / trials.sum())
        width = Z_MIN * float(np.sqrt(((scale * trials) ** 2).sum()) / trials.sum())
    else:
        observed = float(np.mean(series.observed[span][judged]))
        centre = float(np.mean(expected))
        width = Z_MIN * float(np.sqrt((scale ** 2).sum()) / len(scale))
    z = found.z[span][judged]
    strongest = float(z[np.argmax(np.abs(z))])
    persistent = not found.flagged[span].any()
    relative = (observed - centre) / centre if centre else (np.inf if observed else 0.0)
    return Anomaly(series, i, j, "up" if direction > 0 else "down", observed, centre, max(centre - width, 0.0),
                   centre + width, strongest, float(found.p[span][judged].min()),
                   severity(relative, strongest, persistent, j - i + 1), persistent, opened, found)

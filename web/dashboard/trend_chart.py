"""The Overview's chart of one metric over time, drawn on the server as SVG: the current period as a
solid line, the previous period of the same length dotted behind it (point i of each is the same
offset from its period's start), a y axis of round numbers, at most MAX_LABELS time labels, and one
hover target per point whose <title> says its value (no script: the CSP allows none inline)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from footfall.web.dates import FIRST_DAY

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 10, 26  # room for the y labels, the last x label, the x labels
MAX_LABELS = 8
INTERVALS = ("hour", "day", "week")

Points = Sequence[tuple[datetime, float | None]]  # None: no data in that bucket (a gap in the line)


def daily_points(first: date, days: int, zone: str, found: Mapping[str, float | None]) -> Points:
    """One point per local day from `first`, at the day's local midnight, valued from `found` (ISO
    day -> value); a day it lacks has no data."""
    tz = ZoneInfo(zone)
    return [(datetime.combine(day, time(), tz), found.get(day.isoformat()))
            for day in (first + timedelta(days=k) for k in range(days))]


def previous_first(first: date, days: int) -> date | None:
    """The first of the `days` days just before `first`, the previous period a chart dots behind its
    range; None when they would start before 1970."""
    earlier = first - timedelta(days=days)
    return earlier if earlier >= FIRST_DAY else None


def count_text(value: float) -> str:
    return f"{value:,}"


def nice_ticks(largest: float) -> list[int]:
    """4 or 5 ticks from 0 in steps of 1, 2, 2.5 or 5 times a power of ten (whole numbers: counts have
    no fractions), the last at least `largest`."""
    raw = max(largest, 1) / 4
    power = 10 ** max(0, math.floor(math.log10(raw)))
    step = next(int(n * power) for n in (1, 2, 2.5, 5, 10) if n * power >= raw and (n * power) % 1 == 0)
    count = max(3, math.ceil(largest / step))
    return [i * step for i in range(count + 1)]


HOURS_UP_TO_DAYS = 14  # an hourly chart of a longer range would draw thousands of points


def default_interval(days: int) -> str:
    """Hours for ranges of up to 2 days, days up to 90, weeks beyond."""
    return "hour" if days <= 2 else "day" if days <= 90 else "week"


def offered(days: int) -> tuple[str, ...]:
    """The intervals a range may be drawn in: hours only for ranges of up to HOURS_UP_TO_DAYS days."""
    return INTERVALS if days <= HOURS_UP_TO_DAYS else tuple(i for i in INTERVALS if i != "hour")


def moment(when: datetime, interval: str) -> str:
    """A bucket's start as a person reads it: `Tue 3 Dec 2026`, with the hour for hourly buckets."""
    day = f"{when:%a} {when.day} {when:%b %Y}"
    if interval == "hour":
        return f"{day} {when:%H:%M}"
    return f"Week of {day}" if interval == "week" else day


def axis_label(when: datetime, interval: str) -> str:
    """The hour for hourly points (the date at midnight, so that two days' hours read apart), else the date."""
    return f"{when:%H:%M}" if interval == "hour" and when.hour else f"{when.day} {when:%b}"


def trend_chart(current: Points, previous: Points, interval: str, unit: str,
                width: int = WIDTH, height: int = HEIGHT, fmt: Callable[[float], str] = count_text,
                heading: str | None = None) -> dict[str, Any]:
    """The geometry of the chart for the template: lines as SVG points, ticks, labels and targets.

    `unit` names the metric in a point's title (`visitors`, `page views`); `previous` is cut to as
    many points as `current`; `fmt` writes a value (a count by default, a duration for timings)."""
    values = [v for _, v in current]
    before = [v for _, v in previous[:len(current)]]
    known = [v for v in (*values, *before) if v is not None]
    ticks = nice_ticks(max(known, default=0))
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    slot = plot_w / max(1, len(current))  # each point is centred in its slot, its hover target fills it

    def x(i: int) -> float:
        return round(LEFT + (i + 0.5) * slot, 1)

    def y(v: float | None) -> float | None:
        return None if v is None else round(TOP + plot_h - v / ticks[-1] * plot_h, 1)

    def lines(series: Sequence[float | None]) -> list[str]:
        """The runs of points with data, each a polyline; a bucket without data breaks the line."""
        runs: list[list[str]] = [[]]
        for i, v in enumerate(series):
            if v is None:
                runs.append([])
            else:
                runs[-1].append(f"{x(i)},{y(v)}")
        return [" ".join(run) for run in runs if run]

    every = math.ceil(len(current) / MAX_LABELS) or 1
    points = [{"x": x(i), "y": y(v), "value": v, "previous": before[i] if i < len(before) else None,
               "target_x": round(LEFT + i * slot, 1), "target_width": round(slot, 1),
               "time": when.isoformat(), "title": title(when, v, before[i] if i < len(before) else None,
                                                         interval, unit, fmt)}
              for i, (when, v) in enumerate(current)]
    return {
        "width": width, "height": height, "left": LEFT, "right": width - RIGHT, "top": TOP,
        "bottom": TOP + plot_h, "interval": interval, "unit": unit, "heading": heading or unit[:1].upper() + unit[1:],
        "current": lines(values), "previous": lines(before), "points": points,
        "y_ticks": [{"y": y(t), "label": fmt(t)} for t in ticks],
        "x_labels": [{"x": x(i), "label": axis_label(when, interval)}
                     for i, (when, _) in enumerate(current) if i % every == 0],
        "empty": not any(known),
    }


def title(when: datetime, value: float | None, previous: float | None, interval: str, unit: str,
          fmt: Callable[[float], str] = count_text) -> str:
    text = f"{moment(when, interval)}: " + ("no data" if value is None else f"{fmt(value)} {unit}")
    return text if previous is None else f"{text} (previous period: {fmt(previous)})"

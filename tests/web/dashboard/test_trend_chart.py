"""The Overview chart's geometry: round y ticks, one point and target per bucket, few x labels, the
previous period drawn at the same offsets, and a flat line at 0 with no data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from footfall.web.dashboard.trend_chart import HEIGHT, MAX_LABELS, default_interval, nice_ticks, offered, trend_chart


def days(n: int, values: list[int], start: datetime = datetime(2026, 12, 1, tzinfo=UTC)) -> list:
    return [(start + timedelta(days=i), values[i]) for i in range(n)]


@pytest.mark.parametrize(("largest", "ticks"), [
    (0, [0, 1, 2, 3]), (3, [0, 1, 2, 3]), (4, [0, 1, 2, 3, 4]), (7, [0, 2, 4, 6, 8]), (9, [0, 5, 10, 15]),
    (87, [0, 25, 50, 75, 100]), (123, [0, 50, 100, 150]), (1000, [0, 250, 500, 750, 1000]),
    (4321, [0, 2000, 4000, 6000]),
])
def test_ticks_are_round_numbers_from_zero_up_to_at_least_the_largest(largest: int, ticks: list[int]) -> None:
    assert nice_ticks(largest) == ticks


@pytest.mark.parametrize("largest", range(0, 3000, 7))
def test_there_are_always_four_or_five_ticks(largest: int) -> None:
    got = nice_ticks(largest)
    assert got[0] == 0 and got[-1] >= largest and 4 <= len(got) <= 5


def test_one_point_and_target_per_bucket_and_the_previous_period_at_the_same_offsets() -> None:
    now = days(30, [i * 3 for i in range(30)])
    before = days(30, [5] * 30, datetime(2026, 10, 31, tzinfo=UTC))
    chart = trend_chart(now, before, "day", "visitors")
    assert len(chart["points"]) == 30 and len(" ".join(chart["current"]).split()) == 30
    assert len(" ".join(chart["previous"]).split()) == 30
    xs = [[p.split(",")[0] for p in " ".join(chart[line]).split()] for line in ("previous", "current")]
    assert xs[0] == xs[1]
    assert 1 < len(chart["x_labels"]) <= MAX_LABELS
    assert chart["x_labels"][0]["label"] == "1 Dec"
    assert [t["label"] for t in chart["y_ticks"]] == ["0", "25", "50", "75", "100"]
    last = chart["points"][-1]
    assert last["title"] == "Wed 30 Dec 2026: 87 visitors (previous period: 5)"
    targets = [(p["target_x"], p["target_width"]) for p in chart["points"]]
    assert all(abs(a[0] + a[1] - b[0]) < 0.2 for a, b in zip(targets, targets[1:], strict=False))  # side by side
    assert not chart["empty"]


def test_a_shorter_previous_period_is_drawn_for_the_points_it_has() -> None:
    chart = trend_chart(days(5, [1] * 5), days(3, [2] * 3), "week", "page views")
    assert len(" ".join(chart["previous"]).split()) == 3 and chart["points"][4]["previous"] is None
    assert chart["points"][0]["title"] == "Week of Tue 1 Dec 2026: 1 page views (previous period: 2)"


def test_hours_are_labelled_by_the_hour() -> None:
    start = datetime(2026, 12, 3, tzinfo=UTC)
    chart = trend_chart([(start + timedelta(hours=h), h) for h in range(48)], [], "hour", "visitors")
    assert len(chart["points"]) == 48 and len(chart["x_labels"]) == MAX_LABELS
    assert [x["label"] for x in chart["x_labels"]] == ["3 Dec", "06:00", "12:00", "18:00",
                                                       "4 Dec", "06:00", "12:00", "18:00"]
    assert chart["points"][14]["title"] == "Thu 3 Dec 2026 14:00: 14 visitors"


def test_no_data_is_a_flat_line_at_zero_with_a_message() -> None:
    chart = trend_chart(days(7, [0] * 7), days(7, [0] * 7), "day", "visitors")
    assert chart["empty"]
    ys = {float(p.split(",")[1]) for p in " ".join(chart["current"]).split()}
    assert ys == {chart["bottom"]} and chart["bottom"] < HEIGHT
    assert chart["y_ticks"][0]["y"] == chart["bottom"]


def test_the_interval_follows_the_length_of_the_range() -> None:
    assert [default_interval(n) for n in (1, 2, 3, 90, 91, 365)] == ["hour", "hour", "day", "day", "week", "week"]


def test_hours_are_offered_only_for_ranges_of_up_to_two_weeks() -> None:
    assert offered(14) == ("hour", "day", "week") and offered(15) == ("day", "week")
    assert all(default_interval(n) in offered(n) for n in range(1, 400))  # the default is always on offer


def test_a_bucket_without_data_breaks_the_line_and_says_so() -> None:
    """Timings (the Performance page's p75) have days without a sample: no point, a gap in the line."""
    values = [1200.0, None, 2500.0, 2600.0, None]
    chart = trend_chart(days(5, values), days(5, [1000.0] * 5), "day", "LCP at p75",
                        fmt=lambda v: f"{v / 1000:.1f} s")
    assert len(chart["current"]) == 2 and [len(run.split()) for run in chart["current"]] == [1, 2]
    assert [p["y"] is None for p in chart["points"]] == [v is None for v in values]
    assert chart["points"][1]["title"] == "Wed 2 Dec 2026: no data (previous period: 1.0 s)"
    assert chart["points"][2]["title"] == "Thu 3 Dec 2026: 2.5 s LCP at p75 (previous period: 1.0 s)"
    assert chart["y_ticks"][-1]["label"] == "3.0 s" and chart["heading"] == "LCP at p75"

"""The funnel chart's bars: lengths in proportion to the first step, the drop-off right after each."""

from __future__ import annotations

from footfall.web.dashboard.charts import funnel_chart


def step(k: int, entered: int, first: int) -> dict:
    return {"step": k, "label": f"/s{k}", "entered": entered,
            "conversion_from_start": round(entered / first, 4) if first else None}


def test_bars_are_shares_of_the_first_step_followed_by_the_drop_off() -> None:
    chart = funnel_chart([step(1, 200, 200), step(2, 50, 200), step(3, 40, 200)])
    assert [b["reached"] for b in chart["bars"]] == [100, 25, 20]  # 200, 50 and 40 of 200
    assert [b["lost"] for b in chart["bars"]] == [0, 75, 5]  # 150 and 10 lost, of 200
    first, second, third = chart["bars"]
    assert second["reached"] + second["lost"] == first["reached"]  # the two parts add up to the step before
    assert third["reached"] + third["lost"] == second["reached"]
    assert [b["dropped"] for b in chart["bars"]] == [0, 150, 10]
    assert [b["share"] for b in chart["bars"]] == [1.0, 0.25, 0.2]


def test_nobody_started_draws_empty_bars() -> None:
    chart = funnel_chart([step(1, 0, 0), step(2, 0, 0)])
    assert [(b["reached"], b["lost"]) for b in chart["bars"]] == [(0, 0), (0, 0)]

"""The funnel chart's columns: heights in proportion to the first step, the drop-off stacked on top."""

from __future__ import annotations

from footfall.web.dashboard.charts import FUNNEL_HEIGHT, FUNNEL_TOP, funnel_chart


def step(k: int, entered: int, first: int) -> dict:
    return {"step": k, "label": f"/s{k}", "entered": entered,
            "conversion_from_start": round(entered / first, 4) if first else None}


def test_columns_stand_on_one_base_and_stack_the_drop_off() -> None:
    chart = funnel_chart([step(1, 200, 200), step(2, 50, 200), step(3, 40, 200)])
    base = FUNNEL_TOP + FUNNEL_HEIGHT
    assert chart["base"] == base and chart["width"] > 0
    first, second, third = chart["bars"]
    assert (first["height"], second["height"], third["height"]) == (FUNNEL_HEIGHT, FUNNEL_HEIGHT / 4, FUNNEL_HEIGHT / 5)
    assert all(b["y"] + b["height"] == base for b in chart["bars"])  # every column stands on the base
    lost = (first["lost_height"], second["lost_height"], third["lost_height"])
    assert lost == (0, FUNNEL_HEIGHT * 3 / 4, FUNNEL_HEIGHT / 20)
    assert all(b["lost_y"] + b["lost_height"] == b["y"] for b in chart["bars"])  # the drop-off sits on top
    assert second["lost_y"] == FUNNEL_TOP  # reached and lost add up to the step before
    assert [b["dropped"] for b in chart["bars"]] == [0, 150, 10]
    assert first["x"] < second["x"] < third["x"] and second["x"] - first["x"] >= first["width"]


def test_nobody_started_draws_flat_columns() -> None:
    chart = funnel_chart([step(1, 0, 0), step(2, 0, 0)])
    assert [(b["height"], b["lost_height"]) for b in chart["bars"]] == [(0, 0), (0, 0)]

"""The funnel form's steps, one a line, to the funnels API's JSON and back."""

from __future__ import annotations

import pytest

from footfall.web.dashboard.funnel_form import exclusions_text, parse_exclusions, parse_steps, steps_text


def test_steps_read_and_written_back() -> None:
    text = "/\n  /product/*  \n\nevent add_to_cart plan=pro size=m\nclick #buy .now"
    steps = parse_steps(text)
    assert steps == [{"page": "/"}, {"page": "/product/*"},
                     {"event": "add_to_cart", "props": {"plan": "pro", "size": "m"}}, {"selector": "#buy .now"}]
    assert parse_steps(steps_text({"steps": steps})) == steps


@pytest.mark.parametrize("bad", ["cart", "event", "click ", "event x plan", "clickety #a"])
def test_a_bad_line_is_named(bad: str) -> None:
    with pytest.raises(ValueError, match="a step is|key=value"):
        parse_steps(f"/\n{bad}")


def test_exclusions_read_and_written_back() -> None:
    exclusions = parse_exclusions("/help between 1 and 3\n\n event coupon_error code=x  between 2 and 3")
    assert exclusions == [{"step": {"page": "/help"}, "after": 1, "before": 3},
                          {"step": {"event": "coupon_error", "props": {"code": "x"}}, "after": 2, "before": 3}]
    assert parse_exclusions(exclusions_text({"exclusions": exclusions})) == exclusions
    with pytest.raises(ValueError, match="between A and B"):
        parse_exclusions("/help after 1")

"""The funnel form's steps, one a line, to the funnels API's JSON and back."""

from __future__ import annotations

import pytest

from footfall.web.dashboard.funnel_form import (
    exclusions_text,
    form_definition,
    form_values,
    parse_exclusions,
    parse_steps,
    steps_text,
)


def test_steps_read_and_written_back() -> None:
    text = "/\n  /product/*  \n\nevent add_to_cart plan=pro size=m\nclick #buy .now"
    steps = parse_steps(text)
    assert steps == [{"page": "/"}, {"page": "/product/*"},
                     {"event": "add_to_cart", "props": {"plan": "pro", "size": "m"}}, {"selector": "#buy .now"}]
    assert parse_steps(steps_text({"steps": steps})) == steps


def test_a_goal_as_the_last_step() -> None:
    goals = {"g1": {"page": "/thanks"}}
    definition = form_definition({"steps": "/\n/cart", "goal": "g1"}, goals)
    assert definition["steps"] == [{"page": "/"}, {"page": "/cart"}, {"goal": "g1"}]
    shown = form_values("F", definition)
    assert (shown["steps"], shown["goal"]) == ("/\n/cart", "g1")
    with pytest.raises(Exception, match="no goal with id 'g2'"):
        form_definition({"steps": "/", "goal": "g2"}, goals)
    assert parse_steps("goal g1") == [{"goal": "g1"}]


@pytest.mark.parametrize("bad", ["cart", "event", "click ", "event x plan", "clickety #a", "goal"])
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

"""The funnel form's steps, one a line, to the funnels API's JSON and back."""

from __future__ import annotations

import pytest

from collector.dashboard.funnels_page import parse_steps, steps_text


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

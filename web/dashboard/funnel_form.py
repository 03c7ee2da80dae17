"""The funnel form's text, one step a line, to the funnels API's JSON and back: a path or pattern
(`/product/*`), `event NAME key=value …`, `click SELECTOR` or `goal ID` (one of the site's goals, which
the form also offers as the last step); an exclusion is a step followed by
`between A and B` (steps, 1-based). Checked by the API's own parser, so the form and the API refuse
the same funnels with the same words."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from footfall.analysis import funnels
from footfall.web.funnels_api import funnel_of, inlined

EXAMPLE = "/\n/product/*\nevent add_to_cart\n/checkout"
EXCLUSION_EXAMPLE = "/help between 2 and 3"
BETWEEN = re.compile(r"^(?P<step>.*\S)\s+between\s+(?P<after>\d+)\s+and\s+(?P<before>\d+)$")


def parse_step(line: str) -> dict[str, Any]:
    word, _, rest = line.partition(" ")
    if line.startswith("/"):
        return {"page": line}
    if word == "event" and rest.strip():
        name, *pairs = rest.split()
        props = dict(pair.split("=", 1) for pair in pairs if "=" in pair)
        if len(props) != len(pairs):
            raise ValueError(f"write event properties as key=value: {line!r}")
        return {"event": name, **({"props": props} if props else {})}
    if word == "click" and rest.strip():
        return {"selector": rest.strip()}
    if word == "goal" and rest.strip():
        return {"goal": rest.strip()}
    raise ValueError(f"a step is a path (/cart), 'event NAME key=value', 'click SELECTOR' or 'goal ID': {line!r}")


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def parse_steps(text: str) -> list[dict[str, Any]]:
    return [parse_step(line) for line in lines(text)]


def parse_exclusions(text: str) -> list[dict[str, Any]]:
    exclusions = []
    for line in lines(text):
        found = BETWEEN.match(line)
        if not found:
            raise ValueError(f"an exclusion is a step, then 'between A and B' (step numbers): {line!r}")
        exclusions.append({"step": parse_step(found["step"]), "after": int(found["after"]),
                           "before": int(found["before"])})
    return exclusions


def step_text(step: dict[str, Any]) -> str:
    if "page" in step:
        return step["page"]
    if "event" in step:
        return " ".join(["event", step["event"], *(f"{k}={v}" for k, v in step.get("props", {}).items())])
    if "goal" in step:
        return f"goal {step['goal']}"
    return f"click {step['selector']}"


def steps_text(definition: dict[str, Any]) -> str:
    """The steps, one a line, but for a last step naming a goal: the form's goal choice shows it."""
    return "\n".join(step_text(step) for step in form_steps(definition)[0])


def form_steps(definition: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """The steps the text field shows, and the goal id of the last step when it names one."""
    steps = list(definition.get("steps", []))
    if steps and set(steps[-1]) == {"goal"}:
        return steps[:-1], str(steps[-1]["goal"])
    return steps, ""


def exclusions_text(definition: dict[str, Any]) -> str:
    return "\n".join(f"{step_text(x['step'])} between {x['after']} and {x['before']}"
                     for x in definition.get("exclusions", []))


def form_definition(form: Any, goals: Mapping[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The submitted form as the funnels API's JSON, its last step the goal chosen (of `goals`, the
    site's by id) if any; ValueError (or Rejected) names what to fix."""
    try:
        window_h = float(str(form.get("window_h") or "24"))
    except ValueError:
        raise ValueError("The conversion window is a number of hours.") from None
    last = [{"goal": str(form.get("goal"))}] if form.get("goal") else []
    definition: dict[str, Any] = {
        "steps": parse_steps(str(form.get("steps", ""))) + last, "window_s": max(1, round(window_h * 3600)),
        "mode": str(form.get("mode") or "ordered"), "count_by": str(form.get("count_by") or "visitor")}
    exclusions = parse_exclusions(str(form.get("exclusions", "")))
    if exclusions:
        definition["exclusions"] = exclusions
    if form.get("breakdown"):
        definition["breakdown"] = str(form.get("breakdown"))
    funnel_of(inlined(json.dumps(definition).encode(), goals or {}))  # the API's own checks
    return definition


def form_values(name: str, definition: dict[str, Any]) -> dict[str, Any]:
    """What the form shows for a saved funnel (or a new one, with an empty definition)."""
    return {"name": name, "steps": steps_text(definition), "goal": form_steps(definition)[1],
            "exclusions": exclusions_text(definition),
            "window_h": round(definition.get("window_s", 86400) / 3600, 2),
            "mode": definition.get("mode", "ordered"), "count_by": definition.get("count_by", "visitor"),
            "breakdown": definition.get("breakdown") or ""}


CHOICES = {"modes": funnels.MODES, "counts": funnels.COUNT_BY, "breakdowns": funnels.BREAKDOWNS,
           "example": EXAMPLE, "exclusion_example": EXCLUSION_EXAMPLE}

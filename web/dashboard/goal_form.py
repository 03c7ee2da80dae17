"""The goal form to a goal's definition (one funnel step, as the funnels API's JSON takes it) and
back: a page or pattern, a custom event with `key=value` properties, or a click on a selector. Read
by the funnel form's own step parser and checked by the funnels API's step limits, so a goal and a
funnel step refuse the same things with the same words."""

from __future__ import annotations

from typing import Any

import msgspec

from footfall.analysis import funnels
from footfall.collector.rejection import Rejected
from footfall.web.dashboard.funnel_form import parse_step, step_text
from footfall.web.funnels_api import StepBody, step_of

KINDS = {"page": "Page visited", "event": "Custom event", "click": "Click"}
MAX_NAME = 200
NAME_TAKEN = "A goal of this site already has that name: pick another."


def form_step(form: Any) -> dict[str, Any]:
    """The submitted kind, target and properties as a step's JSON; ValueError names what to fix."""
    kind = str(form.get("kind") or "")
    target = str(form.get("target") or "").strip()
    props = " ".join(str(form.get("props") or "").split())
    if kind not in KINDS:
        raise ValueError(f"A goal is one of: {', '.join(k.lower() for k in KINDS.values())}.")
    if not target:
        raise ValueError({"page": "Give the page's path, such as /thank-you or /order/*.",
                          "event": "Give the custom event's name, such as purchase.",
                          "click": "Give the clicked element's CSS selector, such as #buy."}[kind])
    if kind == "page" and not target.startswith("/"):
        raise ValueError("A page is a path starting with /, such as /thank-you or /order/*.")
    if props and kind != "event":
        raise ValueError("Properties narrow a custom event only.")
    if kind == "page" and " " in target or kind == "event" and len(target.split()) > 1:
        raise ValueError("A page path or event name has no spaces.")
    line = target if kind == "page" else f"event {target} {props}".strip() if kind == "event" else f"click {target}"
    step = parse_step(line)
    try:
        step_of(msgspec.convert(step, StepBody))
    except msgspec.ValidationError as exc:
        raise ValueError(f"This goal is not valid: {exc}.") from None
    except (ValueError, Rejected) as exc:
        raise ValueError(str(exc)) from None
    return step


def form_name(form: Any, taken: list[str]) -> str:
    name = " ".join(str(form.get("name") or "").split())
    if not name:
        raise ValueError("Give the goal a name, such as Purchase.")
    if len(name) > MAX_NAME:
        raise ValueError(f"A goal's name is at most {MAX_NAME} characters.")
    if name.lower() in (t.lower() for t in taken):
        raise ValueError(NAME_TAKEN)
    return name


def described(step: funnels.Step) -> str:
    """A goal's definition as the funnel form writes it (`/thank-you`, `event purchase plan=pro`)."""
    return step_text({"page": step.page} if step.page is not None else {"selector": step.selector}
                     if step.selector is not None else {"event": step.event, "props": dict(step.props)})

"""What the snippet benchmark visits and measures, shared by the run (snippet.py) and its report."""

from __future__ import annotations

PAGE = "/demo/shop/"
VIEWPORT = {"width": 1280, "height": 720}
SCROLL_STEP = 40  # px per wheel event: a trackpad's small steps
LONG_TASK_MS = 50
METRICS = {"script": "ScriptDuration", "task": "TaskDuration"}
PHASES = ("load", "clicks", "scroll")
PHASE_TITLES = {"load": "page load", "clicks": "{clicks} clicks", "scroll": "scroll session",
                "visit": "whole visit"}

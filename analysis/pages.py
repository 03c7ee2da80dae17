"""A page as the store names it (a path without origin or query string, a hash route kept: one
function with ingestion, collector/urls.py) and the SQL condition that picks its rows:
heatmaps, snapshots and performance all take a page or a pattern."""

from __future__ import annotations

from typing import Any

from footfall.analysis.overview import step_regex
from footfall.store.vocabulary import page_path

__all__ = ["grouped_path", "on_path", "page_path"]


def on_path(url: str, params: dict[str, Any]) -> str:
    """The condition on a `path` column for a page: equality for a path (the tables' sort keys
    start with site, type, path), a regular expression for a pattern."""
    path = page_path(url)
    if "*" in path:
        params["path"] = step_regex(path)
        return "match(path, {path:String})"
    params["path"] = path
    return "path = {path:String}"


def grouped_path(patterns: tuple[str, ...], params: dict[str, Any]) -> str:
    """SQL for the page a `path` counts towards: the first of the site's URL patterns it matches,
    else the path itself (as the heatmap page picker groups them)."""
    if not patterns:
        return "path"
    cases = []
    for i, pattern in enumerate(patterns):
        params[f"pattern{i}"], params[f"regex{i}"] = pattern, step_regex(pattern)
        cases.append(f"match(path, {{regex{i}:String}}), {{pattern{i}:String}}")
    return f"multiIf({', '.join(cases)}, path)"

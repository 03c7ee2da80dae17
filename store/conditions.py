"""SQL conditions every read of a site's rows is made of, written once: the site and a time range
(`start` inclusive, the end exclusive), and the page or page pattern asked for, as server-side
parameters. A page is named as ingestion stores it (store/vocabulary.py's page_path, a hash route
kept), so what a query asks for is what was stored."""

from __future__ import annotations

import re
from typing import Any

from footfall.store.vocabulary import page_path

SEGMENTS = "[^/]+(?:/[^/]+)*"  # what `*` in a page pattern or funnel step stands for


def site_in_range(end: str = "end") -> str:
    """`site = {site}` and `{start} <= time < {<end>}`; `end` names the parameter of the range's end."""
    return f"site = {{site:String}} AND time >= {{start:DateTime64(3)}} AND time < {{{end}:DateTime64(3)}}"


SITE_IN_RANGE = site_in_range()


def step_regex(pattern: str) -> str:
    """A page pattern (or funnel step) as an anchored regular expression (RE2 and Python alike).

    `*` stands for one or more whole path segments: `/product/*` matches `/product/3` and
    `/product/3/reviews`, not `/product/` or `/product`. Everything else matches itself."""
    return "^" + SEGMENTS.join(re.escape(part) for part in pattern.split("*")) + "$"


def on_path(url: str, params: dict[str, Any]) -> str:
    """The condition on a `path` column for a page: equality for a path (the tables' sort keys
    start with site, type, path), a regular expression for a pattern."""
    path = page_path(url)
    if "*" in path:
        params["path"] = step_regex(path)
        return "match(path, {path:String})"
    params["path"] = path
    return "path = {path:String}"


def grouped_path(patterns: tuple[str, ...], params: dict[str, Any], column: str = "path") -> str:
    """SQL for the page a `path` (or `column`) counts towards: the first of the site's URL patterns it
    matches, else the path itself (as the heatmap page picker groups them)."""
    if not patterns:
        return column
    cases = []
    for i, pattern in enumerate(patterns):
        params[f"pattern{i}"], params[f"regex{i}"] = pattern, step_regex(pattern)
        cases.append(f"match({column}, {{regex{i}:String}}), {{pattern{i}:String}}")
    return f"multiIf({', '.join(cases)}, {column})"

"""SQL conditions every read of a site's rows starts with, written once: the site and a time range
(`start` inclusive, the end exclusive), as server-side parameters."""

from __future__ import annotations


def site_in_range(end: str = "end") -> str:
    """`site = {site}` and `{start} <= time < {<end>}`; `end` names the parameter of the range's end."""
    return f"site = {{site:String}} AND time >= {{start:DateTime64(3)}} AND time < {{{end}:DateTime64(3)}}"


SITE_IN_RANGE = site_in_range()

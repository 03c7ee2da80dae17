"""The Overview's main funnel: a site's first saved funnel, counted by analysis/funnels.py as the
Funnels page counts it (one engine for both pages)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from footfall.analysis import funnels
from footfall.store import Store, saved_funnels


def main_funnel(store: Store, site: str, start: datetime, end: datetime,
                parse: Callable[[bytes], funnels.Funnel]) -> dict[str, Any] | None:
    """The site's first saved funnel over [start, end), or None while the site has none. `parse` reads
    a saved definition (the funnels API's own reader, which checked it before it was saved)."""
    saved = saved_funnels.listed(store, site)
    if not saved:
        return None
    found = funnels.query(store, site, start, end, parse(saved[0].definition.encode()))
    steps = found["steps"]
    return {"id": saved[0].id, "name": saved[0].name, "count_by": found["count_by"], "steps": steps,
            "conversion": steps[-1]["conversion_from_start"], "others": len(saved) - 1}

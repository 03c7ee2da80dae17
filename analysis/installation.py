"""Whether a site's snippet is installed: its first and latest page view, told in words for the
install page and its status API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from footfall.store import Store


def install_status(store: Store, site: str) -> dict[str, Any]:
    found = store.rows(
        "SELECT min(received), argMin(url, received), max(received), count() FROM pageviews "
        "WHERE site = {s:String} HAVING count() > 0", {"s": site})
    if not found:
        return {"state": "waiting", "text": "Waiting for the first page view. Open a page that has the snippet."}
    first, url, last, views = found[0]
    now = datetime.now(UTC)
    ago = humanise((now - first.replace(tzinfo=UTC)).total_seconds())
    latest = humanise((now - last.replace(tzinfo=UTC)).total_seconds())
    return {"state": "installed", "first_url": url, "first_seen": first.isoformat(), "last_seen": last.isoformat(),
            "pageviews": views,
            "text": f"Installed: the first page view arrived {ago} ago from {url}; the latest {latest} ago."}


def humanise(seconds: float) -> str:
    seconds = max(0, int(seconds))
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"

"""Words every layer uses alike, defined once: which page a URL is, which device class a viewport is,
the Web Vitals and how each value is rated.

The ingest views (store/migrations/0002_ingest_views.sql) compute the same for every stored row;
tests/store/test_conditions.py checks the two agree URL by URL.
"""

from __future__ import annotations

from urllib.parse import urlsplit

# Viewport widths of the device classes, as the ingest views classify page views.
MOBILE_MAX_WIDTH = 767
TABLET_MAX_WIDTH = 1024


def page_path(url: str) -> str:
    """The page a row is stored under and a query asks for, one function for both: the path
    without origin or query string, with a hash route (`#/cart`) kept and any other fragment
    dropped, as the ingest views compute it (`page_path` in 0002_ingest_views.sql). A bare path
    (`/cart?x=1`) is read the same way as a full URL."""
    url = url.strip()
    if "://" not in url:
        url = "http://page" + (url if url.startswith("/") else "/" + url)
    parts = urlsplit(url)
    route = "#" + parts.fragment.split("?", 1)[0] if parts.fragment.startswith("/") else ""
    return (parts.path or "/") + route


def device_class(viewport_width: int, user_agent: str = "") -> str:
    """Viewport width decides; the user agent only breaks ties when the page sent no width."""
    if viewport_width <= 0:
        lowered = user_agent.lower()
        if "ipad" in lowered or "tablet" in lowered:
            return "tablet"
        return "mobile" if "mobi" in lowered else "desktop"
    if viewport_width <= MOBILE_MAX_WIDTH:
        return "mobile"
    if viewport_width <= TABLET_MAX_WIDTH:
        return "tablet"
    return "desktop"


# web-vitals' thresholds (good up to the first value, poor above the second), in page-load order.
VITAL_THRESHOLDS = {"TTFB": (800, 1800), "FCP": (1800, 3000), "LCP": (2500, 4000), "INP": (200, 500),
                    "CLS": (0.1, 0.25)}
VITALS = tuple(VITAL_THRESHOLDS)
RATINGS = ("good", "needs-improvement", "poor")


def vital_rating(name: str, value: float) -> str:
    """A value's rating as web-vitals gives it (the browser's own, for one page view; a p75, for a page)."""
    good, poor = VITAL_THRESHOLDS[name]
    return "good" if value <= good else "needs-improvement" if value <= poor else "poor"

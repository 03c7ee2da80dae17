"""The words the pages show for the stored vocabulary's names: devices, Web Vitals, navigation
phases and frustration signals."""

from __future__ import annotations

DEVICE_LABELS = {"desktop": "Desktop", "tablet": "Tablet", "mobile": "Mobile"}
VITAL_LABELS = {"TTFB": "Time to First Byte", "FCP": "First Contentful Paint", "LCP": "Largest Contentful Paint",
                "INP": "Interaction to Next Paint", "CLS": "Cumulative Layout Shift"}
PHASE_LABELS = {"redirect": "Redirect", "dns": "DNS", "connect": "Connect", "tls": "TLS", "request": "Request",
                "download": "Response", "dom": "DOM processing", "load": "Load event"}
SIGNAL_LABELS = {
    "rage_click": "Rage click", "dead_click": "Dead click", "error_click": "Error click",
    "quick_back": "Quick back", "excessive_scroll": "Excessive scroll", "navigation_loop": "Navigation loop",
}

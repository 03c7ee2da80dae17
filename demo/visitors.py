"""Who visits the demo shop: their devices and browsers, where they come from, and ids.

Also the two small random helpers the rest of the demo draws with, so every module takes
the same draws from the same stream.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any, Protocol

from footfall.collector import wire


# -- who visits, and from where ------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Device:
    kind: str
    viewport: tuple[int, int]
    screen: tuple[int, int]
    user_agent: str
    engine: str  # chrome | safari | firefox: how its error messages read


_WEBKIT = "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5"
_BLINK = "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0"
_IOS_SAFARI = f"{_WEBKIT} Mobile/15E148 Safari/604.1"
_IPHONE = f"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) {_IOS_SAFARI}"
_IPAD = f"Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) {_IOS_SAFARI}"
_PIXEL = f"Mozilla/5.0 (Linux; Android 14; Pixel 8) {_BLINK} Mobile Safari/537.36"
_GALAXY = ("Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
           "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36")
_GALAXY_TAB = f"Mozilla/5.0 (Linux; Android 13; SM-X710) {_BLINK} Safari/537.36"
_WINDOWS = f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {_BLINK} Safari/537.36"
_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)"
_FIREFOX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0"
DEVICES = {
    "mobile": (
        Device("mobile", (390, 664), (390, 844), _IPHONE, "safari"),
        Device("mobile", (393, 727), (393, 852), _IPHONE, "safari"),
        Device("mobile", (412, 791), (412, 915), _PIXEL, "chrome"),
        Device("mobile", (360, 680), (360, 800), _GALAXY, "chrome"),
    ),
    "tablet": (
        Device("tablet", (820, 1106), (820, 1180), _IPAD, "safari"),
        Device("tablet", (768, 954), (768, 1024), _IPAD, "safari"),
        Device("tablet", (800, 1208), (800, 1280), _GALAXY_TAB, "chrome"),
    ),
    "desktop": (
        Device("desktop", (1920, 963), (1920, 1080), _WINDOWS, "chrome"),
        Device("desktop", (1366, 657), (1366, 768), _WINDOWS, "chrome"),
        Device("desktop", (1536, 730), (1536, 864), _WINDOWS + " Edg/125.0.0.0", "chrome"),
        Device("desktop", (1440, 789), (1440, 900), f"{_MAC} {_WEBKIT} Safari/605.1.15", "safari"),
        Device("desktop", (1440, 789), (1440, 900), f"{_MAC} {_BLINK} Safari/537.36", "chrome"),
        Device("desktop", (1280, 689), (1280, 800), _FIREFOX, "firefox"),
    ),
}
DEVICE_SHARE = {"mobile": 0.45, "desktop": 0.45, "tablet": 0.10}
# Median slowness of a connection, and of a processor, relative to a desktop on broadband.
NETWORK = {"mobile": 2.0, "tablet": 1.4, "desktop": 1.0}
CPU = {"mobile": 2.2, "tablet": 1.5, "desktop": 1.0}


@dataclasses.dataclass(frozen=True)
class Source:
    name: str
    weight: float
    referrer: str
    utm: wire.Utm | None
    entries: tuple[tuple[str, Any, float], ...]  # (step, param, weight) of landing pages


SOURCES = (
    Source("direct", 0.30, "", None, (("home", None, 1.0),)),
    Source("google", 0.26, "https://www.google.com/", None,
           (("home", None, 0.5), ("category", "jackets", 0.2), ("category", "boots", 0.15),
            ("product", 1, 0.15))),
    Source("bing", 0.04, "https://www.bing.com/", None, (("home", None, 1.0),)),
    Source("newsletter", 0.10, "", wire.Utm("newsletter", "email", "spring_sale"),
           (("category", "packs", 0.6), ("product", 14, 0.4))),
    Source("instagram", 0.10, "https://l.instagram.com/",
           wire.Utm("instagram", "social", "trail_season"),
           (("product", 2, 0.5), ("product", 9, 0.3), ("home", None, 0.2))),
    Source("ads", 0.14, "https://www.google.com/",
           wire.Utm("google", "cpc", "boots_search", term="hiking boots"),
           (("category", "boots", 0.6), ("product", 7, 0.4))),
    Source("blog", 0.06, "https://trailnotes.example/best-rain-jackets", None,
           (("product", 4, 0.7), ("category", "jackets", 0.3))),
)


@dataclasses.dataclass(frozen=True)
class Visitor:
    id: str
    device: Device
    ip: str


def new_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(72):018x}"


def weighted(rng: random.Random, options: list[tuple[Any, float]]) -> Any:
    return rng.choices([o for o, _ in options], [w for _, w in options])[0]


def new_visitor(rng: random.Random, number: int) -> Visitor:
    device = rng.choice(DEVICES[weighted(rng, list(DEVICE_SHARE.items()))])
    block = ("192.0.2", "198.51.100", "203.0.113")[number % 3]  # documentation ranges
    return Visitor(new_id(rng), device, f"{block}.{number % 251 + 1}")


class Visit(Protocol):
    """What a page view and its load read of the visit they belong to (journeys.Session is one):
    declared here so that the page and load modules need not import the journeys that use them."""

    rng: random.Random
    origin: str
    planted: Any  # demo/planted.py's Planted
    device: Device
    source: Source
    network: float
    cpu: float
    cart: list[int]

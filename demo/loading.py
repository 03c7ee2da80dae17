"""How a demo page view loaded: navigation phases and paint times with a realistic slow tail."""

from __future__ import annotations

import dataclasses
import random

from footfall.demo.visitors import Visit
from footfall.store.vocabulary import VITAL_THRESHOLDS, vital_rating

# What must load before the largest paint (relative to the home page), and server time in ms.
PAGE_WEIGHT = {"home": 1.0, "category": 1.15, "product": 1.45, "cart": 0.7, "checkout": 1.1,
               "thank-you": 0.6}
SERVER_MS = {"home": 90, "category": 140, "product": 170, "cart": 120, "checkout": 280,
             "thank-you": 160}
# The element whose late arrival shifts the layout, and the page's median CLS.
SHIFTS = {"home": (".category-tiles", 0.06), "category": (".product-grid", 0.05),
          "product": (".reviews", 0.03), "cart": (".cart-summary", 0.01),
          "checkout": (".order-summary", 0.01), "thank-you": ("main", 0.002)}
THRESHOLDS = VITAL_THRESHOLDS
rating = vital_rating


@dataclasses.dataclass(frozen=True)
class Load:
    """Navigation phases and paint times of one page load, in ms from navigation start."""

    redirect: float
    dns: float
    connect: float
    tls: float
    request: float
    download: float
    dom: float
    fcp: float
    image: float  # loading the LCP element's resource
    cls: float

    @property
    def ttfb(self) -> float:
        return self.redirect + self.dns + self.connect + self.tls + self.request

    @property
    def ready(self) -> float:
        return self.ttfb + self.download + self.dom

    @property
    def lcp(self) -> float:
        return self.fcp + self.image

    @property
    def total(self) -> float:
        return max(self.ready, self.lcp) + 40


def measure(rng: random.Random, session: Visit, step: str, first: bool) -> Load:
    net = session.network * rng.lognormvariate(0, 0.3)
    redirect = rng.uniform(40, 220) if first and session.source.utm and rng.random() < 0.3 else 0.0
    # Later pages reuse the connection.
    dns = 20 * net * rng.lognormvariate(0, 0.5) if first else 0.0
    connect = 30 * net * rng.lognormvariate(0, 0.3) if first else 0.0
    tls = 40 * net * rng.lognormvariate(0, 0.3) if first else 0.0
    request = SERVER_MS[step] * rng.lognormvariate(0, 0.5) + 40 * net
    download = 12 * net * rng.lognormvariate(0, 0.4)
    stylesheet = 110 * net * rng.lognormvariate(0, 0.4)
    render = 140 * session.cpu * rng.lognormvariate(0, 0.3)
    mobile_grid = step == "category" and session.device.kind == "mobile"
    return Load(
        redirect=redirect, dns=dns, connect=connect, tls=tls, request=request, download=download,
        dom=160 * session.cpu * rng.lognormvariate(0, 0.3),
        fcp=redirect + dns + connect + tls + request + download + stylesheet + render,
        image=PAGE_WEIGHT[step] * 650 * net * rng.lognormvariate(0, 0.55),
        cls=round(SHIFTS[step][1] * (2.5 if mobile_grid else 1) * rng.lognormvariate(0, 0.9), 4),
    )

"""One demo page view: how it loaded, what the visitor did there, and the batch the snippet sends.

Vitals, navigation timings, clicks, pointer moves, slow resources, errors and checkout form
fields are built here. Clicks land inside the boxes `shop.layout` gives, which match what a
browser lays out, so heatmaps of seeded and live traffic agree.
"""

from __future__ import annotations

import dataclasses
import re
from importlib import resources
from typing import Any
from urllib.parse import urlencode, urlsplit

from footfall.collector import wire
from footfall.demo.loading import SHIFTS, measure, rating
from footfall.demo.planted import CHECKOUT_ERROR, CHECKOUT_ERROR_SHARE
from footfall.demo.shop import CATEGORIES, CHECKOUT_FIELDS, FEATURED, PREFIX, PRODUCTS, SIZES, in_category
from footfall.demo.shop import layout as shop_layout
from footfall.demo.visitors import Visit, new_id, weighted


# -- where a page is ----------------------------------------------------------------------------
def path_of(step: str, param: Any = None) -> str:
    if step == "home":
        return f"{PREFIX}/"
    if step in ("category", "product"):
        return f"{PREFIX}/{step}/{param}"
    return f"{PREFIX}/{step}"


def step_of(url: str) -> str:
    rest = urlsplit(url).path.removeprefix(PREFIX).strip("/")
    return rest.split("/", 1)[0] if rest else "home"


def landing_url(origin: str, path: str, utm: wire.Utm | None) -> str:
    if utm is None:
        return origin + path
    query = {"utm_source": utm.source, "utm_medium": utm.medium, "utm_campaign": utm.campaign}
    if utm.term:
        query["utm_term"] = utm.term
    return f"{origin}{path}?{urlencode(query)}"


# -- how a page view behaves --------------------------------------------------------------------
DWELL_MS = {"home": 11_000, "category": 16_000, "product": 32_000, "cart": 13_000,
            "checkout": 0, "thank-you": 9_000}
LCP_ELEMENT = {"home": ".hero h1", "category": ".product-card:nth-child(1) .product-image",
               "product": ".product-image", "cart": "h1", "checkout": "h1", "thank-you": "h1"}
SLOW_RESOURCE_MS = 1000
IMAGE_TIMEOUT_MS = 6000


# -- page titles --------------------------------------------------------------------------------
TITLES = {"home": "Outdoor gear", "cart": "Cart", "checkout": "Checkout", "thank-you": "Thank you"}
TITLE_SUFFIX = " · Fernwood Outfitters (Footfall demo)"


def title_of(step: str, param: Any) -> str:
    if step == "category":
        return CATEGORIES[param] + TITLE_SUFFIX
    if step == "product":
        return PRODUCTS[param].name + TITLE_SUFFIX
    return TITLES[step] + TITLE_SUFFIX


# -- what breaks --------------------------------------------------------------------------------
def locate(needle: str) -> tuple[int, int]:
    """Line and column of `needle` in the shop's script, so error reports point at real code."""
    text = (resources.files("footfall.demo") / "templates" / "shop" / "shop.js").read_text()
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number, line.index(needle) + 1
    raise LookupError(needle)


BROKEN_CHECKOUT_SHARE = 0.08
# Each engine words the same bug differently, as real error trackers see it.
ERRORS = {
    ("rating", "chrome"): (
        "Uncaught TypeError: Cannot read properties of null (reading 'textContent')",
        "TypeError: Cannot read properties of null (reading 'textContent')\n"
        "    at showRating ({src}:{line}:{col})\n    at HTMLDocument.<anonymous> ({src}:{caller})"),
    ("rating", "safari"): (
        "TypeError: null is not an object (evaluating "
        "'root.querySelector(\".reviews .summary\").textContent')",
        "showRating@{src}:{line}:{col}\n@{src}:{caller}"),
    ("rating", "firefox"): (
        "TypeError: root.querySelector(...) is null",
        "showRating@{src}:{line}:{col}\n@{src}:{caller}"),
    ("payment", "chrome"): (
        "Uncaught TypeError: Cannot read properties of undefined (reading 'token')",
        "TypeError: Cannot read properties of undefined (reading 'token')\n"
        "    at HTMLFormElement.<anonymous> ({src}:{line}:{col})"),
    ("payment", "safari"): (
        "TypeError: undefined is not an object (evaluating 'pay.session.token')",
        "@{src}:{line}:{col}"),
    ("payment", "firefox"): (
        "TypeError: pay.session is undefined", "attachPayment/<@{src}:{line}:{col}"),
    ("order", "safari"): (CHECKOUT_ERROR, "@{src}:{line}:{col}"),  # demo/planted.py's bug
}
# Where each bug throws in shop.js, and where it was called from.
ERROR_SITES = {"rating": (locate("textContent;"), locate("showRating(document)")),
               "payment": (locate("token;"), locate("attachPayment(form)")),
               "order": (locate("token;"), locate("attachPayment(form)"))}


# -- the checkout form ----------------------------------------------------------------------------
# Median ms spent in each field, and from focus to the first keystroke.
FIELD_PACE = {"#name": (3000, 500), "#email": (6000, 1100), "#street": (7000, 800),
              "#city": (3000, 500), "#postcode": (3500, 1000), "#card-number": (9000, 2300),
              "#card-expiry": (4000, 900), "#card-cvc": (3000, 700)}
# Where visitors who give up on the form stop.
QUIT_AT = (("#card-number", 0.45), ("#email", 0.15), ("#street", 0.15), ("#postcode", 0.1),
           ("#name", 0.1), ("#card-expiry", 0.05))
HESITATION_MS = 2000
_NTH = re.compile(r":nth-child\((\d+)\)")


def nth(selector: str) -> int:
    found = _NTH.search(selector)
    return int(found.group(1)) if found else 0


class Page:
    """One page view: its load, what the visitor does there, and the batch the snippet sends."""

    def __init__(self, session: Visit, step: str, param: Any, at: int, first: bool) -> None:
        self.session, self.rng, self.device = session, session.rng, session.device
        self.step, self.param, self.at, self.first = step, param, at, first
        self.vw, self.vh = self.device.viewport
        self.mobile = self.device.kind == "mobile"
        self.layout = shop_layout(step, self.vw, cart_items=max(1, len(set(session.cart))))
        self.load = measure(self.rng, session, step, first)
        if (slower := session.planted.slow_image(at, step, self.device.kind)) != 1:  # the planted slow day
            self.load = dataclasses.replace(self.load, image=self.load.image * slower)
        self.lcp_rating = rating("LCP", self.load.lcp)
        self.checkout_broken = step == "checkout" and self.rng.random() < BROKEN_CHECKOUT_SHARE
        # the planted bug: from its day on, Safari's checkout breaks on most orders
        self.order_bug = step == "checkout" and session.planted.checkout_error(at, self.device.engine) \
            and self.rng.random() < CHECKOUT_ERROR_SHARE
        self.checkout_broken = self.checkout_broken or self.order_bug
        # How long the add-to-cart handler keeps the page from painting (slow phones suffer).
        self.cart_latency = 60 * session.cpu * self.rng.lognormvariate(0, 0.6) + 90
        self.left_at = self.error_at = at
        self.events: list[wire.AnyEvent] = []

    def listing(self) -> list[int]:
        if self.step == "home":
            return list(FEATURED)
        return [p.id for p in in_category(self.param)]

    def batch(self, nxt: tuple[str, Any] | None, referrer: str) -> wire.Batch:
        s, load, t0, rng = self.session, self.load, self.at, self.rng
        ready = t0 + int(load.ready)
        self.events = [
            wire.PageView(ts=ready, title=title_of(self.step, self.param)),
            wire.NavigationTiming(
                ts=t0 + int(load.total), redirect=round(load.redirect, 1), dns=round(load.dns, 1),
                connect=round(load.connect, 1), tls=round(load.tls, 1),
                request=round(load.request, 1), download=round(load.download, 1),
                dom=round(load.dom, 1), load=round(load.total - load.ready, 1),
                total=round(load.total, 1), transfer_size=rng.randint(9_000, 32_000)),
            self.vital(ready + 2, "TTFB", load.ttfb, "", {
                "dnsDuration": round(load.dns, 1), "requestDuration": round(load.request, 1),
                "connectionDuration": round(load.connect + load.tls, 1)}),
            self.vital(max(ready, t0 + int(load.fcp)) + 3, "FCP", load.fcp, "", {
                "timeToFirstByte": round(load.ttfb, 1),
                "firstByteToFCP": round(load.fcp - load.ttfb, 1)}),
        ]
        if self.step == "thank-you":
            self.custom("purchase", ready + 120)
        clicks = self.act(nxt, t0 + int(max(load.lcp, load.ready)))
        self.events += clicks
        if self.device.kind == "desktop":
            self.events += self.moves(clicks)
        self.events += self.resources() + self.errors() + self.on_leave(clicks)
        self.events.sort(key=lambda e: e.ts)
        path = path_of(self.step, self.param)
        return wire.Batch(
            version=wire.VERSION, site=s.site, session_id=s.id, pageview_id=new_id(rng),
            url=landing_url(s.origin, path, s.source.utm) if self.first else s.origin + path,
            events=self.events, batch_id=new_id(rng), visitor_id=s.visitor.id, referrer=referrer,
            viewport_width=self.vw, viewport_height=self.vh, screen_width=self.device.screen[0],
            screen_height=self.device.screen[1], utm=s.source.utm or wire.Utm(),
        )

    def vital(self, ts: int, name: str, value: float, target: str,
              attribution: wire.Props) -> wire.WebVital:
        value = round(value, 4 if name == "CLS" else 1)
        return wire.WebVital(ts=ts, name=name, value=value, rating=rating(name, value),
                             target=target, attribution=attribution)

    # -- what the visitor does -------------------------------------------------------------------
    def act(self, nxt: tuple[str, Any] | None, start: int) -> list[wire.Click]:
        """Clicks in time order; also decides when the visitor leaves the page."""
        if self.step == "checkout":
            return self.checkout(nxt, start)
        rng = self.rng
        dwell = DWELL_MS[self.step] * rng.lognormvariate(0, 0.6) * (1.0 if nxt else 0.55) + 1500
        clicks: list[wire.Click] = []
        strays = sorted((int(start + rng.uniform(600, dwell)), s) for s in self.strays())
        for ts, selector in strays:
            if selector.endswith("!"):
                clicks += self.burst(ts, selector[:-1], dead=True)
            else:
                clicks.append(self.click(ts, selector, dead="size-picker" not in selector))
        end = max([int(start + dwell)] + [c.ts + 400 for c in clicks[-1:]])
        if nxt is None:
            self.left_at = end + 200
            return clicks
        target = self.nav_target(nxt)
        adding = target == "#add-to-cart"
        if adding and self.cart_latency > 500 and rng.random() < 0.6:
            clicks += self.burst(end, target, dead=False)  # the button seems not to respond
        else:
            clicks.append(self.click(end, target))
        if adding:
            self.custom("add_to_cart", clicks[-1].ts + 40)
        elif target == "#checkout":
            self.custom("begin_checkout", clicks[-1].ts + 20)
        self.left_at = clicks[-1].ts + rng.randint(150, 400)
        self.left_at += int(self.cart_latency) if adding else 0
        return clicks

    def strays(self) -> list[str]:
        """Clicks that lead nowhere: on things that look clickable, or that visitors fiddle with.

        A trailing `!` marks a rage burst."""
        rng, step, out = self.rng, self.step, []
        if step == "home":
            if rng.random() < 0.08:
                out.append(".hero h1")
            if rng.random() < 0.15:
                k = rng.randint(1, len(FEATURED))
                out.append(f".product-card:nth-child({k}) .product-image")
        elif step == "category":
            if rng.random() < 0.25:  # the picture is not a link, only the name is
                out.append(f".product-card:nth-child({rng.randint(1, 6)}) .product-image")
            if rng.random() < 0.05:
                out.append(f".product-card:nth-child({rng.randint(1, 6)}) .price")
            if rng.random() < 0.03:
                out.append(".filters .count")
        elif step == "product":
            if rng.random() < 0.6:
                out.append(f".size-picker button:nth-child({rng.randint(1, len(SIZES))})")
            zoom = rng.random()
            if zoom < 0.05:
                out.append(".product-image!")  # expects a zoom that never comes
            elif zoom < 0.25:
                out.append(".product-image")
            if rng.random() < 0.04:
                out.append(".price")
        elif step == "cart" and rng.random() < 0.06:
            out.append(".cart-total")
        return out

    def nav_target(self, nxt: tuple[str, Any]) -> str:
        """The element clicked to go where the visitor goes next."""
        rng, (to, param), step = self.rng, nxt, self.step
        if to == "product":
            return f".product-card:nth-child({self.listing().index(param) + 1}) a"
        if to == "category":
            k = list(CATEGORIES).index(param) + 1
            if step == "product" and (self.mobile or rng.random() < 0.7):
                return ".breadcrumb a"
            if step == "home":
                options = [(f".category-tiles a:nth-child({k})", 0.5)]
                options += [] if self.mobile else [(f"nav.categories a:nth-child({k})", 0.3)]
                options += [(".hero a.cta", 0.4)] if param == "jackets" else []
                return weighted(rng, options)
            return f"nav.categories a:nth-child({k})"
        return {("category", "home"): "a.logo", ("product", "cart"): "#add-to-cart",
                ("cart", "checkout"): "#checkout", ("cart", "home"): "a.continue",
                ("thank-you", "home"): "a.continue-shopping"}[(step, to)]

    def custom(self, name: str, ts: int) -> None:
        cart = [PRODUCTS[i] for i in self.session.cart]
        value = round(sum(p.price for p in cart), 2)
        props: wire.Props = {"items": len(cart), "value": value, "currency": "USD"}
        if name == "add_to_cart":
            item = PRODUCTS[self.param]
            props = {"product_id": item.id, "name": item.name, "price": item.price,
                     "currency": "USD"}
        elif name == "purchase":
            props["order_id"] = f"FW-{self.rng.randint(10_000, 99_999)}"
            self.session.cart.clear()
        self.events.append(wire.Custom(ts=ts, name=name, props=props))

    def checkout(self, nxt: tuple[str, Any] | None, start: int) -> list[wire.Click]:
        """Fill the form field by field; leavers stop at a field, often the card number."""
        rng, fields = self.rng, list(CHECKOUT_FIELDS)
        submits = nxt is not None or self.checkout_broken
        quit_at = None
        if submits:
            todo = fields
        elif rng.random() < 0.25:
            todo = []  # looked at the form and left
        else:
            quit_at = weighted(rng, list(QUIT_AT))
            todo = fields[: fields.index(quit_at) + 1]
        tabs = self.device.kind == "desktop" and rng.random() < 0.5
        at, clicks = start + rng.uniform(1500, 4000), []
        for i, field in enumerate(todo):
            if i == 0 or not tabs:
                clicks.append(self.click(int(at), field))
            in_field, to_first = FIELD_PACE[field]
            abandoned = field == quit_at
            typed = not (abandoned and rng.random() < 0.5)
            first = to_first * rng.lognormvariate(0, 0.6) * (1.8 if abandoned else 1)
            first = first if typed else 0.0
            spent = max(first + 300, in_field * rng.lognormvariate(0, 0.4))
            refocus = int(rng.random() < (0.25 if field == "#card-number" else 0.05))
            self.events.append(wire.FormField(
                ts=int(at + spent), selector=field, first_input=round(first, 1),
                time_in_field=round(spent, 1), refocus=refocus + int(abandoned),
                changes=1 + int(rng.expovariate(1.5)) if typed else 0,
                hesitation=first >= HESITATION_MS or not typed, abandoned=abandoned))
            at += spent + rng.uniform(300, 1200)
        if not submits:
            self.left_at = int(at + rng.uniform(2000, 15_000))
            return clicks
        press = self.click(int(at), "#place-order", dead=self.checkout_broken)
        clicks.append(press)
        if self.checkout_broken:
            self.error_at = press.ts + 4
            if rng.random() < 0.7:
                clicks += self.burst(press.ts + rng.randint(500, 900), "#place-order", dead=True)
            if nxt is not None:  # tried again later and it went through
                clicks.append(self.click(clicks[-1].ts + rng.randint(2000, 6000), "#place-order"))
        stay = (300, 900) if nxt else (3000, 20_000)
        self.left_at = clicks[-1].ts + rng.randint(*stay)
        return clicks

    def click(self, ts: int, selector: str, dead: bool = False, rage: bool = False,
              near: tuple[int, int] | None = None) -> wire.Click:
        rng, box = self.rng, self.layout.boxes[selector]
        if near is None:
            rx = min(0.97, max(0.03, rng.gauss(0.5, 0.18)))
            ry = min(0.97, max(0.03, rng.gauss(0.5, 0.18)))
        else:
            rx = min(0.99, max(0.01, (near[0] + rng.randint(-9, 9) - box.x) / box.w))
            ry = min(0.99, max(0.01, (near[1] + rng.randint(-9, 9) - box.y) / box.h))
        return wire.Click(
            ts=ts, selector=selector, x=box.x + round(rx * box.w), y=box.y + round(ry * box.h),
            rx=round(rx, 3), ry=round(ry, 3), viewport_width=self.vw, text=self.text_of(selector),
            no_effect=dead, rage=rage)

    def burst(self, ts: int, selector: str, dead: bool) -> list[wire.Click]:
        """Three to six quick clicks on one spot; the snippet flags the last as a rage click."""
        first = self.click(ts, selector, dead=dead)
        clicks, count = [first], self.rng.randint(3, 6)
        for i in range(1, count):
            ts += self.rng.randint(110, 320)
            clicks.append(self.click(ts, selector, dead=dead, rage=i == count - 1,
                                     near=(first.x, first.y)))
        return clicks

    def text_of(self, selector: str) -> str:
        fixed = {"#add-to-cart": "Add to cart", "#checkout": "Checkout",
                 "#place-order": "Place order",
                 "a.continue": "Continue shopping", "a.continue-shopping": "Continue shopping",
                 "a.logo": "Fernwood", ".hero a.cta": "Shop new jackets",
                 ".hero h1": "Gear for the long way round"}
        if selector in fixed:
            return fixed[selector]
        if selector == ".breadcrumb a":
            return CATEGORIES[PRODUCTS[self.param].category]
        if selector.startswith(("nav.categories a", ".category-tiles a")):
            return list(CATEGORIES.values())[nth(selector) - 1]
        if selector.startswith(".size-picker"):
            return SIZES[nth(selector) - 1]
        if selector.startswith(".product-card") and not selector.endswith(".product-image"):
            item = PRODUCTS[self.listing()[nth(selector) - 1]]
            return item.name if selector.endswith(" a") else f"${item.price:.2f}"
        if selector == ".price":
            return f"${PRODUCTS[self.param].price:.2f}"
        return ""

    def moves(self, clicks: list[wire.Click]) -> list[wire.MoveSamples]:
        """Pointer paths on desktop: from where the pointer rested towards each click."""
        rng, floor = self.rng, self.at + int(self.load.ready) + 1
        x, y = rng.randint(100, self.vw - 100), rng.randint(120, self.vh - 60)
        wander = (self.left_at - rng.randint(500, 3000), rng.randint(50, self.vw - 50),
                  rng.randint(80, self.vh))
        targets = [(c.ts, c.x, c.y) for c in clicks] or [wander]
        out = []
        for ts, tx, ty in targets:
            steps = rng.randint(6, 14)
            points = [(int(x + (tx - x) * k / steps + rng.gauss(0, 6)),
                       int(y + (ty - y) * k / steps + rng.gauss(0, 6)))
                      for k in range(1, steps + 1)]
            out.append(wire.MoveSamples(ts=max(floor, ts - rng.randint(300, 1200)), points=points))
            x, y = tx, ty
        return out

    def lcp_image(self) -> str:
        if self.step not in ("product", "category"):
            return ""
        shown = self.param if self.step == "product" else self.listing()[0]
        return f"{self.session.origin}{PREFIX}/img/{shown}.svg"

    def resources(self) -> list[wire.AnyEvent]:
        """Resources that took over a second; the LCP image is the one that made the page slow."""
        rng, s, out = self.rng, self.session, []
        ts = self.at + int(self.load.total) + 1
        candidates = [("shop.css", "css", 90, 7_400), ("shop.js", "script", 70, 1_900)]
        if self.step in ("home", "category"):
            candidates += [(f"img/{i}.svg", "img", 200, 420) for i in self.listing()[1:]]
        for name, kind, median, size in candidates:
            duration = median * s.network * rng.lognormvariate(0, 0.6)
            if duration > SLOW_RESOURCE_MS:
                out.append(wire.SlowResource(ts=ts, url=f"{s.origin}{PREFIX}/{name}", kind=kind,
                                             duration=round(duration, 1), transfer_size=size))
        image, duration = self.lcp_image(), round(self.load.image * 0.8, 1)
        if image and duration > SLOW_RESOURCE_MS:
            out.append(wire.SlowResource(ts=ts, url=image, kind="img", duration=duration,
                                         transfer_size=420))
        return out

    def errors(self) -> list[wire.AnyEvent]:
        rng, engine, out = self.rng, self.device.engine, []
        src = f"{self.session.origin}{PREFIX}/shop.js"
        ready = self.at + int(self.load.ready) + 1
        if self.step == "product" and self.param % 3 == 0:  # products without a reviews summary
            out.append(self.js_error("rating", engine, src, ready))
        if self.checkout_broken:
            out.append(self.js_error("order" if self.order_bug else "payment", engine, src, self.error_at))
        image = self.lcp_image()
        if image and self.load.image * 0.8 > IMAGE_TIMEOUT_MS:
            out.append(wire.JsError(
                ts=self.at + int(self.load.fcp) + IMAGE_TIMEOUT_MS, kind="console", source=src,
                message=f"Product image {urlsplit(image).path} timed out after "
                        f"{IMAGE_TIMEOUT_MS} ms"))
        if engine == "chrome" and self.device.kind == "desktop" and rng.random() < 0.03:
            out.append(wire.JsError(
                ts=max(ready, self.left_at - rng.randint(100, 2000)),
                message="ResizeObserver loop completed with undelivered notifications."))
        return out

    def js_error(self, kind: str, engine: str, src: str, ts: int) -> wire.JsError:
        (line, col), (caller_line, caller_col) = ERROR_SITES[kind]
        message, stack = ERRORS[(kind, engine)]
        stack = stack.format(src=src, line=line, col=col, caller=f"{caller_line}:{caller_col}")
        return wire.JsError(ts=ts, message=message, stack=stack, source=src, line=line, column=col)

    def on_leave(self, clicks: list[wire.Click]) -> list[wire.AnyEvent]:
        """What the snippet sends as the page is hidden: scroll depth and the final vitals."""
        rng, load, ts, height = self.rng, self.load, self.left_at - 20, self.layout.height
        needed = max((c.y + 60 for c in clicks), default=0)
        below_fold = max(0, height - self.vh)
        explored = self.vh + (0 if rng.random() < 0.35 else rng.random() ** 0.7 * below_fold)
        depth = int(min(height, max(self.vh, needed, explored)))
        image, element = self.lcp_image(), LCP_ELEMENT[self.step]
        shifted = SHIFTS[self.step][0] if load.cls else ""
        out: list[wire.AnyEvent] = [
            wire.Scroll(ts=ts, depth=depth, depth_share=round(min(1.0, depth / height), 3),
                        page_height=height),
            self.vital(ts, "LCP", load.lcp, element, {
                "element": element, "url": image, "timeToFirstByte": round(load.ttfb, 1),
                "resourceLoadDelay": round(load.fcp - load.ttfb, 1) if image else 0.0,
                "resourceLoadDuration": round(load.image * 0.8, 1) if image else 0.0,
                "elementRenderDelay": round(load.image * (0.2 if image else 1), 1)}),
            self.vital(ts, "CLS", load.cls, shifted, {
                "largestShiftTarget": shifted, "largestShiftValue": round(load.cls * 0.8, 4)}),
        ]
        if clicks:
            worst, target = max((self.latency(c.selector), c.selector) for c in clicks)
            out.append(self.vital(ts, "INP", worst, target, {
                "interactionTarget": target, "interactionType": "pointer",
                "inputDelay": round(worst * 0.2, 1), "processingDuration": round(worst * 0.6, 1),
                "presentationDelay": round(worst * 0.2, 1)}))
        return out

    def latency(self, selector: str) -> float:
        base = 40 * self.session.cpu * self.rng.lognormvariate(0, 0.5)
        if selector == "#add-to-cart":
            return base + self.cart_latency
        if selector == "#place-order":
            return base + 90 * self.session.cpu * self.rng.lognormvariate(0, 0.5)
        return base

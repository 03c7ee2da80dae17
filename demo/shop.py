"""The demo shop served at /demo/shop/: its catalogue, its pages and where their elements sit.

The layout functions mirror shop.css, so the demo generator can click where a visitor's
pointer would really land and heatmaps of seeded and live traffic line up.
"""

from __future__ import annotations

import dataclasses
from importlib import resources

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from footfall.store.vocabulary import MOBILE_MAX_WIDTH, TABLET_MAX_WIDTH

PREFIX = "/demo/shop"
SITE_KEY = "demo"
CART_COOKIE = "ff_demo_cart"
MAX_CART_ITEMS = 12
CACHE = {"Cache-Control": "public, max-age=300"}


@dataclasses.dataclass(frozen=True)
class Product:
    id: int
    name: str
    category: str
    price: float
    hue: int  # the colour of its generated picture


CATEGORIES = {"jackets": "Jackets", "boots": "Boots", "packs": "Packs"}
PRODUCTS = {
    p.id: p
    for p in (
        Product(1, "Ridgeline Shell", "jackets", 189.0, 200),
        Product(2, "Alder Down Parka", "jackets", 249.0, 20),
        Product(3, "Tarn Fleece", "jackets", 79.0, 140),
        Product(4, "Squall Rain Jacket", "jackets", 129.0, 50),
        Product(5, "Larch Softshell", "jackets", 139.0, 280),
        Product(6, "Cirrus Wind Shirt", "jackets", 69.0, 180),
        Product(7, "Granite Hiker", "boots", 169.0, 30),
        Product(8, "Brook Trail Runner", "boots", 119.0, 100),
        Product(9, "Summit Mountaineer", "boots", 289.0, 0),
        Product(10, "Moss Approach Shoe", "boots", 129.0, 90),
        Product(11, "Fell Running Shoe", "boots", 109.0, 320),
        Product(12, "Cairn Winter Boot", "boots", 199.0, 220),
        Product(13, "Kestrel 28 Daypack", "packs", 99.0, 160),
        Product(14, "Heron 45 Trekking Pack", "packs", 189.0, 240),
        Product(15, "Wren 12 Hip Pack", "packs", 39.0, 60),
        Product(16, "Ptarmigan 65 Expedition", "packs", 259.0, 260),
        Product(17, "Dipper Roll-top Dry Bag", "packs", 35.0, 190),
        Product(18, "Merlin 20 Running Vest", "packs", 109.0, 340),
    )
}
FEATURED = (2, 7, 14, 9)
SIZES = ("S", "M", "L", "XL")


def in_category(slug: str) -> list[Product]:
    return [p for p in PRODUCTS.values() if p.category == slug]


# -- layout: page boxes in CSS pixels, as shop.css lays them out -------------------------
HEADER_HEIGHT = 64
FOOTER_HEIGHT = 120
MAX_WIDTH = 1120


@dataclasses.dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    @property
    def bottom(self) -> int:
        return self.y + self.h


@dataclasses.dataclass(frozen=True)
class Layout:
    """Element selectors to their boxes on one page at one viewport width, and the page height."""

    boxes: dict[str, Box]
    height: int


def _frame(vw: int) -> tuple[int, int, int]:
    """Left edge, top and width of the content column (main is centred, max 1120px, padded)."""
    pad = 16 if vw <= MOBILE_MAX_WIDTH else 24
    return max(0, (vw - MAX_WIDTH) // 2) + pad, HEADER_HEIGHT + pad, min(vw, MAX_WIDTH) - 2 * pad


def _header(vw: int) -> dict[str, Box]:
    pad = 16 if vw <= MOBILE_MAX_WIDTH else 24
    boxes = {"a.logo": Box(pad, 16, 132, 32), "nav a.cart": Box(vw - pad - 96, 16, 96, 32)}
    if vw > MOBILE_MAX_WIDTH:  # category links are hidden on phones
        for k in range(1, len(CATEGORIES) + 1):
            boxes[f"nav.categories a:nth-child({k})"] = Box(pad + 172 + (k - 1) * 112, 16, 100, 32)
    return boxes


def _grid(x0: int, y: int, width: int, vw: int, count: int) -> tuple[dict[str, Box], int]:
    cols = 2 if vw <= MOBILE_MAX_WIDTH else 3 if vw <= TABLET_MAX_WIDTH else 4
    gap = 12 if vw <= MOBILE_MAX_WIDTH else 24
    side = (width - gap * (cols - 1)) // cols
    boxes = {}
    for i in range(count):
        row, col = divmod(i, cols)
        cx, cy = x0 + col * (side + gap), y + row * (side + 68 + gap)
        card = f".product-card:nth-child({i + 1})"
        boxes[f"{card} .product-image"] = Box(cx, cy, side, side)
        boxes[f"{card} a"] = Box(cx, cy + side + 8, side, 24)
        boxes[f"{card} .price"] = Box(cx, cy + side + 36, 96, 24)
    rows = -(-count // cols)
    return boxes, y + rows * (side + 68) + (rows - 1) * gap


def layout(page: str, vw: int, cart_items: int = 1) -> Layout:
    x0, y0, width = _frame(vw)
    mobile, desktop = vw <= MOBILE_MAX_WIDTH, vw > TABLET_MAX_WIDTH
    boxes = _header(vw)
    if page == "home":
        hero_h = 240 if mobile else 360 if desktop else 300
        inset = 24 if mobile else 40
        boxes[".hero"] = Box(x0, y0, width, hero_h)
        boxes[".hero h1"] = Box(x0 + inset, y0 + 48, min(width - 2 * inset, 560), 96)
        boxes[".hero a.cta"] = Box(x0 + inset, y0 + hero_h - inset - 52, 220, 52)
        tiles_y = y0 + hero_h + 32
        tile_h = 96 if mobile else 160 if desktop else 120
        gap = 12 if mobile else 24
        tile_w = (width - 2 * gap) // 3
        for k in range(3):
            tile = Box(x0 + k * (tile_w + gap), tiles_y, tile_w, tile_h)
            boxes[f".category-tiles a:nth-child({k + 1})"] = tile
        grid, bottom = _grid(x0, tiles_y + tile_h + 32 + 56, width, vw, len(FEATURED))
        boxes.update(grid)
    elif page == "category":
        boxes["h1"] = Box(x0, y0, width, 40)
        boxes[".filters .count"] = Box(x0, y0 + 56, 120, 44)
        boxes[".filters select"] = Box(x0 + width - 200, y0 + 56, 200, 44)
        grid, bottom = _grid(x0, y0 + 116, width, vw, 6)
        boxes.update(grid)
    elif page == "product":
        side = 520 if desktop else min(width, 560)
        boxes[".product-image"] = image = Box(x0, y0, side, side)
        ix, iy, iw = (x0 + 560, y0, width - 560) if desktop else (x0, y0 + side + 24, width)
        boxes[".breadcrumb a"] = Box(ix, iy, 120, 20)
        boxes["h1"] = Box(ix, iy + 28, iw, 40)
        boxes[".price"] = Box(ix, iy + 76, 120, 32)
        for k in range(1, len(SIZES) + 1):
            boxes[f".size-picker button:nth-child({k})"] = Box(ix + (k - 1) * 64, iy + 124, 56, 44)
        boxes["#add-to-cart"] = Box(ix, iy + 192, min(iw, 280), 52)
        boxes[".description"] = Box(ix, iy + 268, iw, 160)
        reviews_y = max(image.bottom, iy + 428) + 48
        boxes[".reviews"] = Box(x0, reviews_y, width, 360)
        bottom = reviews_y + 360
    elif page == "cart":
        boxes["h1"] = Box(x0, y0, width, 40)
        for k in range(1, cart_items + 1):
            item = Box(x0, y0 + 56 + (k - 1) * 112, width, 96)
            boxes[f".cart-item:nth-child({k})"] = item
            boxes[f".cart-item:nth-child({k}) .remove"] = Box(x0 + width - 80, item.y + 36, 64, 24)
        items_bottom = y0 + 56 + cart_items * 112 - 16
        sx, sw = (x0, width) if mobile else (x0 + width - 320, 320)
        boxes[".cart-total"] = Box(sx, items_bottom + 16, sw, 48)
        boxes["#checkout"] = Box(sx, items_bottom + 80, sw, 52)
        boxes["a.continue"] = Box(sx, items_bottom + 148, 200, 24)
        bottom = items_bottom + 172
    elif page == "checkout":
        form_w = min(width, 560)
        boxes["h1"] = Box(x0, y0, form_w, 40)
        top = y0 + 56
        for field, offset in CHECKOUT_FIELDS.items():
            boxes[field] = Box(x0, top + offset + 28, form_w, 44)
        boxes["fieldset.address"] = Box(x0, top + 152, form_w, 260)
        boxes["#place-order"] = Box(x0, top + 688, form_w, 52)
        if desktop:  # beside the form, else below it
            boxes[".order-summary"] = Box(x0 + form_w + 48, top, min(360, width - form_w - 48), 320)
        else:
            boxes[".order-summary"] = Box(x0, top + 772, width, 320)
        bottom = max(top + 740, boxes[".order-summary"].bottom)
    elif page == "thank-you":
        boxes["h1"] = Box(x0, y0, width, 40)
        boxes[".order-number"] = Box(x0, y0 + 56, width, 24)
        boxes["a.continue-shopping"] = Box(x0, y0 + 104, 220, 44)
        bottom = y0 + 148
    else:
        raise ValueError(f"no such shop page: {page!r}")
    return Layout(boxes, bottom + (y0 - HEADER_HEIGHT) + FOOTER_HEIGHT)


# Offsets of each field group in the checkout form; the input sits 28px below (its label).
CHECKOUT_FIELDS = {
    "#name": 0, "#email": 76,
    "#street": 184, "#city": 260, "#postcode": 336,
    "#card-number": 444, "#card-expiry": 520, "#card-cvc": 596,
}


# -- pages --------------------------------------------------------------------------------
templates = jinja2.Environment(
    loader=jinja2.PackageLoader("footfall.demo", "templates/shop"),
    autoescape=jinja2.select_autoescape(("html",)),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(name: str, status: int = 200, **context: object) -> HTMLResponse:
    page = templates.get_template(name).render(
        prefix=PREFIX, site_key=SITE_KEY, categories=CATEGORIES, **context
    )
    return HTMLResponse(page, status_code=status)


def cart_of(request: Request) -> list[int]:
    raw = request.cookies.get(CART_COOKIE, "")
    return [int(p) for p in raw.split(".") if p.isdigit() and int(p) in PRODUCTS][:MAX_CART_ITEMS]


def cart_lines(ids: list[int]) -> list[tuple[Product, int]]:
    return [(PRODUCTS[i], ids.count(i)) for i in dict.fromkeys(ids)]


async def home(request: Request) -> Response:
    return render("home.html", featured=[PRODUCTS[i] for i in FEATURED], cart=len(cart_of(request)))


async def category(request: Request) -> Response:
    slug = request.path_params["slug"]
    if slug not in CATEGORIES:
        return render("missing.html", status=404, cart=0)
    products = in_category(slug)
    if request.query_params.get("sort") == "price":
        products.sort(key=lambda p: p.price)
    return render("category.html", slug=slug, title=CATEGORIES[slug], products=products,
                  sort=request.query_params.get("sort", ""), cart=len(cart_of(request)))


async def product(request: Request) -> Response:
    item = PRODUCTS.get(request.path_params["id"])
    if item is None:
        return render("missing.html", status=404, cart=0)
    return render("product.html", product=item, sizes=SIZES,
                  category_title=CATEGORIES[item.category], cart=len(cart_of(request)))


async def cart(request: Request) -> Response:
    ids = cart_of(request)
    change = request.query_params
    if "add" in change or "remove" in change:
        if change.get("add", "").isdigit() and int(change["add"]) in PRODUCTS:
            ids = [*ids, int(change["add"])][-MAX_CART_ITEMS:]
        if change.get("remove", "").isdigit():
            ids = [i for i in ids if i != int(change["remove"])]
        response = RedirectResponse(f"{PREFIX}/cart", status_code=303)
        response.set_cookie(CART_COOKIE, ".".join(map(str, ids)), path=PREFIX, samesite="lax")
        return response
    lines = cart_lines(ids)
    total = sum(p.price * qty for p, qty in lines)
    return render("cart.html", lines=lines, total=total, cart=len(ids))


async def checkout(request: Request) -> Response:
    ids = cart_of(request)
    lines = cart_lines(ids)
    total = sum(p.price * qty for p, qty in lines)
    return render("checkout.html", lines=lines, total=total, cart=len(ids))


async def thank_you(request: Request) -> Response:
    # The form posts here so nothing typed lands in a URL; the body is never read.
    if request.method == "POST":
        response = RedirectResponse(f"{PREFIX}/thank-you", status_code=303)
        response.delete_cookie(CART_COOKIE, path=PREFIX)
        return response
    return render("thank_you.html", cart=0)


def asset(name: str, media_type: str) -> Route:
    body = (resources.files("footfall.demo") / "templates" / "shop" / name).read_bytes()

    async def serve(request: Request) -> Response:
        return Response(body, media_type=media_type, headers=CACHE)

    return Route(f"/{name}", serve)


async def picture(request: Request) -> Response:
    """A generated product picture, so the shop needs no image files and no internet."""
    item = PRODUCTS.get(request.path_params["id"])
    hue = item.hue if item else 0
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 400">'
        f'<rect width="400" height="400" fill="hsl({hue},45%,88%)"/>'
        f'<circle cx="200" cy="170" r="96" fill="hsl({hue},55%,55%)"/>'
        f'<rect x="90" y="290" width="220" height="28" rx="14" fill="hsl({hue},35%,70%)"/></svg>'
    )
    return Response(svg, media_type="image/svg+xml", headers=CACHE)


def routes() -> list[Route | Mount]:
    return [
        Mount(PREFIX, routes=[
            Route("/", home),
            Route("/category/{slug}", category),
            Route("/product/{id:int}", product),
            Route("/cart", cart),
            Route("/checkout", checkout),
            Route("/thank-you", thank_you, methods=["GET", "POST"]),
            Route("/img/{id:int}.svg", picture),
            asset("shop.css", "text/css"),
            asset("shop.js", "application/javascript"),
        ]),
    ]

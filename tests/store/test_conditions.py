"""The page a row is stored under and the page a query asks for come from one rule: Python's
page_path (queries, snapshots, the collector) agrees with the ingest views' SQL, URL by URL."""

from __future__ import annotations

from typing import Any

import pytest

from footfall.store.conditions import on_path
from footfall.store.vocabulary import page_path

# The ingest views' expression (store/migrations/0002_ingest_views.sql), evaluated by ClickHouse.
VIEW_PAGE_PATH = """
WITH
    {url:String} AS url,
    if(startsWith(fragment(url), '/'), concat('#', splitByChar('?', fragment(url))[1]), '') AS route
SELECT concat(if(path(url) = '', '/', path(url)), route)
"""

URLS = [
    "https://todomvc.test/index.html#/active", "https://todomvc.test/index.html#/completed?x=1",
    "https://shop.test/", "https://shop.test", "https://shop.test/cart?step=2", "https://shop.test/cart#reviews",
    "https://shop.test/p?q=1#/route", "https://shop.test/a/b/c/?x#", "http://shop.test:8080/x#/",
    "https://shop.test/#/", "https://shop.test/caf%C3%A9", "https://shop.test/product/1?utm_source=x#top",
]


@pytest.mark.parametrize("url", URLS)
def test_the_store_and_the_queries_name_a_page_alike(store: Any, url: str) -> None:
    assert page_path(url) == store.scalar(VIEW_PAGE_PATH, {"url": url})


def test_a_page_asked_for_by_its_path_is_the_page_stored() -> None:
    assert page_path("/index.html#/active") == page_path("https://todomvc.test/index.html#/active")
    assert page_path("/cart?step=2") == "/cart" and page_path("cart") == "/cart"
    assert page_path("/cart#reviews") == "/cart"
    params: dict[str, Any] = {}
    assert on_path("/index.html#/active", params) == "path = {path:String}"
    assert params["path"] == "/index.html#/active"

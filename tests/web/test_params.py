"""A route's query read into its Struct (web/params.py): values as their types take them, and each
refusal naming the parameter with the message its type or the Struct's `refusals` gives."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

import pytest
from msgspec import Meta
from starlette.requests import Request

from footfall.collector.rejection import Rejected
from footfall.web.params import Query, Refusal, Switch, query_of


class Sample(Query, kw_only=True):
    url: Annotated[str, Meta(min_length=1, max_length=8)]
    order: Literal["asc", "desc"] = "desc"
    device: Literal["mobile", "tablet", "desktop"] | None = None
    signal: list[Literal["rage_click", "dead_click"]] = []
    has_error: bool | None = None
    optional: Switch = False
    limit: Annotated[int, Meta(ge=1, le=500)] = 50
    seconds: Annotated[float, Meta(ge=0, le=10)] | None = None
    refusals = {"url": Refusal("url is too long", missing="url is required: a path"),
                "seconds": Refusal("seconds must be 0 to 10", "seconds must be a number")}


def request(*pairs: tuple[str, str]) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "query_string": urlencode(pairs).encode(),
                    "headers": []})


def refusal(*pairs: tuple[str, str]) -> tuple[str, str]:
    with pytest.raises(Rejected) as caught:
        query_of(request(("url", "/"), *pairs), Sample)
    assert caught.value.status == 400
    return caught.value.field, caught.value.message


def test_values_as_their_types_take_them() -> None:
    read = query_of(request(("url", "/a"), ("order", ""), ("signal", "rage_click, dead_click"),
                            ("signal", "rage_click"), ("has_error", "YES"), ("optional", "1"), ("limit", "+7"),
                            ("seconds", "2.5")), Sample)
    assert read == Sample(url="/a", signal=["rage_click", "dead_click"], has_error=True, optional=True, limit=7,
                          seconds=2.5)
    assert query_of(request(("url", "/"), ("optional", "yes"), ("has_error", "0")), Sample).optional is False


def test_refusals_name_the_parameter() -> None:
    assert refusal(("order", "up")) == ("order", "order must be asc or desc")
    assert refusal(("device", "tv")) == ("device", "device must be one of mobile, tablet, desktop")
    assert refusal(("signal", "rage_click,x")) == ("signal", "signal must be rage_click or dead_click")
    assert refusal(("has_error", "maybe")) == ("has_error", "has_error must be true or false")
    for raw in ("x", "1.5", " 5", "5_0", "１２", "²"):
        assert refusal(("limit", raw)) == ("limit", "limit must be an integer"), raw
    assert refusal(("limit", "0")) == ("limit", "limit must be 1 to 500")
    assert refusal(("seconds", "soon")) == ("seconds", "seconds must be a number")
    for raw in ("-1", "nan", "inf"):
        assert refusal(("seconds", raw)) == ("seconds", "seconds must be 0 to 10"), raw
    assert refusal(("url", "/" * 9)) == ("url", "url is too long")
    assert refusal(("url", "")) == ("url", "url is required: a path")  # the last value counts, and empty is none
    assert refusal(("limit", "0"), ("order", "up")) == ("order", "order must be asc or desc")  # declared first

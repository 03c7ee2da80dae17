"""Funnels computed in the embedded ClickHouse against the plain-Python reference
(funnel_reference.py) on generated data: random visitors, sessions and events with many ties, random
funnels of pages, patterns, custom events with properties and clicks, windows, modes, counting,
exclusions and breakdowns. Plus a few hand-made journeys whose answers are known."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from footfall.analysis import funnels
from footfall.analysis.funnels import Exclusion, Funnel, Step
from tests.analysis.funnel_reference import Row, reference

BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
BASE_MS = int(BASE.timestamp() * 1000)
END_MS = BASE_MS + 12_000  # attempts start before 12 s; they may go on until the window ends

PAGES = ["/a", "/b", "/c", "/p/1", "/p/2"]
STEP_POOL = [Step(page="/a"), Step(page="/b"), Step(page="/c"), Step(page="/p/*"), Step(event="x"),
             Step(event="x", props=(("k", "1"),)), Step(event="y"), Step(selector="#s")]


def store_rows(store, site: str, rows: list[Row]) -> None:  # noqa: ANN001
    def at(row: Row) -> datetime:
        return datetime.fromtimestamp(row.t / 1000, UTC)

    pages = [[site, at(r), r.session, r.visitor, uuid.uuid4().hex, r.path, r.device, r.browser,
              "" if r.source == "(direct)" else r.source, 30] for r in rows if r.kind == "page"]
    events = [[site, at(r), r.kind, r.session, r.visitor, r.path or "/a", r.name, json.dumps(dict(r.props)),
               r.selector, r.device, 30] for r in rows if r.kind != "page"]
    if pages:
        store.insert_rows("pageviews", ["site", "time", "session_id", "visitor_id", "pageview_id", "path", "device",
                                        "browser", "referrer_host", "retention"], pages)
    if events:
        store.insert_rows("events", ["site", "time", "type", "session_id", "visitor_id", "path", "name", "props",
                                     "selector", "device", "retention"], events)


@st.composite
def journeys(draw: st.DrawFn) -> list[Row]:
    rows = []
    for v in range(draw(st.integers(1, 4))):
        device = draw(st.sampled_from(["desktop", "mobile"]))
        for s in range(draw(st.integers(1, 2))):
            for _ in range(draw(st.integers(0, 9))):
                t = BASE_MS + draw(st.integers(0, 20)) * 1000  # whole seconds: many ties
                kind = draw(st.sampled_from(["page", "page", "page", "custom", "click"]))
                rows.append(Row(
                    f"v{v}", f"v{v}s{s}", t, kind,
                    path=draw(st.sampled_from(PAGES)) if kind == "page" else "",
                    name=draw(st.sampled_from(["x", "y"])) if kind == "custom" else "",
                    selector=draw(st.sampled_from(["#s", "#t"])) if kind == "click" else "",
                    props=(("k", draw(st.sampled_from(["1", "2"]))),) if kind == "custom" else (),
                    device=device, browser=draw(st.sampled_from(["Chrome", "Firefox"])),
                    source=draw(st.sampled_from(["(direct)", "news.test"]))))
    return rows


@st.composite
def funnel_defs(draw: st.DrawFn) -> Funnel:
    steps = tuple(draw(st.lists(st.sampled_from(STEP_POOL), min_size=2, max_size=4)))
    exclusions = ()
    if draw(st.booleans()):
        after = draw(st.integers(1, len(steps) - 1))
        exclusions = (Exclusion(draw(st.sampled_from(STEP_POOL)), after, draw(st.integers(after + 1, len(steps)))),)
    return Funnel(steps, window_s=draw(st.sampled_from([1, 3, 10, 3600])), mode=draw(st.sampled_from(funnels.MODES)),
                  count_by=draw(st.sampled_from(funnels.COUNT_BY)), exclusions=exclusions,
                  breakdown=draw(st.sampled_from([None, *funnels.BREAKDOWNS])))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=journeys(), funnel=funnel_defs())
def test_the_query_agrees_with_the_reference(store, rows: list[Row], funnel: Funnel) -> None:  # noqa: ANN001
    site = "fn-" + uuid.uuid4().hex[:12]
    store_rows(store, site, rows)
    got = funnels.query(store, site, BASE, datetime.fromtimestamp(END_MS / 1000, UTC), funnel)
    assert got == reference(rows, funnel, BASE_MS, END_MS)


# -- known journeys ---------------------------------------------------------------------------------
def run(store, rows: list[Row], funnel: Funnel) -> list[tuple[int, float | None]]:  # noqa: ANN001
    site = "fk-" + uuid.uuid4().hex[:12]
    store_rows(store, site, rows)
    got = funnels.query(store, site, BASE, BASE + timedelta(hours=1), funnel)
    params = funnels.range_params(site, BASE, BASE + timedelta(hours=1), funnel)
    levels = store.rows(f"WITH units AS ({funnels.units_sql(funnel, params, views=True)}) "
                        "SELECT level, length(views) FROM units", params)
    assert all(level == views for level, views in levels)  # keeping the steps' page views changes no level
    assert [sum(level >= k for level, _ in levels) for k in range(1, len(funnel.steps) + 1)] == \
        [s["entered"] for s in got["steps"]]
    return [(s["entered"], s["median_s"]) for s in got["steps"]]


def page(visitor: str, seconds: int, path: str, session: str = "") -> Row:
    return Row(visitor, session or visitor, BASE_MS + seconds * 1000, "page", path=path)


SHOP = (Step(page="/"), Step(page="/product/*"), Step(page="/cart"))


def test_ordered_strict_and_unordered(store) -> None:  # noqa: ANN001
    rows = [page("a", 0, "/"), page("a", 5, "/about"), page("a", 10, "/product/1"), page("a", 30, "/cart"),
            page("b", 0, "/"), page("b", 4, "/product/2"),
            page("c", 0, "/cart"), page("c", 2, "/product/3"), page("c", 3, "/")]
    assert run(store, rows, Funnel(SHOP)) == [(3, None), (2, 10.0), (1, 20.0)]  # medians: the upper of two
    assert run(store, rows, Funnel(SHOP, mode="strict")) == [(3, None), (1, 4.0), (0, None)]  # a saw /about
    assert run(store, rows, Funnel(SHOP, mode="unordered")) == [(3, None), (3, 4.0), (2, 20.0)]  # c backwards


def test_the_window_re_entry_and_exclusions(store) -> None:  # noqa: ANN001
    rows = [page("a", 0, "/"), page("a", 100, "/"), page("a", 110, "/product/1"), page("a", 120, "/cart"),
            page("b", 0, "/"), page("b", 5, "/product/1"), page("b", 6, "/pricing"), page("b", 8, "/cart")]
    # a's first attempt times out; its second, from the later visit to /, converts.
    assert run(store, rows, Funnel(SHOP, window_s=60)) == [(2, None), (2, 10.0), (2, 10.0)]
    pricing = Exclusion(Step(page="/pricing"), after=2, before=3)
    assert run(store, rows, Funnel(SHOP, window_s=60, exclusions=(pricing,))) == [(1, None), (1, 10.0), (1, 10.0)]


def test_per_session_and_per_visitor(store) -> None:  # noqa: ANN001
    rows = [page("a", 0, "/", "a1"), page("a", 600, "/product/1", "a2"), page("b", 0, "/", "b1")]
    assert run(store, rows, Funnel(SHOP[:2]))[1] == (1, 600.0)
    assert run(store, rows, Funnel(SHOP[:2], count_by="session")) == [(2, None), (0, None)]


def test_bad_funnels_are_refused() -> None:
    for bad in (lambda: Funnel((Step(page="/"),)), lambda: Funnel(SHOP, mode="loose"),
                lambda: Funnel(SHOP, window_s=0), lambda: Funnel(SHOP, exclusions=(Exclusion(SHOP[0], 2, 2),)),
                lambda: Step(page="/", event="x"), lambda: Step(page="/", props=(("k", "v"),)),
                lambda: Funnel(SHOP, breakdown="country")):
        with pytest.raises(ValueError):
            bad()

"""The heatmaps API on the embedded store: maps as JSON and PNG, the layout-placed click map, the
scroll band, the snapshot to draw over, the element ranking, and each bad parameter's 4xx."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import msgspec
import pytest
from PIL import Image

from footfall.analysis.heatmaps import CELL, COLUMNS, MAX_HEIGHT, ROWS
from footfall.collector import frames, rows, wire
from footfall.store import tokens
from footfall.web import heatmaps_api
from tests.helpers import TestClient, guarded_client, land
from tests.visits import CHROME, DAY, HOUR, Visit, click, ms, rrweb


@dataclass
class Made:
    site: str
    sid: str
    snapshot: list[dict]


def recorded(site: str, sid: str, pv: str, seq: int, events: list[dict]) -> tuple[bytes, wire.ReplayChunk,
                                                                                    rows.Context]:
    body = {"v": 1, "site": site, "sid": sid, "pv": pv, "seq": seq, "data": json.dumps(events), "ts": ms(DAY) + HOUR}
    record = wire.replay_decoder.decode(msgspec.json.encode(body))
    return frames.REPLAY, record, rows.Context(ms(DAY) + 2 * HOUR, "server-hash", CHROME, 30)


@pytest.fixture(scope="module")
def made(store) -> Made:  # noqa: ANN001
    site = "hma-" + uuid.uuid4().hex[:8]
    visit = Visit(site, "a", ms(DAY) + HOUR).page(
        "/shop", 0, click(0.0, 200, 120, s="#buy", rx=0.5, ry=0.5), click(3.0, 210, 124, s="#buy", rx=0.55, ry=0.6),
        click(6.0, 40, 900, s="a.help", dead=True),
        {"t": "scroll", "ts": 0.1, "d": 800, "pct": 0.2, "h": 4000},
        {"t": "scroll", "ts": 2.0, "d": 2400, "pct": 0.6, "h": 4000},
        {"t": "move", "ts": 1.0, "p": [[200, 120], [204, 120]]})
    meta = rrweb(4, ms(DAY) + HOUR, href="https://shop.test/shop", width=1280, height=800)
    full = rrweb(2, ms(DAY) + HOUR + 5, node={"type": 0, "childNodes": [], "id": 1})
    land(store, [*visit.records,
                 recorded(site, visit.sid, visit.pageview_ids[0], 0, [meta, full, rrweb(3, ms(DAY) + HOUR + 9)])])
    return Made(site, visit.sid, [meta, full])


@pytest.fixture(scope="module")
def api(store, made) -> Iterator[tuple[TestClient, dict[str, str]]]:  # noqa: ANN001
    with guarded_client(store, heatmaps_api.routes(store), made.site, "heatmap-tests") as api:
        yield api


def url(made: Made, path: str, **params: str) -> str:
    query = {"url": "/shop", "from": DAY.date().isoformat(), **params}
    return f"/api/v1/sites/{made.site}/{path}?" + "&".join(f"{k}={v}" for k, v in query.items())


def test_click_map_as_json_and_png(made, api) -> None:  # noqa: ANN001
    client, auth = api
    got = client.get(url(made, "heatmaps/click"), headers=auth).json()
    assert got["total"] == 3 and got["cell"] == CELL
    assert sorted(got["bins"]) == sorted([[200 // CELL * CELL, 120 // CELL * CELL, 1],
                                          [210 // CELL * CELL, 124 // CELL * CELL, 1], [40, 896, 1]])
    response = client.get(url(made, "heatmaps/click", format="png", width="1280", height="1600"), headers=auth)
    assert response.headers["content-type"] == "image/png" and response.headers["x-heatmap-cell"] == str(CELL)
    with Image.open(io.BytesIO(response.content)) as png:
        assert png.size == (1280 // CELL, 1600 // CELL)
        alpha = png.getchannel("A")
        hottest = max((alpha.getpixel((x, y)), (x, y)) for x in range(png.width) for y in range(png.height))
        assert abs(hottest[1][0] - 205 / CELL) <= 2 and abs(hottest[1][1] - 122 / CELL) <= 2  # the two #buy clicks


def test_posted_layout_places_clicks_inside_the_elements(made, api) -> None:  # noqa: ANN001
    client, auth = api
    layout = {"layout": {"#buy": [600, 3000, 100, 20], "#not-clicked": [0, 0, 10, 10]}}
    got = client.post(url(made, "heatmaps/click"), headers=auth, json=layout).json()
    assert got["total"] == 3
    placed = {(left, top) for left, top, _ in got["bins"]}
    assert (40, 896) in placed  # a.help is not in the layout: its page position
    assert all(600 <= left < 700 and 3000 - CELL < top < 3020 for left, top in placed - {(40, 896)})


def test_clicks_on_fixed_elements_are_a_layer_of_their_own(made, api) -> None:  # noqa: ANN001
    client, auth = api
    body = {"layout": {"#buy": [600, 20, 100, 20], "a.help": [0, 3000, 80, 20]}, "fixed": ["#buy"]}
    fixed = client.post(url(made, "heatmaps/click", layer="fixed"), headers=auth, json=body).json()
    page = client.post(url(made, "heatmaps/click"), headers=auth, json=body).json()
    assert fixed["total"] == 2 and all(600 <= x < 700 and 16 <= y < 40 for x, y, _ in fixed["bins"])
    assert page["total"] == 1 and page["bins"][0][1] >= 3000 - CELL  # a.help, where the layout put it
    png = client.post(url(made, "heatmaps/click", layer="fixed", format="png", width="1280", height="800"),
                      headers=auth, json=body)
    with Image.open(io.BytesIO(png.content)) as image:
        assert image.size == (1280 // CELL, 800 // CELL) and image.getpixel((650 // CELL, 30 // CELL))[3] > 0
    bad = client.post(url(made, "heatmaps/click"), headers=auth, json={**body, "fixed": ["#nowhere"]})
    assert bad.status_code == 400 and bad.json()["field"] == "fixed"
    bad = client.post(url(made, "heatmaps/click", layer="sticky"), headers=auth, json=body)
    assert bad.status_code == 400 and bad.json()["field"] == "layer"


def test_a_layout_far_down_the_page_draws_on_a_bounded_grid(made, api) -> None:  # noqa: ANN001
    """The grid ends at MAX_WIDTH x MAX_HEIGHT whatever the layout says: a box just above 40,000 px
    is drawn at the grid's bottom, one below is dropped like a page position beyond it, and the
    PNG of either is at most COLUMNS x ROWS pixels (was one pixel per cell down to the box)."""
    client, auth = api
    inside = {"layout": {"#buy": [600, MAX_HEIGHT - 20, 100, 20]}}
    got = client.post(url(made, "heatmaps/click"), headers=auth, json=inside).json()
    assert got["total"] == 3 and max(top for _, top, _ in got["bins"]) >= MAX_HEIGHT - 2 * CELL
    for far in (MAX_HEIGHT, 1_000_000):
        beyond = {"layout": {"#buy": [far, far, 1_000_000, 1_000_000]}}
        got = client.post(url(made, "heatmaps/click"), headers=auth, json=beyond).json()
        assert got["total"] == 1 and got["height"] <= MAX_HEIGHT  # a.help by page position alone
    for body in (inside, {"layout": {"#buy": [0, 0, 1_000_000, 1_000_000]}, "fixed": ["#buy"]}):
        for layer in ("page", "fixed"):
            png = client.post(url(made, "heatmaps/click", format="png", layer=layer, width="100000",
                                  height="100000"), headers=auth, json=body)
            with Image.open(io.BytesIO(png.content)) as image:
                assert image.size == (COLUMNS, ROWS)


@pytest.mark.parametrize(("body", "field"), [
    (b'{"layout": {"#a": [0, 1e15, 10, 10]}}', "layout"),
    (b'{"layout": {"#a": [-1000001, 0, 10, 10]}}', "layout"),
    (b'{"layout": {"#a": [0, 0, 1000001, 10]}}', "layout"),
    (b'{"layout": {"#a": [0, 0, 10, 1e400]}}', "layout"),
    (b'{"layout": {"#a": [true, 0, 10, 10]}}', "layout"),
    (b'{"layout": {"#a": [0, 0, 10, 10]}, "extra": 1}', "layout"),
    (b'{"layout": ' + b"[" * 1000 + b"]" * 1000 + b"}", "layout"),
    (b'{"layout": {"#a": ' + b"[" * 1000 + b"]" * 1000 + b"}}", "layout"),
    (b'{"deep": ' + b'{"a": ' * 1000 + b"1" + b"}" * 1000 + b"}", "layout"),
    (b"[" * 100_000 + b"]" * 100_000, "layout"),
    (b'{"layout": {}, "fixed": ' + b"[" * 1000 + b"]" * 1000 + b"}", "fixed"),
    (b'{"layout": {"#a": [0, 0, 1, 1]}, "fixed": ["#a", 5]}', "fixed"),
])
def test_absurd_and_deeply_nested_layouts_are_refused(made, api, body: bytes, field: str) -> None:  # noqa: ANN001
    client, auth = api
    response = client.post(url(made, "heatmaps/click", format="png"), headers=auth, content=body)
    assert response.status_code == 400 and response.json()["field"] == field, response.text


def test_move_and_scroll_maps(made, api) -> None:  # noqa: ANN001
    client, auth = api
    assert client.get(url(made, "heatmaps/move"), headers=auth).json()["total"] == 2
    scroll = client.get(url(made, "heatmaps/scroll"), headers=auth).json()
    assert scroll["views"] == 1 and scroll["reach"][60] == 1.0 and scroll["reach"][61] == 0.0
    band = client.get(url(made, "heatmaps/scroll", format="png"), headers=auth)
    with Image.open(io.BytesIO(band.content)) as png:
        assert png.height == 101 and png.getpixel((0, 30))[3] > 0 and png.getpixel((0, 80))[3] == 0


def test_snapshot_is_the_recorded_page(made, api) -> None:  # noqa: ANN001
    client, auth = api
    got = client.get(url(made, "heatmaps/snapshot"), headers=auth).json()
    assert got["events"] == made.snapshot and got["session_id"] == made.sid
    assert got["time"].endswith("Z") and got["source"] == "replay"
    missing = client.get(url(made, "heatmaps/snapshot", device="mobile"), headers=auth)
    assert missing.status_code == 404 and missing.json()["field"] == "url"
    assert client.get(url(made, "heatmaps/snapshot", device="mobile", optional="true"), headers=auth).status_code == 204


def test_elements_ranked(made, api) -> None:  # noqa: ANN001
    client, auth = api
    got = client.get(url(made, "elements"), headers=auth).json()
    assert got["total"] == 3
    assert [(e["selector"], e["clicks"], e["dead"]) for e in got["elements"]] == [("#buy", 2, 0), ("a.help", 1, 1)]


@pytest.mark.parametrize(("path", "params", "status", "field"), [
    ("heatmaps/click", {"url": ""}, 400, "url"),
    ("heatmaps/click", {"device": "phone"}, 400, "device"),
    ("heatmaps/click", {"format": "gif"}, 400, "format"),
    ("heatmaps/click", {"width": "-5"}, 400, "width"),
    ("heatmaps/click", {"from": "yesterday"}, 400, "from"),
    ("heatmaps/heat", {}, 404, "kind"),
    ("elements", {"limit": "0"}, 400, "limit"),
])
def test_bad_parameters_get_their_status(made, api, path, params, status, field) -> None:  # noqa: ANN001
    client, auth = api
    response = client.get(url(made, path, **params), headers=auth)
    assert response.status_code == status and response.json()["field"] == field


def test_bad_layouts_and_missing_tokens(store, made, api) -> None:  # noqa: ANN001
    client, auth = api
    for body in (b"{not json", b'{"layout": {"#a": [1, 2, 3]}}', b'{"layout": {"#a": [1, 2, -3, 4]}}',
                 b'{"layout": []}', b'{"layout": {"#a": ["1", 2, 3, 4]}}'):
        response = client.post(url(made, "heatmaps/click"), headers=auth, content=body)
        assert response.status_code == 400 and response.json()["field"] == "layout", body
    huge = b'{"layout": {"' + b"x" * heatmaps_api.MAX_LAYOUT_BYTES + b'": [0, 0, 1, 1]}}'
    assert client.post(url(made, "heatmaps/click"), headers=auth, content=huge).status_code == 413
    assert client.post(url(made, "heatmaps/move"), headers=auth, json={"layout": {}}).status_code == 405
    assert client.get(url(made, "heatmaps/click")).status_code == 401
    elsewhere = {"Authorization": f"Bearer {tokens.create(store, 'other-site', 'other-' + made.site)}"}
    assert client.get(url(made, "heatmaps/click"), headers=elsewhere).status_code == 403


def test_a_snapshot_taken_for_heatmaps_is_the_page_when_none_was_recorded(store, api) -> None:  # noqa: ANN001
    """A page never recorded: the snapshot the recorder took alone (frame kind S, page_snapshots)."""
    client, _ = api
    site = "hms-" + uuid.uuid4().hex[:8]
    visit = Visit(site, "b", ms(DAY) + HOUR, vw=390).page("/promo", 0, click(0.0, 20, 30, s="#go"))
    meta = rrweb(4, ms(DAY) + HOUR, href="https://shop.test/promo?utm_source=x", width=390, height=844)
    full = rrweb(2, ms(DAY) + HOUR + 3, node={"type": 0, "childNodes": [], "id": 1})
    body = {"v": 1, "site": site, "sid": visit.sid, "seq": 0, "snap": True, "url": "https://shop.test/promo?x=1",
            "vw": 390, "data": json.dumps([meta, full])}
    snap = wire.replay_decoder.decode(msgspec.json.encode(body))
    land(store, [*visit.records, (frames.SNAPSHOT, snap, rows.Context(ms(DAY) + HOUR + 500, "h", CHROME, 30))])
    assert store.scalar("SELECT count() FROM replay_chunks WHERE site = {s:String}", {"s": site}) == 0
    [(path, device, width)] = store.rows("SELECT path, device, width FROM page_snapshots WHERE site = {s:String}",
                                         {"s": site})
    assert (path, device, width) == ("/promo", "mobile", 390)
    token = tokens.create(store, "snapshot-test", site)
    got = client.get(f"/api/v1/sites/{site}/heatmaps/snapshot?url=/promo&device=mobile&from={DAY.date()}",
                     headers={"Authorization": f"Bearer {token}"})
    assert got.status_code == 200 and got.json()["source"] == "snapshot" and got.json()["events"] == [meta, full]
    assert client.get(f"/api/v1/sites/{site}/heatmaps/snapshot?url=/promo&device=desktop&from={DAY.date()}",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 404

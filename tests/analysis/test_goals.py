"""Goal conversions and custom events through the stats query, on rows landed by the real ingestion
path: per goal, per custom event name and per property value, as totals and per local day in two
zones across a local midnight, against counts worked out here from what was sent; and page views by
the site's page patterns."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest

from footfall.analysis.stats import Filter, StatsError, stats
from footfall.collector import frames, rows, wire
from footfall.collector.enrich import Client
from footfall.store import goals as stored_goals
from footfall.store import sites
from tests import helpers

ORIGIN = "https://shop.test"
CHROME = Client("Chrome", "120", "Linux", False)
DAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=4)
FIRST, LAST = (DAY - timedelta(days=1)).date(), (DAY + timedelta(days=1)).date()
ZONES = ("UTC", "America/New_York")


@dataclass
class Visit:
    """One session as sent: its pages (path, seconds in) and, on its last page, custom events
    (seconds in, name, properties) and clicks (seconds in, selector)."""

    visitor: str
    at: datetime
    ref: str = ""
    pages: list[tuple[str, float]] = field(default_factory=list)
    customs: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)
    clicks: list[tuple[float, str]] = field(default_factory=list)
    sid: str = field(default_factory=lambda: uuid.uuid4().hex)


def at(hours: float) -> datetime:
    return DAY + timedelta(hours=hours)


# Around UTC midnight (DAY) and New York's (05:00 UTC), so the two zones split the days differently.
SENT = [
    Visit("A", at(-0.5), "https://www.google.com/", [("/", 0), ("/pricing", 20)],
          [(30, "signup", {"plan": "pro", "seats": 3})], [(25, "#buy")]),
    Visit("B", at(0.5), "", [("/pricing", 0)],
          [(10, "signup", {"plan": "free"}), (40, "signup", {"plan": "pro", "seats": 1})]),
    Visit("C", at(4.5), "https://duckduckgo.com/", [("/", 0)], [(5, "download", {"file": "a.pdf", "ok": True})]),
    Visit("A", at(5.5), "", [("/thanks", 0)], [(3, "signup", {"plan": "pro", "seats": 3})]),
    Visit("D", at(23.5), "https://duckduckgo.com/", [("/", 0), ("/thanks", 15)], [], [(20, "#buy"), (21, "#buy")]),
    Visit("E", at(25), "", [("/docs/a", 0)], [(8, "download", {"file": "b.pdf"})]),
]
GOALS = {"Signed up pro": {"event": "signup", "props": {"plan": "pro"}}, "Thanks": {"page": "/thanks"},
         "Buy click": {"selector": "#buy"}, "Docs": {"page": "/docs/*"}, "Never": {"page": "/nowhere"}}


def land(store, site: str) -> None:  # noqa: ANN001
    records = []
    for visit in SENT:
        start = int(visit.at.timestamp() * 1000)
        for i, (path, after_s) in enumerate(visit.pages):
            events: list[dict[str, Any]] = [{"t": "pageview", "ts": start + int(after_s * 1000)}]
            if i == len(visit.pages) - 1:
                events += [{"t": "custom", "ts": start + int(s * 1000), "n": name, "p": props}
                           for s, name, props in visit.customs]
                events += [{"t": "click", "ts": start + int(s * 1000), "s": sel, "x": 1, "y": 1}
                           for s, sel in visit.clicks]
            body = {"v": 1, "site": site, "sid": visit.sid, "pv": uuid.uuid4().hex, "url": ORIGIN + path,
                    "vid": visit.visitor, "vw": 1280, "e": events, "ref": visit.ref if i == 0 else ORIGIN + "/"}
            batch = wire.batch_decoder.decode(msgspec.json.encode(body))
            received = max(e["ts"] for e in events) + 300
            records.append((frames.BATCH, batch, rows.Context(received, "h", CHROME, 3650)))
    helpers.land(store, records)


@pytest.fixture(scope="module")
def site(store) -> dict[str, Any]:  # noqa: ANN001
    key = f"goals-{uuid.uuid4().hex[:10]}"
    land(store, key)
    ids = {name: stored_goals.save(store, key, name, json.dumps(d)).id for name, d in GOALS.items()}
    return {"key": key, "ids": ids}


# -- the expected numbers, worked out from SENT -----------------------------------------------------
def happenings(zone: str, first: date, last: date) -> list[dict[str, Any]]:
    """Every page view, custom event and click sent, with its visitor, source and local day, in range."""
    tz, out = ZoneInfo(zone), []
    for visit in SENT:
        source = visit.ref.split("/")[2] if visit.ref else "direct"
        base = {"visitor": visit.visitor, "source": source}
        last_path = visit.pages[-1][0]
        found = [{"kind": "page", "path": p, "s": s} for p, s in visit.pages]
        found += [{"kind": "custom", "name": n, "props": props, "path": last_path, "s": s}
                  for s, n, props in visit.customs]
        found += [{"kind": "click", "selector": sel, "path": last_path, "s": s} for s, sel in visit.clicks]
        for item in found:
            day = (visit.at + timedelta(seconds=item["s"])).astimezone(tz).date()
            if first <= day <= last:
                out.append({**base, **item, "day": day})
    return out


def completes(item: dict[str, Any], definition: dict[str, Any]) -> bool:
    if "page" in definition:
        wanted = definition["page"]
        return item["kind"] == "page" and (item["path"] == wanted or (
            wanted.endswith("/*") and item["path"].startswith(wanted[:-1]) and len(item["path"]) > len(wanted) - 1))
    if "selector" in definition:
        return item["kind"] == "click" and item["selector"] == definition["selector"]
    return item["kind"] == "custom" and item["name"] == definition["event"] and all(
        str(item["props"].get(k)) == v for k, v in definition.get("props", {}).items())


def goal_numbers(items: list[dict[str, Any]], definition: dict[str, Any]) -> dict[str, Any]:
    everyone = {i["visitor"] for i in items if i["kind"] == "page"}
    done = [i for i in items if completes(i, definition)]
    converted = {i["visitor"] for i in done}
    return {"conversions": len(converted), "total_conversions": len(done),
            "conversion_rate": round(len(converted) / len(everyone), 4) if everyone else None}


# -- the checks -------------------------------------------------------------------------------------
@pytest.mark.parametrize("zone", ZONES)
def test_every_goal_by_goal_and_alone(store, site, zone) -> None:  # noqa: ANN001
    metrics = ["conversions", "total_conversions", "conversion_rate"]
    for first, last in ((FIRST, LAST), (DAY.date(), DAY.date())):
        items = happenings(zone, first, last)
        got = stats(store, site["key"], first, last, metrics, zone=zone, by="goal")
        assert got["columns"] == ["goal", *metrics]
        expected = {name: goal_numbers(items, d) for name, d in GOALS.items()}
        assert {row["goal"]: {m: row[m] for m in metrics} for row in got["results"]} == expected, (zone, first)
        ranked = [row["conversions"] for row in got["results"]]
        assert ranked == sorted(ranked, reverse=True)
        for name in GOALS:
            [alone] = stats(store, site["key"], first, last, ["visitors", *metrics], zone=zone,
                            goal=site["ids"][name])["results"]
            assert {m: alone[m] for m in metrics} == expected[name]
            assert alone["visitors"] == len({i["visitor"] for i in items if i["kind"] == "page"})


@pytest.mark.parametrize("zone", ZONES)
def test_a_goal_per_local_day(store, site, zone) -> None:  # noqa: ANN001
    got = stats(store, site["key"], FIRST, LAST, ["conversions", "conversion_rate", "visitors"], zone=zone,
                interval="day", goal=site["ids"]["Signed up pro"])["results"]
    assert len(got) == 3
    for row in got:
        day = date.fromisoformat(row["time"][:10])
        expected = goal_numbers(happenings(zone, day, day), GOALS["Signed up pro"])
        assert (row["conversions"], row["conversion_rate"]) == (expected["conversions"], expected["conversion_rate"])


def test_goals_narrowed_by_a_session_filter(store, site) -> None:  # noqa: ANN001
    items = [i for i in happenings("UTC", FIRST, LAST) if i["source"] == "duckduckgo.com"]
    got = stats(store, site["key"], FIRST, LAST, ["conversions", "total_conversions", "conversion_rate"], by="goal",
                filters=[Filter.parse("source:is:duckduckgo.com")])["results"]
    assert {row["goal"]: row["total_conversions"] for row in got} == {
        name: goal_numbers(items, d)["total_conversions"] for name, d in GOALS.items()}
    assert {row["goal"]: row["conversion_rate"] for row in got}["Buy click"] == 0.5  # D of C and D


@pytest.mark.parametrize("zone", ZONES)
def test_custom_events_by_name_and_property(store, site, zone) -> None:  # noqa: ANN001
    items = [i for i in happenings(zone, FIRST, LAST) if i["kind"] == "custom"]
    by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        by_name[item["name"]].append(item)
    got = stats(store, site["key"], FIRST, LAST, ["events", "visitors"], zone=zone, by="event")
    assert got["columns"] == ["event", "events", "visitors"]
    assert got["results"] == sorted(
        [{"event": n, "events": len(rows_), "visitors": len({r["visitor"] for r in rows_})}
         for n, rows_ in by_name.items()], key=lambda row: (-row["events"], row["event"]))
    for key in ("plan", "seats"):
        values: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for item in by_name["signup"]:
            if key in item["props"]:
                values[str(item["props"][key])].append(item)
        found = stats(store, site["key"], FIRST, LAST, ["visitors", "events"], zone=zone, by=f"event_prop:{key}",
                      filters=[Filter.parse("event:is:signup")])
        assert found["columns"] == [f"event_prop:{key}", "visitors", "events"]
        assert {row[f"event_prop:{key}"]: (row["visitors"], row["events"]) for row in found["results"]} == {
            v: (len({r["visitor"] for r in rs}), len(rs)) for v, rs in values.items()}
    [ok] = stats(store, site["key"], FIRST, LAST, ["events"], zone=zone, by="event_prop:ok")["results"]
    assert ok == {"event_prop:ok": "true", "events": 1}  # a boolean reads as its JSON


def test_refusals(store, site) -> None:  # noqa: ANN001
    key = site["key"]
    calls = (
        (lambda: stats(store, key, FIRST, LAST, ["conversions"]), "goal"),
        (lambda: stats(store, key, FIRST, LAST, ["conversions"], goal="nope"), "goal"),
        (lambda: stats(store, key, FIRST, LAST, ["conversions"], goal=site["ids"]["Thanks"], by="page"), "by"),
        (lambda: stats(store, key, FIRST, LAST, ["visitors"], goal=site["ids"]["Thanks"]), "goal"),
        (lambda: stats(store, key, FIRST, LAST, ["visitors"], by="goal"), "metrics"),
        (lambda: stats(store, key, FIRST, LAST, ["pageviews"], by="event"), "metrics"),
        (lambda: stats(store, key, FIRST, LAST, ["events"]), "metrics"),
        (lambda: stats(store, key, FIRST, LAST, ["events"], by="event_prop:"), "by"),
        (lambda: stats(store, key, FIRST, LAST, ["events"], by="event_prop:" + "k" * 129), "by"),
        (lambda: stats(store, key, FIRST, LAST, ["visitors"], filters=[Filter.parse("event:is:signup")]), "filter"),
    )
    for call, name in calls:
        with pytest.raises(StatsError) as refused:
            call()
        assert refused.value.field == name
    # another site's goal is unknown here
    other = f"goals-other-{uuid.uuid4().hex[:6]}"
    with pytest.raises(StatsError):
        stats(store, other, FIRST, LAST, ["conversions"], goal=site["ids"]["Thanks"])


def test_page_views_by_the_sites_page_patterns(store) -> None:  # noqa: ANN001
    key = f"patterns-{uuid.uuid4().hex[:10]}"
    made = sites.create(store, "Patterns", ["https://shop.test"], key=key)
    land(store, key)
    items = [i for i in happenings("UTC", FIRST, LAST) if i["kind"] == "page"]
    plain = stats(store, key, FIRST, LAST, ["pageviews", "visitors"], by="pattern")["results"]
    by_page = stats(store, key, FIRST, LAST, ["pageviews", "visitors"], by="page")["results"]
    assert [{"page": row.pop("pattern"), **row} for row in plain] == by_page != []  # no pattern: the paths
    sites.save(store, dataclasses.replace(made, url_patterns=("/docs/*", "/thanks")))
    grouped: dict[str, list[str]] = defaultdict(list)
    for item in items:
        grouped["/docs/*" if item["path"].startswith("/docs/") else item["path"]].append(item["visitor"])
    got = stats(store, key, FIRST, LAST, ["pageviews", "visitors"], by="pattern")
    assert got["columns"] == ["pattern", "pageviews", "visitors"]
    assert {row["pattern"]: (row["pageviews"], row["visitors"]) for row in got["results"]} == {
        page: (len(vs), len(set(vs))) for page, vs in grouped.items()}

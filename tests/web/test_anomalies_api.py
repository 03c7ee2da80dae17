"""The anomalies API on a real server over a store holding six weeks of traffic with one planted
cause (tests/analysis/anomaly_data.py): JSON and CSV agree, the filters narrow, a token of another
site is refused, and the answer names the planted error."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from tests.analysis import anomaly_data as data
from tests.conftest import ROOT, Server, footfall, start_site_server

RANGE = {"from": (data.LAST_DAY - timedelta(days=6)).isoformat(), "to": data.LAST_DAY.isoformat()}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, httpx.Client]]:
    where = tmp_path_factory.mktemp("anomalies-api") / "data"
    where.mkdir()
    subprocess.run([sys.executable, "-m", "tests.analysis.anomaly_data", f"chdb://{where / 'clickhouse'}"],
                   check=True, cwd=ROOT, timeout=300)
    server, token = start_site_server(where, {"FOOTFALL_RATE_LIMIT": "0"})
    client = httpx.Client(base_url=server.url + "/api/v1/sites/shop", timeout=120,
                          headers={"Authorization": f"Bearer {token}"})
    yield server, client
    client.close()
    server.stop()


def test_the_answer_names_the_planted_error_and_its_csv_agrees(served: tuple[Server, httpx.Client]) -> None:
    _, api = served
    answer = api.get("/anomalies", params=RANGE)
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert (found["from"], found["to"], found["grain"], found["severity"]) == (RANGE["from"], RANGE["to"], "hour",
                                                                             "medium")
    assert {a["kpi"] for a in found["anomalies"]} <= {"error_rate", "error_group_rate"}
    group = next(a for a in found["anomalies"] if a["scope"] == {"error_group": "new-cart-total"})
    assert "in Safari" in group["explanation"]["summary"] and "on /checkout" in group["explanation"]["summary"]
    table = list(csv.DictReader(io.StringIO(api.get("/anomalies", params={**RANGE, "format": "csv"}).text)))
    assert [r["id"] for r in table] == [a["id"] for a in found["anomalies"]]
    row = next(r for r in table if r["id"] == group["id"])
    assert (row["kpi"], row["scope"], row["start"], row["severity"], float(row["observed"])) == (
        "error_group_rate", "error_group=new-cart-total", group["start"], group["severity"], group["observed"])
    assert row["summary"] == group["explanation"]["summary"]


def test_the_filters_narrow_the_list(served: tuple[Server, httpx.Client]) -> None:
    _, api = served
    every = api.get("/anomalies", params={**RANGE, "severity": "low"}).json()["anomalies"]
    only = api.get("/anomalies", params={**RANGE, "severity": "low", "kpi": "error_group_rate"}).json()["anomalies"]
    assert only and [a["id"] for a in only] == [a["id"] for a in every if a["kpi"] == "error_group_rate"]
    daily = api.get("/anomalies", params={**RANGE, "grain": "day"}).json()
    assert daily["grain"] == "day" and {a["start"][:10] for a in daily["anomalies"]} == {str(data.PLANTED.date())}
    quiet = api.get("/anomalies", params={"from": "2026-11-01", "to": "2026-11-07"}).json()
    assert quiet["anomalies"] == []  # a week without the planted error


def test_bad_parameters_and_other_sites_are_refused(served: tuple[Server, httpx.Client]) -> None:
    server, api = served
    for bad, field in (({"grain": "minute"}, "grain"), ({"severity": "dire"}, "severity"), ({"kpi": "x"}, "kpi"),
                       ({"format": "xml"}, "format"), ({"from": "2026-13-01"}, "from")):
        refused = api.get("/anomalies", params={**RANGE, **bad})
        assert refused.status_code == 400 and refused.json()["field"] == field, (bad, refused.text)
    footfall(server.data, "site", "create", "Blog", "--origin", "http://blog.test", "--key", "blog")
    other = footfall(server.data, "token", "create", "blog-reader", "--site", "blog")["token"]
    refused = httpx.get(server.url + "/api/v1/sites/shop/anomalies", params=RANGE, timeout=60,
                        headers={"Authorization": f"Bearer {other}"})
    assert refused.status_code in (403, 404), refused.text
    assert httpx.get(server.url + "/api/v1/sites/shop/anomalies", timeout=60).status_code == 401

"""Alerts end to end: a real server over a store holding six weeks of traffic with a planted error
(tests/analysis/anomaly_data.py, moved so that its last day is today), a rule added on the Alerts page
with a webhook to a receiver of this test and an email address, and the server's own scheduler every
second. The planted anomaly's opening and recovery arrive once each, signed with the rule's secret,
and by email; later rounds send nothing again."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, Server, footfall, start_site_server
from tests.helpers import csrf_of, wait_until
from tests.receivers import SmtpReceiver, WebhookReceiver, verified

ADMIN = ("admin@alerts.test", "correct-horse-7")
PLANTED = {"error_group": "new-cart-total"}
# The planted data, its days moved so that the last is today (the scheduler reads the last 2 days).
FILL = """
import sys
from datetime import UTC, datetime, timedelta
from footfall.store import Store
from footfall.store.migrations import migrate
from tests.analysis import anomaly_data as data

shift = timedelta(days=(datetime.now(UTC).date() - data.LAST_DAY).days)
views, errors = data.rows()
for row in views:
    row[1] += shift
    row[2] += shift
for row in errors:
    row[1] += shift
store = Store(sys.argv[1])
migrate(store)
store.insert_rows("pageviews", data.PAGEVIEWS, views)
store.insert_rows("errors", data.ERRORS, errors)
store.close()
"""


@dataclass
class Alerting:
    server: Server
    token: str
    dashboard: httpx.Client
    hook: WebhookReceiver
    smtp: SmtpReceiver
    secret: str


def rounds(server: Server, token: str) -> int:
    text = httpx.get(server.url + "/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=60).text
    return int(float(re.search(r"^footfall_alert_rounds_total (\S+)$", text, re.M).group(1)))


@pytest.fixture(scope="module")
def alerting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Alerting]:
    where = tmp_path_factory.mktemp("alerts") / "data"
    where.mkdir()
    subprocess.run([sys.executable, "-c", FILL, f"chdb://{where / 'clickhouse'}"], check=True, cwd=ROOT, timeout=300)
    footfall(where, "user", "create", ADMIN[0], "--role", "admin", "--password-stdin", stdin=ADMIN[1] + "\n")
    hook, smtp = WebhookReceiver(), SmtpReceiver()
    server, token = start_site_server(where, {
        "FOOTFALL_RATE_LIMIT": "0", "FOOTFALL_ALERT_INTERVAL": "1", "FOOTFALL_SMTP_HOST": "127.0.0.1",
        "FOOTFALL_SMTP_PORT": str(smtp.port), "FOOTFALL_SMTP_STARTTLS": "false",
        "FOOTFALL_SMTP_FROM": "footfall@alerts.test"})
    dashboard = httpx.Client(base_url=server.url, timeout=120, follow_redirects=False)
    dashboard.post("/login", data={"csrf": csrf_of(dashboard.get("/login").text), "email": ADMIN[0],
                                   "password": ADMIN[1], "next": "/sites"})
    page = dashboard.get("/sites/shop/alerts")
    assert page.status_code == 200 and "No alert rule yet" in page.text
    added = dashboard.post("/sites/shop/alerts", data={
        "csrf": csrf_of(page.text), "name": "Errors", "kpi": "", "page": "", "severity": "medium",
        "webhook": hook.url, "emails": "ops@shop.test, dev@shop.test"})
    assert added.status_code == 200, added.text
    secret = re.search(r'id="new-secret" readonly value="([^"]+)"', added.text).group(1)
    yield Alerting(server, token, dashboard, hook, smtp, secret)
    dashboard.close()
    server.stop()
    hook.close()
    smtp.close()


def planted(where: Alerting | WebhookReceiver, event: str) -> list:
    receiver = where.hook if isinstance(where, Alerting) else where
    return [c for c in receiver.received(event) if c.json["anomaly"]["scope"] == PLANTED]


def add_rule(alerting: Alerting, **fields: str) -> httpx.Response:
    page = alerting.dashboard.get("/sites/shop/alerts")
    form = {"name": "", "kpi": "", "page": "", "severity": "medium", "webhook": "", "emails": "", **fields}
    return alerting.dashboard.post("/sites/shop/alerts", data={"csrf": csrf_of(page.text), **form})


def test_the_planted_anomaly_is_sent_signed_once_as_it_opens_and_once_as_it_recovers(alerting: Alerting) -> None:
    wait_until(lambda: planted(alerting, "anomaly.opened") and planted(alerting, "anomaly.recovered"), timeout=240)
    opened = planted(alerting, "anomaly.opened")[0]
    assert opened.path == "/hook" and opened.headers["footfall-event"] == "anomaly.opened"
    assert opened.headers["content-type"] == "application/json"
    assert verified(alerting.secret, opened.body, opened.headers["footfall-signature"])
    body = opened.json
    assert body["site"] == {"key": "shop", "name": "Shop"} and body["rule"]["name"] == "Errors"
    anomaly = body["anomaly"]
    assert anomaly["kpi"] == "error_group_rate" and anomaly["direction"] == "up" and anomaly["end"]
    assert "points" not in anomaly and "in Safari" in anomaly["explanation"]["summary"]
    assert anomaly["severity"] in ("medium", "high")
    assert body["dashboard_url"].startswith(alerting.server.url + "/sites/shop/overview?from=")
    recovered = planted(alerting, "anomaly.recovered")[0]
    assert recovered.json["anomaly"]["id"] == anomaly["id"]
    assert verified(alerting.secret, recovered.body, recovered.headers["footfall-signature"])

    # Two more whole rounds after the last call: nothing is sent again.
    seen = len(alerting.hook.received())
    after = rounds(alerting.server, alerting.token)
    wait_until(lambda: rounds(alerting.server, alerting.token) >= after + 2, timeout=240)
    calls = alerting.hook.received()
    assert len(calls) == seen
    sent = Counter((c.event, c.json["anomaly"]["id"]) for c in calls)
    assert set(sent.values()) == {1}, sent
    assert all(c.json["anomaly"]["severity"] in ("medium", "high") for c in calls)

    assert "alerts:" not in alerting.server.read_log()  # no round failed, no delivery was refused

    # The Alerts page lists the deliveries.
    page = alerting.dashboard.get("/sites/shop/alerts").text
    assert anomaly["id"] in page and "HTTP 200" in page


def test_a_wrong_secret_or_another_time_fails_the_signature(alerting: Alerting) -> None:
    wait_until(lambda: planted(alerting, "anomaly.opened"), timeout=240)
    call = planted(alerting, "anomaly.opened")[0]
    header = call.headers["footfall-signature"]
    stamp = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", header)
    assert stamp, header
    assert verified(alerting.secret, call.body, header)
    assert not verified(alerting.secret + "x", call.body, header)
    assert not verified("another-secret", call.body, header)
    assert not verified(alerting.secret, call.body + b" ", header)
    # The time is signed: the same MAC under another time does not verify.
    moved = f"t={int(stamp.group(1)) + 1},v1={stamp.group(2)}"
    assert not verified(alerting.secret, call.body, moved)


def test_the_planted_anomaly_arrives_by_email(alerting: Alerting) -> None:
    def subject(message: Any) -> str:
        return " ".join(str(message["Subject"]).split())  # unfolded

    def mailed() -> list:
        return [m for m in alerting.smtp.messages if "error_group_rate up" in subject(m)
                and "error_group new-cart-total" in subject(m)]

    wait_until(lambda: len(mailed()) >= 2, timeout=240)
    first = mailed()[0]
    assert first["From"] == "footfall@alerts.test" and first["To"] == "ops@shop.test, dev@shop.test"
    assert subject(first) == "[Footfall] Anomaly: error_group_rate up on Shop (error_group new-cart-total)"
    text = first.get_content()
    assert "in Safari" in text and f"{alerting.server.url}/sites/shop/overview?from=" in text
    index = alerting.smtp.messages.index(first)
    assert alerting.smtp.recipients[index] == ["ops@shop.test", "dev@shop.test"]
    assert [subject(m).split(":")[0] for m in mailed()] == ["[Footfall] Anomaly", "[Footfall] Recovered"]


def test_a_test_alert_is_sent_now_and_its_outcome_shown(alerting: Alerting) -> None:
    page = alerting.dashboard.get("/sites/shop/alerts")
    rule = re.search(r'<tr data-rule-id="([0-9a-f]+)">', page.text).group(1)
    answer = alerting.dashboard.post(f"/sites/shop/alerts/{rule}/test", data={"csrf": csrf_of(page.text)})
    assert answer.status_code == 200
    assert re.search(r'data-channel="webhook" data-ok="true">webhook: HTTP 200', answer.text)
    assert re.search(r'data-channel="email" data-ok="true">email: sent', answer.text)
    [call] = alerting.hook.received("test")
    assert call.json["anomaly"]["id"] == "test" and call.headers["footfall-event"] == "test"
    assert verified(alerting.secret, call.body, call.headers["footfall-signature"])
    assert call.json["dashboard_url"] == f"{alerting.server.url}/sites/shop/alerts"


def test_a_failing_webhook_is_tried_three_times_a_round_for_three_rounds_then_given_up(alerting: Alerting) -> None:
    failing = WebhookReceiver(status=500)
    try:
        added = add_rule(alerting, name="Failing", kpi="error_group_rate", webhook=failing.url)
        assert added.status_code == 200, added.text
        rule = re.search(r'<tr data-rule-id="([0-9a-f]+)">\s*<th scope="row">Failing</th>', added.text).group(1)
        tested = alerting.dashboard.post(f"/sites/shop/alerts/{rule}/test", data={"csrf": csrf_of(added.text)})
        assert re.search(r'data-channel="webhook" data-ok="false">webhook: HTTP 500', tested.text)
        assert len(failing.received("test")) == 3  # three tries, each signed afresh

        wait_until(lambda: len(planted(failing, "anomaly.recovered")) >= 9, timeout=240)
        after = rounds(alerting.server, alerting.token)
        wait_until(lambda: rounds(alerting.server, alerting.token) >= after + 2, timeout=240)
        assert len(planted(failing, "anomaly.opened")) == len(planted(failing, "anomaly.recovered")) == 9
        assert len(planted(alerting, "anomaly.opened")) == 1  # the first rule's receiver is left alone
    finally:
        failing.close()


def test_the_rule_form_refuses_what_it_cannot_send_and_viewers(alerting: Alerting) -> None:
    for fields, message in (({"name": "x"}, "where should the alerts go"),
                            ({"name": "x", "webhook": "ftp://hooks.test/x"}, "is an http(s) URL"),
                            ({"name": "x", "emails": "not-an-address"}, "is not an email address"),
                            ({"name": "x", "webhook": "http://hooks.test", "kpi": "nope"}, "Pick a KPI"),
                            ({"name": "x", "webhook": "http://hooks.test", "page": "checkout"}, "starting with /"),
                            ({"name": "x", "webhook": "http://hooks.test", "severity": "dire"}, "low, medium or high"),
                            ({"name": "Errors", "webhook": "http://hooks.test"}, "already has that name")):
        refused = add_rule(alerting, **fields)
        assert refused.status_code == 400 and message in refused.text, (fields, refused.text[-2000:])
    viewer = ("viewer@alerts.test", "viewer-pass-8")
    footfall(alerting.server.data, "user", "create", viewer[0], "--password-stdin", stdin=viewer[1] + "\n")
    with httpx.Client(base_url=alerting.server.url, timeout=120) as client:
        client.post("/login", data={"csrf": csrf_of(client.get("/login").text), "email": viewer[0],
                                    "password": viewer[1]})
        page = client.get("/sites/shop/alerts")
        assert page.status_code == 200 and "Errors" in page.text and "Send a test alert" not in page.text
        assert alerting.secret not in page.text  # secrets are for administrators
        assert alerting.hook.url not in page.text and f"http://127.0.0.1:{alerting.hook.port}/…" in page.text
        form = {"csrf": csrf_of(page.text), "name": "Mine", "webhook": "http://hooks.test"}
        assert client.post("/sites/shop/alerts", data=form).status_code == 403

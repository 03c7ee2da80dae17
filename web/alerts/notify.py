"""What a round sends for one site: its anomalies of the last LOOKBACK (by the hour, in the site's time
zone) matched against each enabled rule, each anomaly's opening once and its recovery once more per
rule and channel (the notifications table says what was sent), and the messages themselves."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from footfall.analysis.anomalies import found
from footfall.analysis.anomalies.detect import SEVERITIES, STEP
from footfall.store import Store, alert_rules
from footfall.store.alert_rules import Rule
from footfall.store.clock import iso
from footfall.store.sites import Site
from footfall.web.alerts import mail, webhook
from footfall.web.alerts.webhook import Outcome
from footfall.web.settings import Config

LOOKBACK = timedelta(days=2)
EVENTS = {"open": "anomaly.opened", "recovered": "anomaly.recovered"}
TEST = "test"


@dataclasses.dataclass(frozen=True)
class Pending:
    """One message to send: a rule's event about an anomaly, on the channels not yet done."""

    rule: Rule
    state: str  # open, recovered or test
    anomaly: dict[str, Any]
    channels: tuple[str, ...]

    @property
    def event(self) -> str:
        return EVENTS.get(self.state, TEST)


def hour_start(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def recovered(anomaly: dict[str, Any], now: datetime) -> bool:
    """Over for good: detection gives an anomaly its end only once RECOVERY buckets in a row are back
    within the band (analysis/anomalies/detect.py), so an end is a recovery."""
    return anomaly["end"] is not None


def premature(anomaly: dict[str, Any], now: datetime) -> bool:
    """A count that looks low only because its one hour is not over yet."""
    start = datetime.fromisoformat(anomaly["start"].replace("Z", "+00:00"))
    return anomaly["kind"] == "count" and anomaly["direction"] == "down" and start >= hour_start(now)


def matches(rule: Rule, anomaly: dict[str, Any]) -> bool:
    return (rule.enabled and (not rule.kpi or anomaly["kpi"] == rule.kpi)
            and (not rule.page or anomaly["scope"].get("page") == rule.page)
            and SEVERITIES.index(anomaly["severity"]) >= SEVERITIES.index(rule.severity))


def channels(config: Config, rule: Rule) -> tuple[str, ...]:
    return (*(("webhook",) if rule.webhook else ()), *(("email",) if rule.emails and mail.configured(config) else ()))


def pending(store: Store, config: Config, site: Site, rules: list[Rule], now: datetime) -> list[Pending]:
    """What the site's enabled rules have not sent yet, openings before recoveries."""
    rules = [r for r in rules if r.enabled and channels(config, r)]
    if not rules:
        return []
    zone = ZoneInfo(site.time_zone)
    first, last = (now - LOOKBACK).astimezone(zone).date(), now.astimezone(zone).date()
    least = min((r.severity for r in rules), key=SEVERITIES.index)
    anomalies = found.anomalies(store, site.key, first, last, site.time_zone, "hour", site.url_patterns,
                                severity=least)["anomalies"]
    done = alert_rules.settled(store, site.key)
    out = []
    for anomaly in anomalies:
        if premature(anomaly, now):
            continue
        states = ("open", "recovered") if recovered(anomaly, now) else ("open",)
        for rule in rules:
            if not matches(rule, anomaly):
                continue
            for state in states:
                todo = tuple(c for c in channels(config, rule) if (rule.id, anomaly["id"], state, c) not in done)
                if todo:
                    out.append(Pending(rule, state, anomaly, todo))
    return out


def dashboard_url(config: Config, site: Site, anomaly: dict[str, Any] | None) -> str:
    """Where the anomaly shows: the site's overview over its days (the rule page for a test)."""
    base = config.snippet_url
    if anomaly is None or anomaly.get("id") == TEST:
        return f"{base}/sites/{site.key}/alerts"
    zone = ZoneInfo(site.time_zone)
    start = datetime.fromisoformat(anomaly["start"].replace("Z", "+00:00")).astimezone(zone).date()
    end = datetime.fromisoformat((anomaly["end"] or anomaly["start"]).replace("Z", "+00:00")).astimezone(zone).date()
    return f"{base}/sites/{site.key}/overview?" + urlencode({"from": start.isoformat(), "to": end.isoformat()})


def payload(config: Config, site: Site, item: Pending) -> bytes:
    anomaly = {k: v for k, v in item.anomaly.items() if k != "points"}
    body = {"event": item.event, "site": {"key": site.key, "name": site.name},
            "rule": {"id": item.rule.id, "name": item.rule.name}, "anomaly": anomaly,
            "dashboard_url": dashboard_url(config, site, item.anomaly)}
    return json.dumps(body, separators=(",", ":"), default=str).encode()


def text(config: Config, site: Site, item: Pending) -> tuple[str, str]:
    """The email's subject and plain-text body."""
    a = item.anomaly
    scope = ", ".join(f"{k} {v}" for k, v in a["scope"].items()) or "the whole site"
    what = {"open": "Anomaly", "recovered": "Recovered", TEST: "Test alert"}[item.state]
    subject = f"[Footfall] {what}: {a['kpi']} {a['direction']} on {site.name} ({scope})"
    lines = [
        f"{what} on {site.name}, rule “{item.rule.name}”.",
        "",
        a["explanation"]["summary"],
        "",
        f"KPI: {a['kpi']} ({scope}), severity {a['severity']}",
        f"Observed {a['observed']}, expected {a['expected']} (normal range {a['low']} to {a['high']})",
        f"Since {a['start']}" + (f", until {a['end']}" if a["end"] else ", still going on"),
        "",
        f"See it in Footfall: {dashboard_url(config, site, a)}",
    ]
    return subject, "\n".join(lines) + "\n"


def send(config: Config, site: Site, item: Pending) -> list[tuple[str, Outcome]]:
    """Deliver one message on each of its channels (blocking: webhooks retry, SMTP talks)."""
    out = []
    for channel in item.channels:
        if channel == "webhook":
            out.append((channel, webhook.deliver(item.rule.webhook, item.rule.secret, item.event,
                                                 payload(config, site, item))))
        else:
            out.append((channel, mail.send(config, item.rule.emails, *text(config, site, item))))
    return out


def test_anomaly(now: datetime) -> dict[str, Any]:
    """What a test event carries: an anomaly's fields, marked as made up."""
    start = hour_start(now) - STEP["hour"]
    return {"id": TEST, "kpi": "error_rate", "reads": "page views with a JavaScript error, of the page views",
            "kind": "rate", "scope": {}, "start": iso(start), "end": None, "open": True, "direction": "up",
            "observed": 0.05, "expected": 0.01, "low": 0.005, "high": 0.02, "change": 4.0, "severity": "high",
            "z": 9.9, "p_value": 1e-9, "persistent": False,
            "explanation": {"summary": "A test alert from Footfall: nothing happened on the site.",
                            "breakdowns": [], "new_errors": []}, "correlated": []}


def test(config: Config, site: Site, rule: Rule, now: datetime) -> list[tuple[str, Outcome]]:
    """A test event on every channel of the rule, now; what each came to (email not configured included)."""
    item = Pending(rule, TEST, test_anomaly(now), channels(config, rule))
    out = send(config, site, item)
    if rule.emails and not mail.configured(config):
        out.append(("email", Outcome(False, "not sent: SMTP is not configured (--smtp-host)")))
    return out

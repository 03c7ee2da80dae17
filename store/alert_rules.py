"""Alert rules and the notifications sent for them, in config tables any collector may write.

A rule says which of a site's anomalies are sent where: a KPI (or any), a page (or any), the least
severity, a webhook (signed with the rule's own secret) and email recipients. A change is a new row
(reads use FINAL). Every delivery attempt is a row of `alert_notifications`, which keeps an anomaly's
opening and its recovery to one message per rule and channel."""

from __future__ import annotations

import dataclasses
import secrets
from datetime import datetime

from footfall.store import Store
from footfall.store.clock import now

COLUMNS = ["site", "id", "name", "kpi", "page", "severity", "webhook", "secret", "emails", "enabled", "created",
           "updated", "deleted"]
NOTIFICATION_COLUMNS = ["site", "rule", "anomaly", "state", "channel", "delivered", "ok", "outcome"]
SEVERITIES = ("low", "medium", "high")
MAX_RULES = 50  # per site: each is matched against every anomaly of every round
MAX_ATTEMPTS = 3  # failed rounds after which a notification is given up
STATES = ("open", "recovered")


@dataclasses.dataclass(frozen=True)
class Rule:
    site: str
    id: str
    name: str
    kpi: str = ""  # empty: any KPI
    page: str = ""  # empty: any scope
    severity: str = "medium"  # the least severe anomaly sent
    webhook: str = ""
    secret: str = ""  # signs the webhook's requests (Footfall-Signature)
    emails: tuple[str, ...] = ()
    enabled: bool = True
    created: datetime | None = None


@dataclasses.dataclass(frozen=True)
class Notification:
    rule: str
    anomaly: str
    state: str
    channel: str
    delivered: datetime
    ok: bool
    outcome: str


SELECT = """SELECT site, id, name, kpi, page, severity, webhook, secret, emails, enabled, created
            FROM alert_rules FINAL WHERE deleted = 0"""


def _rule(row: tuple) -> Rule:
    site, id_, name, kpi, page, severity, webhook, secret, emails, enabled, created = row
    return Rule(site, id_, name, kpi, page, severity, webhook, secret, tuple(emails), bool(enabled), created)


def listed(store: Store, site: str) -> list[Rule]:
    found = store.rows(SELECT + " AND site = {site:String} ORDER BY lower(name), id", {"site": site})
    return [_rule(row) for row in found]


def one(store: Store, site: str, rule_id: str) -> Rule | None:
    return next((r for r in listed(store, site) if r.id == rule_id), None)


def sites_with_rules(store: Store) -> list[str]:
    """The sites that have at least one enabled rule."""
    return [site for (site,) in store.rows(f"SELECT DISTINCT site FROM ({SELECT}) WHERE enabled = 1 ORDER BY site")]


def create(store: Store, site: str, name: str, kpi: str = "", page: str = "", severity: str = "medium",
           webhook: str = "", emails: tuple[str, ...] = ()) -> Rule:
    """A new enabled rule with its own id and signing secret."""
    rule = Rule(site, secrets.token_hex(6), name, kpi, page, severity, webhook, secrets.token_urlsafe(32),
                tuple(emails), True, now())
    save(store, rule)
    return rule


def save(store: Store, rule: Rule, deleted: bool = False) -> None:
    stamp = now()
    store.insert_rows("alert_rules", COLUMNS, [[rule.site, rule.id, rule.name, rule.kpi, rule.page, rule.severity,
                                                rule.webhook, rule.secret, list(rule.emails), int(rule.enabled),
                                                rule.created or stamp, stamp, int(deleted)]])


def set_enabled(store: Store, rule: Rule, enabled: bool) -> Rule:
    changed = dataclasses.replace(rule, enabled=enabled)
    save(store, changed)
    return changed


def delete(store: Store, rule: Rule) -> None:
    save(store, rule, deleted=True)


# -- notifications ---------------------------------------------------------------------------------
def settled(store: Store, site: str) -> set[tuple[str, str, str, str]]:
    """(rule, anomaly, state, channel) of the site's notifications that are not to be sent again:
    delivered once, or failed MAX_ATTEMPTS times."""
    rows = store.rows("""SELECT rule, anomaly, state, channel FROM alert_notifications WHERE site = {site:String}
                         GROUP BY rule, anomaly, state, channel
                         HAVING max(ok) = 1 OR count() >= {attempts:UInt32}""",
                      {"site": site, "attempts": MAX_ATTEMPTS})
    return {tuple(row) for row in rows}  # type: ignore[misc]


def record(store: Store, site: str, rule: str, anomaly: str, state: str, channel: str, ok: bool,
           outcome: str) -> None:
    store.insert_rows("alert_notifications", NOTIFICATION_COLUMNS,
                      [[site, rule, anomaly, state, channel, now(), int(ok), outcome[:500]]])


def recent(store: Store, site: str, limit: int = 20) -> list[Notification]:
    """The site's latest delivery attempts, newest first."""
    rows = store.rows("""SELECT rule, anomaly, state, channel, delivered, ok, outcome FROM alert_notifications
                         WHERE site = {site:String} ORDER BY delivered DESC LIMIT {n:UInt32}""",
                      {"site": site, "n": limit})
    return [Notification(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6]) for r in rows]

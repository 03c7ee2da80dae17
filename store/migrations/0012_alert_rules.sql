-- Alert rules: per site, which anomalies (a KPI or any, a page or any, at least a severity) are sent
-- where (a webhook signed with the rule's own secret, email recipients). A change is a new row (the
-- newest `updated` wins, read with FINAL); deletion is a flag.

CREATE TABLE IF NOT EXISTS alert_rules
(
    site String,
    id String,
    name String,
    kpi LowCardinality(String),
    page String,
    severity LowCardinality(String),
    webhook String,
    secret String,
    emails Array(String),
    enabled UInt8,
    created DateTime64(3, 'UTC'),
    updated DateTime64(3, 'UTC'),
    deleted UInt8
)
ENGINE = ReplacingMergeTree(updated)
ORDER BY (site, id);

-- Every delivery attempt of an alert: an anomaly's opening or recovery, for one rule, on one channel
-- (webhook or email). A row with ok = 1, or MAX_ATTEMPTS rows without, means it is not sent again.

CREATE TABLE IF NOT EXISTS alert_notifications
(
    site String,
    rule String,
    anomaly String,
    state LowCardinality(String),
    channel LowCardinality(String),
    delivered DateTime64(3, 'UTC'),
    ok UInt8,
    outcome String
)
ENGINE = MergeTree
ORDER BY (site, rule, anomaly, state, channel, delivered)
TTL toDateTime(delivered) + INTERVAL 90 DAY;

-- Which process checks a site's alerts: each claim names a generation, one more than the newest it
-- saw; the earliest claim of the newest generation holds the site until `expires`. Claims are
-- never replaced, so a late claim cannot unseat the one that won (store/alert_leases.py).

CREATE TABLE IF NOT EXISTS alert_leases
(
    site String,
    generation UInt64,
    owner String,
    taken DateTime64(6, 'UTC'),
    expires DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (site, generation, taken, owner)
TTL toDateTime(taken) + INTERVAL 1 DAY;

-- Footfall schema, version 1. Event tables: ordered by site first, monthly partitions,
-- per-row retention (the site's, at ingest time) applied as TTL. Config tables are
-- ReplacingMergeTree keyed by their id, versioned by `updated`, so any collector may write.

CREATE TABLE IF NOT EXISTS pageviews
(
    site LowCardinality(String),
    time DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    received DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    session_id String CODEC(ZSTD(1)),
    visitor_id String CODEC(ZSTD(1)),
    pageview_id String CODEC(ZSTD(1)),
    url String CODEC(ZSTD(3)),
    path String CODEC(ZSTD(3)),
    title String CODEC(ZSTD(3)),
    referrer String CODEC(ZSTD(3)),
    referrer_host LowCardinality(String),
    utm_source LowCardinality(String),
    utm_medium LowCardinality(String),
    utm_campaign LowCardinality(String),
    utm_term String CODEC(ZSTD(1)),
    utm_content String CODEC(ZSTD(1)),
    device LowCardinality(String),
    browser LowCardinality(String),
    browser_version LowCardinality(String),
    os LowCardinality(String),
    viewport_width UInt16,
    viewport_height UInt16,
    screen_width UInt16,
    screen_height UInt16,
    retention UInt16
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (site, toDate(time), session_id, time)
TTL toDateTime(time) + toIntervalDay(retention)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS events
(
    site LowCardinality(String),
    time DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    type LowCardinality(String),
    session_id String CODEC(ZSTD(1)),
    visitor_id String CODEC(ZSTD(1)),
    pageview_id String CODEC(ZSTD(1)),
    path String CODEC(ZSTD(3)),
    device LowCardinality(String),
    browser LowCardinality(String),
    selector String CODEC(ZSTD(3)),
    text String CODEC(ZSTD(3)),
    x Int32,
    y Int32,
    points Array(Tuple(Int32, Int32)) CODEC(ZSTD(1)),
    rx Float32,
    ry Float32,
    viewport_width UInt16,
    dead UInt8,
    rage UInt8,
    depth_share Float32,
    page_height UInt32,
    name LowCardinality(String),
    props String CODEC(ZSTD(3)),
    retention UInt16
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (site, type, path, time)
TTL toDateTime(time) + toIntervalDay(retention)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS page_timings
(
    site LowCardinality(String),
    time DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    session_id String CODEC(ZSTD(1)),
    visitor_id String CODEC(ZSTD(1)),
    pageview_id String CODEC(ZSTD(1)),
    path String CODEC(ZSTD(3)),
    device LowCardinality(String),
    browser LowCardinality(String),
    redirect Float32,
    dns Float32,
    connect Float32,
    tls Float32,
    request Float32,
    download Float32,
    dom Float32,
    load Float32,
    total Float32,
    transfer_size UInt32,
    retention UInt16
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (site, path, time)
TTL toDateTime(time) + toIntervalDay(retention)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS web_vitals
(
    site LowCardinality(String),
    time DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    session_id String CODEC(ZSTD(1)),
    visitor_id String CODEC(ZSTD(1)),
    pageview_id String CODEC(ZSTD(1)),
    path String CODEC(ZSTD(3)),
    device LowCardinality(String),
    browser LowCardinality(String),
    name LowCardinality(String),
    value Float64,
    rating LowCardinality(String),
    target String CODEC(ZSTD(3)),
    attribution String CODEC(ZSTD(3)),
    retention UInt16
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (site, name, path, time)
TTL toDateTime(time) + toIntervalDay(retention)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS errors
(
    site LowCardinality(String),
    time DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    session_id String CODEC(ZSTD(1)),
    visitor_id String CODEC(ZSTD(1)),
    pageview_id String CODEC(ZSTD(1)),
    path String CODEC(ZSTD(3)),
    device LowCardinality(String),
    browser LowCardinality(String),
    os LowCardinality(String),
    kind LowCardinality(String),
    message String CODEC(ZSTD(3)),
    stack String CODEC(ZSTD(3)),
    source String CODEC(ZSTD(3)),
    line UInt32,
    column UInt32,
    fingerprint String,
    retention UInt16
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (site, fingerprint, time)
TTL toDateTime(time) + toIntervalDay(retention)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS resources
(
    site LowCardinality(String),
    time DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    session_id String CODEC(ZSTD(1)),
    visitor_id String CODEC(ZSTD(1)),
    pageview_id String CODEC(ZSTD(1)),
    path String CODEC(ZSTD(3)),
    device LowCardinality(String),
    browser LowCardinality(String),
    kind LowCardinality(String),
    url String CODEC(ZSTD(3)),
    duration Float32,
    transfer_size UInt64,
    retention UInt16
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (site, path, time)
TTL toDateTime(time) + toIntervalDay(retention)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS form_fields
(
    site LowCardinality(String),
    time DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    session_id String CODEC(ZSTD(1)),
    visitor_id String CODEC(ZSTD(1)),
    pageview_id String CODEC(ZSTD(1)),
    path String CODEC(ZSTD(3)),
    device LowCardinality(String),
    browser LowCardinality(String),
    field String CODEC(ZSTD(3)),
    first_input Float32,
    time_in_field Float32,
    changes UInt32,
    refocus UInt32,
    hesitation UInt8,
    abandoned UInt8,
    retention UInt16
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (site, path, time)
TTL toDateTime(time) + toIntervalDay(retention)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS replay_chunks
(
    site LowCardinality(String),
    session_id String,
    seq UInt32,
    pageview_id String CODEC(ZSTD(1)),
    time DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    received DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    encoding LowCardinality(String),
    data String CODEC(ZSTD(3)),
    retention UInt16
)
ENGINE = ReplacingMergeTree(received)
PARTITION BY toYYYYMM(time)
ORDER BY (site, session_id, seq)
TTL toDateTime(time) + toIntervalDay(retention)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS sites
(
    key String,
    name String,
    origins Array(String),
    retention_days UInt16,
    replay_sample Float32,
    heatmap_sample Float32,
    honour_dnt UInt8,
    created DateTime64(3, 'UTC'),
    updated DateTime64(3, 'UTC'),
    deleted UInt8
)
ENGINE = ReplacingMergeTree(updated)
ORDER BY key;

CREATE TABLE IF NOT EXISTS users
(
    email String,
    password_hash String,
    role LowCardinality(String),
    created DateTime64(3, 'UTC'),
    updated DateTime64(3, 'UTC'),
    deleted UInt8
)
ENGINE = ReplacingMergeTree(updated)
ORDER BY email;

CREATE TABLE IF NOT EXISTS api_tokens
(
    token_hash String,
    name String,
    site String,
    created DateTime64(3, 'UTC'),
    updated DateTime64(3, 'UTC'),
    revoked UInt8
)
ENGINE = ReplacingMergeTree(updated)
ORDER BY token_hash;

CREATE TABLE IF NOT EXISTS salts
(
    day Date,
    salt String,
    created DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(created)
ORDER BY (day, salt)
TTL day + toIntervalDay(2);

-- Page snapshots for heatmaps: when a page has no recorded session, the collector asks a share of
-- its page views (the site's heatmap rate, at most one ask per page, device class and 10 minutes
-- per collector) for one DOM snapshot, taken by the recorder with the replay's masking and sent
-- to /i/v1/replay with `snap: true`. Heatmaps draw over the newest recorded page first, these
-- otherwise (replay/snapshots.py). Rows belong to a session: a visitor's erase removes them.

CREATE TABLE IF NOT EXISTS inbox_snapshots
(
    srv_received Int64,
    srv_device String,
    srv_retention UInt16,
    v UInt8,
    site String,
    sid String,
    data String,
    enc String,
    url String,
    vw UInt32
)
ENGINE = Null;

CREATE TABLE IF NOT EXISTS page_snapshots
(
    site LowCardinality(String),
    path String CODEC(ZSTD(3)),
    device LowCardinality(String),
    time DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    session_id String CODEC(ZSTD(1)),
    width UInt16,
    encoding LowCardinality(String),
    data String CODEC(ZSTD(3)),
    retention UInt16
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (site, path, device, time)
TTL toDateTime(time) + toIntervalDay(retention)
SETTINGS non_replicated_deduplication_window = 10000;

-- The page as the ingest views name it: no query string or fragment (a hash route is kept).
CREATE MATERIALIZED VIEW IF NOT EXISTS page_snapshots_mv TO page_snapshots AS
WITH
    if(startsWith(fragment(url), '/'), concat('#', splitByChar('?', fragment(url))[1]), '') AS route
SELECT
    site,
    leftUTF8(concat(if(path(url) = '', '/', path(url)), route), 2048) AS path,
    multiIf(vw = 0, srv_device, vw <= 767, 'mobile', vw <= 1024, 'tablet', 'desktop') AS device,
    fromUnixTimestamp64Milli(srv_received, 'UTC') AS time,
    sid AS session_id,
    least(vw, 65535) AS width,
    enc AS encoding,
    data,
    srv_retention AS retention
FROM inbox_snapshots;

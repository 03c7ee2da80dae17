-- Heatmap cells: clicks and pointer samples counted per day and 8 px cell as they arrive, so a
-- map reads a few hundred thousand rows instead of every click of a page (bench/heatmap.py).
-- A click is counted under its element's selector and its offset inside the element (20 steps
-- of the element's width and height), so a viewer that finds the element in its snapshot can
-- place the click there; a pointer sample has neither. The cell size and the offset steps are
-- analysis/heatmaps.py's CELL and ELEMENT_STEPS. Counts carry no visitor id.
-- heatmap_elements counts the clicks of each element per day for the element ranking, with its
-- dead and rage clicks and a sketch of its visitors (ClickHouse's uniq: hashes, not ids).

CREATE TABLE IF NOT EXISTS heatmap_cells
(
    site LowCardinality(String),
    type LowCardinality(String),
    path String CODEC(ZSTD(3)),
    device LowCardinality(String),
    day Date,
    selector String CODEC(ZSTD(3)),
    column UInt16,
    row UInt16,
    ex UInt8,
    ey UInt8,
    hits UInt64,
    retention UInt16
)
ENGINE = SummingMergeTree(hits)
PARTITION BY toYYYYMM(day)
ORDER BY (site, type, path, device, day, selector, column, row, ex, ey)
TTL day + toIntervalDay(retention)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS heatmap_cells_mv TO heatmap_cells AS
SELECT
    site, ev.t AS type, path, device, toDate(time) AS day,
    if(ev.t = 'click', leftUTF8(ev.s, 512), '') AS selector,
    toUInt16(intDiv(point.1, 8)) AS column,
    toUInt16(intDiv(point.2, 8)) AS row,
    if(ev.t = 'click', least(toUInt8(floor(ev.rx * 20)), 19), 0) AS ex,
    if(ev.t = 'click', least(toUInt8(floor(ev.ry * 20)), 19), 0) AS ey,
    toUInt64(1) AS hits,
    retention
FROM ingest_events
ARRAY JOIN if(ev.t = 'click', [(toInt32(ev.x), toInt32(ev.y))], JSONExtract(ev.p, 'Array(Tuple(Int32, Int32))')) AS point
WHERE ev.t IN ('click', 'move') AND point.1 >= 0 AND point.2 >= 0 AND point.1 < 4096 AND point.2 < 40000;

CREATE TABLE IF NOT EXISTS heatmap_elements
(
    site LowCardinality(String),
    path String CODEC(ZSTD(3)),
    device LowCardinality(String),
    day Date,
    selector String CODEC(ZSTD(3)),
    clicks SimpleAggregateFunction(sum, UInt64),
    dead SimpleAggregateFunction(sum, UInt64),
    rage SimpleAggregateFunction(sum, UInt64),
    visitors AggregateFunction(uniq, String),
    label SimpleAggregateFunction(max, String),
    retention SimpleAggregateFunction(max, UInt16)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (site, path, device, day, selector)
TTL day + toIntervalDay(retention)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS heatmap_elements_mv TO heatmap_elements AS
SELECT
    site, path, device, toDate(time) AS day, leftUTF8(ev.s, 512) AS selector,
    toUInt64(count()) AS clicks, toUInt64(countIf(ev.dead)) AS dead, toUInt64(countIf(ev.rage)) AS rage,
    uniqState(visitor_id) AS visitors, max(leftUTF8(ev.text, 100)) AS label, max(retention) AS retention
FROM ingest_events
WHERE ev.t = 'click'
GROUP BY site, path, device, day, selector;

-- Stores from before these tables: their stored clicks and pointer samples, counted once. Each
-- table is emptied first: a run cut short before it was recorded (a crash) left rows that the
-- next run would count again, and `events` holds every click the views above counted since, so
-- counting from `events` alone counts each click once however often this runs.
TRUNCATE TABLE heatmap_cells;

INSERT INTO heatmap_cells
SELECT site, type, path, device, toDate(time) AS day, selector,
       toUInt16(intDiv(point.1, 8)) AS column, toUInt16(intDiv(point.2, 8)) AS row,
       if(type = 'click', least(toUInt8(floor(rx * 20)), 19), 0) AS ex,
       if(type = 'click', least(toUInt8(floor(ry * 20)), 19), 0) AS ey,
       count() AS hits, any(retention) AS retention
FROM events
ARRAY JOIN if(type = 'click', [(x, y)], points) AS point
WHERE type IN ('click', 'move') AND point.1 >= 0 AND point.2 >= 0 AND point.1 < 4096 AND point.2 < 40000
GROUP BY site, type, path, device, day, selector, column, row, ex, ey;

TRUNCATE TABLE heatmap_elements;

INSERT INTO heatmap_elements
SELECT site, path, device, toDate(time) AS day, selector, toUInt64(count()), toUInt64(countIf(dead = 1)),
       toUInt64(countIf(rage = 1)), uniqState(visitor_id), max(text), max(retention)
FROM events
WHERE type = 'click'
GROUP BY site, path, device, day, selector;

-- Footfall schema, version 8: each page view's load in one row, for the performance of funnel steps.
--
-- A funnel step's performance joins the steps' page views to their measurements. Read from
-- web_vitals, page_timings and errors that is seven or eight rows per page view (five vitals, a
-- timing, an error now and then); here it is one, so the join and the aggregation that follow
-- read a sixth of the rows (analysis/funnel_performance.py, bench/funnel.py).
--
-- A page view's measurements arrive in several batches (TTFB and FCP early, LCP and the timing at
-- load, INP and CLS when the page is left), so each view below adds a partial row and the merges
-- combine them; a query still groups by page view, for the rows not merged yet. Every column keeps
-- its maximum: merges may combine rows in any order, and a batch stored twice changes nothing. A
-- vital reported twice for one page view keeps its larger value (the snippet reports each once).
-- Ratings are 0 (none), 1 good, 2 needs improvement, 3 poor: for one vital the larger value never
-- has the better rating, so the maximum rating is the maximum value's.
--
-- The views read the tables the ingest views write (views chain), so rows inserted into those
-- tables by any path arrive here too; a view combines the rows of one insert per page view first.
-- The inserts at the end bring the rows stored before this version (row by row: a page view's rows
-- combine in merges, and the insert needs no memory for all page views at once). Rows keep the
-- retention of their measurements. The table is emptied before them: a run cut short before it was
-- recorded left rows behind, and the three tables hold every measurement the views saw since, so
-- running this again leaves the same rows as one run.

CREATE TABLE IF NOT EXISTS pageview_performance
(
    site LowCardinality(String),
    day Date,
    session_id String CODEC(ZSTD(1)),
    visitor_id String CODEC(ZSTD(1)),
    pageview_id String CODEC(ZSTD(1)),
    time SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    ttfb SimpleAggregateFunction(max, Nullable(Float64)),
    fcp SimpleAggregateFunction(max, Nullable(Float64)),
    lcp SimpleAggregateFunction(max, Nullable(Float64)),
    inp SimpleAggregateFunction(max, Nullable(Float64)),
    cls SimpleAggregateFunction(max, Nullable(Float64)),
    ttfb_rating SimpleAggregateFunction(max, UInt8),
    fcp_rating SimpleAggregateFunction(max, UInt8),
    lcp_rating SimpleAggregateFunction(max, UInt8),
    inp_rating SimpleAggregateFunction(max, UInt8),
    cls_rating SimpleAggregateFunction(max, UInt8),
    redirect SimpleAggregateFunction(max, Nullable(Float32)),
    dns SimpleAggregateFunction(max, Nullable(Float32)),
    connect SimpleAggregateFunction(max, Nullable(Float32)),
    tls SimpleAggregateFunction(max, Nullable(Float32)),
    request SimpleAggregateFunction(max, Nullable(Float32)),
    download SimpleAggregateFunction(max, Nullable(Float32)),
    dom SimpleAggregateFunction(max, Nullable(Float32)),
    load SimpleAggregateFunction(max, Nullable(Float32)),
    has_error SimpleAggregateFunction(max, UInt8),
    retention SimpleAggregateFunction(max, UInt16)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, pageview_id, session_id, visitor_id)
TTL day + toIntervalDay(retention)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS pageview_vitals_mv TO pageview_performance AS
WITH toUInt8(indexOf(['good', 'needs-improvement', 'poor'], rating)) AS code
SELECT
    site, toDate(v.time) AS day, session_id, visitor_id, pageview_id, min(v.time) AS time,
    max(if(name = 'TTFB', value, NULL)) AS ttfb, max(if(name = 'FCP', value, NULL)) AS fcp,
    max(if(name = 'LCP', value, NULL)) AS lcp, max(if(name = 'INP', value, NULL)) AS inp,
    max(if(name = 'CLS', value, NULL)) AS cls,
    max(if(name = 'TTFB', code, 0)) AS ttfb_rating, max(if(name = 'FCP', code, 0)) AS fcp_rating,
    max(if(name = 'LCP', code, 0)) AS lcp_rating, max(if(name = 'INP', code, 0)) AS inp_rating,
    max(if(name = 'CLS', code, 0)) AS cls_rating,
    max(v.retention) AS retention
FROM web_vitals AS v
WHERE name IN ('TTFB', 'FCP', 'LCP', 'INP', 'CLS')
GROUP BY site, day, session_id, visitor_id, pageview_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS pageview_timings_mv TO pageview_performance AS
SELECT
    site, toDate(time) AS day, session_id, visitor_id, pageview_id, time,
    redirect, dns, connect, tls, request, download, dom, load, retention
FROM page_timings;

CREATE MATERIALIZED VIEW IF NOT EXISTS pageview_errors_mv TO pageview_performance AS
SELECT site, toDate(e.time) AS day, session_id, visitor_id, pageview_id, min(e.time) AS time, toUInt8(1) AS has_error,
       max(e.retention) AS retention
FROM errors AS e
WHERE kind != 'console'
GROUP BY site, day, session_id, visitor_id, pageview_id;

TRUNCATE TABLE pageview_performance;

INSERT INTO pageview_performance (site, day, session_id, visitor_id, pageview_id, time, ttfb, fcp, lcp, inp, cls,
                                  ttfb_rating, fcp_rating, lcp_rating, inp_rating, cls_rating, retention)
WITH toUInt8(indexOf(['good', 'needs-improvement', 'poor'], rating)) AS code
SELECT
    site, toDate(time), session_id, visitor_id, pageview_id, time,
    if(name = 'TTFB', value, NULL), if(name = 'FCP', value, NULL), if(name = 'LCP', value, NULL),
    if(name = 'INP', value, NULL), if(name = 'CLS', value, NULL),
    if(name = 'TTFB', code, 0), if(name = 'FCP', code, 0), if(name = 'LCP', code, 0), if(name = 'INP', code, 0),
    if(name = 'CLS', code, 0), retention
FROM web_vitals
WHERE name IN ('TTFB', 'FCP', 'LCP', 'INP', 'CLS');

INSERT INTO pageview_performance (site, day, session_id, visitor_id, pageview_id, time, redirect, dns, connect, tls,
                                  request, download, dom, load, retention)
SELECT site, toDate(time), session_id, visitor_id, pageview_id, time, redirect, dns, connect, tls, request, download,
       dom, load, retention
FROM page_timings;

INSERT INTO pageview_performance (site, day, session_id, visitor_id, pageview_id, time, has_error, retention)
SELECT site, toDate(time), session_id, visitor_id, pageview_id, time, 1, retention
FROM errors
WHERE kind != 'console'

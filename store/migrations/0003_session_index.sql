-- The session index: one summary row per session, the session list's only source. Rows are
-- recomputed from the stored rows by the writer after every spool segment for the sessions that
-- segment touched (replay/session_index.py); the newest computation of a session wins.
-- `occurrences` keeps every signal occurrence (JSON) for the player's sidebar and timeline.
-- Visitor ids are `visitor` (the last) and `visitors` (all), not `visitor_id`: a session's row
-- is erased with the visitor's sessions, then recomputed from whatever other visitors left.

CREATE TABLE IF NOT EXISTS session_index
(
    site LowCardinality(String),
    session_id String,
    start DateTime64(3, 'UTC'),
    end DateTime64(3, 'UTC'),
    active_ms UInt64,
    pages Array(String) CODEC(ZSTD(3)),
    pageviews UInt32,
    clicks UInt32,
    errors UInt32,
    visitor String,
    visitors Array(String),
    device LowCardinality(String),
    browser LowCardinality(String),
    has_replay UInt8,
    rage_click UInt32,
    dead_click UInt32,
    error_click UInt32,
    quick_back UInt32,
    excessive_scroll UInt32,
    navigation_loop UInt32,
    signal_total UInt32,
    occurrences String CODEC(ZSTD(3)),
    retention UInt16,
    indexed DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree(indexed)
ORDER BY (site, session_id)
TTL toDateTime(start) + toIntervalDay(retention);

-- Footfall schema, version 2: ClickHouse makes the table rows of each accepted request.
--
-- The writer inserts every spooled request as one JSON line (the server's header fields
-- `srv_*` followed by the validated, re-encoded body) into an inbox table with the Null
-- engine. Materialized views turn the lines into rows: `ingest_events` holds one row per
-- event with the fields every table shares already worked out, and one view per table
-- picks its events from there. Python touches each request once, at validation; parsing,
-- enrichment and truncation run in ClickHouse's C++ (see docs/architecture.md).
--
-- Limits here are the ones docs/wire-format.md lists (collector/rows.py: MAX_TEXT).

CREATE TABLE IF NOT EXISTS inbox_batches
(
    srv_received Int64,
    srv_visitor String,
    srv_browser String,
    srv_browser_version String,
    srv_os String,
    srv_device String,
    srv_retention UInt16,
    v UInt8,
    site String,
    sid String,
    pv String,
    url String,
    ref String,
    vid String,
    vw UInt32,
    vh UInt32,
    sw UInt32,
    sh UInt32,
    sent Nullable(Int64),
    utm Tuple(source String, medium String, campaign String, term String, content String),
    e Array(Tuple(
        t String, ts Int64,
        title String,
        s String, x Int32, y Int32, rx Float32, ry Float32, vw UInt32, text String, dead Bool, rage Bool,
        p String,
        d Int32, pct Float32, h Int32,
        redirect Float32, dns Float32, connect Float32, tls Float32, req Float32, res Float32,
        dom Float32, load Float32, total Float32, size UInt64,
        n String, v Float64, r String, target String, a String,
        msg String, stack String, src String, line UInt32, col UInt32, kind String,
        url String, dur Float32,
        first Float32, time Float32, changes UInt32, refocus UInt32, hesitation Bool, abandoned Bool
    ))
)
ENGINE = Null;

CREATE TABLE IF NOT EXISTS ingest_events
(
    site String,
    time DateTime64(3, 'UTC'),
    received DateTime64(3, 'UTC'),
    session_id String,
    visitor_id String,
    pageview_id String,
    page_url String,
    path String,
    referrer String,
    referrer_host String,
    campaign Tuple(source String, medium String, campaign String, term String, content String),
    device String,
    browser String,
    browser_version String,
    os String,
    viewport_width UInt16,
    viewport_height UInt16,
    screen_width UInt16,
    screen_height UInt16,
    retention UInt16,
    ev Tuple(
        t String, ts Int64,
        title String,
        s String, x Int32, y Int32, rx Float32, ry Float32, vw UInt32, text String, dead Bool, rage Bool,
        p String,
        d Int32, pct Float32, h Int32,
        redirect Float32, dns Float32, connect Float32, tls Float32, req Float32, res Float32,
        dom Float32, load Float32, total Float32, size UInt64,
        n String, v Float64, r String, target String, a String,
        msg String, stack String, src String, line UInt32, col UInt32, kind String,
        url String, dur Float32,
        first Float32, time Float32, changes UInt32, refocus UInt32, hesitation Bool, abandoned Bool
    )
)
ENGINE = Null;

-- One row per event. Client clocks are corrected by the skew seen at receipt (when over 2 s),
-- timestamps more than 60 s ahead of the server are clamped, URLs lose query string and
-- fragment (a hash route such as #/cart is kept), the device class comes from the viewport.
CREATE MATERIALIZED VIEW IF NOT EXISTS ingest_events_mv TO ingest_events AS
WITH
    if(sent IS NULL OR abs(srv_received - assumeNotNull(sent)) < 2000, 0,
       srv_received - assumeNotNull(sent)) AS skew,
    if(startsWith(fragment(url), '/'), concat('#', splitByChar('?', fragment(url))[1]), '') AS route,
    concat(if(path(url) = '', '/', path(url)), route) AS page_path
SELECT
    site,
    fromUnixTimestamp64Milli(greatest(0, least(ev.ts + skew, srv_received + 60000)), 'UTC') AS time,
    fromUnixTimestamp64Milli(srv_received, 'UTC') AS received,
    sid AS session_id,
    if(vid != '', vid, srv_visitor) AS visitor_id,
    pv AS pageview_id,
    leftUTF8(concat(splitByChar('?', splitByChar('#', url)[1])[1], route), 2048) AS page_url,
    leftUTF8(page_path, 2048) AS path,
    leftUTF8(splitByChar('?', splitByChar('#', ref)[1])[1], 2048) AS referrer,
    lower(domain(ref)) AS referrer_host,
    -- Campaign fields as the batch sent them, else from the page URL's utm_* parameters.
    (leftUTF8(if(utm.source != '', utm.source, decodeURLComponent(extractURLParameter(url, 'utm_source'))), 256),
     leftUTF8(if(utm.medium != '', utm.medium, decodeURLComponent(extractURLParameter(url, 'utm_medium'))), 256),
     leftUTF8(if(utm.campaign != '', utm.campaign, decodeURLComponent(extractURLParameter(url, 'utm_campaign'))), 256),
     leftUTF8(if(utm.term != '', utm.term, decodeURLComponent(extractURLParameter(url, 'utm_term'))), 256),
     leftUTF8(if(utm.content != '', utm.content, decodeURLComponent(extractURLParameter(url, 'utm_content'))), 256))
        AS campaign,
    multiIf(vw = 0, srv_device, vw <= 767, 'mobile', vw <= 1024, 'tablet', 'desktop') AS device,
    srv_browser AS browser,
    srv_browser_version AS browser_version,
    srv_os AS os,
    least(vw, 65535) AS viewport_width,
    least(vh, 65535) AS viewport_height,
    least(sw, 65535) AS screen_width,
    least(sh, 65535) AS screen_height,
    srv_retention AS retention,
    ev
FROM inbox_batches
ARRAY JOIN e AS ev;

CREATE MATERIALIZED VIEW IF NOT EXISTS pageviews_mv TO pageviews AS
SELECT
    site, time, received, session_id, visitor_id, pageview_id, page_url AS url, path,
    leftUTF8(ev.title, 300) AS title,
    referrer, referrer_host,
    campaign.source AS utm_source, campaign.medium AS utm_medium, campaign.campaign AS utm_campaign,
    campaign.term AS utm_term, campaign.content AS utm_content,
    device, browser, browser_version, os,
    viewport_width, viewport_height, screen_width, screen_height, retention
FROM ingest_events
WHERE ev.t = 'pageview';

-- Clicks, mouse trails (one row per trail, heatmaps ARRAY JOIN the points), scrolls, custom events.
CREATE MATERIALIZED VIEW IF NOT EXISTS events_mv TO events AS
SELECT
    site, time, ev.t AS type, session_id, visitor_id, pageview_id, path, device, browser,
    if(ev.t = 'click', leftUTF8(ev.s, 512), '') AS selector,
    if(ev.t = 'click', leftUTF8(ev.text, 100), '') AS text,
    if(ev.t = 'click', ev.x, 0) AS x,
    multiIf(ev.t = 'click', ev.y, ev.t = 'scroll', ev.d, 0) AS y,
    if(ev.t = 'move', JSONExtract(ev.p, 'Array(Tuple(Int32, Int32))'), []) AS points,
    ev.rx AS rx,
    ev.ry AS ry,
    if(ev.t = 'click' AND ev.vw > 0, least(ev.vw, 65535), viewport_width) AS viewport_width,
    ev.dead AS dead,
    ev.rage AS rage,
    ev.pct AS depth_share,
    greatest(ev.h, 0) AS page_height,
    if(ev.t = 'custom', leftUTF8(ev.n, 128), '') AS name,
    if(ev.t = 'custom', leftUTF8(ev.p, 4096), '') AS props,
    retention
FROM ingest_events
WHERE ev.t IN ('click', 'move', 'scroll', 'custom');

CREATE MATERIALIZED VIEW IF NOT EXISTS page_timings_mv TO page_timings AS
SELECT
    site, time, session_id, visitor_id, pageview_id, path, device, browser,
    ev.redirect AS redirect, ev.dns AS dns, ev.connect AS connect, ev.tls AS tls,
    ev.req AS request, ev.res AS download, ev.dom AS dom, ev.load AS load, ev.total AS total,
    ev.size AS transfer_size,
    retention
FROM ingest_events
WHERE ev.t = 'nav';

CREATE MATERIALIZED VIEW IF NOT EXISTS web_vitals_mv TO web_vitals AS
SELECT
    site, time, session_id, visitor_id, pageview_id, path, device, browser,
    ev.n AS name, ev.v AS value, ev.r AS rating,
    leftUTF8(ev.target, 512) AS target,
    leftUTF8(ev.a, 4096) AS attribution,
    retention
FROM ingest_events
WHERE ev.t = 'vital';

-- Errors that differ only in numbers (ids, counts, line offsets) share a fingerprint:
-- message, source without query string and the first stack frame, digits zeroed.
CREATE MATERIALIZED VIEW IF NOT EXISTS errors_mv TO errors AS
WITH splitByChar('?', ev.src)[1] AS source_file
SELECT
    site, time, session_id, visitor_id, pageview_id, path, device, browser, os,
    ev.kind AS kind,
    leftUTF8(ev.msg, 1024) AS message,
    leftUTF8(ev.stack, 8192) AS stack,
    leftUTF8(source_file, 2048) AS source,
    ev.line AS line,
    ev.col AS column,
    lower(hex(sipHash64(
        replaceRegexpAll(ev.msg, '\\d+', '0'),
        replaceRegexpAll(source_file, '\\d+', '0'),
        replaceRegexpAll(trimBoth(arrayElement(splitByRegexp('\\r?\\n', ev.stack), 2)), '\\d+', '0')
    ))) AS fingerprint,
    retention
FROM ingest_events
WHERE ev.t = 'error';

CREATE MATERIALIZED VIEW IF NOT EXISTS resources_mv TO resources AS
SELECT
    site, time, session_id, visitor_id, pageview_id, path, device, browser,
    leftUTF8(ev.kind, 128) AS kind,
    leftUTF8(splitByChar('?', ev.url)[1], 2048) AS url,
    ev.dur AS duration,
    ev.size AS transfer_size,
    retention
FROM ingest_events
WHERE ev.t = 'res';

CREATE MATERIALIZED VIEW IF NOT EXISTS form_fields_mv TO form_fields AS
SELECT
    site, time, session_id, visitor_id, pageview_id, path, device, browser,
    leftUTF8(ev.s, 512) AS field,
    ev.first AS first_input,
    ev.time AS time_in_field,
    ev.changes AS changes,
    ev.refocus AS refocus,
    ev.hesitation AS hesitation,
    ev.abandoned AS abandoned,
    retention
FROM ingest_events
WHERE ev.t = 'form';

CREATE TABLE IF NOT EXISTS inbox_replay
(
    srv_received Int64,
    srv_retention UInt16,
    v UInt8,
    site String,
    sid String,
    seq UInt32,
    data String,
    pv String,
    enc String,
    ts Nullable(Int64),
    sent Nullable(Int64)
)
ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS replay_chunks_mv TO replay_chunks AS
WITH
    if(sent IS NULL OR abs(srv_received - assumeNotNull(sent)) < 2000, 0,
       srv_received - assumeNotNull(sent)) AS skew
SELECT
    site,
    sid AS session_id,
    seq,
    pv AS pageview_id,
    fromUnixTimestamp64Milli(
        greatest(0, least(if(ts IS NULL, srv_received, assumeNotNull(ts) + skew), srv_received + 60000)), 'UTC'
    ) AS time,
    fromUnixTimestamp64Milli(srv_received, 'UTC') AS received,
    enc AS encoding,
    data,
    srv_retention AS retention
FROM inbox_replay

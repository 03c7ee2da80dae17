-- Goals: a site's conversions by name, each defined as one funnel step (a page or pattern, a custom
-- event with optional property filters, or a click on a selector), stored as the funnels API's step
-- JSON. A change is a new row (the newest `updated` wins, read with FINAL); deletion is a flag.

CREATE TABLE IF NOT EXISTS goals
(
    site String,
    id String,
    name String,
    definition String,
    created DateTime64(3, 'UTC'),
    updated DateTime64(3, 'UTC'),
    deleted UInt8
)
ENGINE = ReplacingMergeTree(updated)
ORDER BY (site, id);

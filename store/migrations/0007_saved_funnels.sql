-- Saved funnels: a site's funnels by name, their definition as the funnels API takes it (JSON).
-- A change is a new row (the newest `updated` wins, read with FINAL); deletion is a flag.

CREATE TABLE IF NOT EXISTS saved_funnels
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

-- The site's time zone (an IANA name): the days and the hour, day, week and month buckets of the
-- stats API are the site's local ones. Sites made before it count in UTC.
ALTER TABLE sites ADD COLUMN IF NOT EXISTS time_zone LowCardinality(String) DEFAULT 'UTC' AFTER url_patterns;

-- Access that can be taken back. A dashboard login is a row here, not a signed claim in the
-- cookie: the cookie carries a random id, the store keeps its SHA-256, and every request reads
-- the row and its user's current role, so any collector ends a session the moment it is revoked.
CREATE TABLE IF NOT EXISTS login_sessions
(
    id_hash String,
    email String,
    generation UInt32,
    created DateTime64(3, 'UTC'),
    expires DateTime64(3, 'UTC'),
    updated DateTime64(3, 'UTC'),
    revoked UInt8
)
ENGINE = ReplacingMergeTree(updated)
ORDER BY id_hash
TTL toDateTime(expires) + INTERVAL 1 DAY;

-- A user's sessions are valid while they carry the user's generation: a password change, a role
-- change or a deletion raises it, which ends every session of that user at once.
ALTER TABLE users ADD COLUMN IF NOT EXISTS generation UInt32 DEFAULT 0;

-- Token scopes: `read` or `admin`. Tokens made before scopes could already erase and export, and
-- only administrators could make them: they keep `admin` (docs/api.md); new tokens default to read.
ALTER TABLE api_tokens ADD COLUMN IF NOT EXISTS scope LowCardinality(String) DEFAULT 'admin';

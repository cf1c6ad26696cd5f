-- Admin keys: they authenticate operators to the admin API and belong to no
-- app. Only a digest of each key is stored. A revoked key is kept, with the
-- time of its revocation, so that the audit events it signed
-- ("admin_key:<id>") still name a key an operator can look up.

-- +goose Up
CREATE TABLE admin_keys (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    hash         BLOB NOT NULL UNIQUE,
    created_at   TIMESTAMP,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);
CREATE INDEX admin_keys_created ON admin_keys (created_at, id);

-- +goose Down
DROP TABLE admin_keys;

-- Nonces record the backup state the ceremony proved, so a backend that
-- verifies one learns every flag; and the store keeps a check value of the
-- master key, so an instance started with another key refuses to start.

-- +goose Up
ALTER TABLE nonces ADD COLUMN backed_up BOOLEAN NOT NULL DEFAULT FALSE;

-- One row at most: an HMAC of a fixed text under the master key. It reveals
-- nothing about the key, and any other key yields another value.
CREATE TABLE master_key_check (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    check_value BYTEA NOT NULL,
    created_at  TIMESTAMPTZ
);

-- +goose Down
DROP TABLE master_key_check;
ALTER TABLE nonces DROP COLUMN backed_up;

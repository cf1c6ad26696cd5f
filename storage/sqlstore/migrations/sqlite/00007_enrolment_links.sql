-- Enrolment links: an administrator's single-use, short-lived link that
-- lets one user register one new passkey on passbridge's enrolment page.
-- Only the token's digest is stored. A link goes with its user.
--
-- The register transactions the page creates name their link, so that the
-- registration that completes one consumes the link in the same database
-- transaction: of the transactions of one link (two tabs, say) only one
-- ever completes. The column is no foreign key on purpose: a transaction
-- whose link is gone (collected after its expiry) still names it, finds
-- nothing to consume and is refused, and it is collected in its turn.

-- +goose Up
CREATE TABLE enrolment_links (
    id         TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    hash       BLOB NOT NULL UNIQUE,
    device_id  TEXT REFERENCES devices (id) ON DELETE SET NULL,
    created_at TIMESTAMP,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP,
    FOREIGN KEY (app_id, user_id) REFERENCES users (app_id, id) ON DELETE CASCADE
);
CREATE INDEX enrolment_links_user ON enrolment_links (app_id, user_id);
CREATE INDEX enrolment_links_device ON enrolment_links (device_id);
CREATE INDEX enrolment_links_expires ON enrolment_links (expires_at);

ALTER TABLE transactions ADD COLUMN enrolment_link_id TEXT;

-- +goose Down
ALTER TABLE transactions DROP COLUMN enrolment_link_id;
DROP TABLE enrolment_links;

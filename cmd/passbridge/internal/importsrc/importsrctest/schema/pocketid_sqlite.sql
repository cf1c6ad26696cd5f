-- The users and webauthn_credentials tables of a Pocket ID SQLite database,
-- as its migrations leave them (github.com/pocket-id/pocket-id,
-- backend/resources/migrations/sqlite/): users from
-- 20260103142200_user_nullable_fields.up.sql and
-- 20260109090200_email_verification.up.sql, webauthn_credentials from
-- 20251217141000_v2_export_normalization.up.sql. Pocket ID writes times to
-- SQLite as Unix seconds (backend/internal/model/types/date_time.go).
CREATE TABLE users
(
    id             TEXT                  NOT NULL PRIMARY KEY,
    created_at     DATETIME,
    updated_at     DATETIME,
    username       TEXT COLLATE NOCASE   NOT NULL UNIQUE,
    email          TEXT UNIQUE,
    first_name     TEXT                  NOT NULL,
    last_name      TEXT                  NOT NULL,
    display_name   TEXT                  NOT NULL,
    is_admin       BOOLEAN DEFAULT FALSE NOT NULL,
    ldap_id        TEXT UNIQUE,
    locale         TEXT,
    disabled       BOOLEAN DEFAULT FALSE NOT NULL,
    email_verified BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE webauthn_credentials
(
    id               TEXT PRIMARY KEY,
    created_at       DATETIME             NOT NULL,
    name             TEXT                 NOT NULL,
    credential_id    BLOB                 NOT NULL UNIQUE,
    public_key       BLOB                 NOT NULL,
    attestation_type TEXT                 NOT NULL,
    transport        BLOB                 NOT NULL,
    user_id          TEXT REFERENCES users ON DELETE CASCADE,
    backup_eligible  BOOLEAN DEFAULT FALSE NOT NULL,
    backup_state     BOOLEAN DEFAULT FALSE NOT NULL
);

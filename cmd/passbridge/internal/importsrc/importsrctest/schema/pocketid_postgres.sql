-- The users and webauthn_credentials tables of a Pocket ID PostgreSQL
-- database, as its migrations leave them (github.com/pocket-id/pocket-id,
-- backend/resources/migrations/postgres/): 20241211111554_init.up.sql, then
-- users gains ldap_id (20250117164229_ldap), locale (20250320171311_user_locale),
-- disabled (20250412000000_add_user_disabled_field), display_name
-- (20250917170000_user_display_name_and_username, which also makes username
-- CITEXT: TEXT here, so that the test schema needs no extension), email
-- becomes nullable (20251001115300_optional_email), updated_at
-- (20251229173100_scim_service_providers) and email_verified
-- (20260109090200_email_verification).
CREATE TABLE users
(
    id             UUID NOT NULL PRIMARY KEY,
    created_at     TIMESTAMPTZ,
    username       TEXT NOT NULL UNIQUE,
    email          VARCHAR(255) UNIQUE,
    first_name     VARCHAR(100),
    last_name      VARCHAR(100),
    is_admin       BOOLEAN DEFAULT FALSE NOT NULL,
    ldap_id        TEXT UNIQUE,
    locale         TEXT,
    disabled       BOOLEAN DEFAULT FALSE NOT NULL,
    display_name   TEXT NOT NULL,
    updated_at     TIMESTAMPTZ,
    email_verified BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE webauthn_credentials
(
    id               UUID NOT NULL PRIMARY KEY,
    created_at       TIMESTAMPTZ,
    name             VARCHAR(255) NOT NULL,
    credential_id    BYTEA NOT NULL UNIQUE,
    public_key       BYTEA NOT NULL,
    attestation_type VARCHAR(20) NOT NULL,
    transport        JSONB NOT NULL,
    user_id          UUID REFERENCES users ON DELETE CASCADE,
    backup_eligible  BOOLEAN DEFAULT FALSE NOT NULL,
    backup_state     BOOLEAN DEFAULT FALSE NOT NULL
);

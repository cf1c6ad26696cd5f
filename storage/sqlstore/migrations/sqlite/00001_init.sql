-- The initial passbridge schema for SQLite.
--
-- Conventions: ids are TEXT chosen by the caller; times are declared TIMESTAMP
-- (the driver scans only DATE/DATETIME/TIMESTAMP columns into time.Time) and
-- hold UTC text that sorts in time order; NULL means "never" (the zero time);
-- lists and maps are JSON text; durations are INTEGER nanoseconds. Rows that
-- belong to a user or device reference it with (app_id, user_id) /
-- (app_id, device_id), so a row can never point at another app's user. Empty
-- optional references are NULL, which foreign keys ignore. Primary keys are
-- declared NOT NULL because SQLite would otherwise accept NULL in them.

-- +goose Up
CREATE TABLE apps (
    id                  TEXT PRIMARY KEY NOT NULL,
    name                TEXT NOT NULL,
    rp_id               TEXT NOT NULL,
    rp_name             TEXT NOT NULL,
    origins             TEXT NOT NULL,
    user_verification   TEXT NOT NULL,
    attestation         TEXT NOT NULL,
    resident_key        TEXT NOT NULL,
    allow_signup        BOOLEAN NOT NULL,
    sign_count_policy   TEXT NOT NULL,
    transaction_ttl_ns  INTEGER NOT NULL,
    ceremony_timeout_ns INTEGER NOT NULL,
    nonce_ttl_ns        INTEGER NOT NULL,
    created_at          TIMESTAMP,
    updated_at          TIMESTAMP
);
CREATE INDEX apps_created ON apps (created_at, id);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY NOT NULL,
    app_id       TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    hash         BLOB NOT NULL UNIQUE,
    created_at   TIMESTAMP,
    last_used_at TIMESTAMP
);
CREATE INDEX api_keys_app ON api_keys (app_id, created_at, id);

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    app_id        TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    external_id   TEXT NOT NULL,
    handle        BLOB,
    display_name  TEXT NOT NULL,
    status        TEXT NOT NULL,
    login_count   INTEGER NOT NULL,
    created_at    TIMESTAMP,
    updated_at    TIMESTAMP,
    last_login_at TIMESTAMP,
    UNIQUE (app_id, id),
    UNIQUE (app_id, external_id),
    UNIQUE (app_id, handle)
);
CREATE INDEX users_app_created ON users (app_id, created_at, id);

CREATE TABLE devices (
    id                 TEXT PRIMARY KEY NOT NULL,
    app_id             TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    user_id            TEXT NOT NULL,
    credential_id      BLOB NOT NULL,
    public_key         BLOB,
    attestation_type   TEXT NOT NULL,
    attestation_format TEXT NOT NULL,
    attestation        BLOB,
    aaguid             BLOB,
    transports         TEXT NOT NULL,
    sign_count         INTEGER NOT NULL,
    clone_warning      BOOLEAN NOT NULL,
    user_verified      BOOLEAN NOT NULL,
    backup_eligible    BOOLEAN NOT NULL,
    backed_up          BOOLEAN NOT NULL,
    attachment         TEXT NOT NULL,
    friendly_name      TEXT NOT NULL,
    type               TEXT NOT NULL,
    usage_count        INTEGER NOT NULL,
    created_at         TIMESTAMP,
    updated_at         TIMESTAMP,
    last_login_at      TIMESTAMP,
    UNIQUE (app_id, id),
    UNIQUE (app_id, credential_id),
    FOREIGN KEY (app_id, user_id) REFERENCES users (app_id, id) ON DELETE CASCADE
);
CREATE INDEX devices_user ON devices (app_id, user_id, created_at, id);

CREATE TABLE transactions (
    id           TEXT PRIMARY KEY NOT NULL,
    app_id       TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    user_id      TEXT,
    external_id  TEXT NOT NULL,
    display_name TEXT NOT NULL,
    state        TEXT NOT NULL,
    created_at   TIMESTAMP,
    expires_at   TIMESTAMP,
    completed_at TIMESTAMP,
    FOREIGN KEY (app_id, user_id) REFERENCES users (app_id, id) ON DELETE CASCADE
);
CREATE INDEX transactions_user ON transactions (app_id, user_id);
CREATE INDEX transactions_expires ON transactions (expires_at);

CREATE TABLE handshakes (
    id             TEXT PRIMARY KEY NOT NULL,
    app_id         TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    flow           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    transaction_id TEXT,
    user_id        TEXT,
    challenge      TEXT NOT NULL,
    session        BLOB,
    attachment     TEXT NOT NULL,
    created_at     TIMESTAMP,
    expires_at     TIMESTAMP,
    UNIQUE (app_id, challenge),
    FOREIGN KEY (app_id, user_id) REFERENCES users (app_id, id) ON DELETE CASCADE
);
CREATE INDEX handshakes_user ON handshakes (app_id, user_id);
CREATE INDEX handshakes_expires ON handshakes (expires_at);

CREATE TABLE nonces (
    hash            BLOB PRIMARY KEY NOT NULL,
    app_id          TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    user_id         TEXT,
    external_id     TEXT NOT NULL,
    device_id       TEXT,
    kind            TEXT NOT NULL,
    user_verified   BOOLEAN NOT NULL,
    backup_eligible BOOLEAN NOT NULL,
    created_at      TIMESTAMP,
    expires_at      TIMESTAMP,
    FOREIGN KEY (app_id, user_id) REFERENCES users (app_id, id) ON DELETE CASCADE,
    FOREIGN KEY (app_id, device_id) REFERENCES devices (app_id, id) ON DELETE CASCADE
);
CREATE INDEX nonces_user ON nonces (app_id, user_id);
CREATE INDEX nonces_device ON nonces (app_id, device_id);
CREATE INDEX nonces_expires ON nonces (expires_at);

CREATE TABLE clients (
    id                        TEXT PRIMARY KEY NOT NULL,
    app_id                    TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    name                      TEXT NOT NULL,
    secret_hash               BLOB,
    auth_method               TEXT NOT NULL,
    redirect_uris             TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    jwks                      BLOB,
    access_token_type         TEXT NOT NULL,
    created_at                TIMESTAMP,
    updated_at                TIMESTAMP
);
CREATE INDEX clients_app ON clients (app_id, created_at, id);

CREATE TABLE auth_requests (
    id                    TEXT PRIMARY KEY NOT NULL,
    app_id                TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    client_id             TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    redirect_uri          TEXT NOT NULL,
    scopes                TEXT NOT NULL,
    state                 TEXT NOT NULL,
    nonce                 TEXT NOT NULL,
    response_type         TEXT NOT NULL,
    response_mode         TEXT NOT NULL,
    code_challenge        TEXT NOT NULL,
    code_challenge_method TEXT NOT NULL,
    prompt                TEXT NOT NULL,
    max_age               INTEGER,
    login_hint            TEXT NOT NULL,
    acr_values            TEXT NOT NULL,
    ui_locales            TEXT NOT NULL,
    hint_subject          TEXT NOT NULL,
    enroll                BOOLEAN NOT NULL,
    browser_binding       BLOB,
    done                  BOOLEAN NOT NULL,
    user_id               TEXT NOT NULL,
    subject               TEXT NOT NULL,
    device_id             TEXT NOT NULL,
    session_id            TEXT NOT NULL,
    auth_time             TIMESTAMP,
    amr                   TEXT NOT NULL,
    acr                   TEXT NOT NULL,
    created_at            TIMESTAMP,
    expires_at            TIMESTAMP
);
CREATE INDEX auth_requests_app ON auth_requests (app_id);
CREATE INDEX auth_requests_client ON auth_requests (client_id);
CREATE INDEX auth_requests_expires ON auth_requests (expires_at);

CREATE TABLE auth_codes (
    hash            BLOB PRIMARY KEY NOT NULL,
    auth_request_id TEXT NOT NULL REFERENCES auth_requests (id) ON DELETE CASCADE,
    created_at      TIMESTAMP,
    expires_at      TIMESTAMP
);
CREATE INDEX auth_codes_request ON auth_codes (auth_request_id);
CREATE INDEX auth_codes_expires ON auth_codes (expires_at);

CREATE TABLE refresh_tokens (
    id         TEXT PRIMARY KEY NOT NULL,
    hash       BLOB NOT NULL UNIQUE,
    app_id     TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    user_id    TEXT,
    subject    TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    audience   TEXT NOT NULL,
    session_id TEXT NOT NULL,
    device_id  TEXT,
    auth_time  TIMESTAMP,
    amr        TEXT NOT NULL,
    acr        TEXT NOT NULL,
    created_at TIMESTAMP,
    expires_at TIMESTAMP,
    FOREIGN KEY (app_id, user_id) REFERENCES users (app_id, id) ON DELETE CASCADE,
    FOREIGN KEY (app_id, device_id) REFERENCES devices (app_id, id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_user ON refresh_tokens (app_id, user_id, client_id);
CREATE INDEX refresh_tokens_device ON refresh_tokens (app_id, device_id);
CREATE INDEX refresh_tokens_client ON refresh_tokens (client_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);

CREATE TABLE access_tokens (
    id               TEXT PRIMARY KEY NOT NULL,
    app_id           TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    client_id        TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    user_id          TEXT,
    subject          TEXT NOT NULL,
    scopes           TEXT NOT NULL,
    audience         TEXT NOT NULL,
    session_id       TEXT NOT NULL,
    device_id        TEXT,
    refresh_token_id TEXT REFERENCES refresh_tokens (id) ON DELETE CASCADE,
    created_at       TIMESTAMP,
    expires_at       TIMESTAMP,
    FOREIGN KEY (app_id, user_id) REFERENCES users (app_id, id) ON DELETE CASCADE,
    FOREIGN KEY (app_id, device_id) REFERENCES devices (app_id, id) ON DELETE CASCADE
);
CREATE INDEX access_tokens_user ON access_tokens (app_id, user_id, client_id);
CREATE INDEX access_tokens_device ON access_tokens (app_id, device_id);
CREATE INDEX access_tokens_client ON access_tokens (client_id);
CREATE INDEX access_tokens_refresh ON access_tokens (refresh_token_id);
CREATE INDEX access_tokens_expires ON access_tokens (expires_at);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY NOT NULL,
    app_id       TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL,
    subject      TEXT NOT NULL,
    hash         BLOB NOT NULL UNIQUE,
    device_id    TEXT,
    auth_time    TIMESTAMP,
    amr          TEXT NOT NULL,
    acr          TEXT NOT NULL,
    created_at   TIMESTAMP,
    last_seen_at TIMESTAMP,
    expires_at   TIMESTAMP,
    FOREIGN KEY (app_id, user_id) REFERENCES users (app_id, id) ON DELETE CASCADE,
    FOREIGN KEY (app_id, device_id) REFERENCES devices (app_id, id) ON DELETE CASCADE
);
CREATE INDEX sessions_user ON sessions (app_id, user_id, created_at, id);
CREATE INDEX sessions_device ON sessions (app_id, device_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE signing_keys (
    id           TEXT PRIMARY KEY NOT NULL,
    algorithm    TEXT NOT NULL,
    private_key  BLOB,
    public_key   BLOB,
    state        TEXT NOT NULL,
    created_at   TIMESTAMP,
    activated_at TIMESTAMP,
    retired_at   TIMESTAMP,
    expires_at   TIMESTAMP
);

CREATE TABLE audit_events (
    id         TEXT PRIMARY KEY NOT NULL,
    app_id     TEXT REFERENCES apps (id) ON DELETE CASCADE,
    type       TEXT NOT NULL,
    actor      TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    detail     TEXT NOT NULL,
    created_at TIMESTAMP
);
CREATE INDEX audit_events_app ON audit_events (app_id, created_at, id);
CREATE INDEX audit_events_user ON audit_events (app_id, user_id, created_at, id);
CREATE INDEX audit_events_created ON audit_events (created_at, id);

-- +goose Down
DROP TABLE audit_events;
DROP TABLE signing_keys;
DROP TABLE sessions;
DROP TABLE access_tokens;
DROP TABLE refresh_tokens;
DROP TABLE auth_codes;
DROP TABLE auth_requests;
DROP TABLE clients;
DROP TABLE nonces;
DROP TABLE handshakes;
DROP TABLE transactions;
DROP TABLE devices;
DROP TABLE users;
DROP TABLE api_keys;
DROP TABLE apps;

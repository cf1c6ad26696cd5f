-- The tables of Hanko's passkey server that hold tenants, their relying
-- parties, users and credentials, in PostgreSQL as pop translates the
-- server's fizz migrations (github.com/teamhanko/passkey-server,
-- server/persistence/migrations/): 20231107190551_create_tenants,
-- 20231107190727_create_configs, 20231107190913_create_webauthn_configs,
-- 20231107190959_create_relying_parties, 20231107191655_create_webauthn_users,
-- 20231107192813_create_webauthn_credentials,
-- 20231107192944_create_webauthn_credential_transports, then
-- 20231108143016_change_user_id_to_varchar, 20240220140353_add_webauthn_options
-- and 20240322082442_add_is_mfa_to_webauthn_credential. fizz columns are
-- NOT NULL unless "null": true; "string" is VARCHAR (255); t.Timestamps()
-- adds created_at and updated_at.
CREATE TABLE tenants (
    id           UUID PRIMARY KEY,
    display_name VARCHAR(255) NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);

CREATE TABLE configs (
    id         UUID PRIMARY KEY,
    tenant_id  UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE ON UPDATE CASCADE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE webauthn_configs (
    id                       UUID PRIMARY KEY,
    timeout                  INTEGER NOT NULL DEFAULT 60000,
    user_verification        VARCHAR(255) NOT NULL DEFAULT 'preferred',
    config_id                UUID NOT NULL REFERENCES configs (id) ON DELETE CASCADE ON UPDATE CASCADE,
    created_at               TIMESTAMP NOT NULL,
    updated_at               TIMESTAMP NOT NULL,
    attachment               VARCHAR(255),
    attestation_preference   VARCHAR(255) NOT NULL DEFAULT 'none',
    resident_key_requirement VARCHAR(255) NOT NULL DEFAULT 'required'
);

CREATE TABLE relying_parties (
    id                 UUID PRIMARY KEY,
    rp_id              VARCHAR(255) NOT NULL,
    display_name       VARCHAR(255) NOT NULL,
    icon               VARCHAR(255),
    webauthn_config_id UUID NOT NULL UNIQUE REFERENCES webauthn_configs (id) ON DELETE CASCADE ON UPDATE CASCADE,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);

CREATE TABLE webauthn_users (
    id           UUID PRIMARY KEY,
    user_id      VARCHAR(255) NOT NULL UNIQUE,
    name         VARCHAR(255) NOT NULL,
    icon         VARCHAR(255) NOT NULL,
    display_name VARCHAR(255) NOT NULL,
    tenant_id    UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE ON UPDATE CASCADE,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX webauthn_users_user_id_tenant_id_idx ON webauthn_users (user_id, tenant_id);

CREATE TABLE webauthn_credentials (
    id               VARCHAR(255) PRIMARY KEY,
    user_id          VARCHAR(255) NOT NULL,
    public_key       TEXT NOT NULL,
    attestation_type VARCHAR(255) NOT NULL,
    aaguid           UUID NOT NULL,
    sign_count       INTEGER NOT NULL,
    name             VARCHAR(255),
    last_used_at     TIMESTAMP,
    backup_eligible  BOOLEAN NOT NULL DEFAULT false,
    backup_state     BOOLEAN NOT NULL DEFAULT false,
    webauthn_user_id UUID REFERENCES webauthn_users (id) ON DELETE CASCADE ON UPDATE CASCADE,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    is_mfa           BOOLEAN NOT NULL DEFAULT false
);

CREATE TABLE webauthn_credential_transports (
    id                     VARCHAR(255) PRIMARY KEY,
    name                   VARCHAR(255) NOT NULL,
    webauthn_credential_id VARCHAR(255) NOT NULL REFERENCES webauthn_credentials (id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX webauthn_credential_transports_name_webauthn_credential_id_idx ON webauthn_credential_transports (name, webauthn_credential_id);

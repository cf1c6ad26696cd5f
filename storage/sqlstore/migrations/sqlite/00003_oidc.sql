-- What the OpenID Connect provider needs beyond the initial schema: codes
-- and refresh tokens remembered after their use (so a replay is recognised
-- and revokes what was issued), a grant id tying the tokens of one sign-in
-- together, per-client policy and lifetimes, and per-app branding.

-- +goose Up
ALTER TABLE auth_codes ADD COLUMN used_at TIMESTAMP;
DROP INDEX auth_codes_request;
CREATE UNIQUE INDEX auth_codes_request ON auth_codes (auth_request_id);

ALTER TABLE refresh_tokens ADD COLUMN grant_id TEXT NOT NULL DEFAULT '';
ALTER TABLE refresh_tokens ADD COLUMN used_at TIMESTAMP;
CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id);

ALTER TABLE access_tokens ADD COLUMN grant_id TEXT NOT NULL DEFAULT '';
CREATE INDEX access_tokens_grant ON access_tokens (grant_id);

ALTER TABLE clients ADD COLUMN scopes TEXT NOT NULL DEFAULT '[]';
ALTER TABLE clients ADD COLUMN id_token_lifetime_ns BIGINT NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN access_token_lifetime_ns BIGINT NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN refresh_token_lifetime_ns BIGINT NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN jwks_uri TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN require_acr TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN require_uv BOOLEAN NOT NULL DEFAULT 0;

ALTER TABLE apps ADD COLUMN logo_url TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN accent_color TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE apps DROP COLUMN accent_color;
ALTER TABLE apps DROP COLUMN logo_url;
ALTER TABLE clients DROP COLUMN require_uv;
ALTER TABLE clients DROP COLUMN require_acr;
ALTER TABLE clients DROP COLUMN jwks_uri;
ALTER TABLE clients DROP COLUMN refresh_token_lifetime_ns;
ALTER TABLE clients DROP COLUMN access_token_lifetime_ns;
ALTER TABLE clients DROP COLUMN id_token_lifetime_ns;
ALTER TABLE clients DROP COLUMN scopes;
DROP INDEX access_tokens_grant;
ALTER TABLE access_tokens DROP COLUMN grant_id;
DROP INDEX refresh_tokens_grant;
ALTER TABLE refresh_tokens DROP COLUMN used_at;
ALTER TABLE refresh_tokens DROP COLUMN grant_id;
DROP INDEX auth_codes_request;
CREATE INDEX auth_codes_request ON auth_codes (auth_request_id);
ALTER TABLE auth_codes DROP COLUMN used_at;

-- An external authentication method's client (Microsoft Entra ID's EAM):
-- the implicit profile (response_type=id_token, form_post) and the external
-- issuer whose id_token_hint names the user. Beside an auth request of such
-- a client, what its verified hint added: the ID token's subject (the
-- hint's sub), the amr values the request accepts, the tenant and the
-- caller's request ID. It goes with its auth request.

-- +goose Up
ALTER TABLE clients ADD COLUMN implicit BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN hint_issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN hint_jwks_uri TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN hint_jwks BLOB;
ALTER TABLE clients ADD COLUMN hint_audience TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN hint_tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN hint_user_claim TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN hint_enrol BOOLEAN NOT NULL DEFAULT 0;

CREATE TABLE auth_request_hints (
    auth_request_id TEXT PRIMARY KEY REFERENCES auth_requests (id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    amr_values TEXT NOT NULL,
    tenant TEXT NOT NULL,
    client_request_id TEXT NOT NULL
);

-- +goose Down
DROP TABLE auth_request_hints;
ALTER TABLE clients DROP COLUMN hint_enrol;
ALTER TABLE clients DROP COLUMN hint_user_claim;
ALTER TABLE clients DROP COLUMN hint_tenant;
ALTER TABLE clients DROP COLUMN hint_audience;
ALTER TABLE clients DROP COLUMN hint_jwks;
ALTER TABLE clients DROP COLUMN hint_jwks_uri;
ALTER TABLE clients DROP COLUMN hint_issuer;
ALTER TABLE clients DROP COLUMN implicit;

-- A client's secret, encrypted with the master key, beside its digest: the
-- digest authenticates the client, the sealed secret verifies what the
-- client signs with it (HS256 request objects, RFC 9101).

-- +goose Up
ALTER TABLE clients ADD COLUMN secret_sealed BLOB;

-- +goose Down
ALTER TABLE clients DROP COLUMN secret_sealed;

-- A ceremony's commit (the handshake consumed, the transaction completed,
-- the user and device updated, the device, nonce and audit event stored) is
-- one statement: a data-modifying WITH whose parts are each conditional on
-- their row. When one finds nothing, the statement calls passbridge_refuse
-- with the part's name, whose error undoes every part: a statement is
-- atomic. One round trip instead of a transaction's eight or more.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION passbridge_refuse(part TEXT) RETURNS BOOLEAN
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'passbridge: ceremony commit refused', DETAIL = part;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION passbridge_refuse(TEXT);

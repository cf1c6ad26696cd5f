-- Cache invalidation across instances. Every instance keeps apps, API keys
-- and clients in memory (storage/cachestore); these triggers tell them all,
-- by NOTIFY on the channel passbridge_cache, which row changed, whoever
-- changed it: an instance, the CLI, or hand-written SQL. PostgreSQL
-- delivers a notification when its transaction commits, and never for one
-- rolled back.
--
-- The payload is JSON: {"schema", "table", "id"}, and for an API key also
-- "hash", its digest in hex: the cache finds keys by digest, so it forgets
-- exactly the key that changed (and an unknown digest it remembered, once a
-- key with it is created). An UPDATE notifies for the row before and after,
-- so that a changed id or digest is forgotten under both; PostgreSQL
-- delivers identical payloads of one transaction once. A TRUNCATE notifies
-- the table without an id: every row. Deleting an app notifies for it and
-- for each key and client the deletion cascades to.
--
-- An UPDATE that changes nothing notifies nobody, and neither does one of
-- api_keys.last_used_at alone: requests touch their key, and a touch must
-- not empty caches everywhere. Committing a transaction that notified
-- takes a lock shared by all such commits; only these rare writes take it.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION passbridge_cache_notify_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('passbridge_cache', json_build_object(
            'schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME, 'id', OLD.id)::text);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('passbridge_cache', json_build_object(
            'schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME, 'id', NEW.id)::text);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION passbridge_cache_notify_api_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('passbridge_cache', json_build_object(
            'schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME, 'id', OLD.id,
            'hash', encode(OLD.hash, 'hex'))::text);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('passbridge_cache', json_build_object(
            'schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME, 'id', NEW.id,
            'hash', encode(NEW.hash, 'hex'))::text);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION passbridge_cache_notify_table() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('passbridge_cache', json_build_object(
        'schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME)::text);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER passbridge_cache_insert_delete AFTER INSERT OR DELETE ON apps
    FOR EACH ROW EXECUTE FUNCTION passbridge_cache_notify_row();
CREATE TRIGGER passbridge_cache_update AFTER UPDATE ON apps
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION passbridge_cache_notify_row();
CREATE TRIGGER passbridge_cache_truncate AFTER TRUNCATE ON apps
    FOR EACH STATEMENT EXECUTE FUNCTION passbridge_cache_notify_table();

CREATE TRIGGER passbridge_cache_insert_delete AFTER INSERT OR DELETE ON clients
    FOR EACH ROW EXECUTE FUNCTION passbridge_cache_notify_row();
CREATE TRIGGER passbridge_cache_update AFTER UPDATE ON clients
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION passbridge_cache_notify_row();
CREATE TRIGGER passbridge_cache_truncate AFTER TRUNCATE ON clients
    FOR EACH STATEMENT EXECUTE FUNCTION passbridge_cache_notify_table();

-- Whole rows compared as JSON less last_used_at: a column added later
-- counts as a change without this trigger being rewritten.
CREATE TRIGGER passbridge_cache_insert_delete AFTER INSERT OR DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION passbridge_cache_notify_api_key();
CREATE TRIGGER passbridge_cache_update AFTER UPDATE ON api_keys
    FOR EACH ROW WHEN ((to_jsonb(OLD) - 'last_used_at') IS DISTINCT FROM (to_jsonb(NEW) - 'last_used_at'))
    EXECUTE FUNCTION passbridge_cache_notify_api_key();
CREATE TRIGGER passbridge_cache_truncate AFTER TRUNCATE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION passbridge_cache_notify_table();

-- +goose Down
DROP TRIGGER passbridge_cache_truncate ON api_keys;
DROP TRIGGER passbridge_cache_update ON api_keys;
DROP TRIGGER passbridge_cache_insert_delete ON api_keys;
DROP TRIGGER passbridge_cache_truncate ON clients;
DROP TRIGGER passbridge_cache_update ON clients;
DROP TRIGGER passbridge_cache_insert_delete ON clients;
DROP TRIGGER passbridge_cache_truncate ON apps;
DROP TRIGGER passbridge_cache_update ON apps;
DROP TRIGGER passbridge_cache_insert_delete ON apps;
DROP FUNCTION passbridge_cache_notify_table();
DROP FUNCTION passbridge_cache_notify_api_key();
DROP FUNCTION passbridge_cache_notify_row();

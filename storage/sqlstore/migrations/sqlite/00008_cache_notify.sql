-- Nothing to do on SQLite; the file keeps both engines' migrations numbered
-- alike. On PostgreSQL, 00008 adds triggers that tell every instance's
-- cache which app, API key or client changed (NOTIFY). SQLite has no such
-- channel, and one server process owns its file: a change the CLI makes
-- reaches that server's cache within the cache's TTL.

-- +goose Up

-- +goose Down

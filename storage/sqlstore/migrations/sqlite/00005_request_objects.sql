-- The signed request objects (RFC 9101) already used, by digest of their
-- jti, until they expire: an enrolment a relying party signed for one
-- browser cannot be replayed in another.

-- +goose Up
CREATE TABLE used_request_objects (
    hash       BLOB PRIMARY KEY,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX used_request_objects_expires ON used_request_objects (expires_at);

-- +goose Down
DROP TABLE used_request_objects;

package storage

import (
	"context"
	"time"
)

// AdminKey authenticates an operator to the admin API. It belongs to no app:
// it may act on every app. Only a digest of the secret is stored; Prefix is a
// short, non-secret part of the key shown in listings.
//
// A revoked key is kept, with the time it was revoked, so that the audit
// events it signed ("admin_key:<id>") still name a key an operator can look
// up; it authenticates nothing any more.
type AdminKey struct {
	ID         string
	Name       string
	Prefix     string
	Hash       []byte // SHA-256 of the whole key; unique
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
	RevokedAt  time.Time // zero: in force
}

// AdminKeyStore persists admin keys.
type AdminKeyStore interface {
	CreateAdminKey(ctx context.Context, k AdminKey) error
	// GetAdminKeyByHash returns the key in force with a digest; a revoked
	// key is ErrNotFound, as an unknown one is.
	GetAdminKeyByHash(ctx context.Context, hash []byte) (AdminKey, error)
	// ListAdminKeys returns every key, revoked ones included, ordered by
	// CreatedAt, then ID.
	ListAdminKeys(ctx context.Context) ([]AdminKey, error)
	// TouchAdminKey sets LastUsedAt to at, if at is later than the stored
	// value. An unknown id is ErrNotFound.
	TouchAdminKey(ctx context.Context, id string, at time.Time) error
	// RevokeAdminKey sets RevokedAt to at and returns the key. A key revoked
	// already is returned unchanged: its RevokedAt is that of the first
	// revocation, which tells the caller that this one changed nothing. An
	// unknown id is ErrNotFound.
	RevokeAdminKey(ctx context.Context, id string, at time.Time) (AdminKey, error)
}

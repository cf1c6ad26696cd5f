package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// GC kinds, the keys of the storage.GCResult that DeleteExpired returns.
const (
	GCAuthCodes     = "auth_codes"
	GCAccessTokens  = "access_tokens"
	GCNonces        = "nonces"
	GCHandshakes    = "handshakes"
	GCTransactions  = "transactions"
	GCAuthRequests  = "auth_requests"
	GCRefreshTokens = "refresh_tokens"
	GCSessions      = "sessions"
	GCSigningKeys   = "signing_keys"
	GCRequestObjs   = "request_objects"
	GCEnrolLinks    = "enrolment_links"
)

// gcStatement deletes one kind's expired rows: those whose expiry is at or
// before now - keep.
type gcStatement struct {
	kind, query string
	keep        time.Duration
}

// gcStatements lists the kinds so that rows a later statement would delete
// by cascade (the codes of an auth request, the access tokens of a refresh
// token) are counted under their own kind first.
func gcStatements() []gcStatement {
	return []gcStatement{
		{GCAuthCodes, `DELETE FROM auth_codes WHERE expires_at <= ?`, 0},
		{GCAccessTokens, `DELETE FROM access_tokens WHERE expires_at <= ?`, 0},
		{GCNonces, `DELETE FROM nonces WHERE expires_at <= ?`, 0},
		{GCHandshakes, `DELETE FROM handshakes WHERE expires_at <= ?`, 0},
		{GCTransactions, `DELETE FROM transactions WHERE expires_at <= ?`, storage.TransactionRetention},
		{GCAuthRequests, `DELETE FROM auth_requests WHERE expires_at <= ?`, 0},
		{GCRefreshTokens, `DELETE FROM refresh_tokens WHERE expires_at <= ?`, 0},
		{GCSessions, `DELETE FROM sessions WHERE expires_at <= ?`, 0},
		{GCSigningKeys, `DELETE FROM signing_keys WHERE state = '` + storage.KeyRetired + `' AND expires_at <= ?`, 0},
		{GCRequestObjs, `DELETE FROM used_request_objects WHERE expires_at <= ?`, 0},
		{GCEnrolLinks, `DELETE FROM enrolment_links WHERE expires_at <= ?`, 0},
	}
}

// DeleteExpired deletes, in one transaction, every expiring row whose expiry
// is at or before now (transactions: now - storage.TransactionRetention),
// and counts them by kind (every kind is present).
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) (storage.GCResult, error) {
	statements := gcStatements()
	res := make(storage.GCResult, len(statements))
	err := s.inTx(ctx, func(tx *Store) error {
		for _, g := range statements {
			n, err := tx.exec(ctx, g.query, timeArg(now.Add(-g.keep)))
			if err != nil {
				return fmt.Errorf("%s: %w", g.kind, err)
			}
			res[g.kind] = n
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("delete expired: %w", err)
	}
	return res, nil
}

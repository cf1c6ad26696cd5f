package sqlstore

import (
	"context"
	"fmt"

	"github.com/passbridge/passbridge/storage"
)

const (
	qAuthRequestHintInsert = `INSERT INTO auth_request_hints (auth_request_id, subject, amr_values, tenant, client_request_id)
	VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	// A hint is only as alive as its request: an expired request's is
	// gone too, by the request's GC.
	qAuthRequestHintGet = `SELECT auth_request_id, subject, amr_values, tenant, client_request_id
	FROM auth_request_hints WHERE auth_request_id = ?`
)

type authRequestHintRow struct {
	AuthRequestID   string `db:"auth_request_id"`
	Subject         string `db:"subject"`
	AMRValues       string `db:"amr_values"`
	Tenant          string `db:"tenant"`
	ClientRequestID string `db:"client_request_id"`
}

// CreateHintedAuthRequest stores auth request r and what its external hint
// added, in one transaction.
func (s *Store) CreateHintedAuthRequest(ctx context.Context, r storage.AuthRequest, h storage.AuthRequestHint) error {
	err := s.inTx(ctx, func(tx *Store) error {
		if err := tx.CreateAuthRequest(ctx, r); err != nil {
			return err
		}
		return tx.insert(ctx, qAuthRequestHintInsert, r.ID, h.Subject, jsonText(h.AMRValues), h.Tenant, h.ClientRequestID)
	})
	if err != nil {
		return fmt.Errorf("create hinted auth request: %w", err)
	}
	return nil
}

// GetAuthRequestHint returns what an external hint added to auth request id.
func (s *Store) GetAuthRequestHint(ctx context.Context, id string) (storage.AuthRequestHint, error) {
	var r authRequestHintRow
	if err := s.get(ctx, &r, qAuthRequestHintGet, id); err != nil {
		return storage.AuthRequestHint{}, fmt.Errorf("get auth request hint: %w", err)
	}
	amr, err := decodeList("amr_values", r.AMRValues)
	if err != nil {
		return storage.AuthRequestHint{}, fmt.Errorf("get auth request hint: %w", err)
	}
	return storage.AuthRequestHint{AuthRequestID: r.AuthRequestID, Subject: r.Subject, AMRValues: amr,
		Tenant: r.Tenant, ClientRequestID: r.ClientRequestID}, nil
}

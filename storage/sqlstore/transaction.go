package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/passbridge/passbridge/storage"
)

const transactionColumns = `id, app_id, kind, user_id, external_id, display_name, state,
	created_at, expires_at, completed_at, enrolment_link_id`

const (
	qTransactionInsert = `INSERT INTO transactions (` + transactionColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	qTransactionGet = `SELECT ` + transactionColumns + ` FROM transactions WHERE app_id = ? AND id = ?`
	// One conditional statement: of concurrent completions exactly one
	// matches a pending row.
	qTransactionComplete = `UPDATE transactions SET state = ?, completed_at = ?
	WHERE app_id = ? AND id = ? AND state = ? AND expires_at > ? RETURNING ` + transactionColumns
)

type transactionRow struct {
	ID          string         `db:"id"`
	AppID       string         `db:"app_id"`
	Kind        string         `db:"kind"`
	UserID      sql.NullString `db:"user_id"`
	ExternalID  string         `db:"external_id"`
	DisplayName string         `db:"display_name"`
	State       string         `db:"state"`
	CreatedAt   nullTime       `db:"created_at"`
	ExpiresAt   nullTime       `db:"expires_at"`
	CompletedAt nullTime       `db:"completed_at"`
	LinkID      sql.NullString `db:"enrolment_link_id"`
}

func (r *transactionRow) transaction() storage.Transaction {
	return storage.Transaction{
		ID: r.ID, AppID: r.AppID, Kind: r.Kind, UserID: r.UserID.String, ExternalID: r.ExternalID,
		DisplayName: r.DisplayName, State: r.State, CreatedAt: r.CreatedAt.t, ExpiresAt: r.ExpiresAt.t,
		CompletedAt: r.CompletedAt.t, EnrolmentLinkID: r.LinkID.String,
	}
}

// CreateTransaction stores a new transaction. An empty UserID (a
// discoverable authentication) is stored as NULL; any other must name a
// user of the app, or the result is ErrNotFound.
func (s *Store) CreateTransaction(ctx context.Context, t storage.Transaction) error {
	err := s.insert(ctx, qTransactionInsert, t.ID, t.AppID, t.Kind, strArg(t.UserID), t.ExternalID,
		t.DisplayName, t.State, timeArg(t.CreatedAt), timeArg(t.ExpiresAt), timeArg(t.CompletedAt), strArg(t.EnrolmentLinkID))
	if err != nil {
		return fmt.Errorf("create transaction: %w", err)
	}
	return nil
}

// GetTransaction returns a transaction whatever its state or expiry.
func (s *Store) GetTransaction(ctx context.Context, appID, id string) (storage.Transaction, error) {
	var r transactionRow
	if err := s.get(ctx, &r, qTransactionGet, appID, id); err != nil {
		return storage.Transaction{}, fmt.Errorf("get transaction: %w", err)
	}
	return r.transaction(), nil
}

// qTransactionWithUser reads a transaction with its user (if any) and the
// user's devices: one row per device, or one with empty user or device
// columns.
var qTransactionWithUser = `SELECT ` + aliased("t", transactionColumns) + `, ` + joinedOptionalUserColumns + `,
	` + joinedDeviceColumns + `
	FROM transactions t LEFT JOIN users u ON u.app_id = t.app_id AND u.id = t.user_id
	LEFT JOIN devices d ON d.app_id = u.app_id AND d.user_id = u.id
	WHERE t.app_id = ? AND t.id = ? ORDER BY d.created_at, d.id`

type transactionWithUserRow struct {
	T transactionRow `db:"t"`
	commitRow
}

// GetTransactionWithUser returns a transaction with its user and the
// user's devices, in one read.
func (s *Store) GetTransactionWithUser(ctx context.Context, appID, id string) (storage.Transaction, *storage.User, []storage.Device, error) {
	var rows []transactionWithUserRow
	if err := s.list(ctx, &rows, qTransactionWithUser, appID, id); err != nil {
		return storage.Transaction{}, nil, nil, fmt.Errorf("get transaction with user: %w", err)
	}
	if len(rows) == 0 {
		return storage.Transaction{}, nil, nil, fmt.Errorf("get transaction with user: %w", storage.ErrNotFound)
	}
	t := rows[0].T.transaction()
	if rows[0].U.ID == "" {
		return t, nil, nil, nil
	}
	u := rows[0].U.user()
	devices, err := joinedDevices(rows, func(r *transactionWithUserRow) *commitRow { return &r.commitRow })
	if err != nil {
		return storage.Transaction{}, nil, nil, fmt.Errorf("get transaction with user: %w", err)
	}
	return t, &u, devices, nil
}

// CompleteTransaction moves a pending transaction that expires after now to
// completed, in one statement; anything else is ErrNotFound.
func (s *Store) CompleteTransaction(ctx context.Context, appID, id string, now time.Time) (storage.Transaction, error) {
	var r transactionRow
	err := s.get(ctx, &r, qTransactionComplete, storage.TransactionCompleted, timeArg(now), appID, id,
		storage.TransactionPending, timeArg(now))
	if err != nil {
		return storage.Transaction{}, fmt.Errorf("complete transaction: %w", err)
	}
	return r.transaction(), nil
}

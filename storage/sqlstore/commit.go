package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"

	"github.com/passbridge/passbridge/storage"
)

// The parts of a ceremony commit. Each finds (and changes) its row only if
// the row is still as the ceremony needs it. SQLite runs them one by one in
// a transaction; PostgreSQL runs them as the parts of one WITH statement.
const (
	qCommitHandshake   = `DELETE FROM handshakes WHERE app_id = ? AND id = ? AND expires_at > ?`
	qCommitTransaction = `UPDATE transactions SET state = ?, completed_at = ?
	WHERE app_id = ? AND id = ? AND state = ? AND expires_at > ?`
	qCommitLogin = `UPDATE users SET login_count = login_count + 1, last_login_at = ?
	WHERE app_id = ? AND id = ? AND status = ? RETURNING ` + userColumns
	qCommitUser = `SELECT ` + userColumns + ` FROM users WHERE app_id = ? AND id = ? AND status = ?`
	// A use, decided on the row as it is at the commit (see
	// storage.DeviceUse); in SET, columns are the row's values before
	// the update. 1 = 0 is false in both dialects.
	qCommitUse = `UPDATE devices SET
	sign_count = CASE WHEN ? > sign_count THEN ? ELSE sign_count END,
	clone_warning = clone_warning OR ? OR NOT (? > sign_count OR (? = 0 AND sign_count = 0)),
	user_verified = user_verified OR ?, backup_eligible = ?, backed_up = ?, type = ?,
	usage_count = usage_count + 1, updated_at = ?, last_login_at = ?
	WHERE app_id = ? AND id = ? AND user_id = ?
	AND NOT (backup_eligible AND NOT ?)
	AND (NOT ? OR ? > sign_count OR (? = 0 AND sign_count = 0))
	RETURNING ` + deviceColumns
	qCommitDevice = qDeviceInsert + ` RETURNING ` + deviceColumns
)

// commitRefused is the message of passbridge_refuse's error (migration
// 00009); its detail names the part.
const commitRefused = "passbridge: ceremony commit refused"

// commitPart is one part of a commit: its statement, arguments, and the
// part a CommitError names when it finds nothing.
type commitPart struct {
	name  string // CTE name on PostgreSQL
	query string
	args  []any
	part  string // "" when finding nothing is no refusal (an insert that cannot conflict)
	rows  bool   // returns the user's or device's columns
}

// CommitCeremony writes a ceremony's commit all at once; see
// storage.CommitStore. Called inside InTx, it runs its parts as plain
// statements in a savepoint of that transaction.
func (s *Store) CommitCeremony(ctx context.Context, c storage.CeremonyCommit) (storage.User, storage.Device, error) {
	parts := commitParts(c, s.dialect)
	if s.dialect == DialectPostgres && s.tx == nil {
		return s.commitOneStatement(ctx, parts)
	}
	var (
		u   storage.User
		d   storage.Device
		err error
	)
	if s.tx != nil {
		// A refusal undoes the parts, not the caller's transaction.
		err = s.savepoint(ctx, func() (err error) {
			u, d, err = s.commitInSteps(ctx, parts)
			return err
		})
	} else {
		err = s.inTx(ctx, func(tx *Store) (err error) {
			u, d, err = tx.commitInSteps(ctx, parts)
			return err
		})
	}
	if err != nil {
		return storage.User{}, storage.Device{}, err
	}
	return u, d, nil
}

// commitParts lists c's parts in the order their refusals are reported:
// handshake, transaction, user, device; then the inserts that cannot be
// refused.
func commitParts(c storage.CeremonyCommit, dialect string) []commitPart {
	now := timeArg(c.Now)
	parts := []commitPart{{name: "h", query: qCommitHandshake, part: storage.CommitHandshake,
		args: []any{c.AppID, c.HandshakeID, now}}}
	if c.TransactionID != "" {
		parts = append(parts, commitPart{name: "t", query: qCommitTransaction, part: storage.CommitTransaction,
			args: []any{storage.TransactionCompleted, now, c.AppID, c.TransactionID, storage.TransactionPending, now}})
	}
	if c.RecordLogin {
		parts = append(parts, commitPart{name: "u", query: qCommitLogin, part: storage.CommitUser, rows: true,
			args: []any{now, c.AppID, c.UserID, storage.UserActive}})
	} else {
		q := qCommitUser
		if dialect == DialectPostgres {
			// Held until the commit: a deactivation waits for it.
			q += ` FOR SHARE`
		}
		parts = append(parts, commitPart{name: "u", query: q, part: storage.CommitUser, rows: true,
			args: []any{c.AppID, c.UserID, storage.UserActive}})
	}
	switch {
	case c.Use != nil:
		u := c.Use
		n := int64(u.Counter)
		parts = append(parts, commitPart{name: "d", query: qCommitUse, part: storage.CommitDevice, rows: true,
			args: []any{n, n, u.CloneWarning, n, n, u.UserVerified, u.BackupEligible, u.BackedUp, u.Type, now, now,
				c.AppID, u.DeviceID, c.UserID, u.BackupEligible, u.RejectRegression, n, n}})
	case c.Device != nil:
		d := c.Device
		parts = append(parts, commitPart{name: "d", query: qCommitDevice, part: storage.CommitNewDevice, rows: true,
			args: []any{d.ID, d.AppID, d.UserID, bytesArg(d.CredentialID),
				bytesArg(d.PublicKey), d.AttestationType, d.AttestationFormat, bytesArg(d.Attestation),
				bytesArg(d.AAGUID), jsonText(d.Transports), int64(d.SignCount), d.CloneWarning, d.UserVerified,
				d.BackupEligible, d.BackedUp, d.Attachment, d.FriendlyName, d.Type, d.UsageCount,
				timeArg(d.CreatedAt), timeArg(d.UpdatedAt), timeArg(d.LastLoginAt)}})
	}
	if n := c.Nonce; n != nil {
		parts = append(parts, commitPart{name: "n", query: qNonceInsert,
			args: []any{bytesArg(n.Hash), n.AppID, strArg(n.UserID), n.ExternalID, strArg(n.DeviceID), n.Kind,
				n.UserVerified, n.BackupEligible, n.BackedUp, timeArg(n.CreatedAt), timeArg(n.ExpiresAt)}})
	}
	if e := c.Audit; e != nil {
		parts = append(parts, commitPart{name: "e", query: qAuditInsert,
			args: []any{e.ID, strArg(e.AppID), e.Type, e.Actor, e.UserID, e.DeviceID, jsonText(e.Detail), timeArg(e.CreatedAt)}})
	}
	return parts
}

// commitInSteps runs the parts one by one on a Store bound to a
// transaction, stopping at the first refusal.
func (s *Store) commitInSteps(ctx context.Context, parts []commitPart) (storage.User, storage.Device, error) {
	var (
		u userRow
		d deviceRow
	)
	for _, p := range parts {
		var err error
		switch {
		case p.name == "u":
			err = s.get(ctx, &u, p.query, p.args...)
		case p.name == "d":
			err = s.get(ctx, &d, p.query, p.args...)
		default:
			var n int64
			n, err = s.exec(ctx, p.query, p.args...)
			if err == nil && n == 0 {
				err = storage.ErrNotFound
			}
		}
		if errors.Is(err, storage.ErrNotFound) && p.part != "" {
			return storage.User{}, storage.Device{}, &storage.CommitError{Part: p.part}
		}
		if err != nil {
			return storage.User{}, storage.Device{}, fmt.Errorf("commit ceremony: %s: %w", p.name, err)
		}
	}
	dev := storage.Device{}
	if d.ID != "" {
		var err error
		if dev, err = d.device(); err != nil {
			return storage.User{}, storage.Device{}, err
		}
	}
	return u.user(), dev, nil
}

// commitRow is the one row of the PostgreSQL commit: the user and the
// device as the commit left them.
type commitRow struct {
	U userRow   `db:"u"`
	D deviceRow `db:"d"`
}

// commitOneStatement runs the parts as one PostgreSQL statement: each part
// a data-modifying WITH query, all run to completion; then one row whose
// first column refuses, through passbridge_refuse, at the first part that
// found nothing. The refusal's error undoes every part.
func (s *Store) commitOneStatement(ctx context.Context, parts []commitPart) (storage.User, storage.Device, error) {
	var (
		b     strings.Builder
		args  []any
		check strings.Builder
		hasD  bool
	)
	b.WriteString("WITH ")
	check.WriteString("CASE")
	for i, p := range parts {
		if i > 0 {
			b.WriteString(", ")
		}
		q := p.query
		if !p.rows && p.part != "" {
			q += " RETURNING 1"
		}
		fmt.Fprintf(&b, "%s AS (%s)", p.name, q)
		args = append(args, p.args...)
		if p.part != "" {
			fmt.Fprintf(&check, " WHEN NOT EXISTS (SELECT 1 FROM %s) THEN passbridge_refuse('%s')", p.name, p.part)
		}
		hasD = hasD || p.name == "d"
	}
	check.WriteString(" ELSE true END")
	b.WriteString(" SELECT ")
	b.WriteString(aliased("u", userColumns))
	if hasD {
		b.WriteString(", ")
		b.WriteString(aliased("d", deviceColumns))
	}
	fmt.Fprintf(&b, " FROM (SELECT %s AS ok) c LEFT JOIN u ON true", check.String())
	if hasD {
		b.WriteString(" LEFT JOIN d ON true")
	}
	var r commitRow
	if err := s.get(ctx, &r, b.String(), args...); err != nil {
		if e := pq.As(err, pqerror.RaiseException); e != nil && e.Message == commitRefused {
			return storage.User{}, storage.Device{}, &storage.CommitError{Part: e.Detail}
		}
		return storage.User{}, storage.Device{}, fmt.Errorf("commit ceremony: %w", err)
	}
	dev := storage.Device{}
	if hasD {
		var err error
		if dev, err = r.D.device(); err != nil {
			return storage.User{}, storage.Device{}, err
		}
	}
	return r.U.user(), dev, nil
}

// aliased selects a CTE's columns as "cte.column", which sqlx maps onto
// the field tagged cte of commitRow.
func aliased(cte, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		c = strings.TrimSpace(c)
		cols[i] = fmt.Sprintf(`%s.%s AS "%s.%s"`, cte, c, cte, c)
	}
	return strings.Join(cols, ", ")
}

// CreateUserWithTransaction stores a new user with its creation's audit
// event and a transaction of it; see storage.UserStore. On PostgreSQL the
// three inserts are one statement, which refuses (and so stores nothing)
// when the user's insert met a conflict.
func (s *Store) CreateUserWithTransaction(ctx context.Context, u storage.User, e storage.AuditEvent, t storage.Transaction) error {
	userArgs := []any{u.ID, u.AppID, u.ExternalID, bytesArg(u.Handle), u.DisplayName, u.Status, u.LoginCount,
		timeArg(u.CreatedAt), timeArg(u.UpdatedAt), timeArg(u.LastLoginAt)}
	auditArgs := []any{e.ID, strArg(e.AppID), e.Type, e.Actor, e.UserID, e.DeviceID, jsonText(e.Detail), timeArg(e.CreatedAt)}
	txArgs := []any{t.ID, t.AppID, t.Kind, strArg(t.UserID), t.ExternalID, t.DisplayName, t.State,
		timeArg(t.CreatedAt), timeArg(t.ExpiresAt), timeArg(t.CompletedAt), strArg(t.EnrolmentLinkID)}
	if s.dialect == DialectPostgres && s.tx == nil {
		args := append(append(append([]any{}, userArgs...), auditArgs...), txArgs...)
		var ok bool
		err := s.get(ctx, &ok, qCreateUserWithTransaction, args...)
		if e := pq.As(err, pqerror.RaiseException); e != nil && e.Message == commitRefused {
			return fmt.Errorf("create user with transaction: %w", storage.ErrAlreadyExists)
		}
		if err != nil {
			return fmt.Errorf("create user with transaction: %w", err)
		}
		return nil
	}
	return s.inTx(ctx, func(tx *Store) error {
		if err := tx.insert(ctx, qUserInsert, userArgs...); err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		if err := tx.insert(ctx, qAuditInsert, auditArgs...); err != nil {
			return fmt.Errorf("append audit event: %w", err)
		}
		if err := tx.insert(ctx, qTransactionInsert, txArgs...); err != nil {
			return fmt.Errorf("create transaction: %w", err)
		}
		return nil
	})
}

// qCreateUserWithTransaction: the audit event and the transaction refer to
// the user, which foreign keys check at the end of the statement, when the
// user's row is there.
const qCreateUserWithTransaction = `WITH u AS (` + qUserInsert + ` RETURNING 1),
	e AS (` + qAuditInsert + ` RETURNING 1), t AS (` + qTransactionInsert + ` RETURNING 1)
	SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM u) THEN passbridge_refuse('user')
	WHEN NOT EXISTS (SELECT 1 FROM e) OR NOT EXISTS (SELECT 1 FROM t) THEN passbridge_refuse('conflict')
	ELSE true END`

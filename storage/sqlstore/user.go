package sqlstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/passbridge/passbridge/storage"
)

const userColumns = `id, app_id, external_id, handle, display_name, status, login_count,
	created_at, updated_at, last_login_at`

const (
	qUserInsert = `INSERT INTO users (` + userColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	qUserGet    = `SELECT ` + userColumns + ` FROM users WHERE app_id = ? AND id = ?`
	qUserByExt  = `SELECT ` + userColumns + ` FROM users WHERE app_id = ? AND external_id = ?`
	qUserByHdl  = `SELECT ` + userColumns + ` FROM users WHERE app_id = ? AND handle = ?`
	qUserUpdate = `UPDATE users SET external_id = ?, handle = ?, display_name = ?, status = ?,
	login_count = ?, updated_at = ?, last_login_at = ? WHERE app_id = ? AND id = ?`
	qUserDelete = `DELETE FROM users WHERE app_id = ? AND id = ?`
	// A shared row lock: updates and deletes of the user wait for the
	// transaction holding it; other readers and lockers do not.
	qUserShare = qUserGet + ` FOR SHARE`
)

// userFilter is the WHERE clause of a user listing and its arguments. The
// clause is built only from fixed text, so each combination of filters is
// one query text, prepared once.
func userFilter(appID string, q storage.UserQuery) (string, []any) {
	where, args := `app_id = ?`, []any{appID}
	if q.ExternalID != "" {
		where, args = where+` AND external_id = ?`, append(args, q.ExternalID)
	}
	if q.Status != "" {
		where, args = where+` AND status = ?`, append(args, q.Status)
	}
	return where, args
}

// Page sizes of ListUsers and ListAuditEvents (storage contract).
const (
	defaultLimit = 50
	maxLimit     = 1000
)

// pageLimit applies the default and the maximum to a requested page size.
func pageLimit(limit int) int {
	switch {
	case limit <= 0:
		return defaultLimit
	case limit > maxLimit:
		return maxLimit
	}
	return limit
}

type userRow struct {
	ID          string   `db:"id"`
	AppID       string   `db:"app_id"`
	ExternalID  string   `db:"external_id"`
	Handle      []byte   `db:"handle"`
	DisplayName string   `db:"display_name"`
	Status      string   `db:"status"`
	LoginCount  int64    `db:"login_count"`
	CreatedAt   nullTime `db:"created_at"`
	UpdatedAt   nullTime `db:"updated_at"`
	LastLoginAt nullTime `db:"last_login_at"`
}

func (r *userRow) user() storage.User {
	return storage.User{
		ID: r.ID, AppID: r.AppID, ExternalID: r.ExternalID, Handle: bytesOut(r.Handle),
		DisplayName: r.DisplayName, Status: r.Status, LoginCount: r.LoginCount,
		CreatedAt: r.CreatedAt.t, UpdatedAt: r.UpdatedAt.t, LastLoginAt: r.LastLoginAt.t,
	}
}

// CreateUser stores a new user; its external ID and handle are unique per app.
func (s *Store) CreateUser(ctx context.Context, u storage.User) error {
	err := s.insert(ctx, qUserInsert, u.ID, u.AppID, u.ExternalID, bytesArg(u.Handle), u.DisplayName,
		u.Status, u.LoginCount, timeArg(u.CreatedAt), timeArg(u.UpdatedAt), timeArg(u.LastLoginAt))
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

// GetUser returns an app's user by id.
func (s *Store) GetUser(ctx context.Context, appID, id string) (storage.User, error) {
	return s.getUser(ctx, "get user", qUserGet, appID, id)
}

// GetUserByExternalID returns an app's user by the app's identifier.
func (s *Store) GetUserByExternalID(ctx context.Context, appID, externalID string) (storage.User, error) {
	return s.getUser(ctx, "get user by external id", qUserByExt, appID, externalID)
}

// GetUserByHandle returns an app's user by WebAuthn user handle.
func (s *Store) GetUserByHandle(ctx context.Context, appID string, handle []byte) (storage.User, error) {
	return s.getUser(ctx, "get user by handle", qUserByHdl, appID, handle)
}

func (s *Store) getUser(ctx context.Context, op, query string, args ...any) (storage.User, error) {
	var r userRow
	if err := s.get(ctx, &r, query, args...); err != nil {
		return storage.User{}, fmt.Errorf("%s: %w", op, err)
	}
	return r.user(), nil
}

// ListUsers returns one page of an app's users, ordered by CreatedAt, then
// ID, and how many users match the filter across all pages.
func (s *Store) ListUsers(ctx context.Context, appID string, q storage.UserQuery) ([]storage.User, int, error) {
	limit, offset := pageLimit(q.Limit), max(q.Offset, 0)
	where, args := userFilter(appID, q)
	// A page and, in the same statement, the number of rows matching the
	// filter; only a page past the end needs the separate count.
	page := `SELECT ` + userColumns + `, COUNT(*) OVER () AS total FROM users WHERE ` + where +
		` ORDER BY created_at, id LIMIT ? OFFSET ?`
	var rows []struct {
		userRow
		Total int `db:"total"`
	}
	if err := s.list(ctx, &rows, page, append(slices.Clip(args), limit, offset)...); err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	users := make([]storage.User, len(rows))
	for i := range rows {
		users[i] = rows[i].user()
	}
	if len(rows) > 0 {
		return users, rows[0].Total, nil
	}
	total := 0
	if offset > 0 {
		if err := s.get(ctx, &total, `SELECT COUNT(*) FROM users WHERE `+where, args...); err != nil {
			return nil, 0, fmt.Errorf("list users: %w", err)
		}
	}
	return users, total, nil
}

// ListUsersPage returns the page of an app's users after q.After, ordered
// by CreatedAt, then ID. It reads one row more than the page holds, to know
// whether another page follows.
func (s *Store) ListUsersPage(ctx context.Context, appID string, q storage.UserQuery) (storage.UserPage, error) {
	limit := pageLimit(q.Limit)
	where, args := userFilter(appID, q)
	if q.After != "" {
		c, err := storage.ParseCursor(q.After)
		if err != nil {
			return storage.UserPage{}, fmt.Errorf("list users: %w", err)
		}
		at := timeArg(c.CreatedAt)
		where, args = where+` AND (created_at > ? OR (created_at = ? AND id > ?))`, append(args, at, at, c.ID)
	}
	query := `SELECT ` + userColumns + ` FROM users WHERE ` + where + ` ORDER BY created_at, id LIMIT ?`
	var rows []userRow
	if err := s.list(ctx, &rows, query, append(args, limit+1)...); err != nil {
		return storage.UserPage{}, fmt.Errorf("list users: %w", err)
	}
	var p storage.UserPage
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		p.NextCursor = storage.Cursor{CreatedAt: last.CreatedAt.t, ID: last.ID}.String()
	}
	p.Items = make([]storage.User, len(rows))
	for i := range rows {
		p.Items[i] = rows[i].user()
	}
	return p, nil
}

// LockUser returns an app's user by id; inside a transaction, on
// PostgreSQL, it holds a shared lock on the row until the transaction ends.
// SQLite needs none: a transaction holds the database's write lock from its
// start (_txlock=immediate), so no other writer runs meanwhile.
func (s *Store) LockUser(ctx context.Context, appID, id string) (storage.User, error) {
	if s.tx == nil || s.dialect != DialectPostgres {
		return s.getUser(ctx, "lock user", qUserGet, appID, id)
	}
	return s.getUser(ctx, "lock user", qUserShare, appID, id)
}

// UpdateUser changes a user through fn, with the row locked. ID, AppID and
// CreatedAt cannot change.
func (s *Store) UpdateUser(ctx context.Context, appID, id string, fn func(storage.User) (storage.User, error)) (storage.User, error) {
	read := func(tx *Store, lock string) (storage.User, error) {
		var r userRow
		if err := tx.get(ctx, &r, lock, appID, id); err != nil {
			return storage.User{}, err
		}
		return r.user(), nil
	}
	write := func(tx *Store, cur, next storage.User) (storage.User, error) {
		next.ID, next.AppID, next.CreatedAt = cur.ID, cur.AppID, cur.CreatedAt
		next.Handle = bytesOut(next.Handle)
		next.UpdatedAt, next.LastLoginAt = utc(next.UpdatedAt), utc(next.LastLoginAt)
		_, err := tx.exec(ctx, qUserUpdate, next.ExternalID, bytesArg(next.Handle), next.DisplayName, next.Status,
			next.LoginCount, timeArg(next.UpdatedAt), timeArg(next.LastLoginAt), appID, id)
		return next, err
	}
	return updateRow(ctx, s, "update user", true, qUserGet, qUserUpdate, read, fn, write)
}

// DeleteUser deletes a user with its devices, sessions, tokens,
// transactions, handshakes and nonces.
func (s *Store) DeleteUser(ctx context.Context, appID, id string) error {
	if err := s.execOne(ctx, qUserDelete, appID, id); err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	return nil
}

// joinedUserColumns selects a user's columns from "u" as "u.column", which
// sqlx maps onto commitRow's user.
var joinedUserColumns = aliased("u", userColumns)

package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/passbridge/passbridge/storage"
)

// bulkChunk bounds the rows of one multi-row INSERT and the values of one IN
// list. A device row has 22 columns: 1,000 rows are 22,000 parameters,
// under SQLite's limit (32,766) and PostgreSQL's (65,535).
const bulkChunk = 1000

// bulkAuditColumns are the columns of the audit events CreateBatch writes,
// spelt out so that the values insertBatch gives them are next to them.
const bulkAuditColumns = `id, app_id, type, actor, user_id, device_id, detail, created_at`

// FindUsers returns the app's users whose external ID or handle is listed,
// each once. The two lists are looked up apart: SQLite reads a whole app
// for "external_id IN (…) OR handle IN (…)".
func (s *Store) FindUsers(ctx context.Context, appID string, externalIDs []string, handles [][]byte) ([]storage.User, error) {
	seen := make(map[string]bool)
	var users []storage.User
	collect := func(column string, values []any) error {
		var rows []userRow
		q := `SELECT ` + userColumns + ` FROM users WHERE app_id = ? AND ` + column + ` IN ` + placeholders(len(values))
		if err := s.selectDirect(ctx, &rows, q, append([]any{appID}, values...)...); err != nil {
			return err
		}
		for i := range rows {
			if !seen[rows[i].ID] {
				seen[rows[i].ID] = true
				users = append(users, rows[i].user())
			}
		}
		return nil
	}
	for chunk := range slices.Chunk(externalIDs, bulkChunk) {
		if err := collect("external_id", anySlice(chunk)); err != nil {
			return nil, fmt.Errorf("find users: %w", err)
		}
	}
	handles = slices.DeleteFunc(slices.Clone(handles), func(h []byte) bool { return len(h) == 0 })
	for chunk := range slices.Chunk(handles, bulkChunk) {
		if err := collect("handle", anySlice(chunk)); err != nil {
			return nil, fmt.Errorf("find users: %w", err)
		}
	}
	return users, nil
}

// FindDevices returns the app's devices whose credential ID is listed.
func (s *Store) FindDevices(ctx context.Context, appID string, credentialIDs [][]byte) ([]storage.Device, error) {
	credentialIDs = slices.DeleteFunc(slices.Clone(credentialIDs), func(id []byte) bool { return len(id) == 0 })
	var devices []storage.Device
	for chunk := range slices.Chunk(credentialIDs, bulkChunk) {
		ds, err := s.devicesWhere(ctx, "credential_id", appID, anySlice(chunk))
		if err != nil {
			return nil, fmt.Errorf("find devices: %w", err)
		}
		devices = append(devices, ds...)
	}
	return devices, nil
}

// ListDevicesOfUsers returns the devices of the listed users, by user in
// the order given, then by CreatedAt and ID.
func (s *Store) ListDevicesOfUsers(ctx context.Context, appID string, userIDs []string) ([]storage.Device, error) {
	var devices []storage.Device
	for chunk := range slices.Chunk(userIDs, bulkChunk) {
		ds, err := s.devicesWhere(ctx, "user_id", appID, anySlice(chunk))
		if err != nil {
			return nil, fmt.Errorf("list devices of users: %w", err)
		}
		devices = append(devices, ds...)
	}
	order := make(map[string]int, len(userIDs))
	for i, id := range userIDs {
		if _, ok := order[id]; !ok {
			order[id] = i
		}
	}
	slices.SortFunc(devices, func(a, b storage.Device) int {
		return cmp.Or(cmp.Compare(order[a.UserID], order[b.UserID]), a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return devices, nil
}

// devicesWhere returns the app's devices whose column is one of values.
func (s *Store) devicesWhere(ctx context.Context, column, appID string, values []any) ([]storage.Device, error) {
	var rows []deviceRow
	q := `SELECT ` + deviceColumns + ` FROM devices WHERE app_id = ? AND ` + column + ` IN ` + placeholders(len(values))
	if err := s.selectDirect(ctx, &rows, q, append([]any{appID}, values...)...); err != nil {
		return nil, err
	}
	devices := make([]storage.Device, len(rows))
	for i := range rows {
		d, err := rows[i].device()
		if err != nil {
			return nil, err
		}
		devices[i] = d
	}
	return devices, nil
}

// CreateBatch inserts users, then devices, then audit events, inside one
// transaction (a savepoint of the caller's, inside InTx), and undoes them
// all if any row is refused.
func (s *Store) CreateBatch(ctx context.Context, b storage.Batch) error {
	run := func(tx *Store) error { return tx.insertBatch(ctx, b) }
	var err error
	if s.tx != nil {
		err = s.savepoint(ctx, func() error { return run(s) })
	} else {
		err = s.inTx(ctx, run)
	}
	if err != nil {
		return fmt.Errorf("create batch: %w", err)
	}
	return nil
}

func (s *Store) insertBatch(ctx context.Context, b storage.Batch) error {
	users := make([][]any, len(b.Users))
	for i, u := range b.Users {
		users[i] = []any{u.ID, u.AppID, u.ExternalID, bytesArg(u.Handle), u.DisplayName, u.Status,
			u.LoginCount, timeArg(u.CreatedAt), timeArg(u.UpdatedAt), timeArg(u.LastLoginAt)}
	}
	if err := s.insertRows(ctx, "users", userColumns, users); err != nil {
		return fmt.Errorf("users: %w", err)
	}
	devices := make([][]any, len(b.Devices))
	for i, d := range b.Devices {
		devices[i] = []any{d.ID, d.AppID, d.UserID, bytesArg(d.CredentialID),
			bytesArg(d.PublicKey), d.AttestationType, d.AttestationFormat, bytesArg(d.Attestation),
			bytesArg(d.AAGUID), jsonText(d.Transports), int64(d.SignCount), d.CloneWarning, d.UserVerified,
			d.BackupEligible, d.BackedUp, d.Attachment, d.FriendlyName, d.Type, d.UsageCount,
			timeArg(d.CreatedAt), timeArg(d.UpdatedAt), timeArg(d.LastLoginAt)}
	}
	if err := s.insertRows(ctx, "devices", deviceColumns, devices); err != nil {
		return fmt.Errorf("devices: %w", err)
	}
	events := make([][]any, len(b.Events))
	for i, e := range b.Events {
		events[i] = []any{e.ID, strArg(e.AppID), e.Type, e.Actor, e.UserID, e.DeviceID,
			jsonText(e.Detail), timeArg(e.CreatedAt)}
	}
	if err := s.insertRows(ctx, "audit_events", bulkAuditColumns, events); err != nil {
		return fmt.Errorf("audit events: %w", err)
	}
	return nil
}

// insertRows inserts rows into table inside the bound transaction. On
// PostgreSQL it streams them with COPY, several times faster than INSERT
// for thousands of rows; a row that breaks a constraint fails the COPY.
// On SQLite it runs multi-row INSERTs … ON CONFLICT DO NOTHING, and fewer
// rows inserted than given means a uniqueness constraint held some out.
func (s *Store) insertRows(ctx context.Context, table, columns string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if s.dialect == DialectPostgres {
		return s.copyRows(ctx, table, columns, rows)
	}
	width := len(rows[0])
	for chunk := range slices.Chunk(rows, bulkChunk) {
		args := make([]any, 0, len(chunk)*width)
		for _, r := range chunk {
			args = append(args, r...)
		}
		q := `INSERT INTO ` + table + ` (` + columns + `) VALUES ` + valueRows(len(chunk), width) + ` ON CONFLICT DO NOTHING`
		res, err := s.tx.ExecContext(ctx, q, args...)
		if err != nil {
			return s.driverError(err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return s.driverError(err)
		}
		if n != int64(len(chunk)) {
			return storage.ErrAlreadyExists
		}
	}
	return nil
}

// copyRows runs COPY table (columns) FROM STDIN with rows.
func (s *Store) copyRows(ctx context.Context, table, columns string, rows [][]any) (err error) {
	st, err := s.tx.PrepareContext(ctx, `COPY `+table+` (`+columns+`) FROM STDIN`)
	if err != nil {
		return s.driverError(err)
	}
	defer func() {
		if cerr := st.Close(); err == nil && cerr != nil {
			err = s.driverError(cerr)
		}
	}()
	for _, r := range rows {
		if _, err := st.ExecContext(ctx, r...); err != nil {
			return s.driverError(err)
		}
	}
	if _, err := st.ExecContext(ctx); err != nil { // the end of the data: PostgreSQL checks it now
		return s.driverError(err)
	}
	return nil
}

// RefreshStatistics analyzes users and devices on PostgreSQL. Until it has
// statistics, PostgreSQL guesses that app_id = ? keeps 0.5% of a table's
// rows, and then prefers reading an app's every row to looking a list of
// external IDs up in the unique index (measured: 100 IDs among 100,000
// users, 28 ms instead of 0.5 ms). SQLite's planner uses the index without
// statistics: there it does nothing. One table per statement: CockroachDB's
// ANALYZE takes one (see docs/scale-out.md).
func (s *Store) RefreshStatistics(ctx context.Context) error {
	if s.dialect != DialectPostgres {
		return nil
	}
	for _, table := range []string{"users", "devices"} {
		q := "ANALYZE " + table
		var err error
		if s.tx != nil {
			_, err = s.tx.ExecContext(ctx, q)
			err = s.driverError(err)
		} else {
			err = s.retry(ctx, func() error {
				_, err := s.db.ExecContext(ctx, q)
				return mapError(err)
			})
		}
		if err != nil {
			return fmt.Errorf("refresh statistics: %w", err)
		}
	}
	return nil
}

// selectDirect runs a query whose text varies with its arguments (an IN
// list), unprepared: caching a statement per length would fill the cache.
func (s *Store) selectDirect(ctx context.Context, dest any, query string, args ...any) error {
	if s.tx != nil {
		emptySlice(dest)
		return s.driverError(s.tx.SelectContext(ctx, dest, s.tx.Rebind(query), args...))
	}
	return s.retry(ctx, func() error {
		emptySlice(dest)
		return mapError(s.db.SelectContext(ctx, dest, s.db.Rebind(query), args...))
	})
}

// placeholders is "(?, ?, …)" with n placeholders.
func placeholders(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}

// valueRows is n tuples of cols placeholders each, comma-separated.
func valueRows(n, cols int) string {
	t := placeholders(cols)
	return strings.TrimSuffix(strings.Repeat(t+", ", n), ", ")
}

// anySlice converts a list of query values to arguments; byte strings go
// through bytesArg like every stored byte string.
func anySlice[T any](in []T) []any {
	out := make([]any, len(in))
	for i, v := range in {
		if b, ok := any(v).([]byte); ok {
			out[i] = bytesArg(b)
			continue
		}
		out[i] = v
	}
	return out
}

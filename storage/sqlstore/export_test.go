package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// DBForTest reaches under a Store, for tests of what the engine does with
// rows it did not write itself (a newer schema version, say).
func (s *Store) DBForTest() *sqlx.DB { return s.db }

// HotQueriesForTest are the reads of the sign-in flows, each with sample
// arguments of the right types, for the test that none reads a whole
// table.
func HotQueriesForTest() map[string][]any {
	id, raw, now := "x", []byte{1, 2, 3}, timeArg(time.Unix(1_800_000_000, 0))
	return map[string][]any{
		qAssertionHandshake:            {bytesArg(raw), id, id, now},
		qAssertionHandshakeByChallenge: {bytesArg(raw), id, id, now},
		qTransactionWithUser:           {id, id},
		qTransactionGet:                {id, id},
		qHandshakeGet:                  {id, id, now},
		qDeviceWithUser:                {id, raw},
		qUserWithDevices:               {id, id},
		qUserByExtWithDevices:          {id, id},
		qAuthRequestGet:                {id, now},
		qSessionByHash:                 {bytesArg(raw), now},
		qNonceConsume:                  {id, bytesArg(raw), now},
		qAuthCodeConsume:               {now, bytesArg(raw), now},
		qRefreshTokenByHash:            {bytesArg(raw), now},
		qAccessTokenGet:                {id, now},
		qAPIKeyByHash:                  {bytesArg(raw)},
		qClientGet:                     {id},
	}
}

// PlanForTest is the plan the engine would run query with args by: on
// PostgreSQL with sequential scans disabled, so that one shows only where
// no index serves; on SQLite as EXPLAIN QUERY PLAN details.
func (s *Store) PlanForTest(ctx context.Context, query string, args ...any) ([]string, error) {
	conn, err := s.db.Connx(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	explain := "EXPLAIN QUERY PLAN "
	if s.dialect == DialectPostgres {
		if _, err := conn.ExecContext(ctx, "SET enable_seqscan = off"); err != nil {
			return nil, err
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "RESET enable_seqscan") //nolint:errcheck
		explain = "EXPLAIN "
	}
	rows, err := conn.QueryxContext(ctx, explain+s.db.Rebind(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		vals, err := rows.SliceScan()
		if err != nil {
			return nil, err
		}
		plan = append(plan, fmt.Sprint(vals[len(vals)-1]))
	}
	return plan, rows.Err()
}

package sqlstore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"

	"github.com/passbridge/passbridge/storage"
)

var _ storage.ChangeFeed = (*Store)(nil)

// cacheChannel is the channel the triggers of migration 00008 notify.
const cacheChannel = "passbridge_cache"

// The listener's reconnection backoff: the first retry comes soon, later
// ones no faster than every few seconds. Closing a feed whose database is
// down waits for at most one interval.
const (
	feedMinReconnect = 100 * time.Millisecond
	feedMaxReconnect = 5 * time.Second
)

// feedBuffer is how many changes may wait for the reader.
const feedBuffer = 64

// notice is the payload of a notification on cacheChannel.
type notice struct {
	Schema string `json:"schema"`
	Table  string `json:"table"`
	ID     string `json:"id"`
	Hash   string `json:"hash"`
}

// kind maps a table that notifies to the kind of storage.Change it holds.
func kind(table string) (string, bool) {
	switch table {
	case "apps":
		return storage.ChangeApp, true
	case "api_keys":
		return storage.ChangeAPIKey, true
	case "clients":
		return storage.ChangeClient, true
	}
	return "", false
}

// Changes reports changes to apps, API keys and clients (see
// storage.ChangeFeed) on PostgreSQL, where triggers NOTIFY them, whoever
// made them. It listens on a connection of its own, opened with the Store's
// URL (not through Options.WrapConnector), and reconnects with backoff
// when that connection is lost; notifications of other schemas of the
// database are left out. On SQLite, and on a Store bound to a transaction,
// it returns an error matching errors.ErrUnsupported: SQLite cannot notify,
// and one process owns its file.
func (s *Store) Changes(ctx context.Context) (<-chan storage.Change, error) {
	if s.dialect != DialectPostgres || s.tx != nil {
		return nil, fmt.Errorf("change feed: %w", errors.ErrUnsupported)
	}
	var schema string
	if err := s.db.GetContext(ctx, &schema, `SELECT current_schema()`); err != nil {
		return nil, fmt.Errorf("change feed: %w", mapError(err))
	}

	// lost is signalled when the connection is lost or could not be made:
	// notifications may have been missed. The callback runs on the
	// listener's goroutine, so it must not block.
	lost := make(chan struct{}, 1)
	event := func(ev pq.ListenerEventType, _ error) {
		if ev == pq.ListenerEventConnected {
			return
		}
		select {
		case lost <- struct{}{}:
		default:
		}
	}
	dialCtx, cancelDial := context.WithCancel(context.Background())
	l := pq.NewDialListener(dialer{closed: dialCtx}, s.dsn, feedMinReconnect, feedMaxReconnect, event)
	stop := func() {
		_ = l.Close()
		// After Close, so that a failed dial ends the listener's loop
		// instead of scheduling another attempt.
		cancelDial()
		// The listener's goroutine ends once nobody waits for it to
		// deliver; Notify closes when it has.
		for range l.Notify {
		}
	}

	listening := make(chan error, 1)
	go func() { listening <- l.Listen(cacheChannel) }()
	select {
	case err := <-listening:
		if err != nil {
			stop()
			return nil, fmt.Errorf("change feed: %w", listenError(err))
		}
	case <-ctx.Done():
		stop()
		<-listening
		return nil, fmt.Errorf("change feed: %w", ctx.Err())
	}
	// Failed attempts before the first connection missed nothing that
	// happened after Changes returns.
	select {
	case <-lost:
	default:
	}

	out := make(chan storage.Change, feedBuffer)
	go func() {
		defer close(out)
		defer stop()
		for {
			var c storage.Change
			select {
			case <-ctx.Done():
				return
			case <-lost:
			case n, ok := <-l.Notify:
				if !ok {
					return
				}
				// nil: reconnected, after notifications may have been lost.
				if n != nil {
					if c, ok = change(schema, n.Extra); !ok {
						continue
					}
				}
			}
			select {
			case out <- c:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// change decodes a notification's payload into the Change it reports; ok
// is false for one about another schema or a table no cache holds. A
// payload that does not decode reports everything, so that no change is
// ever missed.
func change(schema, payload string) (c storage.Change, ok bool) {
	var n notice
	if err := json.Unmarshal([]byte(payload), &n); err != nil {
		return storage.Change{}, true
	}
	if n.Schema != schema {
		return storage.Change{}, false
	}
	k, ok := kind(n.Table)
	if !ok {
		return storage.Change{}, false
	}
	c = storage.Change{Kind: k, ID: n.ID}
	if n.Hash != "" {
		h, err := hex.DecodeString(n.Hash)
		if err != nil {
			return storage.Change{}, true
		}
		c.Hash = h
	}
	return c, true
}

// dialer is lib/pq's default dialer, except that closing the feed cancels
// a connection attempt under way, so that Close does not wait for a TCP
// timeout when the database is unreachable.
type dialer struct {
	closed context.Context
	d      net.Dialer
}

func (d dialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

func (d dialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.DialContext(ctx, network, address)
}

func (d dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(d.closed, cancel)()
	return d.d.DialContext(ctx, network, address)
}

// listenError maps the error of LISTEN: a server without LISTEN (CockroachDB
// answers feature_not_supported, 0A000) has no feed, which
// errors.ErrUnsupported tells the cache (it then relies on its TTL); any
// other error is the database's, as mapError says.
func listenError(err error) error {
	if pq.As(err, pqerror.FeatureNotSupported) != nil {
		return fmt.Errorf("%w: %w", errors.ErrUnsupported, err)
	}
	return mapError(err)
}

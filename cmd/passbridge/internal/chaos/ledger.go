package chaos

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Ledger is the client side's record of what the servers acknowledged,
// kept from the proxy's exchanges: every registration answered 200 (its
// credential ID), every nonce verified and every code redeemed (with the
// request that spent it, to spend it again later).
type Ledger struct {
	mu    sync.Mutex
	acked map[string]string // credential ID (base64url) → app ID
	spent map[string]*spend // "nonce:…", "code:…", "refresh:…" → how it was spent
	fresh []string          // refresh tokens issued and not yet taken
}

type spend struct {
	kind  string // nonce, code
	times int    // answered 200 this many times during the load
	req   replay
}

// replay is a request to send again as it was.
type replay struct {
	method, path, auth, ctype string
	body                      []byte
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger {
	return &Ledger{acked: map[string]string{}, spent: map[string]*spend{}}
}

// Observe records an exchange; it is the proxy's Observe.
func (l *Ledger) Observe(x Exchange) {
	if x.Status != http.StatusOK {
		return
	}
	switch x.Step {
	case "register_finish":
		var body struct {
			Flex struct {
				ID string `json:"id"`
			} `json:"handshake_response"`
			BYO struct {
				ID string `json:"id"`
			} `json:"publicKey"`
		}
		if json.Unmarshal(x.Body, &body) != nil {
			return
		}
		id := body.Flex.ID + body.BYO.ID
		if id != "" {
			l.mu.Lock()
			l.acked[id] = appOfPath(x.Path)
			l.mu.Unlock()
		}
	case "verify_nonce":
		var body struct {
			Nonce string `json:"nonce"`
		}
		if json.Unmarshal(x.Body, &body) == nil && body.Nonce != "" {
			l.spend("nonce", body.Nonce, x)
		}
	case "token", RefreshStep:
		form, err := url.ParseQuery(string(x.Body))
		if err != nil {
			return
		}
		switch {
		case form.Get("grant_type") == "authorization_code" && form.Get("code") != "":
			l.spend("code", form.Get("code"), x)
		case form.Get("grant_type") == "refresh_token" && form.Get("refresh_token") != "":
			l.spend("refresh", form.Get("refresh_token"), x)
		}
		var tok struct {
			Refresh string `json:"refresh_token"`
		}
		if json.Unmarshal(x.RBody, &tok) == nil && tok.Refresh != "" {
			l.mu.Lock()
			l.fresh = append(l.fresh, tok.Refresh)
			l.mu.Unlock()
		}
	}
}

// TakeRefreshToken returns a refresh token issued during the load and not
// taken before, "" when there is none.
func (l *Ledger) TakeRefreshToken() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fresh) == 0 {
		return ""
	}
	tok := l.fresh[0]
	l.fresh = l.fresh[1:]
	return tok
}

func (l *Ledger) spend(kind, value string, x Exchange) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := kind + ":" + value
	s := l.spent[key]
	if s == nil {
		s = &spend{kind: kind, req: replay{method: x.Method, path: x.Path, auth: x.Header.Get("Authorization"),
			ctype: x.Header.Get("Content-Type"), body: x.Body}}
		l.spent[key] = s
	}
	s.times++
}

// appOfPath is the app ID of a /v1/apps/{app_id}/… path.
func appOfPath(p string) string {
	rest, ok := strings.CutPrefix(p, "/v1/apps/")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	return id
}

// Reset forgets everything, for the next scenario.
func (l *Ledger) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.acked, l.spent, l.fresh = map[string]string{}, map[string]*spend{}, nil
}

// Acked is the number of registrations answered 200.
func (l *Ledger) Acked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// Spent counts the nonces and codes spent, by kind.
func (l *Ledger) Spent() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for _, s := range l.spent {
		out[s.kind]++
	}
	return out
}

// DoubleSpentDuringLoad counts the nonces and codes answered 200 more
// than once during the load.
func (l *Ledger) DoubleSpentDuringLoad() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.spent {
		if s.times > 1 {
			n += s.times - 1
		}
	}
	return n
}

// Respend sends every spending request again through base, workers at a
// time, and returns how many were accepted (2xx): each is a double spend.
// A nonce must answer 401 invalid_nonce, a code or a refresh token 400
// invalid_grant.
func (l *Ledger) Respend(ctx context.Context, hc *http.Client, base string, workers int) (tried, accepted int, err error) {
	l.mu.Lock()
	reqs := make([]replay, 0, len(l.spent))
	for _, s := range l.spent {
		reqs = append(reqs, s.req)
	}
	l.mu.Unlock()
	jobs := make(chan replay)
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for r := range jobs {
				req, e := http.NewRequestWithContext(ctx, r.method, base+r.path, bytes.NewReader(r.body))
				if e != nil {
					mu.Lock()
					errs = append(errs, e)
					mu.Unlock()
					continue
				}
				req.Header.Set("Content-Type", r.ctype)
				if r.auth != "" {
					req.Header.Set("Authorization", r.auth)
				}
				res, e := hc.Do(req)
				mu.Lock()
				switch {
				case e != nil:
					errs = append(errs, e)
				case res.StatusCode < 300:
					accepted++
				case res.StatusCode >= 500:
					errs = append(errs, fmt.Errorf("respend %s: %d", r.path, res.StatusCode))
				}
				tried++
				mu.Unlock()
				if res != nil {
					res.Body.Close()
				}
			}
		})
	}
	for _, r := range reqs {
		jobs <- r
	}
	close(jobs)
	wg.Wait()
	if len(errs) > 0 {
		err = fmt.Errorf("%d re-spends failed, first: %v", len(errs), errs[0])
	}
	return tried, accepted, err
}

// Missing returns the acknowledged registrations the store does not hold:
// credential IDs that no device of their app has. db is the store's
// database (PostgreSQL or SQLite), read with placeholders of dialect.
func (l *Ledger) Missing(ctx context.Context, db *sql.DB, dialect string) ([]string, error) {
	l.mu.Lock()
	byApp := map[string][]string{}
	for id, app := range l.acked {
		byApp[app] = append(byApp[app], id)
	}
	l.mu.Unlock()
	var missing []string
	q := "SELECT credential_id FROM devices WHERE app_id = ?"
	if dialect == "postgres" {
		q = "SELECT credential_id FROM devices WHERE app_id = $1"
	}
	for app, ids := range byApp {
		rows, err := db.QueryContext(ctx, q, app)
		if err != nil {
			return nil, fmt.Errorf("read devices: %w", err)
		}
		have := map[string]bool{}
		for rows.Next() {
			var raw []byte
			if err := rows.Scan(&raw); err != nil {
				rows.Close()
				return nil, err
			}
			have[base64.RawURLEncoding.EncodeToString(raw)] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, id := range ids {
			if !have[strings.TrimRight(id, "=")] {
				missing = append(missing, id)
			}
		}
	}
	return missing, nil
}

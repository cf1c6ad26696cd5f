package cli

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/passbridge/passbridge/cmd/passbridge/internal/config"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// The server serve builds limits each key by key_rate_limit and
// key_rate_limit_burst, and not at all with key_rate_limit 0.
func TestServeAppliesKeyRateLimit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rate    float64
		burst   int
		limited bool
	}{
		{"limited", 0.001, 2, true},
		{"off", 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := sqlstoretest.Open(t, sqlstoretest.SQLite)
			cfg := config.Default()
			cfg.KeyRateLimit, cfg.KeyRateLimitBurst = tc.rate, tc.burst
			srv := testServer(t, cfg, st)
			secret, prefix := storage.NewSecret(storage.PrefixAdminKey)
			if err := st.CreateAdminKey(t.Context(), storage.AdminKey{ID: storage.NewID(), Name: "ops", Prefix: prefix,
				Hash: storage.HashSecret(secret), CreatedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
			var statuses []int
			for range 3 {
				req := httptest.NewRequestWithContext(t.Context(), "GET", "/admin/v1/apps", nil)
				req.Header.Set("Authorization", "Bearer "+secret)
				rec := httptest.NewRecorder()
				srv.Handler().ServeHTTP(rec, req)
				statuses = append(statuses, rec.Code)
			}
			last := http.StatusOK
			if tc.limited {
				last = http.StatusTooManyRequests
			}
			if statuses[0] != http.StatusOK || statuses[1] != http.StatusOK || statuses[2] != last {
				t.Fatalf("statuses %v, want 200, 200, %d", statuses, last)
			}
		})
	}
}

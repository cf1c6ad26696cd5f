package sqlstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// base is a fixed instant: tests never read the clock.
var base = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func createApp(t *testing.T, s *sqlstore.Store) storage.App {
	t.Helper()
	a := storage.App{
		ID: storage.NewID(), Name: "Example", RPID: "example.com", RPName: "Example",
		Origins: []string{"https://example.com"}, UserVerification: storage.RequirementPreferred,
		Attestation: "none", ResidentKey: storage.RequirementRequired, SignCountPolicy: storage.SignCountReject,
		TransactionTTL: 5 * time.Minute, CeremonyTimeout: 2 * time.Minute, NonceTTL: 5 * time.Minute,
		CreatedAt: base, UpdatedAt: base,
	}
	if err := s.CreateApp(t.Context(), a); err != nil {
		t.Fatalf("create app: %v", err)
	}
	return a
}

// TestTimesUTCMicroseconds: a time in any zone with nanoseconds comes back
// in UTC, rounded to the microsecond, whichever way the row is read.
func TestTimesUTCMicroseconds(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(t testing.TB) *sqlstore.Store) {
		ctx := t.Context()
		s := open(t)
		zone := time.FixedZone("UTC+05:30", 5*3600+30*60)
		in := time.Date(2026, 3, 14, 20, 39, 26, 123456789, zone)
		want := time.Date(2026, 3, 14, 15, 9, 26, 123457000, time.UTC)

		a := createApp(t, s)
		a.ID, a.CreatedAt, a.UpdatedAt = storage.NewID(), in, time.Time{}
		if err := s.CreateApp(ctx, a); err != nil {
			t.Fatalf("create app: %v", err)
		}
		got, err := s.GetApp(ctx, a.ID)
		if err != nil {
			t.Fatalf("get app: %v", err)
		}
		checkTime(t, "read", got.CreatedAt, want)
		if !got.UpdatedAt.IsZero() {
			t.Errorf("zero UpdatedAt read back as %v", got.UpdatedAt)
		}

		updated, err := s.UpdateApp(ctx, a.ID, func(a storage.App) (storage.App, error) {
			a.UpdatedAt = in
			return a, nil
		})
		if err != nil {
			t.Fatalf("update app: %v", err)
		}
		checkTime(t, "update result", updated.UpdatedAt, want)
		got, _ = s.GetApp(ctx, a.ID)
		checkTime(t, "read after update", got.UpdatedAt, want)

		// A DELETE … RETURNING row, which SQLite returns without declared
		// column types.
		h := storage.Handshake{
			ID: storage.NewID(), AppID: a.ID, Flow: storage.FlowFlex, Kind: storage.KindAuthenticate,
			Challenge: storage.NewID(), Session: []byte(`{}`), CreatedAt: in, ExpiresAt: in.Add(time.Hour),
		}
		if err := s.CreateHandshake(ctx, h); err != nil {
			t.Fatalf("create handshake: %v", err)
		}
		consumed, err := s.ConsumeHandshake(ctx, a.ID, h.ID, in)
		if err != nil {
			t.Fatalf("consume handshake: %v", err)
		}
		checkTime(t, "RETURNING", consumed.CreatedAt, want)
		checkTime(t, "RETURNING", consumed.ExpiresAt, want.Add(time.Hour))
	})
}

func checkTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) || got.Location() != time.UTC || got != want {
		t.Errorf("%s: time %v (%v), want %v in UTC", what, got, got.Location(), want)
	}
}

// TestExpiryComparison: expiry is compared with the caller's now, at
// microsecond precision, whatever the two times' fractional digits (SQLite
// compares the stored text, with trailing zeros trimmed).
func TestExpiryComparison(t *testing.T) {
	offsets := []time.Duration{
		0, time.Microsecond, 10 * time.Microsecond, 100 * time.Millisecond, 120 * time.Millisecond,
		123456 * time.Microsecond, 999999 * time.Microsecond, time.Second, time.Second + time.Microsecond,
	}
	sqlstoretest.ForEach(t, func(t *testing.T, open func(t testing.TB) *sqlstore.Store) {
		ctx := t.Context()
		s := open(t)
		a := createApp(t, s)
		for _, exp := range offsets {
			h := storage.Handshake{
				ID: storage.NewID(), AppID: a.ID, Flow: storage.FlowStartFinish, Kind: storage.KindRegister,
				Challenge: storage.NewID(), CreatedAt: base, ExpiresAt: base.Add(exp),
			}
			if err := s.CreateHandshake(ctx, h); err != nil {
				t.Fatalf("create handshake: %v", err)
			}
			for _, now := range offsets {
				_, err := s.GetHandshake(ctx, a.ID, h.ID, base.Add(now))
				valid := exp > now
				if valid && err != nil || !valid && !errors.Is(err, storage.ErrNotFound) {
					t.Errorf("expires +%v, now +%v: err %v; want valid=%v", exp, now, err, valid)
				}
			}
		}
	})
}

package transfer_test

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony/transfer"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// EnvLargeImport enables TestLargeImport: the number of devices to import
// (e.g. 100000). The test is left out of the normal suite for its time.
const EnvLargeImport = "PASSBRIDGE_TEST_LARGE_IMPORT"

// TestLargeImport imports an export of N users with one passkey each on
// every engine, and requires it to take less than a minute (per 100,000
// devices); then imports it again, which must change nothing.
func TestLargeImport(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv(EnvLargeImport))
	if n <= 0 {
		t.Skip(EnvLargeImport + " not set: the large import test is skipped")
	}
	text := largeExport(t, n)
	t.Logf("export of %d users with a passkey each: %.1f MB", n, float64(len(text))/1e6)
	for _, engine := range sqlstoretest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, sqlstoretest.Open(t, engine))
			for _, run := range []struct {
				name  string
				opts  transfer.Options
				users transfer.Counts
			}{
				{"DryRun", transfer.Options{DryRun: true}, transfer.Counts{Created: n}},
				{"Import", transfer.Options{}, transfer.Counts{Created: n}},
				{"Again", transfer.Options{}, transfer.Counts{Unchanged: n}},
			} {
				start := time.Now()
				sum := e.importText(text, run.opts)
				took := time.Since(start)
				wantCounts(t, sum, run.users, run.users)
				t.Logf("%s %s: %d devices in %v (%.0f devices/s)", engine, run.name, n, took.Round(time.Millisecond), float64(n)/took.Seconds())
				if limit := time.Duration(float64(time.Minute) * float64(n) / 100000); run.name == "Import" && took > limit {
					t.Errorf("%s: importing %d devices took %v, more than %v", engine, n, took, limit)
				}
			}
		})
	}
}

// largeExport is an export of n users with a passkey each.
func largeExport(t *testing.T, n int) string {
	t.Helper()
	keys := make([]string, 64)
	for i := range keys {
		keys[i] = transfer.Binary(coseKey(t, -7))
	}
	var b bytes.Buffer
	enc := transfer.NewEncoder(&b)
	if err := enc.Header(testRPID, time.Now()); err != nil {
		t.Fatal(err)
	}
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		last := transfer.Time(created.Add(time.Duration(i) * time.Minute))
		err := enc.User(transfer.User{
			ExternalID: fmt.Sprintf("user-%07d", i), DisplayName: fmt.Sprintf("user%d@example.com", i), Status: "active",
			UserHandle: transfer.Binary(storage.RandomBytes(32)), CreatedAt: transfer.Time(created),
			Devices: []transfer.Device{{
				CredID: transfer.Binary(storage.RandomBytes(32)), PublicKey: keys[i%len(keys)], SignCount: uint32(i % 7),
				AAGUID: "fbfc3007-154e-4ecc-8c0b-6e020557d7bd", Transports: []string{"internal", "hybrid"},
				BackupEligible: true, BackedUp: true, UserVerified: true, AttestationType: "none",
				FriendlyName: "iCloud Keychain", CreatedAt: transfer.Time(created), LastLoginAt: &last, UsageCount: int64(i % 50),
			}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

package bench

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/passbridge/passbridge/ceremony/transfer"
)

// seedChunk is how many users one import request carries: big enough that
// a request's overhead does not count, small enough for steady progress.
const seedChunk = 10000

// seeder writes users with one passkey each, in passbridge's export format
// without its header: the header names an RP ID, which an existing app
// given by --app would have to be asked for, and the passkeys are made up
// anyway.
type seeder struct {
	prefix  string
	coseKey string // one P-256 public key, shared: seeded passkeys never sign in
	now     string
}

func newSeeder(prefix string, now time.Time) (*seeder, error) {
	key, err := coseP256()
	if err != nil {
		return nil, err
	}
	return &seeder{prefix: prefix, coseKey: transfer.Binary(key), now: transfer.Time(now)}, nil
}

// coseP256 is a fresh P-256 public key as a COSE_Key (RFC 9053 §7.1.1):
// the map {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y} in
// CBOR's core deterministic encoding (RFC 8949 §4.2.1).
func coseP256() ([]byte, error) {
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	point := priv.PublicKey().Bytes() // 0x04 || x || y (SEC 1 §2.3.3)
	var b bytes.Buffer
	b.Write([]byte{0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20})
	b.Write(point[1:33])
	b.Write([]byte{0x22, 0x58, 0x20})
	b.Write(point[33:65])
	return b.Bytes(), nil
}

// chunk writes users first to first+n-1, one line each.
func (s *seeder) chunk(first, n int) ([]byte, error) {
	var buf bytes.Buffer
	enc := transfer.NewEncoder(&buf)
	for i := first; i < first+n; i++ {
		id := fmt.Sprintf("%s-seed-%d", s.prefix, i)
		err := enc.User(transfer.User{
			ExternalID: id, DisplayName: id + "@bench.example", Status: "active",
			UserHandle: transfer.Binary(random(16)), CreatedAt: s.now,
			Devices: []transfer.Device{{
				CredID: transfer.Binary(random(16)), PublicKey: s.coseKey, Transports: []string{"internal", "hybrid"},
				BackupEligible: true, BackedUp: true, UserVerified: true, AttestationType: "none",
				FriendlyName: "Seeded passkey", CreatedAt: s.now,
			}},
		})
		if err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

func random(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return b
}

// seed adds n users with one device each to the app through b, in chunks,
// reporting progress. Every device must be created: a refusal is an error.
func seed(ctx context.Context, b Backend, appID, prefix string, n int, now time.Time, p *progress) (int, error) {
	s, err := newSeeder(prefix, now)
	if err != nil {
		return 0, err
	}
	var done int
	stop := p.track(func() string { return fmt.Sprintf("seeding: %d/%d devices", done, n) })
	defer stop()
	for first := 0; first < n; first += seedChunk {
		body, err := s.chunk(first, min(seedChunk, n-first))
		if err != nil {
			return done, err
		}
		sum, err := b.Import(ctx, appID, bytes.NewReader(body))
		if err != nil {
			return done, fmt.Errorf("seed devices: %w", err)
		}
		if len(sum.Refusals) > 0 {
			r := sum.Refusals[0]
			return done, fmt.Errorf("seed devices: %d users refused, line %d: %s", len(sum.Refusals), r.Line, r.Reason)
		}
		p.set(func() { done += sum.Devices.Created })
	}
	return done, nil
}

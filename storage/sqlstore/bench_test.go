package sqlstore_test

import (
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// benchWorld is an app with one user and one device.
type benchWorld struct {
	app    storage.App
	user   storage.User
	device storage.Device
}

func newBenchWorld(b *testing.B, s *sqlstore.Store) benchWorld {
	b.Helper()
	ctx := b.Context()
	w := benchWorld{app: storage.App{
		ID: storage.NewID(), Name: "Bench", RPID: "example.com", RPName: "Bench",
		Origins: []string{"https://example.com"}, UserVerification: storage.RequirementPreferred,
		Attestation: "none", ResidentKey: storage.RequirementRequired, SignCountPolicy: storage.SignCountReject,
		TransactionTTL: 5 * time.Minute, CeremonyTimeout: 2 * time.Minute, NonceTTL: 5 * time.Minute,
		CreatedAt: base, UpdatedAt: base,
	}}
	w.user = storage.User{
		ID: storage.NewID(), AppID: w.app.ID, ExternalID: "alice", Handle: storage.RandomBytes(32),
		DisplayName: "Alice", Status: storage.UserActive, CreatedAt: base, UpdatedAt: base,
	}
	w.device = storage.Device{
		ID: storage.NewID(), AppID: w.app.ID, UserID: w.user.ID, CredentialID: storage.RandomBytes(32),
		PublicKey: storage.RandomBytes(77), AttestationType: "none", AttestationFormat: "none",
		AAGUID: make([]byte, 16), Transports: []string{"internal", "hybrid"}, BackupEligible: true,
		BackedUp: true, Attachment: "platform", FriendlyName: "Passkey", Type: storage.DeviceTypePasskey,
		CreatedAt: base, UpdatedAt: base,
	}
	if err := s.CreateApp(ctx, w.app); err != nil {
		b.Fatal(err)
	}
	if err := s.CreateUser(ctx, w.user); err != nil {
		b.Fatal(err)
	}
	if err := s.CreateDevice(ctx, w.device); err != nil {
		b.Fatal(err)
	}
	return w
}

func BenchmarkStore(b *testing.B) {
	for _, engine := range sqlstoretest.Engines(b) {
		b.Run(engine, func(b *testing.B) {
			s := sqlstoretest.Open(b, engine)
			w := newBenchWorld(b, s)
			ctx := b.Context()

			b.Run("GetApp", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := s.GetApp(ctx, w.app.ID); err != nil {
						b.Fatal(err)
					}
				}
			})

			b.Run("CreateConsumeNonce", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					n := storage.Nonce{
						Hash: storage.RandomBytes(32), AppID: w.app.ID, UserID: w.user.ID, ExternalID: w.user.ExternalID,
						DeviceID: w.device.ID, Kind: storage.KindAuthenticate, UserVerified: true,
						BackupEligible: true, CreatedAt: base, ExpiresAt: base.Add(5 * time.Minute),
					}
					if err := s.CreateNonce(ctx, n); err != nil {
						b.Fatal(err)
					}
					if _, err := s.ConsumeNonce(ctx, w.app.ID, n.Hash, base); err != nil {
						b.Fatal(err)
					}
				}
			})

			b.Run("UpdateDevice", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					_, err := s.UpdateDevice(ctx, w.app.ID, w.device.ID, func(d storage.Device) (storage.Device, error) {
						d.SignCount++
						d.UsageCount++
						d.LastLoginAt = base
						return d, nil
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

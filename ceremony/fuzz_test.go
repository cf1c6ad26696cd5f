package ceremony_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// fuzzEnv is an env whose ceremonies outlive a fuzzing session.
func fuzzEnv(f *testing.F) *env {
	e := newEnv(f, sqlstoretest.Open(f, sqlstoretest.SQLite), func(a *storage.App) {
		a.CeremonyTimeout = 10 * time.Minute
		a.TransactionTTL = 24 * time.Hour
		a.NonceTTL = time.Hour
	})
	return e
}

// wantClientError fails unless err is nil or a *ceremony.Error: bad input
// must never be an internal error (and never a panic).
func wantClientError(t *testing.T, err error) {
	t.Helper()
	if err != nil && ceremony.CodeOf(err) == "" {
		t.Fatalf("internal error for client input: %v", err)
	}
}

// seedVariants adds a response and its malformed variants to the corpus.
func seedVariants(f *testing.F, resp []byte) {
	f.Add(resp)
	for _, kind := range softauthn.CorruptKinds() {
		f.Add(softauthn.Corrupt(resp, kind))
	}
}

func FuzzFinishRegistration(f *testing.F) {
	e := fuzzEnv(f)
	// Start/finish handshakes whose seeds fail verification, so that they
	// stay and mutations reach the verification code; and valid seeds.
	variants := []struct {
		opts softauthn.Options
		mods []softauthn.Mod
	}{
		{softauthn.Options{}, nil},
		{softauthn.Options{BackupEligible: true}, []softauthn.Mod{softauthn.WithPassageShape()}},
		{softauthn.Options{Algorithm: softauthn.AlgEdDSA}, nil},
		{softauthn.Options{Algorithm: softauthn.AlgRS256}, nil},
		{softauthn.Options{Attestation: softauthn.AttestationPacked}, nil},
		{softauthn.Options{Attestation: softauthn.AttestationPacked}, []softauthn.Mod{softauthn.WithBadSignature()}},
		{softauthn.Options{}, []softauthn.Mod{softauthn.WithOrigin("https://evil.example.net")}},
		{softauthn.Options{}, []softauthn.Mod{softauthn.WithRPID("evil.example.net")}},
		{softauthn.Options{}, []softauthn.Mod{softauthn.WithoutUV()}},
		{softauthn.Options{}, []softauthn.Mod{softauthn.WithBackupFlags(false, true)}},
	}
	for i, v := range variants {
		hs, err := e.svc.StartRegistration(e.ctx, e.app, ceremony.RegistrationStart{ExternalID: fmt.Sprintf("fuzz-%d", i)})
		if err != nil {
			f.Fatal(err)
		}
		resp, _, err := softauthn.New(v.opts).Register(hs.Options, testOrigin, v.mods...)
		if err != nil {
			f.Fatal(err)
		}
		seedVariants(f, resp)
	}
	// A Flex ceremony that stays pending: its seed has the wrong origin.
	tx, hs := e.beginRegister("fuzz-flex")
	resp, _, err := softauthn.New(softauthn.Options{}).Register(hs.Options, testOrigin, softauthn.WithOrigin("https://evil.example.net"))
	if err != nil {
		f.Fatal(err)
	}
	seedVariants(f, resp)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"id":"","rawId":"","type":"public-key","response":{"clientDataJSON":"","attestationObject":""}}`))

	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := e.svc.FinishRegistration(e.ctx, e.app, "", body)
		wantClientError(t, err)
		_, err = e.svc.FinishFlexRegistration(e.ctx, e.app, tx.ID, hs.ID, body)
		wantClientError(t, err)
	})
}

func FuzzFinishAuthentication(f *testing.F) {
	e := fuzzEnv(f)
	authenticators := []*softauthn.Authenticator{
		softauthn.New(softauthn.Options{SignCount: 5}),
		softauthn.New(softauthn.Options{Algorithm: softauthn.AlgEdDSA, BackupEligible: true}),
		softauthn.New(softauthn.Options{Algorithm: softauthn.AlgRS256, Attachment: softauthn.AttachmentCrossPlatform}),
	}
	for i, a := range authenticators {
		e.register(a, fmt.Sprintf("fuzz-%d", i))
	}
	variants := [][]softauthn.Mod{
		nil,
		{softauthn.WithPassageShape()},
		{softauthn.WithBadSignature()},
		{softauthn.WithOrigin("https://evil.example.net")},
		{softauthn.WithRPID("evil.example.net")},
		{softauthn.WithoutUP()},
		{softauthn.WithoutUV()},
		{softauthn.WithUserHandle(storage.RandomBytes(32))},
		{softauthn.WithBackupFlags(true, true)},
	}
	for i, a := range authenticators {
		for _, mods := range variants {
			start := ""
			if i == 2 {
				start = "fuzz-2" // bound; the others discoverable
			}
			hs, err := e.svc.StartAuthentication(e.ctx, e.app, start)
			if err != nil {
				f.Fatal(err)
			}
			resp, err := a.Authenticate(hs.Options, testOrigin, mods...)
			if err != nil {
				f.Fatal(err)
			}
			seedVariants(f, resp)
		}
	}
	// A discoverable Flex ceremony that stays pending.
	hs, err := e.svc.BeginFlexAuthentication(e.ctx, e.app, "")
	if err != nil {
		f.Fatal(err)
	}
	resp, err := authenticators[1].Authenticate(hs.Options, testOrigin, softauthn.WithBadSignature())
	if err != nil {
		f.Fatal(err)
	}
	seedVariants(f, resp)
	f.Add([]byte(`{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"","signature":"","userHandle":""}}`))

	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := e.svc.FinishAuthentication(e.ctx, e.app, "", body)
		wantClientError(t, err)
		_, err = e.svc.FinishFlexAuthentication(e.ctx, e.app, "", hs.ID, body)
		wantClientError(t, err)
	})
}

func FuzzVerifyNonce(f *testing.F) {
	e := fuzzEnv(f)
	for i := range 3 {
		res := e.register(softauthn.New(softauthn.Options{}), fmt.Sprintf("fuzz-%d", i))
		f.Add(res.Nonce)
	}
	f.Add("")
	f.Add("AAAA")
	f.Add(string(make([]byte, 201)))
	f.Add("pbk_not-a-nonce")
	f.Fuzz(func(t *testing.T, nonce string) {
		n, err := e.svc.VerifyNonce(e.ctx, e.app, nonce)
		if err == nil {
			if n.AppID != e.app.ID || n.Kind != storage.KindRegister {
				t.Fatalf("redeemed %+v", n)
			}
			return
		}
		if ceremony.CodeOf(err) != ceremony.CodeInvalidNonce {
			t.Fatalf("err = %v, want invalid_nonce", err)
		}
	})
}

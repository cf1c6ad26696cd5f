package ceremony_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
)

// finishArgs is what a test sends to FinishFlexRegistration or
// FinishFlexAuthentication.
type finishArgs struct {
	txID, hsID string
	body       []byte
}

func TestFinishFlexRegistrationRejects(t *testing.T) {
	type testCase struct {
		name   string
		opts   softauthn.Options
		mods   []softauthn.Mod
		edit   func(t *testing.T, e *env, r flexRegistration, f *finishArgs)
		code   string
		reason string // in the client message
		retry  bool   // the genuine response still succeeds afterwards
	}
	tests := []testCase{
		{name: "wrong origin", mods: []softauthn.Mod{softauthn.WithOrigin("https://evil.example.net")},
			code: ceremony.CodeVerificationFailed, reason: "origin not allowed", retry: true},
		{name: "sibling origin", mods: []softauthn.Mod{softauthn.WithOrigin("https://app.example.com")},
			code: ceremony.CodeVerificationFailed, reason: "origin not allowed", retry: true},
		{name: "wrong rp id hash", mods: []softauthn.Mod{softauthn.WithRPID("example.com")},
			code: ceremony.CodeVerificationFailed, reason: "RP ID mismatch", retry: true},
		{name: "no user presence", mods: []softauthn.Mod{softauthn.WithoutUP()},
			code: ceremony.CodeVerificationFailed, reason: "user presence", retry: true},
		{name: "no user verification", mods: []softauthn.Mod{softauthn.WithoutUV()},
			code: ceremony.CodeVerificationFailed, reason: "user verification required but not performed", retry: true},
		{name: "bad attestation signature", opts: softauthn.Options{Attestation: softauthn.AttestationPacked},
			mods: []softauthn.Mod{softauthn.WithBadSignature()},
			code: ceremony.CodeVerificationFailed, reason: "attestation", retry: true},
		{name: "challenge mismatch", mods: []softauthn.Mod{softauthn.WithChallenge(b64(storage.RandomBytes(32)))},
			code: ceremony.CodeVerificationFailed, reason: "challenge mismatch", retry: true},
		{name: "wrong ceremony type", mods: []softauthn.Mod{softauthn.WithType("webauthn.get")},
			code: ceremony.CodeVerificationFailed, reason: "ceremony type", retry: true},
		{name: "backup state without eligibility", mods: []softauthn.Mod{softauthn.WithBackupFlags(false, true)},
			code: ceremony.CodeVerificationFailed, reason: "backup state", retry: true},
		{name: "unknown transaction", edit: func(t *testing.T, e *env, r flexRegistration, f *finishArgs) {
			f.txID = storage.NewID()
		}, code: ceremony.CodeTransactionNotFound, retry: true},
		{name: "no transaction id", edit: func(t *testing.T, e *env, r flexRegistration, f *finishArgs) {
			f.txID = ""
		}, code: ceremony.CodeInvalidRequest, retry: true},
		{name: "oversized transaction id", edit: func(t *testing.T, e *env, r flexRegistration, f *finishArgs) {
			f.txID = strings.Repeat("a", 5000)
		}, code: ceremony.CodeTransactionNotFound, retry: true},
		{name: "authenticate transaction", edit: func(t *testing.T, e *env, r flexRegistration, f *finishArgs) {
			// The user needs a device for an authenticate transaction.
			e.register(softauthn.New(softauthn.Options{}), r.tx.ExternalID)
			tx, err := e.svc.CreateAuthenticateTransaction(e.ctx, e.app, r.tx.ExternalID)
			if err != nil {
				t.Fatal(err)
			}
			f.txID = tx.ID
		}, code: ceremony.CodeTransactionNotFound, retry: true},
		{name: "unknown handshake", edit: func(t *testing.T, e *env, r flexRegistration, f *finishArgs) {
			f.hsID = storage.NewID()
		}, code: ceremony.CodeHandshakeNotFound, retry: true},
		{name: "handshake of another transaction", edit: func(t *testing.T, e *env, r flexRegistration, f *finishArgs) {
			_, hs := e.beginRegister(r.tx.ExternalID)
			f.hsID = hs.ID
		}, code: ceremony.CodeHandshakeNotFound, retry: true},
		{name: "start/finish handshake", edit: func(t *testing.T, e *env, r flexRegistration, f *finishArgs) {
			hs, err := e.svc.StartRegistration(e.ctx, e.app, ceremony.RegistrationStart{ExternalID: r.tx.ExternalID})
			if err != nil {
				t.Fatal(err)
			}
			f.hsID = hs.ID
		}, code: ceremony.CodeHandshakeNotFound, retry: true},
		{name: "expired transaction", edit: func(t *testing.T, e *env, r flexRegistration, f *finishArgs) {
			e.clock.Advance(e.app.TransactionTTL + time.Second)
		}, code: ceremony.CodeTransactionExpired},
		{name: "expired handshake", edit: func(t *testing.T, e *env, r flexRegistration, f *finishArgs) {
			e.clock.Advance(e.app.CeremonyTimeout + time.Second)
		}, code: ceremony.CodeHandshakeNotFound},
		{name: "inactive user", edit: func(t *testing.T, e *env, r flexRegistration, f *finishArgs) {
			setStatus(t, e, r.tx.UserID, storage.UserInactive)
		}, code: ceremony.CodeUserInactive},
		{name: "credential already registered", edit: func(t *testing.T, e *env, r flexRegistration, f *finishArgs) {
			// Another user registered this very credential first: the
			// response is spliced from a "none" attestation, which
			// signs nothing, so only the store's uniqueness stops it.
			other := e.prepareRegister(softauthn.New(softauthn.Options{}), "first-owner")
			if _, err := e.svc.FinishFlexRegistration(e.ctx, e.app, other.tx.ID, other.hs.ID, other.response); err != nil {
				t.Fatal(err)
			}
			f.body = spliceCredential(t, f.body, other.response)
		}, code: ceremony.CodeCredentialRegistered, retry: true},
		{name: "empty body", edit: func(t *testing.T, e *env, r flexRegistration, f *finishArgs) {
			f.body = nil
		}, code: ceremony.CodeInvalidRequest, retry: true},
		{name: "json null", edit: func(t *testing.T, e *env, r flexRegistration, f *finishArgs) {
			f.body = []byte("null")
		}, code: ceremony.CodeInvalidRequest, retry: true},
		{name: "json array", edit: func(t *testing.T, e *env, r flexRegistration, f *finishArgs) {
			f.body = []byte("[1,2]")
		}, code: ceremony.CodeInvalidRequest, retry: true},
		{name: "trailing data", edit: func(t *testing.T, e *env, r flexRegistration, f *finishArgs) {
			f.body = append(append([]byte{}, f.body...), []byte(" {}")...)
		}, code: ceremony.CodeInvalidRequest, retry: true},
		{name: "too large", edit: func(t *testing.T, e *env, r flexRegistration, f *finishArgs) {
			f.body = bytes.Repeat([]byte(" "), 1<<20)
		}, code: ceremony.CodeInvalidRequest, retry: true},
		{name: "authentication response", edit: func(t *testing.T, e *env, r flexRegistration, f *finishArgs) {
			a := softauthn.New(softauthn.Options{})
			e.register(a, "someone")
			f.body = e.prepareAuthenticate(a, "someone").response
		}, code: ceremony.CodeInvalidRequest, retry: true},
	}
	for _, kind := range softauthn.CorruptKinds() {
		tests = append(tests, testCase{name: "corrupt " + kind.String(), edit: func(t *testing.T, e *env, r flexRegistration, f *finishArgs) {
			f.body = softauthn.Corrupt(f.body, kind)
		}, code: ceremony.CodeInvalidRequest, retry: true})
	}

	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		st := open(t)
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnv(t, st)
				a := softauthn.New(tt.opts)
				r := e.prepareRegister(a, fmt.Sprintf("user-%d", i), tt.mods...)
				f := finishArgs{txID: r.tx.ID, hsID: r.hs.ID, body: r.response}
				if tt.edit != nil {
					tt.edit(t, e, r, &f)
				}
				txIDs, hsIDs := []string{r.tx.ID, f.txID}, []string{r.hs.ID, f.hsID}
				before := e.snapshot(txIDs, hsIDs)

				_, err := e.svc.FinishFlexRegistration(e.ctx, e.app, f.txID, f.hsID, f.body)
				ce := wantCode(t, err, tt.code)
				if !strings.Contains(ce.Message, tt.reason) {
					t.Errorf("message %q does not say %q", ce.Message, tt.reason)
				}
				if strings.Contains(ce.Message, testOrigin) || strings.Contains(ce.Message, "evil") {
					t.Errorf("message %q leaks compared values", ce.Message)
				}
				e.assertUnchanged(before, txIDs, hsIDs)

				if tt.retry {
					// Nothing was consumed: the genuine ceremony still finishes.
					good, _, err := softauthn.New(softauthn.Options{}).Register(r.hs.Options, testOrigin)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := e.svc.FinishFlexRegistration(e.ctx, e.app, r.tx.ID, r.hs.ID, good); err != nil {
						t.Fatalf("genuine finish after the rejection: %v", err)
					}
				}
			})
		}
	})
}

func TestFinishFlexRegistrationTwice(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		r := e.prepareRegister(softauthn.New(softauthn.Options{}), "ivy")
		if _, err := e.svc.FinishFlexRegistration(e.ctx, e.app, r.tx.ID, r.hs.ID, r.response); err != nil {
			t.Fatal(err)
		}
		ids := []string{r.tx.ID}
		before := e.snapshot(ids, []string{r.hs.ID})
		_, err := e.svc.FinishFlexRegistration(e.ctx, e.app, r.tx.ID, r.hs.ID, r.response)
		wantCode(t, err, ceremony.CodeTransactionExpired)
		e.assertUnchanged(before, ids, []string{r.hs.ID})

		// Beginning a completed transaction again is refused too.
		_, err = e.svc.BeginFlexRegistration(e.ctx, e.app, r.tx.ID, "")
		wantCode(t, err, ceremony.CodeTransactionExpired)
	})
}

func TestFinishRegistrationByChallengeRejects(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		a := softauthn.New(softauthn.Options{})
		hs, err := e.svc.StartRegistration(e.ctx, e.app, ceremony.RegistrationStart{ExternalID: "jack"})
		if err != nil {
			t.Fatal(err)
		}
		// A Flex handshake is not found by the start/finish API.
		_, flexHS := e.beginRegister("kate")
		flexResp, _, err := a.Register(flexHS.Options, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		hsIDs := []string{hs.ID, flexHS.ID}
		tests := []struct {
			name string
			body func() []byte
			code string
		}{
			{"unknown challenge", func() []byte {
				b, _, _ := a.Register(hs.Options, testOrigin, softauthn.WithChallenge(b64(storage.RandomBytes(32))))
				return b
			}, ceremony.CodeHandshakeNotFound},
			{"empty challenge", func() []byte {
				b, _, _ := a.Register(hs.Options, testOrigin, softauthn.WithChallenge(""))
				return b
			}, ceremony.CodeHandshakeNotFound},
			{"flex handshake", func() []byte { return flexResp }, ceremony.CodeHandshakeNotFound},
			{"wrong origin", func() []byte {
				b, _, _ := a.Register(hs.Options, testOrigin, softauthn.WithOrigin("https://evil.example.net"))
				return b
			}, ceremony.CodeVerificationFailed},
			{"malformed", func() []byte { return []byte(`{"id":`) }, ceremony.CodeInvalidRequest},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := e.snapshot(nil, hsIDs)
				_, err := e.svc.FinishRegistration(e.ctx, e.app, "", tt.body())
				wantCode(t, err, tt.code)
				e.assertUnchanged(before, nil, hsIDs)
			})
		}
		_, err = e.svc.FinishRegistration(e.ctx, e.app, "jack", []byte("{}"))
		wantCode(t, err, ceremony.CodeInvalidRequest)
		_, err = e.svc.FinishRegistration(e.ctx, e.app, "bad\x00id", nil)
		wantCode(t, err, ceremony.CodeInvalidRequest)

		e.clock.Advance(e.app.CeremonyTimeout + time.Second)
		good, _, err := a.Register(hs.Options, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.FinishRegistration(e.ctx, e.app, "jack", good)
		wantCode(t, err, ceremony.CodeHandshakeNotFound)
	})
}

// spliceCredential puts the credential (id, rawId, attestationObject) of
// donor into body, keeping body's clientDataJSON and so its challenge.
func spliceCredential(t *testing.T, body, donor []byte) []byte {
	t.Helper()
	var d map[string]any
	editJSON(t, donor, func(m map[string]any) { d = m })
	return editJSON(t, body, func(m map[string]any) {
		m["id"], m["rawId"] = d["id"], d["rawId"]
		resp := m["response"].(map[string]any)
		dresp := d["response"].(map[string]any)
		for _, k := range []string{"attestationObject", "authenticatorData", "publicKey"} {
			if v, ok := dresp[k]; ok {
				resp[k] = v
			}
		}
	})
}

// setStatus sets a user's status directly in the store.
func setStatus(t *testing.T, e *env, userID, status string) {
	t.Helper()
	_, err := e.store.UpdateUser(e.ctx, e.app.ID, userID, func(u storage.User) (storage.User, error) {
		u.Status = status
		return u, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

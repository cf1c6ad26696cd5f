package ceremony_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
)

func TestFinishFlexAuthenticationRejects(t *testing.T) {
	type testCase struct {
		name        string
		discover    bool // discoverable instead of bound
		opts        softauthn.Options
		mods        []softauthn.Mod
		edit        func(t *testing.T, e *env, owner string, a *softauthn.Authenticator, f *finishArgs)
		code        string
		reason      string
		noRetry     bool // the ceremony cannot be retried (clock moved, user changed)
		cloneMarked bool // the refusal records a clone warning, and only that
	}
	tests := []testCase{
		{name: "wrong origin", mods: []softauthn.Mod{softauthn.WithOrigin("https://evil.example.net")},
			code: ceremony.CodeVerificationFailed, reason: "origin not allowed"},
		{name: "wrong origin, discoverable", discover: true, mods: []softauthn.Mod{softauthn.WithOrigin("http://login.example.com")},
			code: ceremony.CodeVerificationFailed, reason: "origin not allowed"},
		{name: "wrong rp id hash", mods: []softauthn.Mod{softauthn.WithRPID("evil.example.net")},
			code: ceremony.CodeVerificationFailed, reason: "RP ID mismatch"},
		{name: "no user presence", mods: []softauthn.Mod{softauthn.WithoutUP()},
			code: ceremony.CodeVerificationFailed, reason: "user presence"},
		{name: "no user verification", mods: []softauthn.Mod{softauthn.WithoutUV()},
			code: ceremony.CodeVerificationFailed, reason: "user verification required but not performed"},
		{name: "no user verification, discoverable", discover: true, mods: []softauthn.Mod{softauthn.WithoutUV()},
			code: ceremony.CodeVerificationFailed, reason: "user verification"},
		{name: "bad signature", mods: []softauthn.Mod{softauthn.WithBadSignature()},
			code: ceremony.CodeVerificationFailed, reason: "signature invalid"},
		{name: "bad signature, discoverable", discover: true, opts: softauthn.Options{Algorithm: softauthn.AlgEdDSA},
			mods: []softauthn.Mod{softauthn.WithBadSignature()}, code: ceremony.CodeVerificationFailed, reason: "signature invalid"},
		{name: "challenge mismatch", mods: []softauthn.Mod{softauthn.WithChallenge(b64(storage.RandomBytes(32)))},
			code: ceremony.CodeVerificationFailed, reason: "challenge mismatch"},
		{name: "wrong ceremony type", mods: []softauthn.Mod{softauthn.WithType("webauthn.create")},
			code: ceremony.CodeVerificationFailed, reason: "ceremony type"},
		{name: "backup state without eligibility", mods: []softauthn.Mod{softauthn.WithBackupFlags(false, true)},
			code: ceremony.CodeVerificationFailed, reason: "backup state"},
		{name: "no user handle, discoverable", discover: true, mods: []softauthn.Mod{softauthn.WithUserHandle(nil)},
			code: ceremony.CodeVerificationFailed, reason: "no user handle"},
		{name: "unknown user handle, discoverable", discover: true, mods: []softauthn.Mod{softauthn.WithUserHandle(storage.RandomBytes(32))},
			code: ceremony.CodeVerificationFailed, reason: "user handle"},
		{name: "another user's handle, discoverable", discover: true, edit: func(t *testing.T, e *env, owner string, a *softauthn.Authenticator, f *finishArgs) {
			e.register(softauthn.New(softauthn.Options{}), "other")
			hs, err := e.svc.BeginFlexAuthentication(e.ctx, e.app, "")
			if err != nil {
				t.Fatal(err)
			}
			f.hsID = hs.ID
			f.body = mustAuthenticate(t, a, hs, softauthn.WithUserHandle(e.user("other").Handle))
		}, code: ceremony.CodeVerificationFailed, reason: "user handle"},
		{name: "unknown credential, discoverable", discover: true, edit: func(t *testing.T, e *env, owner string, a *softauthn.Authenticator, f *finishArgs) {
			// A credential the authenticator made but the server never stored.
			stranger := softauthn.New(softauthn.Options{})
			_, hs := e.beginRegister("stranger")
			if _, _, err := stranger.Register(hs.Options, testOrigin); err != nil {
				t.Fatal(err)
			}
			f.body = mustAuthenticate(t, stranger, ceremony.Handshake{Options: optionsOf(t, e, f.hsID)})
		}, code: ceremony.CodeVerificationFailed, reason: "not recognised"},
		{name: "another user's credential", edit: func(t *testing.T, e *env, owner string, a *softauthn.Authenticator, f *finishArgs) {
			other := softauthn.New(softauthn.Options{})
			e.register(other, "other")
			// The other user's authenticator answers the bound options,
			// with allowCredentials dropped so that it answers at all.
			opts := editJSON(t, optionsOf(t, e, f.hsID), func(m map[string]any) { delete(m, "allowCredentials") })
			f.body = mustAuthenticate(t, other, ceremony.Handshake{Options: opts})
		}, code: ceremony.CodeVerificationFailed, reason: "not allowed"},
		{name: "unknown transaction", edit: func(t *testing.T, e *env, owner string, a *softauthn.Authenticator, f *finishArgs) {
			f.txID = storage.NewID()
		}, code: ceremony.CodeTransactionNotFound},
		{name: "register transaction", edit: func(t *testing.T, e *env, owner string, a *softauthn.Authenticator, f *finishArgs) {
			tx, err := e.svc.CreateRegisterTransaction(e.ctx, e.app, owner, "")
			if err != nil {
				t.Fatal(err)
			}
			f.txID = tx.ID
		}, code: ceremony.CodeTransactionNotFound},
		{name: "bound handshake without its transaction", edit: func(t *testing.T, e *env, owner string, a *softauthn.Authenticator, f *finishArgs) {
			f.txID = ""
		}, code: ceremony.CodeHandshakeNotFound},
		{name: "discoverable handshake with a transaction", discover: true, edit: func(t *testing.T, e *env, owner string, a *softauthn.Authenticator, f *finishArgs) {
			tx, err := e.svc.CreateAuthenticateTransaction(e.ctx, e.app, owner)
			if err != nil {
				t.Fatal(err)
			}
			f.txID = tx.ID
		}, code: ceremony.CodeHandshakeNotFound},
		{name: "handshake of another transaction", edit: func(t *testing.T, e *env, owner string, a *softauthn.Authenticator, f *finishArgs) {
			tx, err := e.svc.CreateAuthenticateTransaction(e.ctx, e.app, owner)
			if err != nil {
				t.Fatal(err)
			}
			f.txID = tx.ID
		}, code: ceremony.CodeHandshakeNotFound},
		{name: "unknown handshake", edit: func(t *testing.T, e *env, owner string, a *softauthn.Authenticator, f *finishArgs) {
			f.hsID = storage.NewID()
		}, code: ceremony.CodeHandshakeNotFound},
		{name: "no handshake id", discover: true, edit: func(t *testing.T, e *env, owner string, a *softauthn.Authenticator, f *finishArgs) {
			f.hsID = ""
		}, code: ceremony.CodeInvalidRequest},
		{name: "start/finish handshake", discover: true, edit: func(t *testing.T, e *env, owner string, a *softauthn.Authenticator, f *finishArgs) {
			hs, err := e.svc.StartAuthentication(e.ctx, e.app, "")
			if err != nil {
				t.Fatal(err)
			}
			f.hsID = hs.ID
			f.body = mustAuthenticate(t, a, hs)
		}, code: ceremony.CodeHandshakeNotFound},
		{name: "expired transaction", edit: func(t *testing.T, e *env, owner string, a *softauthn.Authenticator, f *finishArgs) {
			e.clock.Advance(e.app.TransactionTTL + time.Second)
		}, code: ceremony.CodeTransactionExpired, noRetry: true},
		{name: "expired handshake", discover: true, edit: func(t *testing.T, e *env, owner string, a *softauthn.Authenticator, f *finishArgs) {
			e.clock.Advance(e.app.CeremonyTimeout + time.Second)
		}, code: ceremony.CodeHandshakeNotFound, noRetry: true},
		{name: "inactive user", edit: func(t *testing.T, e *env, owner string, a *softauthn.Authenticator, f *finishArgs) {
			setStatus(t, e, e.user(owner).ID, storage.UserInactive)
		}, code: ceremony.CodeUserInactive, noRetry: true},
		{name: "inactive user, discoverable", discover: true, edit: func(t *testing.T, e *env, owner string, a *softauthn.Authenticator, f *finishArgs) {
			setStatus(t, e, e.user(owner).ID, storage.UserInactive)
		}, code: ceremony.CodeUserInactive, noRetry: true},
		{name: "revoked device", edit: func(t *testing.T, e *env, owner string, a *softauthn.Authenticator, f *finishArgs) {
			u := e.user(owner)
			ds, _ := e.store.ListDevices(e.ctx, e.app.ID, u.ID)
			if err := e.svc.RevokeDevice(e.ctx, e.app, u.ID, ds[0].ID); err != nil {
				t.Fatal(err)
			}
		}, code: ceremony.CodeVerificationFailed, noRetry: true},
		{name: "sign count regression", opts: softauthn.Options{SignCount: 10}, mods: []softauthn.Mod{softauthn.WithSignCount(4)},
			code: ceremony.CodeVerificationFailed, reason: "sign count went backwards", cloneMarked: true, noRetry: true},
		{name: "sign count repeated", opts: softauthn.Options{SignCount: 10}, mods: []softauthn.Mod{softauthn.WithSignCount(10)},
			code: ceremony.CodeVerificationFailed, reason: "sign count went backwards", cloneMarked: true, noRetry: true},
		{name: "sign count dropped to zero", opts: softauthn.Options{SignCount: 10}, mods: []softauthn.Mod{softauthn.WithSignCount(0)},
			code: ceremony.CodeVerificationFailed, reason: "sign count went backwards", cloneMarked: true, noRetry: true},
		{name: "registration response", edit: func(t *testing.T, e *env, owner string, a *softauthn.Authenticator, f *finishArgs) {
			// It parses as an assertion (simplewebauthn's registration
			// JSON carries authenticatorData), but proves nothing.
			f.body = e.prepareRegister(softauthn.New(softauthn.Options{}), "someone").response
		}, code: ceremony.CodeVerificationFailed},
		{name: "empty body", edit: func(t *testing.T, e *env, owner string, a *softauthn.Authenticator, f *finishArgs) {
			f.body = []byte{}
		}, code: ceremony.CodeInvalidRequest},
	}
	for _, kind := range softauthn.CorruptKinds() {
		tests = append(tests, testCase{name: "corrupt " + kind.String(), edit: func(t *testing.T, e *env, owner string, a *softauthn.Authenticator, f *finishArgs) {
			f.body = softauthn.Corrupt(f.body, kind)
		}, code: ceremony.CodeInvalidRequest})
	}

	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		st := open(t)
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnv(t, st)
				a := softauthn.New(tt.opts)
				owner := fmt.Sprintf("owner-%d", i)
				e.register(a, owner)
				bound := owner
				if tt.discover {
					bound = ""
				}
				fa := e.prepareAuthenticate(a, bound, tt.mods...)
				f := finishArgs{txID: fa.txID, hsID: fa.hs.ID, body: fa.response}
				if tt.edit != nil {
					tt.edit(t, e, owner, a, &f)
				}
				txIDs, hsIDs := []string{fa.txID, f.txID}, []string{fa.hs.ID, f.hsID}
				before := e.snapshot(txIDs, hsIDs)

				_, err := e.svc.FinishFlexAuthentication(e.ctx, e.app, f.txID, f.hsID, f.body)
				ce := wantCode(t, err, tt.code)
				if !strings.Contains(ce.Message, tt.reason) {
					t.Errorf("message %q does not say %q", ce.Message, tt.reason)
				}
				if tt.cloneMarked {
					// The one deliberate change: the device's clone warning.
					if len(before.Devices) != 1 || before.Devices[0].CloneWarning {
						t.Fatalf("devices before = %+v", before.Devices)
					}
					before.Devices[0].CloneWarning = true
					after := e.snapshot(txIDs, hsIDs)
					if len(after.Devices) == 1 {
						before.Devices[0].UpdatedAt = after.Devices[0].UpdatedAt
					}
				}
				e.assertUnchanged(before, txIDs, hsIDs)

				if !tt.noRetry {
					// Nothing was consumed: the genuine ceremony still finishes.
					good := mustAuthenticate(t, a, fa.hs)
					if _, err := e.svc.FinishFlexAuthentication(e.ctx, e.app, fa.txID, fa.hs.ID, good); err != nil {
						t.Fatalf("genuine finish after the rejection: %v", err)
					}
				}
			})
		}
	})
}

func TestAuthenticationReplay(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		a := softauthn.New(softauthn.Options{SignCount: 1})
		e.register(a, "liam")

		for _, bound := range []string{"liam", ""} {
			f := e.prepareAuthenticate(a, bound)
			if _, err := e.svc.FinishFlexAuthentication(e.ctx, e.app, f.txID, f.hs.ID, f.response); err != nil {
				t.Fatal(err)
			}
			// The same request again: transaction completed, or handshake used.
			ids, hs := []string{f.txID}, []string{f.hs.ID}
			before := e.snapshot(ids, hs)
			_, err := e.svc.FinishFlexAuthentication(e.ctx, e.app, f.txID, f.hs.ID, f.response)
			if bound != "" {
				wantCode(t, err, ceremony.CodeTransactionExpired)
			} else {
				wantCode(t, err, ceremony.CodeHandshakeNotFound)
			}
			e.assertUnchanged(before, ids, hs)

			// The captured assertion against a new ceremony: its challenge
			// is not the new one.
			g := e.prepareAuthenticate(a, bound)
			ids, hs = []string{g.txID}, []string{g.hs.ID}
			before = e.snapshot(ids, hs)
			_, err = e.svc.FinishFlexAuthentication(e.ctx, e.app, g.txID, g.hs.ID, f.response)
			ce := wantCode(t, err, ceremony.CodeVerificationFailed)
			if ce.Message != "challenge mismatch" {
				t.Fatalf("replay refused with %q", ce.Message)
			}
			e.assertUnchanged(before, ids, hs)
		}

		// Start/finish: a captured response finds no ceremony once used.
		hs, err := e.svc.StartAuthentication(e.ctx, e.app, "")
		if err != nil {
			t.Fatal(err)
		}
		resp := mustAuthenticate(t, a, hs)
		if _, err := e.svc.FinishAuthentication(e.ctx, e.app, "", resp); err != nil {
			t.Fatal(err)
		}
		before := e.snapshot(nil, []string{hs.ID})
		_, err = e.svc.FinishAuthentication(e.ctx, e.app, "", resp)
		wantCode(t, err, ceremony.CodeHandshakeNotFound)
		e.assertUnchanged(before, nil, []string{hs.ID})
	})
}

func TestFinishAuthenticationByChallengeRejects(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		a := softauthn.New(softauthn.Options{})
		e.register(a, "mia")
		e.register(softauthn.New(softauthn.Options{}), "noah")
		bound, err := e.svc.StartAuthentication(e.ctx, e.app, "mia")
		if err != nil {
			t.Fatal(err)
		}
		flex := e.prepareAuthenticate(a, "")
		hsIDs := []string{bound.ID, flex.hs.ID}
		tests := []struct {
			name     string
			external string
			body     []byte
			code     string
		}{
			{"flex handshake", "", flex.response, ceremony.CodeHandshakeNotFound},
			{"unknown challenge", "", mustAuthenticate(t, a, bound, softauthn.WithChallenge(b64(storage.RandomBytes(32)))), ceremony.CodeHandshakeNotFound},
			{"bound to another user", "noah", mustAuthenticate(t, a, bound), ceremony.CodeHandshakeNotFound},
			{"bad signature", "mia", mustAuthenticate(t, a, bound, softauthn.WithBadSignature()), ceremony.CodeVerificationFailed},
			{"malformed external id", strings.Repeat("x", 256), mustAuthenticate(t, a, bound), ceremony.CodeInvalidRequest},
			{"malformed", "", []byte(`{"id":"AA","rawId":"AA","type":"public-key","response":{}}`), ceremony.CodeInvalidRequest},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := e.snapshot(nil, hsIDs)
				_, err := e.svc.FinishAuthentication(e.ctx, e.app, tt.external, tt.body)
				wantCode(t, err, tt.code)
				e.assertUnchanged(before, nil, hsIDs)
			})
		}
		if _, err := e.svc.FinishAuthentication(e.ctx, e.app, "mia", mustAuthenticate(t, a, bound)); err != nil {
			t.Fatalf("genuine finish: %v", err)
		}
	})
}

// mustAuthenticate has a answer hs's options at the test origin.
func mustAuthenticate(t *testing.T, a *softauthn.Authenticator, hs ceremony.Handshake, mods ...softauthn.Mod) []byte {
	t.Helper()
	b, err := a.Authenticate(hs.Options, testOrigin, mods...)
	if err != nil {
		t.Fatalf("softauthn Authenticate: %v", err)
	}
	return b
}

// optionsOf rebuilds the request options of a stored Flex handshake, for
// authenticators other than the one the test began with.
func optionsOf(t *testing.T, e *env, hsID string) []byte {
	t.Helper()
	h, err := e.store.GetHandshake(e.ctx, e.app.ID, hsID, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	var challenge any
	editJSON(t, h.Session, func(m map[string]any) { challenge = m["challenge"] })
	opts := map[string]any{"challenge": challenge, "rpId": testRPID, "userVerification": "required"}
	if h.UserID != "" {
		ds, err := e.store.ListDevices(e.ctx, e.app.ID, h.UserID)
		if err != nil {
			t.Fatal(err)
		}
		var allow []any
		for _, d := range ds {
			allow = append(allow, map[string]any{"type": "public-key", "id": b64(d.CredentialID)})
		}
		opts["allowCredentials"] = allow
	}
	return editJSON(t, []byte("{}"), func(m map[string]any) {
		for k, v := range opts {
			m[k] = v
		}
	})
}

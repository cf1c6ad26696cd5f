package softauthn_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/passbridge/passbridge/ceremony/softauthn"
)

// reason is the text of a go-webauthn error with its debug info, which
// names the check that failed.
func reason(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe.Details + ": " + pe.DevInfo
	}
	return err.Error()
}

// checkRejected fails unless err is nil when want is "" or names want.
func checkRejected(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("rejected: %s", reason(err))
	case want != "" && err == nil:
		t.Fatalf("accepted, want a rejection naming %q", want)
	case want != "" && !strings.Contains(reason(err), want):
		t.Fatalf("rejected with %q, want one naming %q", reason(err), want)
	}
}

func TestAuthenticateMods(t *testing.T) {
	cases := []struct {
		name string
		uv   protocol.UserVerificationRequirement
		mods []softauthn.Mod
		want string // "" = accepted
	}{
		{name: "none", uv: protocol.VerificationRequired},
		{name: "origin", mods: []softauthn.Mod{softauthn.WithOrigin("https://login.example.net")}, want: "origin"},
		{name: "rp id", mods: []softauthn.Mod{softauthn.WithRPID("example.net")}, want: "RP Hash mismatch"},
		{name: "no up", mods: []softauthn.Mod{softauthn.WithoutUP()}, want: "User presence"},
		{name: "no uv when required", uv: protocol.VerificationRequired, mods: []softauthn.Mod{softauthn.WithoutUV()}, want: "User verification required"},
		{name: "no uv when preferred", uv: protocol.VerificationPreferred, mods: []softauthn.Mod{softauthn.WithoutUV()}},
		{name: "bad signature", mods: []softauthn.Mod{softauthn.WithBadSignature()}, want: "signature"},
		{name: "challenge", mods: []softauthn.Mod{softauthn.WithChallenge("c29tZXRoaW5nIGVsc2U")}, want: "challenge"},
		{name: "type", mods: []softauthn.Mod{softauthn.WithType("webauthn.create")}, want: "ceremony type"},
		{name: "user handle", mods: []softauthn.Mod{softauthn.WithUserHandle([]byte("someone else"))}, want: errUnknownUser.Error()},
		{name: "no user handle", mods: []softauthn.Mod{softauthn.WithUserHandle(nil)}, want: "blank User Handle"},
		{name: "backup flags flip", mods: []softauthn.Mod{softauthn.WithBackupFlags(true, true)}, want: "Backup Eligible flag inconsistency"},
		{name: "backed up without eligible", mods: []softauthn.Mod{softauthn.WithBackupFlags(false, true)}, want: "Backup State Flag is true"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rp := newRP(t)
			a := softauthn.New(softauthn.Options{})
			u := newUser("alice")
			rp.register(t, a, u)
			var opts []webauthn.LoginOption
			if tc.uv != "" {
				opts = append(opts, webauthn.WithUserVerification(tc.uv))
			}
			options, session := rp.beginDiscoverable(t, opts...)
			resp, err := a.Authenticate(options, rp.origin, tc.mods...)
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			_, err = rp.finishDiscoverable(session, resp, u)
			checkRejected(t, err, tc.want)
		})
	}
}

func TestRegisterMods(t *testing.T) {
	cases := []struct {
		name string
		mods []softauthn.Mod
		want string // "" = accepted
	}{
		{name: "none"},
		{name: "origin", mods: []softauthn.Mod{softauthn.WithOrigin("https://login.example.net")}, want: "origin"},
		{name: "rp id", mods: []softauthn.Mod{softauthn.WithRPID("example.net")}, want: "RP Hash mismatch"},
		{name: "no up", mods: []softauthn.Mod{softauthn.WithoutUP()}, want: "User presence"},
		{name: "no uv", mods: []softauthn.Mod{softauthn.WithoutUV()}, want: "User verification required"},
		{name: "bad signature", mods: []softauthn.Mod{softauthn.WithBadSignature()}, want: "signature"},
		{name: "challenge", mods: []softauthn.Mod{softauthn.WithChallenge("c29tZXRoaW5nIGVsc2U")}, want: "challenge"},
		{name: "type", mods: []softauthn.Mod{softauthn.WithType("webauthn.get")}, want: "ceremony type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rp := newRP(t)
			a := softauthn.New(softauthn.Options{Attestation: softauthn.AttestationPacked})
			u := newUser("alice")
			options, session := rp.beginRegistration(t, u, webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
				ResidentKey:      protocol.ResidentKeyRequirementRequired,
				UserVerification: protocol.VerificationRequired,
			}))
			resp, _, err := a.Register(options, rp.origin, tc.mods...)
			if err != nil {
				t.Fatalf("Register: %v", err)
			}
			_, err = rp.finishRegistration(u, session, resp)
			checkRejected(t, err, tc.want)
		})
	}
}

func TestWithSignCountRegression(t *testing.T) {
	rp := newRP(t)
	a := softauthn.New(softauthn.Options{SignCount: 10})
	u := newUser("alice")
	rp.register(t, a, u)

	login := func(mods ...softauthn.Mod) *webauthn.Credential {
		t.Helper()
		options, session := rp.beginLogin(t, u)
		resp, err := a.Authenticate(options, rp.origin, mods...)
		if err != nil {
			t.Fatalf("Authenticate: %v", err)
		}
		got, err := rp.finishLogin(u, session, resp)
		if err != nil {
			t.Fatalf("verify assertion: %v", err)
		}
		return got
	}
	if got := login(); got.Authenticator.SignCount != 11 || got.Authenticator.CloneWarning {
		t.Fatalf("first login: %+v, want count 11 and no clone warning", got.Authenticator)
	}
	u.creds[0].Authenticator.SignCount = 11
	if got := login(softauthn.WithSignCount(3)); !got.Authenticator.CloneWarning {
		t.Fatalf("regressed counter: %+v, want a clone warning", got.Authenticator)
	}
	if held := a.Credentials()[0]; held.SignCount != 3 {
		t.Fatalf("held sign count = %d, want 3 after WithSignCount(3)", held.SignCount)
	}
}

func TestModsThatDoNotApply(t *testing.T) {
	rp := newRP(t)
	u := newUser("alice")
	options, _ := rp.beginRegistration(t, u)
	cases := map[string]struct {
		opts softauthn.Options
		mod  softauthn.Mod
	}{
		"user handle":             {mod: softauthn.WithUserHandle([]byte("x"))},
		"credential":              {mod: softauthn.WithCredential([]byte("x"))},
		"bad signature with none": {mod: softauthn.WithBadSignature()},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			a := softauthn.New(tc.opts)
			if _, _, err := a.Register(options, rp.origin, tc.mod); err == nil {
				t.Fatal("Register accepted a Mod that has no meaning for it")
			}
			if n := len(a.Credentials()); n != 0 {
				t.Fatalf("holds %d credentials after a refused registration", n)
			}
		})
	}
}

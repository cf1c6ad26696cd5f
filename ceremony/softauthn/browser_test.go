package softauthn_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/passbridge/passbridge/ceremony/softauthn"
)

// creationJSON is minimal PublicKeyCredentialCreationOptionsJSON with
// extra members spliced in.
func creationJSON(extra string) []byte {
	return []byte(`{"rp":{"name":"Example","id":"login.example.com"},` +
		`"user":{"id":"dXNlcg","name":"alice","displayName":"Alice"},` +
		`"challenge":"Y2hhbGxlbmdl","pubKeyCredParams":[{"type":"public-key","alg":-7}]` + extra + `}`)
}

func TestRegisterBrowserChecks(t *testing.T) {
	cases := []struct {
		name    string
		opts    softauthn.Options
		options []byte
		origin  string
		want    error
	}{
		{"wrapped options", softauthn.Options{}, []byte(`{"publicKey":` + string(creationJSON("")) + `}`), rpOrigin, softauthn.ErrType},
		{"empty user id", softauthn.Options{}, []byte(strings.Replace(string(creationJSON("")), `"dXNlcg"`, `""`, 1)), rpOrigin, softauthn.ErrType},
		{"bad challenge", softauthn.Options{}, []byte(strings.Replace(string(creationJSON("")), `Y2hhbGxlbmdl`, `*`, 1)), rpOrigin, softauthn.ErrType},
		{"rp id of another site", softauthn.Options{}, creationJSON(""), "https://login.example.net", softauthn.ErrSecurity},
		{"rp id a public suffix", softauthn.Options{}, []byte(strings.Replace(string(creationJSON("")), `"login.example.com"`, `"com"`, 1)), rpOrigin, softauthn.ErrSecurity},
		{"plain http", softauthn.Options{}, creationJSON(""), "http://login.example.com", softauthn.ErrSecurity},
		{"algorithm not offered", softauthn.Options{Algorithm: softauthn.AlgEdDSA}, creationJSON(""), rpOrigin, softauthn.ErrNotSupported},
		{"default algorithms lack EdDSA", softauthn.Options{Algorithm: softauthn.AlgEdDSA}, []byte(strings.Replace(string(creationJSON("")), `{"type":"public-key","alg":-7}`, ``, 1)), rpOrigin, softauthn.ErrNotSupported},
		{"cross-platform wanted", softauthn.Options{}, creationJSON(`,"authenticatorSelection":{"authenticatorAttachment":"cross-platform"}`), rpOrigin, softauthn.ErrNotAllowed},
		{"platform wanted", softauthn.Options{Attachment: softauthn.AttachmentCrossPlatform}, creationJSON(`,"authenticatorSelection":{"authenticatorAttachment":"platform"}`), rpOrigin, softauthn.ErrNotAllowed},
		{"uv required, cannot", softauthn.Options{NoUserVerification: true}, creationJSON(`,"authenticatorSelection":{"userVerification":"required"}`), rpOrigin, softauthn.ErrNotAllowed},
		{"parent rp id", softauthn.Options{}, []byte(strings.Replace(string(creationJSON("")), `"login.example.com"`, `"example.com"`, 1)), rpOrigin, nil},
		{"default algorithms", softauthn.Options{}, []byte(strings.Replace(string(creationJSON("")), `{"type":"public-key","alg":-7}`, ``, 1)), rpOrigin, nil},
		{"uv preferred, cannot", softauthn.Options{NoUserVerification: true}, creationJSON(`,"authenticatorSelection":{"userVerification":"preferred"}`), rpOrigin, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := softauthn.New(tc.opts).Register(tc.options, tc.origin)
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("Register: %v", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("err = %v, want %v", err, tc.want)
			case tc.want != nil && !strings.Contains(err.Error(), tc.want.Error()):
				t.Fatalf("err %q does not name %s", err, tc.want)
			}
		})
	}
}

func TestInvalidOptions(t *testing.T) {
	for name, opts := range map[string]softauthn.Options{
		"algorithm":               {Algorithm: -9},
		"attachment":              {Attachment: "usb"},
		"attestation":             {Attestation: "tpm"},
		"backed up, not eligible": {BackedUp: true},
	} {
		t.Run(name, func(t *testing.T) {
			a := softauthn.New(opts)
			if _, _, err := a.Register(creationJSON(""), rpOrigin); err == nil {
				t.Error("Register succeeded")
			}
			if _, err := a.Authenticate([]byte(`{"challenge":"Y2hhbGxlbmdl"}`), rpOrigin); err == nil {
				t.Error("Authenticate succeeded")
			}
		})
	}
}

func TestClientDataJSON(t *testing.T) {
	a := softauthn.New(softauthn.Options{})
	resp, _, err := a.Register(creationJSON(""), "https://Login.Example.com:443")
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	want := `{"type":"webauthn.create","challenge":"Y2hhbGxlbmdl","origin":"https://login.example.com","crossOrigin":false}`
	if got := clientData(t, resp); got != want {
		t.Errorf("clientDataJSON =\n%s\nwant\n%s", got, want)
	}

	options := []byte(`{"challenge":"Y2hhbGxlbmdl","rpId":"login.example.com"}`)
	resp, err = a.Authenticate(options, "https://login.example.com:8443", softauthn.WithType("a\"b\\c\x01<é"))
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	want = `{"type":"a\"b\\c\u0001<é","challenge":"Y2hhbGxlbmdl","origin":"https://login.example.com:8443","crossOrigin":false}`
	if got := clientData(t, resp); got != want {
		t.Errorf("clientDataJSON =\n%s\nwant\n%s", got, want)
	}
}

func clientData(t *testing.T, resp []byte) string {
	t.Helper()
	var r struct {
		Response struct {
			ClientDataJSON string `json:"clientDataJSON"`
		} `json:"response"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		t.Fatalf("decode response: %v", err)
	}
	b, err := base64.RawURLEncoding.DecodeString(r.Response.ClientDataJSON)
	if err != nil {
		t.Fatalf("clientDataJSON: %v", err)
	}
	return string(b)
}

func TestExcludeCredentials(t *testing.T) {
	rp := newRP(t)
	a := softauthn.New(softauthn.Options{})
	u := newUser("alice")
	rp.register(t, a, u)
	exclude := webauthn.WithExclusions(webauthn.Credentials(u.creds).CredentialDescriptors())

	options, _ := rp.beginRegistration(t, u, exclude)
	_, _, err := a.Register(options, rp.origin)
	if !errors.Is(err, softauthn.ErrInvalidState) || !strings.Contains(err.Error(), "InvalidStateError") {
		t.Fatalf("err = %v, want InvalidStateError", err)
	}
	// Another authenticator does not hold the credential and registers.
	if _, _, err := softauthn.New(softauthn.Options{}).Register(options, rp.origin); err != nil {
		t.Fatalf("Register on a second authenticator: %v", err)
	}
}

func TestAllowCredentials(t *testing.T) {
	rp := newRP(t)
	a := softauthn.New(softauthn.Options{})
	u := newUser("alice")
	rp.register(t, a, u)
	options, _ := rp.beginLogin(t, u)

	_, err := softauthn.New(softauthn.Options{}).Authenticate(options, rp.origin)
	if !errors.Is(err, softauthn.ErrNotAllowed) || !strings.Contains(err.Error(), "NotAllowedError") {
		t.Fatalf("authenticator without the credential: err = %v, want NotAllowedError", err)
	}
	_, err = a.Authenticate(options, "https://other.example.com", softauthn.WithOrigin(rp.origin))
	if !errors.Is(err, softauthn.ErrSecurity) {
		t.Fatalf("rp id not a suffix of the origin: err = %v, want SecurityError", err)
	}
	if _, err := a.Authenticate(options, rp.origin, softauthn.WithCredential([]byte("unknown"))); !errors.Is(err, softauthn.ErrNotAllowed) {
		t.Fatalf("WithCredential of a credential not held: err = %v, want NotAllowedError", err)
	}
	noUV := softauthn.New(softauthn.Options{NoUserVerification: true})
	rp.register(t, noUV, newUser("bob"), webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{UserVerification: protocol.VerificationDiscouraged}))
	options, _ = rp.beginDiscoverable(t, webauthn.WithUserVerification(protocol.VerificationRequired))
	if _, err := noUV.Authenticate(options, rp.origin); !errors.Is(err, softauthn.ErrNotAllowed) {
		t.Fatalf("uv required from an authenticator without uv: err = %v, want NotAllowedError", err)
	}
}

func TestWithCredentialChoosesDiscoverable(t *testing.T) {
	rp := newRP(t)
	a := softauthn.New(softauthn.Options{})
	alice, bob := newUser("alice"), newUser("bob")
	rp.register(t, a, alice)
	rp.register(t, a, bob)
	creds := a.Credentials()
	if len(creds) != 2 {
		t.Fatalf("holds %d credentials, want 2", len(creds))
	}
	for i, want := range []*testUser{alice, bob} {
		options, session := rp.beginDiscoverable(t)
		var mods []softauthn.Mod
		if i == 1 {
			mods = append(mods, softauthn.WithCredential(creds[1].ID))
		}
		resp, err := a.Authenticate(options, rp.origin, mods...)
		if err != nil {
			t.Fatalf("Authenticate: %v", err)
		}
		if _, err := rp.finishDiscoverable(session, resp, want); err != nil {
			t.Fatalf("login %d as %s: %v", i, want.name, err)
		}
	}
}

func TestDiscoverableCredentialReplaced(t *testing.T) {
	rp := newRP(t)
	a := softauthn.New(softauthn.Options{})
	alice := newUser("alice")
	first := rp.register(t, a, alice)
	second := rp.register(t, a, alice)
	rp.register(t, a, newUser("bob"))
	creds := a.Credentials()
	if len(creds) != 2 || string(creds[0].ID) != string(second.ID) || string(creds[0].ID) == string(first.ID) {
		t.Fatalf("credentials %v: want alice's second credential to replace her first, and bob's", creds)
	}
}

func TestCredentialsAreSnapshots(t *testing.T) {
	rp := newRP(t)
	a := softauthn.New(softauthn.Options{SignCount: 1})
	u := newUser("alice")
	rp.register(t, a, u)
	snap := a.Credentials()[0]
	snap.ID[0] ^= 0xff
	options, _ := rp.beginLogin(t, u)
	if _, err := a.Authenticate(options, rp.origin); err != nil {
		t.Fatalf("Authenticate after changing a snapshot: %v", err)
	}
	if snap.SignCount != 1 || a.Credentials()[0].SignCount != 2 {
		t.Fatalf("snapshot count %d, held %d: want 1 and 2", snap.SignCount, a.Credentials()[0].SignCount)
	}
}

func TestPassageShape(t *testing.T) {
	rp := newRP(t)
	a := softauthn.New(softauthn.Options{Attachment: softauthn.AttachmentCrossPlatform})
	u := newUser("alice")
	options, session := rp.beginRegistration(t, u, webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementDiscouraged))
	resp, _, err := a.Register(options, rp.origin, softauthn.WithPassageShape())
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	var reg map[string]json.RawMessage
	var inner map[string]json.RawMessage
	if err := json.Unmarshal(resp, &reg); err != nil || json.Unmarshal(reg["response"], &inner) != nil {
		t.Fatalf("decode registration %s: %v", resp, err)
	}
	if _, ok := reg["clientExtensionResults"]; ok {
		t.Errorf("registration has clientExtensionResults: %s", resp)
	}
	if _, ok := inner["transports"]; ok || string(reg["transports"]) != `["usb"]` {
		t.Errorf("transports not at the top level: %s", resp)
	}
	if _, err := rp.finishRegistration(u, session, resp); err != nil {
		t.Fatalf("verify registration: %v", err)
	}

	loginOptions, loginSession := rp.beginLogin(t, u)
	resp, err = a.Authenticate(loginOptions, rp.origin, softauthn.WithPassageShape())
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	var auth map[string]json.RawMessage
	if err := json.Unmarshal(resp, &auth); err != nil || json.Unmarshal(auth["response"], &inner) != nil {
		t.Fatalf("decode assertion %s: %v", resp, err)
	}
	if _, ok := auth["clientExtensionResults"]; ok || string(inner["userHandle"]) != `""` {
		t.Errorf("assertion not in the Passage shape: %s", resp)
	}
	if _, err := rp.finishLogin(u, loginSession, resp); err != nil {
		t.Fatalf("verify assertion: %v", err)
	}
}

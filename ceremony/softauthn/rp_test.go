package softauthn_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// testUser is a relying party's account as go-webauthn sees it.
type testUser struct {
	id    []byte
	name  string
	creds []webauthn.Credential
}

func (u *testUser) WebAuthnID() []byte                         { return u.id }
func (u *testUser) WebAuthnName() string                       { return u.name }
func (u *testUser) WebAuthnDisplayName() string                { return u.name }
func (u *testUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// testRP is a go-webauthn relying party that checks what the software
// authenticator produces.
type testRP struct {
	wa     *webauthn.WebAuthn
	origin string
}

var errUnknownUser = errors.New("unknown user")

const (
	rpID     = "login.example.com"
	rpOrigin = "https://login.example.com"
)

func newRP(t *testing.T) *testRP {
	t.Helper()
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          rpID,
		RPDisplayName: "Example",
		RPOrigins:     []string{rpOrigin},
	})
	if err != nil {
		t.Fatalf("webauthn.New: %v", err)
	}
	return &testRP{wa: wa, origin: rpOrigin}
}

func newUser(name string) *testUser {
	return &testUser{id: []byte("user-handle-" + name), name: name}
}

// beginRegistration returns creation options JSON (the inner publicKey
// object) and the session to finish with.
func (r *testRP) beginRegistration(t *testing.T, u *testUser, opts ...webauthn.RegistrationOption) ([]byte, *webauthn.SessionData) {
	t.Helper()
	creation, session, err := r.wa.BeginRegistration(u, opts...)
	if err != nil {
		t.Fatalf("BeginRegistration: %v", err)
	}
	return mustJSON(t, creation.Response), session
}

// finishRegistration verifies a RegistrationResponseJSON and, on success,
// adds the credential to u.
func (r *testRP) finishRegistration(u *testUser, session *webauthn.SessionData, resp []byte) (*webauthn.Credential, error) {
	parsed, err := protocol.ParseCredentialCreationResponseBytes(resp)
	if err != nil {
		return nil, err
	}
	cred, err := r.wa.CreateCredential(u, *session, parsed)
	if err != nil {
		return nil, err
	}
	u.creds = append(u.creds, *cred)
	return cred, nil
}

// register runs a whole registration and fails the test if it is rejected.
func (r *testRP) register(t *testing.T, a *softauthn.Authenticator, u *testUser, opts ...webauthn.RegistrationOption) *webauthn.Credential {
	t.Helper()
	options, session := r.beginRegistration(t, u, opts...)
	resp, _, err := a.Register(options, r.origin)
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	cred, err := r.finishRegistration(u, session, resp)
	if err != nil {
		t.Fatalf("verify registration: %v", err)
	}
	return cred
}

// beginDiscoverable returns request options JSON with no allowCredentials.
func (r *testRP) beginDiscoverable(t *testing.T, opts ...webauthn.LoginOption) ([]byte, *webauthn.SessionData) {
	t.Helper()
	assertion, session, err := r.wa.BeginDiscoverableLogin(opts...)
	if err != nil {
		t.Fatalf("BeginDiscoverableLogin: %v", err)
	}
	return mustJSON(t, assertion.Response), session
}

// beginLogin returns request options JSON listing u's credentials.
func (r *testRP) beginLogin(t *testing.T, u *testUser, opts ...webauthn.LoginOption) ([]byte, *webauthn.SessionData) {
	t.Helper()
	assertion, session, err := r.wa.BeginLogin(u, opts...)
	if err != nil {
		t.Fatalf("BeginLogin: %v", err)
	}
	return mustJSON(t, assertion.Response), session
}

// finishDiscoverable verifies an AuthenticationResponseJSON against the
// users known to the RP, found by user handle.
func (r *testRP) finishDiscoverable(session *webauthn.SessionData, resp []byte, users ...*testUser) (*webauthn.Credential, error) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(resp)
	if err != nil {
		return nil, err
	}
	_, cred, err := r.wa.ValidatePasskeyLogin(func(_, handle []byte) (webauthn.User, error) {
		for _, u := range users {
			if string(u.id) == string(handle) {
				return u, nil
			}
		}
		return nil, errUnknownUser
	}, *session, parsed)
	return cred, err
}

// finishLogin verifies an AuthenticationResponseJSON for a known user.
func (r *testRP) finishLogin(u *testUser, session *webauthn.SessionData, resp []byte) (*webauthn.Credential, error) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(resp)
	if err != nil {
		return nil, err
	}
	return r.wa.ValidateLogin(u, *session, parsed)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b
}

package softauthn_test

import (
	"encoding/json"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/passbridge/passbridge/ceremony/softauthn"
)

type exampleUser struct {
	id    []byte
	creds []webauthn.Credential
}

func (u *exampleUser) WebAuthnID() []byte                         { return u.id }
func (u *exampleUser) WebAuthnName() string                       { return "alice" }
func (u *exampleUser) WebAuthnDisplayName() string                { return "Alice" }
func (u *exampleUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// A relying party hands out options; the software authenticator answers
// them as a browser would, and the relying party verifies the answers.
func Example() {
	rp, _ := webauthn.New(&webauthn.Config{
		RPID:          "localhost",
		RPDisplayName: "Example",
		RPOrigins:     []string{"http://localhost:8080"},
	})
	user := &exampleUser{id: []byte("alice-handle")}
	passkey := softauthn.New(softauthn.Options{BackupEligible: true, BackedUp: true})

	creation, regSession, _ := rp.BeginRegistration(user)
	options, _ := json.Marshal(creation.Response) // the inner publicKey object
	regJSON, _, err := passkey.Register(options, "http://localhost:8080")
	if err != nil {
		fmt.Println("register:", err)
		return
	}
	parsedReg, _ := protocol.ParseCredentialCreationResponseBytes(regJSON)
	cred, err := rp.CreateCredential(user, *regSession, parsedReg)
	if err != nil {
		fmt.Println("verify registration:", err)
		return
	}
	fmt.Println("registered:", cred.AttestationFormat)
	user.creds = append(user.creds, *cred)

	assertion, loginSession, _ := rp.BeginDiscoverableLogin()
	options, _ = json.Marshal(assertion.Response)
	authJSON, _ := passkey.Authenticate(options, "http://localhost:8080")
	parsedAuth, _ := protocol.ParseCredentialRequestResponseBytes(authJSON)
	_, _, err = rp.ValidatePasskeyLogin(func(_, _ []byte) (webauthn.User, error) { return user, nil }, *loginSession, parsedAuth)
	fmt.Println("signed in:", err == nil)

	// A response from another origin is refused.
	assertion, loginSession, _ = rp.BeginDiscoverableLogin()
	options, _ = json.Marshal(assertion.Response)
	authJSON, _ = passkey.Authenticate(options, "http://localhost:8080", softauthn.WithOrigin("https://evil.example"))
	parsedAuth, _ = protocol.ParseCredentialRequestResponseBytes(authJSON)
	_, _, err = rp.ValidatePasskeyLogin(func(_, _ []byte) (webauthn.User, error) { return user, nil }, *loginSession, parsedAuth)
	fmt.Println("phished:", err)
	// Output:
	// registered: none
	// signed in: true
	// phished: Error validating origin
}

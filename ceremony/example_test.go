package ceremony_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
)

// exampleOrigin is the page the examples' "browser" runs on.
const exampleOrigin = "https://login.example.com"

// exampleSetup opens a throwaway SQLite store, creates an app in it and
// returns a Service for it. Call the returned function when done.
func exampleSetup() (*ceremony.Service, storage.App, func()) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "passbridge-example-")
	if err != nil {
		log.Fatal(err)
	}
	st, err := sqlstore.Open(ctx, "sqlite://"+filepath.Join(dir, "passbridge.db"))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	app, err := ceremony.PrepareApp(storage.App{
		ID:      storage.NewID(),
		Name:    "Example",
		RPID:    "login.example.com",
		Origins: []string{exampleOrigin},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := st.CreateApp(ctx, app); err != nil {
		log.Fatal(err)
	}
	svc, err := ceremony.New(ceremony.Config{Store: st})
	if err != nil {
		log.Fatal(err)
	}
	return svc, app, func() {
		_ = st.Close()
		_ = os.RemoveAll(dir)
	}
}

// A Flex registration: the backend creates a transaction, the browser runs
// the ceremony and gets a nonce, the backend redeems the nonce.
func Example_flexRegistration() {
	svc, app, done := exampleSetup()
	defer done()
	ctx := context.Background()

	// Backend, with its API key: a register transaction for its user.
	tx, err := svc.CreateRegisterTransaction(ctx, app, "alice@example.com", "Alice")
	if err != nil {
		log.Fatal(err)
	}

	// Browser: start, navigator.credentials.create(), finish.
	hs, err := svc.BeginFlexRegistration(ctx, app, tx.ID, "platform")
	if err != nil {
		log.Fatal(err)
	}
	phone := softauthn.New(softauthn.Options{
		BackupEligible: true,
		AAGUID:         [16]byte{0xea, 0x9b, 0x8d, 0x66, 0x4d, 0x01, 0x1d, 0x21, 0x3c, 0xe4, 0xb6, 0xb4, 0x8c, 0xb5, 0x75, 0xd4},
	})
	response, _, err := phone.Register(hs.Options, exampleOrigin)
	if err != nil {
		log.Fatal(err)
	}
	res, err := svc.FinishFlexRegistration(ctx, app, tx.ID, hs.ID, response)
	if err != nil {
		log.Fatal(err)
	}

	// Backend: the nonce says who registered, once.
	n, err := svc.VerifyNonce(ctx, app, res.Nonce)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n.ExternalID, n.Kind)
	fmt.Println(res.Device.Type, "-", res.Device.FriendlyName)
	_, err = svc.VerifyNonce(ctx, app, res.Nonce)
	fmt.Println(ceremony.CodeOf(err))
	// Output:
	// alice@example.com register
	// passkey - Google Password Manager
	// invalid_nonce
}

// A discoverable Flex authentication: no transaction, the authenticator
// names the user; the options also serve autofill.
func Example_flexDiscoverableAuthentication() {
	svc, app, done := exampleSetup()
	defer done()
	ctx := context.Background()
	laptop := softauthn.New(softauthn.Options{})
	tx, _ := svc.CreateRegisterTransaction(ctx, app, "bob", "")
	hs, _ := svc.BeginFlexRegistration(ctx, app, tx.ID, "any")
	response, _, _ := laptop.Register(hs.Options, exampleOrigin)
	if _, err := svc.FinishFlexRegistration(ctx, app, tx.ID, hs.ID, response); err != nil {
		log.Fatal(err)
	}

	hs, err := svc.BeginFlexAuthentication(ctx, app, "")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("mediation:", hs.Mediation)
	response, err = laptop.Authenticate(hs.Options, exampleOrigin)
	if err != nil {
		log.Fatal(err)
	}
	res, err := svc.FinishFlexAuthentication(ctx, app, "", hs.ID, response)
	if err != nil {
		log.Fatal(err)
	}
	n, _ := svc.VerifyNonce(ctx, app, res.Nonce)
	fmt.Println(n.ExternalID, n.Kind, "uv:", n.UserVerified)
	// Output:
	// mediation: conditional
	// bob authenticate uv: true
}

// The start/finish API: the app's backend relays options and responses; the
// finish finds its ceremony by the challenge in clientDataJSON.
func ExampleService_StartRegistration() {
	svc, app, done := exampleSetup()
	defer done()
	ctx := context.Background()
	key := softauthn.New(softauthn.Options{Attachment: softauthn.AttachmentCrossPlatform})

	hs, err := svc.StartRegistration(ctx, app, ceremony.RegistrationStart{
		ExternalID: "user-7", UserName: "carol@example.com", UserDisplayName: "Carol",
	})
	if err != nil {
		log.Fatal(err)
	}
	response, _, _ := key.Register(hs.Options, exampleOrigin) // startRegistration({optionsJSON})
	reg, err := svc.FinishRegistration(ctx, app, "user-7", response)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("registered:", reg.Device.Type)

	hs, _ = svc.StartAuthentication(ctx, app, "user-7")
	response, _ = key.Authenticate(hs.Options, exampleOrigin) // startAuthentication({optionsJSON})
	res, err := svc.FinishAuthentication(ctx, app, "user-7", response)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("authenticated:", res.User.ExternalID, "logins:", res.User.LoginCount)
	// Output:
	// registered: security_key
	// authenticated: user-7 logins: 1
}

// Client-caused failures are *ceremony.Error values with a stable code and a
// message that is safe to show; anything else is an internal error.
func ExampleCodeOf() {
	svc, app, done := exampleSetup()
	defer done()
	ctx := context.Background()

	_, err := svc.CreateAuthenticateTransaction(ctx, app, "nobody")
	fmt.Println(ceremony.CodeOf(err), errors.Is(err, ceremony.ErrUserNotFound))

	_, err = svc.FinishFlexAuthentication(ctx, app, "", "no-such-handshake", []byte(`{"id":`))
	var ce *ceremony.Error
	if errors.As(err, &ce) {
		fmt.Println(ce.Code+":", ce.Message)
	}
	// Output:
	// user_not_found true
	// invalid_request: the ceremony response is not a JSON object
}

package loadflow

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"

	"github.com/passbridge/passbridge/ceremony/softauthn"
)

// browser is a virtual user: a cookie jar, a passkey provider, and the
// external ID its passkey was registered for.
type browser struct {
	c          *client
	http       *http.Client
	auth       *softauthn.Authenticator
	externalID string
}

// newBrowser returns a browser with an empty cookie jar and a new synced
// passkey provider, as most people's phones and laptops are.
func (c *client) newBrowser(externalID string) *browser {
	return &browser{c: c, http: withJar(c.backend, newJar()), auth: newAuthenticator(), externalID: externalID}
}

func newJar() http.CookieJar {
	jar, _ := cookiejar.New(nil) // never fails without options
	return jar
}

func newAuthenticator() *softauthn.Authenticator {
	return softauthn.New(softauthn.Options{BackupEligible: true, BackedUp: true})
}

// appPath is the URL of path under the app's API.
func (c *client) appPath(appID, path string) string {
	return c.base + "/v1/apps/" + appID + "/" + path
}

// createTransaction is the backend's POST …/transactions/{kind}.
func (c *client) createTransaction(ctx context.Context, rec Recorder, kind, externalID string) (string, error) {
	body := map[string]string{"external_id": externalID}
	if kind == "register" {
		body["passkey_display_name"] = externalID + "@bench.example"
	}
	var out struct {
		TransactionID string `json:"transaction_id"`
	}
	err := postJSON(ctx, c.backend, rec, request{step: "create_transaction", url: c.appPath(c.t.AppID, "transactions/"+kind),
		bearer: c.t.APIKey}, body, &out)
	if err == nil && out.TransactionID == "" {
		err = stepErr("create_transaction", "no transaction_id")
	}
	return out.TransactionID, err
}

// verifyNonce is the backend's POST …/authenticate/verify; the nonce must
// name want.
func (c *client) verifyNonce(ctx context.Context, rec Recorder, nonce, want string) error {
	var out struct {
		ExternalID string `json:"external_id"`
	}
	err := postJSON(ctx, c.backend, rec, request{step: "verify_nonce", url: c.appPath(c.t.AppID, "authenticate/verify"),
		bearer: c.t.APIKey}, map[string]string{"nonce": nonce}, &out)
	if err == nil && out.ExternalID != want {
		err = stepErr("verify_nonce", "external_id %q, want %q", out.ExternalID, want)
	}
	return err
}

// handshake is what a Flex client start answers.
type handshake struct {
	Handshake struct {
		ID        string `json:"id"`
		Challenge struct {
			PublicKey json.RawMessage `json:"publicKey"`
		} `json:"challenge"`
	} `json:"handshake"`
}

// flexStart is a client start of the page at origin, as the SDK sends it.
func (b *browser) flexStart(ctx context.Context, rec Recorder, step, origin, appID, path string, body any) (handshake, error) {
	var hs handshake
	err := postJSON(ctx, b.http, rec, request{step: step, url: b.c.appPath(appID, path), origin: origin}, body, &hs)
	if err == nil && (hs.Handshake.ID == "" || len(hs.Handshake.Challenge.PublicKey) == 0) {
		err = stepErr(step, "no handshake")
	}
	return hs, err
}

// flexFinish is a client finish; it returns the nonce.
func (b *browser) flexFinish(ctx context.Context, rec Recorder, step, origin, appID, path, tx, handshakeID string, response []byte) (string, error) {
	body := map[string]any{"handshake_id": handshakeID, "handshake_response": json.RawMessage(response)}
	if tx != "" {
		body["transaction_id"] = tx
	}
	var out struct {
		Nonce string `json:"nonce"`
	}
	err := postJSON(ctx, b.http, rec, request{step: step, url: b.c.appPath(appID, path), origin: origin}, body, &out)
	if err == nil && out.Nonce == "" {
		err = stepErr(step, "no nonce")
	}
	return out.Nonce, err
}

// flexRegister registers a passkey of auth for register transaction tx on
// the app's pages and returns the nonce.
func (b *browser) flexRegister(ctx context.Context, rec Recorder, auth *softauthn.Authenticator, tx string) (string, error) {
	origin, appID := b.c.pageOrigin, b.c.t.AppID
	hs, err := b.flexStart(ctx, rec, "register_start", origin, appID, "register/transactions/webauthn/start",
		map[string]string{"transaction_id": tx, "authenticator_attachment": "platform"})
	if err != nil {
		return "", err
	}
	resp, err := timed(rec, "authenticator", func() ([]byte, error) {
		resp, cred, err := auth.Register(hs.Handshake.Challenge.PublicKey, origin)
		if err == nil && b.c.t.RPID != "" && cred.RPID != b.c.t.RPID {
			err = fmt.Errorf("the server registered the passkey for rp id %q, want %q", cred.RPID, b.c.t.RPID)
		}
		return resp, err
	})
	if err != nil {
		return "", err
	}
	return b.flexFinish(ctx, rec, "register_finish", origin, appID, "register/transactions/webauthn/finish", tx, hs.Handshake.ID, resp)
}

// flexAuthenticate runs a Flex authentication on a page at origin (of
// transaction tx, or discoverable when tx is "") and returns the nonce.
func (b *browser) flexAuthenticate(ctx context.Context, rec Recorder, origin, appID, tx string) (string, error) {
	start := map[string]string{}
	if tx != "" {
		start["transaction_id"] = tx
	}
	hs, err := b.flexStart(ctx, rec, "authenticate_start", origin, appID, "authenticate/transactions/webauthn/start", start)
	if err != nil {
		return "", err
	}
	resp, err := timed(rec, "authenticator", func() ([]byte, error) {
		return b.auth.Authenticate(hs.Handshake.Challenge.PublicKey, origin)
	})
	if err != nil {
		return "", err
	}
	return b.flexFinish(ctx, rec, "authenticate_finish", origin, appID, "authenticate/transactions/webauthn/finish", tx, hs.Handshake.ID, resp)
}

// signUp registers the browser's passkey for its external ID through the
// Flex API, as an app's sign-up does, and verifies the nonce.
func (b *browser) signUp(ctx context.Context, rec Recorder, auth *softauthn.Authenticator, externalID string) error {
	tx, err := b.c.createTransaction(ctx, rec, "register", externalID)
	if err != nil {
		return err
	}
	nonce, err := b.flexRegister(ctx, rec, auth, tx)
	if err != nil {
		return err
	}
	return b.c.verifyNonce(ctx, rec, nonce, externalID)
}

// flexRegisterFlow signs up a new external ID with a new authenticator
// every iteration: a registration is a sign-up, and a person signs up
// once. Its users register nothing beforehand.
type flexRegisterFlow struct{ c *client }

func (f *flexRegisterFlow) Name() string { return FlexRegister }

func (f *flexRegisterFlow) NewUser(_ context.Context, i int) (User, error) {
	return &flexRegisterUser{browser: f.c.newBrowser(f.c.externalID(i)), seq: newSequence()}, nil
}

type flexRegisterUser struct {
	*browser
	seq *sequence
}

func (u *flexRegisterUser) Run(ctx context.Context, rec Recorder) error {
	id := fmt.Sprintf("%s-r%d", u.externalID, u.seq.next())
	// A new authenticator per sign-up keeps the client's memory flat over
	// long runs; a real one would hold every passkey made.
	return u.signUp(ctx, orDiscard(rec), newAuthenticator(), id)
}

// flexAuthFlow signs in users with a passkey registered at setup: bound to
// the user by an authenticate transaction, or discoverable.
type flexAuthFlow struct {
	c     *client
	bound bool
}

func (f *flexAuthFlow) Name() string {
	if f.bound {
		return FlexAuth
	}
	return Discoverable
}

func (f *flexAuthFlow) NewUser(ctx context.Context, i int) (User, error) {
	b := f.c.newBrowser(f.c.externalID(i))
	if err := b.signUp(ctx, discard{}, b.auth, b.externalID); err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	return &flexAuthUser{browser: b, bound: f.bound}, nil
}

type flexAuthUser struct {
	*browser
	bound bool
}

func (u *flexAuthUser) Run(ctx context.Context, rec Recorder) error {
	rec = orDiscard(rec)
	tx := ""
	if u.bound {
		var err error
		if tx, err = u.c.createTransaction(ctx, rec, "authenticate", u.externalID); err != nil {
			return err
		}
	}
	nonce, err := u.flexAuthenticate(ctx, rec, u.c.pageOrigin, u.c.t.AppID, tx)
	if err != nil {
		return err
	}
	return u.c.verifyNonce(ctx, rec, nonce, u.externalID)
}

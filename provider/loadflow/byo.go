package loadflow

import (
	"context"
	"encoding/json"
	"fmt"
)

// byoFlow signs in over the start/finish API (DESIGN §5): the backend
// starts and finishes with its API key, the browser only runs the
// authenticator. Its users register their passkey through the same API.
type byoFlow struct{ c *client }

func (f *byoFlow) Name() string { return BYOAuth }

func (f *byoFlow) NewUser(ctx context.Context, i int) (User, error) {
	u := &byoUser{browser: f.c.newBrowser(f.c.externalID(i))}
	if err := u.register(ctx); err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	return u, nil
}

type byoUser struct{ *browser }

// passkeys posts body to the start/finish API's path with the API key.
func (u *byoUser) passkeys(ctx context.Context, rec Recorder, step, path string, body, out any) error {
	return postJSON(ctx, u.c.backend, rec, request{step: step, url: u.c.appPath(u.c.t.AppID, "passkeys/"+path),
		bearer: u.c.t.APIKey}, body, out)
}

// register enrols the user's passkey: register/start, the authenticator,
// register/finish.
func (u *byoUser) register(ctx context.Context) error {
	rec := discard{}
	var start struct {
		Options json.RawMessage `json:"registrationOptions"`
	}
	err := u.passkeys(ctx, rec, "register_start", "register/start",
		map[string]string{"user_id": u.externalID, "email_or_username": u.externalID + "@bench.example"}, &start)
	if err != nil {
		return err
	}
	resp, err := timed(rec, "authenticator", func() ([]byte, error) {
		resp, _, err := u.auth.Register(start.Options, u.c.pageOrigin)
		return resp, err
	})
	if err != nil {
		return err
	}
	return u.passkeys(ctx, rec, "register_finish", "register/finish",
		map[string]any{"user_id": u.externalID, "publicKey": json.RawMessage(resp)}, nil)
}

func (u *byoUser) Run(ctx context.Context, rec Recorder) error {
	rec = orDiscard(rec)
	var start struct {
		Options json.RawMessage `json:"authenticationOptions"`
	}
	err := u.passkeys(ctx, rec, "authenticate_start", "authenticate/start", map[string]string{"user_id": u.externalID}, &start)
	if err != nil {
		return err
	}
	resp, err := timed(rec, "authenticator", func() ([]byte, error) {
		return u.auth.Authenticate(start.Options, u.c.pageOrigin)
	})
	if err != nil {
		return err
	}
	var out struct {
		ExternalID string `json:"external_id"`
	}
	err = u.passkeys(ctx, rec, "authenticate_finish", "authenticate/finish",
		map[string]any{"user_id": u.externalID, "publicKey": json.RawMessage(resp)}, &out)
	if err == nil && out.ExternalID != u.externalID {
		err = stepErr("authenticate_finish", "external_id %q, want %q", out.ExternalID, u.externalID)
	}
	return err
}

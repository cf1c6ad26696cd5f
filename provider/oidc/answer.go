package oidc

import (
	"context"
	"fmt"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/passbridge/passbridge/storage"
)

// An auth request of the code flow whose answer is a redirect is answered
// at once: the write that completes it (the sign-in's session at
// /login/complete, or the request itself at /authorize when the browser's
// session satisfies it) stores its code too, and the browser goes straight
// to the client. op's callback would cost one more redirect, a read of
// the request and a write of the code. The code is the one op's callback
// mints (op's encryption of the request's ID, which the token endpoint
// decrypts), so the token endpoint cannot tell the two apart. Every other
// completed request (form_post, the implicit profile, a request completed
// from a session the login page found) still goes through the callback.

// answersAtOnce reports whether completed auth request r is answered by a
// redirect carrying its code.
func answersAtOnce(r storage.AuthRequest) bool {
	if r.ResponseType != string(oidc.ResponseTypeCode) {
		return false
	}
	switch oidc.ResponseMode(r.ResponseMode) {
	case "", oidc.ResponseModeQuery, oidc.ResponseModeFragment:
		return true
	}
	return false
}

// answer is a code minted for an auth request, the row that stores its
// digest, and the redirect that hands it to the client.
type answer struct {
	row storage.AuthCode
	url string
}

// newAnswer mints the code that answers auth request r.
func (s *opStorage) newAnswer(r storage.AuthRequest) (answer, error) {
	code, err := s.codes.Encrypt(r.ID)
	if err != nil {
		return answer{}, fmt.Errorf("mint code: %w", err)
	}
	u, err := op.AuthResponseURL(r.RedirectURI, oidc.ResponseTypeCode, oidc.ResponseMode(r.ResponseMode),
		&op.CodeResponseType{Code: code, State: r.State}, s.encoder)
	if err != nil {
		return answer{}, fmt.Errorf("answer url: %w", err)
	}
	now := s.clock()
	return answer{
		row: storage.AuthCode{Hash: storage.HashSecret(code), AuthRequestID: r.ID, CreatedAt: now, ExpiresAt: now.Add(s.cfg.CodeTTL)},
		url: u,
	}, nil
}

// createAnswered stores auth request r, which the browser's session
// satisfied, with the code that answers it, and notes the answer for the
// redirect op makes next (see loginURLFor).
func (s *opStorage) createAnswered(ctx context.Context, r storage.AuthRequest, info *requestInfo) (op.AuthRequest, error) {
	a, err := s.newAnswer(r)
	if err != nil {
		s.log.ErrorContext(ctx, "create auth request", "err", err)
		return nil, oidc.ErrServerError().WithDescription("internal error")
	}
	if err := s.store.CreateAnsweredAuthRequest(ctx, r, a.row); err != nil {
		return nil, s.translate(ctx, "create answered auth request", err, nil)
	}
	info.answered, info.answerURL = r.ID, a.url
	return &authRequest{r}, nil
}

// loginURLFor is where op sends the browser once /authorize stored a
// request: straight to the client when the request was answered at once
// in this HTTP request, else the login page.
func (s *opStorage) loginURLFor(ctx context.Context) func(id string) string {
	info := requestInfoFrom(ctx)
	return func(id string) string {
		if info != nil && info.answered != "" && info.answered == id {
			return info.answerURL
		}
		return s.loginURL(id)
	}
}

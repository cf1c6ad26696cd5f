package oidc

import (
	"context"
	"errors"
	"net/http"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/passbridge/passbridge/provider/web"
	"github.com/passbridge/passbridge/storage"
)

// What the login page needs of the provider. The page never mints codes or
// tokens: SignIn completes an auth request, with its code when it is
// answered at once (see answer.go), and the page sends the browser where
// SignIn says: to the client, or to op's callback, which mints the code.

// Cookies are the provider's cookie settings.
func (p *Provider) Cookies() web.Cookies { return p.cookies }

// CallbackURL is where the browser goes once auth request id is done: op's
// callback, which redirects to the client with the code.
func (p *Provider) CallbackURL(ctx context.Context, id string) string {
	return op.AuthCallbackURL(p.op)(op.ContextWithIssuer(ctx, p.issuer), id)
}

// Fail sends the browser back to the client of auth request r with err
// (OAuth 2.0 §4.1.2.1: the redirect_uri was validated at /authorize).
func (p *Provider) Fail(w http.ResponseWriter, req *http.Request, r storage.AuthRequest, err *oidc.Error) {
	if r.ResponseType == string(oidc.ResponseTypeIDTokenOnly) {
		p.postError(w, req, r.RedirectURI, r.State, string(err.ErrorType), err.Description)
		return
	}
	op.AuthRequestError(w, req.WithContext(op.ContextWithIssuer(req.Context(), p.issuer)), &authRequest{r}, err, p.op)
}

// Session is the browser's live session with app appID, or nil.
func (p *Provider) Session(ctx context.Context, r *http.Request, appID string) (*storage.Session, error) {
	info := &requestInfo{sessions: map[string][]byte{}}
	if h := p.cookies.Session(r, appID); h != nil {
		info.sessions[appID] = h
	}
	return p.storage.browserSession(ctx, info, appID, p.storage.clock())
}

// RequiredACR is the least acr a ceremony must prove for auth request r of
// client c.
func RequiredACR(r storage.AuthRequest, c storage.Client) string { return requiredACR(r, c) }

// HintedSubject is the external ID auth request r is bound to, or "".
func HintedSubject(r storage.AuthRequest) string { return hintedSubject(r) }

// Proof is what a finished passkey ceremony proved.
type Proof struct {
	UserID, Subject, DeviceID    string
	UserVerified, BackupEligible bool
}

// ErrUnmet is returned by SignIn when the ceremony did not reach what the
// request or the client demands.
var ErrUnmet = errors.New("the passkey does not meet the sign-in's requirements")

// SignIn completes auth request r of client c with a fresh ceremony: it
// checks that the ceremony meets the acr and user verification the request
// and the client demand, replaces the browser's session with the app by a
// new one (a new cookie on w; sid, auth_time, acr and amr of this
// ceremony), and marks the request done, storing its code when it is
// answered at once. It returns where the browser goes next: the client's
// redirect_uri with the code, or op's callback.
func (p *Provider) SignIn(ctx context.Context, w http.ResponseWriter, req *http.Request, r storage.AuthRequest, c storage.Client, proof Proof) (string, error) {
	if !ACRSatisfies(ACR(proof.BackupEligible), requiredACR(r, c)) || (c.RequireUV && !proof.UserVerified) {
		return "", ErrUnmet
	}
	if !answersAtOnce(r) {
		if err := p.startSession(ctx, w, req, r.AppID, r.ID, proof, nil); err != nil {
			return "", err
		}
		return p.CallbackURL(ctx, r.ID), nil
	}
	a, err := p.storage.newAnswer(r)
	if err != nil {
		return "", err
	}
	if err := p.startSession(ctx, w, req, r.AppID, r.ID, proof, &a.row); err != nil {
		return "", err
	}
	return a.url, nil
}

// NewSession signs the browser in to app appID with a fresh ceremony, for
// the provider's own pages (the account page): the browser's session with
// the app is replaced by a new one (a new cookie on w).
func (p *Provider) NewSession(ctx context.Context, w http.ResponseWriter, req *http.Request, appID string, proof Proof) error {
	return p.startSession(ctx, w, req, appID, "", proof, nil)
}

// startSession stores a session of a fresh ceremony in place of the
// browser's session with the app, completing auth request authRequestID
// (if set) with it and storing its code (if set), in one store write
// (StartSession), and only then sets
// the cookie. A user deactivated (or deleted) since the ceremony's nonce
// was redeemed gets no session: the write checks the user, and holds it
// until it is done, so that a deactivation lands wholly before or after.
func (p *Provider) startSession(ctx context.Context, w http.ResponseWriter, req *http.Request, appID, authRequestID string, proof Proof, code *storage.AuthCode) error {
	now := p.storage.clock()
	cookie := p.cookies.NewSessionValue()
	st := storage.SessionStart{
		Session: storage.Session{
			ID: storage.NewID(), AppID: appID, UserID: proof.UserID, Subject: proof.Subject, Hash: cookie.Digest,
			DeviceID: proof.DeviceID, AuthTime: now, AMR: AMR(proof.BackupEligible, proof.UserVerified),
			ACR: ACR(proof.BackupEligible), CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(p.cfg.SessionTTL),
		},
		// The old session goes by its cookie's digest: no need to read it.
		Replaces:      p.cookies.Session(req, appID),
		AuthRequestID: authRequestID,
		Code:          code,
	}
	err := p.store.StartSession(ctx, st)
	switch {
	case errors.Is(err, storage.ErrUserInactive):
		return ErrUserInactive
	case errors.Is(err, storage.ErrConflict):
		return errAlreadyDone
	case err != nil:
		return err
	}
	p.cookies.SetSession(w, appID, cookie, p.cfg.SessionTTL)
	return nil
}

// EndSession signs the browser out of app appID: its session is deleted
// and its cookie cleared.
func (p *Provider) EndSession(ctx context.Context, w http.ResponseWriter, req *http.Request, appID string) error {
	sess, err := p.Session(ctx, req, appID)
	if err != nil {
		return err
	}
	if sess != nil {
		if err := p.store.DeleteSession(ctx, sess.ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
	}
	p.cookies.ClearSession(w, appID)
	return nil
}

// CompleteFromSession completes auth request r with the browser's session
// (SSO), which SessionSatisfies approved; one completed meanwhile stays as
// it is.
func (p *Provider) CompleteFromSession(ctx context.Context, r storage.AuthRequest, s storage.Session) error {
	err := p.store.CompleteAuthRequest(ctx, r.ID, s)
	if errors.Is(err, storage.ErrConflict) {
		return nil
	}
	return err
}

// ErrUserInactive is returned by SignIn and NewSession when the user was
// deactivated or deleted after the ceremony.
var ErrUserInactive = errors.New("the user is inactive")

// ErrAlreadyDone: the auth request was completed already.
var ErrAlreadyDone = errAlreadyDone

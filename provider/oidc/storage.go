package oidc

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	httphelper "github.com/zitadel/oidc/v3/pkg/http"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/provider/web"
	"github.com/passbridge/passbridge/storage"
)

// opStorage is op's Storage over passbridge's store. Each method is one
// logical step; multi-row writes run in one store transaction.
type opStorage struct {
	store    storage.Store
	keys     *signing.Manager
	cookies  web.Cookies
	cfg      Config
	now      func() time.Time
	log      *slog.Logger
	loginURL func(authRequestID string) string
	remote   *remoteKeys
	// codes mints codes as op does (op's AES with the same key), for the
	// requests answered at once (see answer.go); encoder writes the
	// answer's parameters as op does.
	codes   op.Crypto
	encoder httphelper.Encoder
}

var (
	_ op.Storage                        = (*opStorage)(nil)
	_ op.CanSetUserinfoFromRequest      = (*opStorage)(nil)
	_ op.CanGetPrivateClaimsFromRequest = (*opStorage)(nil)
	_ op.CanTerminateSessionFromRequest = (*opStorage)(nil)
)

// clock is the current time as the store keeps it.
func (s *opStorage) clock() time.Time { return s.now().UTC().Round(time.Microsecond) }

// Health reports whether the store answers (op's /ready).
func (s *opStorage) Health(ctx context.Context) error { return s.store.Ping(ctx) }

// requestInfo is what the HTTP layer learned of the browser, for the
// storage methods op calls without the request.
type requestInfo struct {
	w        http.ResponseWriter
	browser  []byte            // digest of the browser cookie
	sessions map[string][]byte // digests of the session cookies, by app ID
	// signedLoginHint is the login_hint of a verified request object and
	// signedCreate whether its prompt holds create: the client vouches for
	// that user's enrolment.
	signedLoginHint string
	signedCreate    bool
	// implicit is an implicit client's request as withImplicit verified it.
	implicit *implicitRequest
	// answered is the auth request /authorize stored answered (see
	// createAnswered), and answerURL the redirect that answers it.
	answered, answerURL string
}

type requestInfoKey struct{}

func withRequestInfo(ctx context.Context, info *requestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, info)
}

func requestInfoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return info
}

// browserSession is the browser's live session with app appID, or nil.
func (s *opStorage) browserSession(ctx context.Context, info *requestInfo, appID string, now time.Time) (*storage.Session, error) {
	hash := info.sessions[appID]
	if hash == nil {
		return nil, nil
	}
	sess, err := s.store.GetSessionByHash(ctx, hash, now)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &sess, nil
}

// TerminateSession is op's older end_session hook; TerminateSessionFromRequest
// is used instead.
func (s *opStorage) TerminateSession(context.Context, string, string) error { return nil }

// TerminateSessionFromRequest ends the browser's session (RP-initiated
// logout): the one the id_token_hint's sid names, else the browser's
// session with the client's app, else all of the browser's sessions; their
// cookies are cleared. The session the hint names is ended even when the
// request brings no cookie of it: a broker or relying party ending its own
// session calls end_session from its server (zitadel's rp.EndSession,
// Keycloak's back-channel logout), with the hint but without the browser.
// Refresh tokens (offline access) survive a logout.
func (s *opStorage) TerminateSessionFromRequest(ctx context.Context, req *op.EndSessionRequest) (string, error) {
	info := requestInfoFrom(ctx)
	if info == nil {
		return req.RedirectURI, nil
	}
	var appID string
	if req.ClientID != "" {
		c, err := s.client(ctx, req.ClientID)
		if err != nil {
			return "", s.translate(ctx, "end session: client", err, oidc.ErrInvalidClient)
		}
		appID = c.AppID
	}
	sid := ""
	if req.IDTokenHintClaims != nil {
		sid = req.IDTokenHintClaims.SessionID
	}
	for app, hash := range info.sessions {
		if appID != "" && app != appID {
			continue
		}
		sess, err := s.store.GetSessionByHash(ctx, hash, s.clock())
		if errors.Is(err, storage.ErrNotFound) {
			s.cookies.ClearSession(info.w, app)
			continue
		}
		if err != nil {
			return "", s.translate(ctx, "end session", err, nil)
		}
		if sid != "" && sess.ID != sid {
			continue
		}
		if err := s.store.DeleteSession(ctx, sess.ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return "", s.translate(ctx, "end session", err, nil)
		}
		s.cookies.ClearSession(info.w, app)
	}
	if sid != "" {
		if err := s.endHintedSession(ctx, sid, req.IDTokenHintClaims.Subject, appID); err != nil {
			return "", s.translate(ctx, "end session", err, nil)
		}
	}
	return req.RedirectURI, nil
}

// endHintedSession deletes the session an id_token_hint names by its sid,
// if it is still there and is the hint's subject's, with the client's app
// when a client is named: a hint is proof of a sign-in by that session,
// not of anything else.
func (s *opStorage) endHintedSession(ctx context.Context, sid, subject, appID string) error {
	sess, err := s.store.GetSession(ctx, sid)
	if errors.Is(err, storage.ErrNotFound) {
		return nil // ended already, through the cookie or before
	}
	if err != nil {
		return err
	}
	if sess.Subject != subject || (appID != "" && sess.AppID != appID) {
		return nil
	}
	if err := s.store.DeleteSession(ctx, sess.ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	return nil
}

// client reads a client once per request (see outage).
func (s *opStorage) client(ctx context.Context, id string) (storage.Client, error) {
	o, _ := ctx.Value(outageKey{}).(*outage)
	if o != nil {
		o.mu.Lock()
		c, ok := o.clients[id]
		o.mu.Unlock()
		if ok {
			return c, nil
		}
	}
	c, err := s.store.GetClient(ctx, id)
	if err != nil || o == nil {
		return c, err
	}
	o.mu.Lock()
	if o.clients == nil {
		o.clients = map[string]storage.Client{}
	}
	o.clients[id] = c
	o.mu.Unlock()
	return c, nil
}

package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// relyingParty is this app as passbridge's client: what discovery tells
// about the issuer, fetched at the first need and kept once it succeeded,
// so that the app may start before passbridge does.
type relyingParty struct {
	cfg    Config
	client *http.Client

	mu   sync.Mutex // one discovery at a time
	done atomic.Pointer[endpoints]
}

// endpoints is what the app uses of passbridge once discovered.
type endpoints struct {
	oauth2   oauth2.Config
	verifier *oidc.IDTokenVerifier
	// endSession is the RP-initiated logout endpoint; "" if not offered.
	endSession string
	// origins are those of the endpoints the browser is sent to, for the
	// Content-Security-Policy's form-action.
	origins []string
}

func newRelyingParty(cfg Config) *relyingParty {
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &relyingParty{cfg: cfg, client: client}
}

// ctx carries the HTTP client go-oidc and x/oauth2 use for their calls.
func (rp *relyingParty) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, rp.client)
}

// discover returns passbridge's endpoints, reading its discovery document
// (OIDC Discovery 1.0 §4) unless that succeeded before. go-oidc checks that
// the document's issuer is exactly the configured one (§4.3).
func (rp *relyingParty) discover(ctx context.Context) (*endpoints, error) {
	if d := rp.done.Load(); d != nil {
		return d, nil
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if d := rp.done.Load(); d != nil {
		return d, nil
	}
	// The provider keeps the context's HTTP client for fetching the keys
	// later (and again when they rotate).
	p, err := oidc.NewProvider(rp.ctx(ctx), rp.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	var extra struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := p.Claims(&extra); err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	ep := p.Endpoint()
	d := &endpoints{
		oauth2: oauth2.Config{
			ClientID:     rp.cfg.ClientID,
			ClientSecret: rp.cfg.ClientSecret,
			Endpoint:     ep,
			RedirectURL:  rp.cfg.RedirectURL,
			Scopes:       []string{oidc.ScopeOpenID},
		},
		// Signature (the issuer's JWKS), iss, aud and exp; the nonce and
		// the passkey rules are checked by the callback.
		verifier:   p.Verifier(&oidc.Config{ClientID: rp.cfg.ClientID, Now: rp.cfg.now}),
		endSession: extra.EndSession,
	}
	for _, u := range []string{rp.cfg.Issuer, ep.AuthURL, extra.EndSession} {
		if o, err := origin(u); err == nil && !slices.Contains(d.origins, o) {
			d.origins = append(d.origins, o)
		}
	}
	rp.done.Store(d)
	return d, nil
}

// formOrigins are the origins forms of the page may end up at: the
// issuer's before discovery, then those of its endpoints.
func (rp *relyingParty) formOrigins() []string {
	if d := rp.done.Load(); d != nil {
		return d.origins
	}
	return []string{mustOrigin(rp.cfg.Issuer)}
}
